"""The sync endpoint's serialised-page cache (cms/sync/serialised.py).

An unchanged page is serialised once; after any change, a sync served partly
from the cache answers exactly what a sync with an empty cache answers (every
page serialised afresh), and the change is visible in it.
"""

from __future__ import annotations

import ast
import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cms.content.models import SectionPage, StandardPage
from cms.sync import serialised
from cms.sync.items import current_clock_value
from cms.sync.models import SerialisedPage
from tests.factories import article, publish

pytestmark = pytest.mark.django_db


def full_sync(api) -> tuple[list[dict], int]:
    """Every item of a full sync, and how many pages the CMS serialised for it."""
    url, params = "/api/v2/sync/", {}
    items: list[dict] = []
    serialised_pages = 0
    while url:
        response = api.get(url, params)
        assert response.status_code == 200, response.content
        serialised_pages += int(response["X-Jamtail-Serialised-Pages"])
        body = response.json()
        items += body["items"]
        url, params = body["next_page"], {}
    return items, serialised_pages


def pages_of(items: list[dict]) -> dict[int, dict]:
    return {i["id"]: i for i in items if i["kind"] == "page"}


def test_a_second_sync_serialises_no_unchanged_page(api, site):
    first, serialised_first = full_sync(api)
    assert serialised_first == len(pages_of(first)) > 5
    with CaptureQueriesContext(connection) as queries:
        second, serialised_second = full_sync(api)
    assert serialised_second == 0
    assert second == first
    # No page-type table, image, rendition or tag is read: only the cached text.
    sql = " ".join(q["sql"] for q in queries).lower()
    for table in ("content_articlepage", "wagtailimages_rendition", "taggit_tag"):
        assert table not in sql


def test_an_edit_re_serialises_only_the_edited_page(api, site):
    full_sync(api)
    post = site["posts"][1].get_latest_revision_as_object()
    post.title = "Second post, revised"
    post.save_revision().publish()
    items, count = full_sync(api)
    assert count == 1
    assert pages_of(items)[post.pk]["data"]["title"] == "Second post, revised"


def _edit_page(site: dict) -> Callable[[dict], Any]:
    page = site["posts"][0].get_latest_revision_as_object()
    page.title = "Hello again"
    page.save_revision().publish()
    return lambda item: item["data"]["title"] == "Hello again"


def _change_image(site: dict) -> Callable[[dict], Any]:
    image = site["image"]
    image.title = "Dusk"
    image.focal_point_x, image.focal_point_y = 10, 10
    image.focal_point_width, image.focal_point_height = 20, 20
    image.save()
    return lambda item: (
        item["data"].get("hero_image", {}) and (item["data"]["hero_image"]["title"] == "Dusk")
    )


def _linker(site: dict) -> StandardPage:
    link = f'<p><a linktype="page" id="{site["about"].pk}">about</a></p>'
    return publish(site["home"], StandardPage(title="Links", body=[("paragraph", link)]))


def _move_linked_page(site: dict) -> Callable[[dict], Any]:
    section = publish(site["home"], SectionPage(title="Company", slug="company"))
    site["about"].refresh_from_db()
    site["about"].move(section, pos="last-child")
    return lambda item: 'href="/company/about/"' in str(item["data"].get("body"))


def _rename_linked_page(site: dict) -> Callable[[dict], Any]:
    about = site["about"].get_latest_revision_as_object()
    about.slug = "about-us"
    about.save_revision().publish()
    return lambda item: 'href="/about-us/"' in str(item["data"].get("body"))


def _rename_author(site: dict) -> Callable[[dict], Any]:
    ada = site["authors"][0]
    ada.name = "Ada L."
    ada.save()
    return lambda item: "Ada L." in str(item["data"].get("authors"))


def _rename_tag(site: dict) -> Callable[[dict], Any]:
    from taggit.models import Tag

    tag = Tag.objects.get(slug="python")
    tag.name = "Python 3"
    tag.save()
    return lambda item: "Python 3" in str(item["data"].get("tags"))


def _settings_base_url(site: dict) -> Callable[[dict], Any]:
    from cms.content.models import SiteSettings

    settings = SiteSettings.for_site(site["home"].get_site())
    settings.base_url = "https://moved.example.org"
    settings.save()
    return lambda item: item["data"]["meta"]["html_url"].startswith("https://moved.example.org")


def _site_hostname(site: dict) -> Callable[[dict], Any]:
    from wagtail.models import Site

    wagtail_site = Site.objects.get(is_default_site=True)
    wagtail_site.hostname = "www.example.org"
    wagtail_site.port = 8080
    wagtail_site.save()
    return lambda item: True  # every page's output may change; compared below in full


def _unpublish_linked_page(site: dict) -> Callable[[dict], Any]:
    site["about"].refresh_from_db()
    site["about"].unpublish()
    return lambda item: True


CHANGES = {
    "page edit": _edit_page,
    "image change": _change_image,
    "linked page moved": _move_linked_page,
    "linked page renamed": _rename_linked_page,
    "author renamed": _rename_author,
    "tag renamed": _rename_tag,
    "settings base URL": _settings_base_url,
    "site host and port": _site_hostname,
    "linked page unpublished": _unpublish_linked_page,
}


SITE_WIDE = {"settings base URL", "site host and port"}


@pytest.mark.parametrize("change", list(CHANGES))
def test_after_a_change_the_cached_sync_equals_a_fresh_serialisation(api, site, change):
    linker = _linker(site)
    article(site["blog"], "Unrelated", dt.date(2025, 3, 1))
    warm, _ = full_sync(api)
    expected = CHANGES[change](site)
    served, count = full_sync(api)
    serialised.clear()
    fresh, fresh_count = full_sync(api)
    assert served == fresh
    if change in SITE_WIDE:  # every page's URL changes: nothing cached may be served
        assert count == fresh_count
    else:  # the cache was in play: some pages were not serialised again
        assert count < fresh_count
    # The change shows (and was not in the output before it).
    shows = [pk for pk, item in pages_of(served).items() if expected(item)]
    assert shows
    before = pages_of(warm)
    if change != "site host and port" and change != "linked page unpublished":
        assert any(pk not in before or not expected(before[pk]) for pk in shows)
    if "linked page" in change and change != "linked page unpublished":
        assert linker.pk in shows


def test_a_change_committed_while_a_page_was_read_is_never_stored(site):
    # The sync read the page (clock at as_of), then an edit to it committed before
    # the sync stored what it read: that stale text must not be kept.
    post = site["posts"][0]
    as_of = current_clock_value()
    page = post.get_latest_revision_as_object()
    page.title = "Edited meanwhile"
    page.save_revision().publish()
    stored = serialised.store({post.pk: ("key", '{"title": "stale"}')}, as_of)
    assert stored == 0
    assert not SerialisedPage.objects.filter(page_id=post.pk).exists()
    # With no change since, it is stored; the next change to the page deletes it.
    assert serialised.store({post.pk: ("key", "{}")}, current_clock_value()) == 1
    page.title = "Edited again"
    page.save_revision().publish()
    assert not SerialisedPage.objects.filter(page_id=post.pk).exists()


def test_a_row_under_another_key_is_not_served(api, site, settings):
    items, _ = full_sync(api)
    # Another API base URL (meta.detail_url is on it) serialises afresh.
    settings.WAGTAILAPI_BASE_URL = "https://cms.example.org"
    moved, count = full_sync(api)
    assert count == len(pages_of(items))
    assert all(
        i["data"]["meta"]["detail_url"].startswith("https://cms.example.org/")
        for i in pages_of(moved).values()
    )
    # A row written by another serialiser version is not served either.
    SerialisedPage.objects.update(key="0|old serialiser")
    _, count = full_sync(api)
    assert count == len(pages_of(items))


def test_clear_sync_cache_empties_the_cache(api, site):
    import io

    from django.core.management import call_command

    full_sync(api)
    assert SerialisedPage.objects.exists()
    out = io.StringIO()
    call_command("clear_sync_cache", stdout=out)
    assert "Deleted" in out.getvalue()
    assert not SerialisedPage.objects.exists()


def test_a_migrate_with_nothing_to_apply_keeps_the_cache(api, site):
    from django.core.management import call_command

    full_sync(api)
    rows = SerialisedPage.objects.count()
    call_command("migrate", verbosity=0, interactive=False)
    assert SerialisedPage.objects.count() == rows
    _, count = full_sync(api)
    assert count == 0


def test_new_serialising_code_serialises_every_page_afresh(api, site, monkeypatch):
    items, _ = full_sync(api)
    monkeypatch.setattr(serialised, "code_fingerprint", lambda: "new code")
    _, count = full_sync(api)
    assert count == len(pages_of(items))
    _, count = full_sync(api)
    assert count == 0


def test_a_long_api_base_url_still_keys_each_revision_apart():
    long = "https://cms.example.org/" + "x" * 300
    first = serialised.page_key(long, 1, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    second = serialised.page_key(long, 2, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert first != second and len(first) <= 255 and len(second) <= 255
    assert serialised.page_key(long + "y", 1, None) != serialised.page_key(long, 1, None)


def test_changing_the_importers_or_a_command_keeps_the_fingerprint_and_serving_code_does_not(
    tmp_path,
):
    root = Path(serialised.__file__).resolve().parents[1]
    copy = tmp_path / "cms"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = serialised.fingerprint_of(copy)
    assert before == serialised.fingerprint_of(root)
    (copy / "importer/__init__.py").write_text("# an importer fix\n", encoding="utf-8")
    command = next((copy / "content/management/commands").glob("*.py"))
    command.write_text(command.read_text() + "\n# a command fix\n")
    assert serialised.fingerprint_of(copy) == before
    (copy / "content/blocks.py").write_text((copy / "content/blocks.py").read_text() + "\n#\n")
    assert serialised.fingerprint_of(copy) != before


def test_no_module_that_serves_the_api_imports_an_importer_or_a_command():
    """What NOT_SERVING leaves out of the fingerprint must not run when the API answers:
    every import of every other module (at its top or inside a function) and every
    dotted path it names (the settings' apps and hooks) is read."""
    root = Path(serialised.__file__).resolve().parents[1]
    found = []
    for path in serialised.serving_modules(root):
        package = ["cms", *path.relative_to(root).parent.parts]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                module = ".".join([*base, *([node.module] if node.module else [])])
                names = [module, *(f"{module}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names = [node.value]  # a dotted path in the settings, e.g. an app
            else:
                continue
            for name in names:
                parts = name.split(".")
                if name.startswith("cms.") and any(p in serialised.NOT_SERVING for p in parts):
                    found.append(f"{path.relative_to(root)} imports {name}")
    assert found == []
