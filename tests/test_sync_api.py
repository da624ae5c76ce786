"""The CMS sync endpoint, ``/api/v2/sync/``: full listing, deltas, deletions, cursors."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import signing
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from cms.content.models import SectionPage, StandardPage
from cms.publishing.outbox import record_change
from cms.sync import serialised
from cms.sync.models import SyncClock
from tests.factories import article, make_image, publish

pytestmark = pytest.mark.django_db


def get(api, url, **params):
    response = api.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


def full_sync(api, limit=None) -> tuple[list[dict], str, int]:
    """Every item of an initial sync, its sync cursor, and how many pages it took."""
    body = get(api, "/api/v2/sync/", **({"limit": limit} if limit else {}))
    items, pages = list(body["items"]), 1
    while body["next_page"]:
        assert body["next_sync_cursor"] is None
        body = get(api, body["next_page"])
        items += body["items"]
        pages += 1
    return items, body["next_sync_cursor"], pages


def delta(api, cursor) -> tuple[list[dict], str]:
    body = get(api, "/api/v2/sync/", cursor=cursor)
    items = list(body["items"])
    while body["next_page"]:
        body = get(api, body["next_page"])
        items += body["items"]
    return items, body["next_sync_cursor"]


def keys(items, kind=None) -> list[tuple[str, int]]:
    return [(i["kind"], i["id"]) for i in items if kind in (None, i["kind"])]


def state(items) -> dict[tuple[str, int], dict | None]:
    """The last word on each item: its envelope, or None for a deletion."""
    return {(i["kind"], i["id"]): (None if i["deleted"] else i) for i in items}


def listing(api, path, **params):
    return get(api, f"/api/v2/{path}", limit=500, **params)["items"]


def test_initial_sync_pages_through_every_published_item_once(api, site):
    items, cursor, pages = full_sync(api, limit=3)
    assert pages >= 4 and cursor
    assert len(keys(items)) == len(set(keys(items)))
    assert keys(items, "settings") == [("settings", 1)]
    assert keys(items, "author") == [("author", a.pk) for a in site["authors"]]
    titles = {i["data"]["title"] for i in items if i["kind"] == "page"}
    assert titles == {"Home", "Blog", "Hello Jamtail", "Second post", "Third post", "About"}
    assert not any(i["deleted"] for i in items)


def test_each_page_but_the_last_names_the_next_in_a_link_header(api, site):
    response = api.get("/api/v2/sync/", {"limit": 3})
    answered = 0
    while response.json()["next_page"]:
        assert response["Link"] == f'<{response.json()["next_page"]}>; rel="next"'
        response = api.get(response.json()["next_page"])
        answered += 1
    assert answered >= 3 and "Link" not in response


def planned_sync(api, limit, between=None) -> tuple[list[dict], str]:
    """A full sync read as a parallel client does: the first page, then the pages it lists,
    last first (any order must do); ``between()`` runs after the first page. Returns the
    items in listing order and the sync cursor."""
    first = get(api, "/api/v2/sync/", limit=limit)
    if between:
        between()
    bodies = [get(api, url) for url in reversed(first["following_pages"])][::-1]
    last = bodies[-1]
    while last["next_page"]:  # items added at the end after the plan was made
        last = get(api, last["next_page"])
        bodies.append(last)
    return [i for body in (first, *bodies) for i in body["items"]], last["next_sync_cursor"]


def test_the_first_page_of_a_full_sync_lists_every_page_after_it(api, site):
    sequential, _, pages = full_sync(api, limit=3)
    first = get(api, "/api/v2/sync/", limit=3)
    assert len(first["following_pages"]) == pages - 1
    assert first["next_page"] == first["following_pages"][0]
    listed = [get(api, url) for url in first["following_pages"]]
    assert not any("following_pages" in body for body in listed)
    items, cursor = planned_sync(api, limit=3)
    assert items == sequential and cursor
    assert all(len(body["items"]) == 3 for body in listed[:-1])


def test_a_full_sync_that_fits_one_page_lists_no_following_pages(api, site):
    body = get(api, "/api/v2/sync/")
    assert "following_pages" not in body and body["next_sync_cursor"]


def test_pages_created_or_deleted_while_a_planned_sync_runs_are_not_lost(api, site):
    new: list = []

    def meanwhile():
        new.append(article(site["blog"], "Written meanwhile", dt.date(2026, 5, 1)))
        site["posts"][1].unpublish()

    items, cursor = planned_sync(api, limit=3, between=meanwhile)
    assert len(keys(items)) == len(set(keys(items)))
    changes, _ = delta(api, cursor)
    final = state(items + changes)
    assert final[("page", new[0].pk)]["data"]["title"] == "Written meanwhile"
    assert final[("page", site["posts"][1].pk)] is None
    live = {("page", i["id"]) for i in listing(api, "pages/")}
    assert {k for k, v in final.items() if v and k[0] == "page"} == live


def test_page_items_are_the_typed_pages_listing_items_in_page_tree_order(api, site):
    items, _, _ = full_sync(api)
    pages = [i for i in items if i["kind"] == "page"]
    for page_type in ("HomePage", "SectionPage", "ArticlePage", "StandardPage"):
        expected = listing(api, "pages/", type=f"content.{page_type}", fields="*")
        synced = [i["data"] for i in pages if i["data"]["meta"]["type"] == f"content.{page_type}"]
        assert synced == expected
    assert [i["order"] for i in pages] == sorted(i["order"] for i in pages)
    assert [i["id"] for i in pages] == [i["id"] for i in listing(api, "pages/")]


def test_authors_redirects_and_settings_are_their_endpoints_items(api, site):
    items, _, _ = full_sync(api)
    by_kind = {
        kind: [i["data"] for i in items if i["kind"] == kind] for kind in ("author", "redirect")
    }
    assert by_kind["author"] == sorted(listing(api, "authors/", fields="*"), key=lambda a: a["id"])
    assert by_kind["redirect"] == listing(api, "redirects/")
    [settings] = [i["data"] for i in items if i["kind"] == "settings"]
    assert settings == get(api, "/api/v2/site-settings/")


def test_a_delta_without_changes_is_empty_and_its_cursor_still_works(api, site):
    _, cursor = full_sync(api)[:2]
    items, again = delta(api, cursor)
    assert items == []
    site["about"].title = "About us"
    site["about"].save_revision().publish()
    items, _ = delta(api, again)
    assert [(i["kind"], i["id"], i["data"]["title"]) for i in items] == [
        ("page", site["about"].pk, "About us")
    ]


def test_a_new_page_and_an_edit_arrive_as_their_current_state(api, site):
    _, cursor, _ = full_sync(api)
    new = article(site["blog"], "Fourth post", dt.date(2026, 3, 4))
    hello = site["posts"][0]
    hello.summary = "Edited."
    hello.save_revision().publish()
    items, _ = delta(api, cursor)
    final = state(items)
    assert final[("page", new.pk)]["data"]["title"] == "Fourth post"
    assert final[("page", hello.pk)]["data"]["summary"] == "Edited."
    [typed] = [
        i
        for i in listing(api, "pages/", type="content.ArticlePage", fields="*")
        if i["id"] == hello.pk
    ]
    assert final[("page", hello.pk)]["data"] == typed


@pytest.mark.parametrize("how", ["unpublish", "delete", "make_private", "move_out_of_site"])
def test_a_page_that_leaves_the_public_site_is_a_deletion(api, site, how):
    from wagtail.models import Page

    _, cursor, _ = full_sync(api)
    post = site["posts"][1]
    if how == "unpublish":
        post.unpublish()
    elif how == "delete":
        post.delete()
    elif how == "make_private":
        PageViewRestriction.objects.create(page=post, restriction_type="password", password="x")
    else:
        outside = Page.get_first_root_node().add_child(instance=SectionPage(title="Elsewhere"))
        post.move(outside, pos="last-child")
    items, _ = delta(api, cursor)
    assert state(items)[("page", post.pk)] is None
    assert post.pk not in {i["id"] for i in listing(api, "pages/")}


def test_making_a_section_private_deletes_its_whole_subtree_and_lifting_it_restores_it(api, site):
    _, cursor, _ = full_sync(api)
    blog = site["blog"]
    restriction = PageViewRestriction.objects.create(page=blog, restriction_type="login")
    items, cursor = delta(api, cursor)
    subtree = {blog.pk, *(p.pk for p in site["posts"])}
    assert {pk for (kind, pk), item in state(items).items() if item is None} >= subtree
    restriction.delete()
    items, _ = delta(api, cursor)
    assert {pk for (kind, pk), item in state(items).items() if item is not None} >= subtree


def test_a_slug_change_re_sends_descendants_and_redirects_with_their_new_urls(
    api, site, django_capture_on_commit_callbacks
):
    _, cursor, _ = full_sync(api)
    blog = site["blog"]
    blog.slug = "news"
    # Wagtail creates redirects from the old URLs after commit.
    with django_capture_on_commit_callbacks(execute=True):
        blog.save_revision().publish()
    items, _ = delta(api, cursor)
    final = state(items)
    for post in site["posts"]:
        assert final[("page", post.pk)]["data"]["meta"]["html_url"].endswith(f"/news/{post.slug}/")
    redirects = [i for i in final.values() if i and i["kind"] == "redirect"]
    assert {r["data"]["old_path"] for r in redirects} >= {"/old-hello", "/blog"}
    assert all(r["data"]["location"].startswith("/news/") for r in redirects)


def test_moving_a_page_re_sends_the_pages_linking_to_it(api, site):
    _, cursor, _ = full_sync(api)
    linker = publish(
        site["home"],
        StandardPage(
            title="Links",
            body=[("paragraph", f'<p><a linktype="page" id="{site["about"].pk}">about</a></p>')],
        ),
    )
    _, cursor = delta(api, cursor)
    section = publish(site["home"], SectionPage(title="Company", slug="company"))
    site["about"].move(section, pos="last-child")
    items, _ = delta(api, cursor)
    [paragraph] = state(items)[("page", linker.pk)]["data"]["body"]
    assert 'href="/company/about/"' in paragraph["value"]


def test_renaming_an_author_re_sends_the_articles_that_show_the_name(api, site):
    _, cursor, _ = full_sync(api)
    ada = site["authors"][0]
    ada.name = "Ada L."
    ada.save()
    items, _ = delta(api, cursor)
    final = state(items)
    assert final[("author", ada.pk)]["data"]["name"] == "Ada L."
    for post in site["posts"][:2]:
        names = [a["name"] for a in final[("page", post.pk)]["data"]["authors"]]
        assert "Ada L." in names


def test_changing_or_deleting_an_image_re_sends_the_pages_that_show_it(api, site):
    _, cursor, _ = full_sync(api)
    image = site["image"]
    image.title = "Dusk"
    image.save()
    items, cursor = delta(api, cursor)
    hello = state(items)[("page", site["posts"][0].pk)]["data"]
    assert hello["hero_image"]["title"] == "Dusk"
    image.delete()
    items, _ = delta(api, cursor)
    assert state(items)[("page", site["posts"][0].pk)]["data"]["hero_image"] is None


def test_replacing_a_document_re_sends_the_pages_linking_to_it(api, site):
    from django.core.files.base import ContentFile
    from wagtail.documents import get_document_model

    document = get_document_model().objects.create(
        title="Report", file=ContentFile(b"first", name="report.txt")
    )
    link = f'<p><a linktype="document" id="{document.pk}">report</a></p>'
    page = publish(site["home"], StandardPage(title="Reports", body=[("paragraph", link)]))
    _, cursor, _ = full_sync(api)
    document.file = ContentFile(b"second", name="report-2024.txt")
    document.save()
    items, _ = delta(api, cursor)
    [paragraph] = state(items)[("page", page.pk)]["data"]["body"]
    assert "report-2024" in paragraph["value"]


def test_renaming_a_tag_re_sends_the_articles_carrying_it(api, site):
    from taggit.models import Tag

    _, cursor, _ = full_sync(api)
    python = Tag.objects.get(slug="python")
    python.name = "Python 3"
    python.save()
    items, _ = delta(api, cursor)
    [hello] = [i for i in items if i["id"] == site["posts"][0].pk]
    assert {"name": "Python 3", "slug": "python"} in hello["data"]["tags"]
    assert keys(items) == [("page", site["posts"][0].pk)]


def test_changing_the_site_host_re_sends_the_settings_and_every_page(api, site):
    from wagtail.models import Site

    _, cursor, _ = full_sync(api)
    wagtail_site = Site.objects.get(is_default_site=True)
    wagtail_site.hostname = "www.example.org"
    wagtail_site.save()
    items, _ = delta(api, cursor)
    final = state(items)
    assert ("settings", 1) in final
    pages = [item for (kind, _), item in final.items() if kind == "page" and item]
    assert len(pages) == 6
    # Page URLs are on the site's base URL (cms/content/headless.py), not the CMS host.
    assert all(p["data"]["meta"]["html_url"].startswith("https://example.org/") for p in pages)


def test_changing_the_sites_base_url_re_sends_every_page_at_its_new_address(api, site):
    from cms.content.models import SiteSettings

    _, cursor, _ = full_sync(api)
    settings = SiteSettings.for_site(site["home"].get_site())
    settings.base_url = "https://www.example.net"
    settings.save()
    items, _ = delta(api, cursor)
    final = state(items)
    pages = [item for (kind, _), item in final.items() if kind == "page" and item]
    assert len(pages) == 6
    assert all(p["data"]["meta"]["html_url"].startswith("https://www.example.net/") for p in pages)


def test_a_change_recorded_through_the_publishing_outbox_reaches_the_sync(api, site):
    _, cursor, _ = full_sync(api)
    record_change("comment_approve", [site["posts"][2]])
    items, _ = delta(api, cursor)
    assert keys(items) == [("page", site["posts"][2].pk)]


def test_settings_and_redirect_changes_are_items(api, site):
    from wagtail.contrib.redirects.models import Redirect

    from cms.content.models import SiteSettings

    _, cursor, _ = full_sync(api)
    settings = SiteSettings.for_site(site["home"].get_site())
    settings.tagline = "New tagline"
    settings.save()
    Redirect.objects.get(old_path="/old-hello").delete()
    items, _ = delta(api, cursor)
    final = state(items)
    assert final[("settings", 1)]["data"]["tagline"] == "New tagline"
    assert [k for k, v in final.items() if k[0] == "redirect"] and all(
        v is None for k, v in final.items() if k[0] == "redirect"
    )


def test_a_forged_cursor_is_rejected_with_400_and_told_to_start_over(api, site):
    _, cursor, _ = full_sync(api)
    forged = signing.dumps({"mode": "delta", "since": 0, "epoch": "x"}, salt="another salt")
    tampered = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
    for bad in (forged, tampered, "not-a-cursor", "a:b:c"):
        response = api.get("/api/v2/sync/", {"cursor": bad})
        assert response.status_code == 400, bad
        body = response.json()
        assert body["code"] == "invalid_cursor"
        assert "full sync" in body["message"]
        assert body["full_sync_url"].endswith("/api/v2/sync/")


def test_an_expired_cursor_is_410_gone(api, site, settings):
    _, cursor, _ = full_sync(api)
    settings.JAMTAIL_SYNC_CURSOR_MAX_AGE = -1
    response = api.get("/api/v2/sync/", {"cursor": cursor})
    assert response.status_code == 410
    assert response.json()["code"] == "cursor_expired"
    assert "full sync" in response.json()["message"]


def test_a_cursor_from_a_reset_change_log_is_410_gone(api, site):
    _, cursor, _ = full_sync(api)
    SyncClock.objects.filter(pk=1).update(epoch="0" * 32)
    response = api.get("/api/v2/sync/", {"cursor": cursor})
    assert response.status_code == 410 and response.json()["code"] == "cursor_expired"


def test_pruning_the_change_log_expires_the_cursors_that_need_the_pruned_entries(api, site):
    _, cursor, _ = full_sync(api)
    site["about"].save_revision().publish()
    call_command("prune_sync_log", "--older-than", "0", stdout=io.StringIO())
    response = api.get("/api/v2/sync/", {"cursor": cursor})
    assert response.status_code == 410 and response.json()["code"] == "cursor_expired"
    _, fresh, _ = full_sync(api)
    assert get(api, "/api/v2/sync/", cursor=fresh)["items"] == []


@pytest.mark.parametrize("limit", ["0", "-1", "abc", "501"])
def test_an_invalid_limit_is_400(api, site, limit):
    response = api.get("/api/v2/sync/", {"limit": limit})
    assert response.status_code == 400 and response.json()["code"] == "invalid_limit"


def queries_for(api, url, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        get(api, url, **params)
    return len(queries)


def bulk_articles(site, count: int, image) -> None:
    for n in range(count):
        article(
            site["blog"],
            f"Bulk {n}",
            dt.date(2025, 1, 1) + dt.timedelta(days=n),
            tags=["bulk", f"t{n % 3}"],
            authors=site["authors"],
            hero_image=image,
            body=[("code", {"language": "python", "code": "pass"})],
        )


def test_a_sync_page_costs_the_same_number_of_queries_for_few_or_many_items(api, site):
    # Authors, tags, hero images and their renditions are loaded in bulk. (Image
    # blocks and page links inside a StreamField are resolved by Wagtail per field,
    # as on /api/v2/pages/: see docs/sync.md.)
    image = make_image("Another", (900, 600))
    _, before_one, _ = full_sync(api)
    bulk_articles(site, 1, image)
    _, before_many, _ = full_sync(api)

    def cold(*args, **kwargs) -> int:
        # Every page serialised (cms/sync/serialised.py) and the site's base URL read
        # (cached for a few seconds: a slow machine would otherwise count it only
        # in some of the four).
        serialised.clear()
        cache.clear()
        return queries_for(*args, **kwargs)

    one_full = cold(api, "/api/v2/sync/")
    one_delta = cold(api, "/api/v2/sync/", cursor=before_one)
    bulk_articles(site, 30, image)
    many_full = cold(api, "/api/v2/sync/")
    many_delta = cold(api, "/api/v2/sync/", cursor=before_many)
    assert many_full == one_full
    assert many_delta == one_delta
    # (the serialised-page cache adds a fixed 6: clock, load, and the store transaction)
    assert many_full < 40
