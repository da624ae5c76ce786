"""The importer's bulk write (cms/importer/bulk.py) leaves Wagtail as its own publish path would.

New pages are inserted with treebeard paths computed by the importer and
published without ``revision.publish()``; these tests check the result with
Wagtail's own tools: the tree check, an editor's next revision and publish,
redirects followed by the redirect middleware, the sync change log, and a
second import that writes nothing at all.
"""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.contrib.redirects.models import Redirect
from wagtail.models import Page, PageLogEntry, ReferenceIndex

from cms.content.models import ArticlePage, ImportSource
from cms.importer import import_directory
from cms.publishing.models import BuildRequest
from cms.sync.models import ChangeLogEntry
from tests.importer_helpers import copy_fixture, write_tree


def page_for(key: str) -> Page:
    return ImportSource.objects.get(key=key).page.specific


def many_posts(root: Path, count: int) -> Path:
    """A section of ``count`` dated posts (more than one write batch), each linking to post 0."""
    files = {"_index.md": "---\ntitle: Many\n---\n"}
    for i in range(count):
        files[f"post-{i}.md"] = (
            f"---\ntitle: Post {i}\ndate: 2024-01-{1 + i % 28:02d}\ntags: [t{i % 3}]\n"
            f"author: Writer {i % 2}\n"
            f"{'draft: true' if i % 10 == 9 else ''}\n---\n"
            f"Text {i}.\n\n```python\nprint({i})\n```\n\n[first](post-0.md)\n"
        )
    return write_tree(root / "many", files)


@pytest.fixture
def many(tmp_path: Path) -> Path:
    return many_posts(tmp_path, 120)


@pytest.mark.django_db
def test_the_page_tree_is_valid_after_a_bulk_import(many, blog_dir):
    import_directory(blog_dir)
    report = import_directory(many)
    assert report.failed == [] and report.created == 121
    assert Page.find_problems() == ([], [], [], [], [])
    out = StringIO()
    call_command("fixtree", stdout=out)
    assert out.getvalue().count("No problems found") >= 1
    assert "Problem" not in out.getvalue().replace("problems", "")
    section = page_for("many/_index.md")
    assert section.numchild == 120 == section.get_children().count()
    paths = list(section.get_children().values_list("path", flat=True))
    assert len(set(paths)) == 120 and all(len(p) == len(section.path) + 4 for p in paths)
    # Treebeard's own insert after the bulk one: the next free path, no collision.
    extra = section.add_child(instance=ArticlePage(title="Added later", date="2024-02-01"))
    assert extra.path > max(paths)
    assert Page.find_problems() == ([], [], [], [], [])


@pytest.mark.django_db
def test_bulk_published_pages_match_what_wagtails_publish_leaves(many):
    import_directory(many)
    section = page_for("many/_index.md")
    made = page_for("many/post-1.md")
    # The same page through Wagtail's own path, for comparison.
    own = section.add_child(instance=ArticlePage(title="Own", date="2024-01-02"))
    own.save_revision().publish()
    own.refresh_from_db()
    for page in (made, own):
        assert page.live and not page.has_unpublished_changes and not page.expired
        assert page.live_revision_id == page.latest_revision_id is not None
        assert page.first_published_at == page.last_published_at is not None
        assert page.latest_revision_created_at is not None
        assert page.draft_title == page.title
        assert page.locale_id == section.locale_id
        assert page.url_path == f"{section.url_path}{page.slug}/"
        assert page.revisions.count() == 1
        assert PageLogEntry.objects.filter(page=page, action="wagtail.publish").count() == 1
    revision = made.latest_revision.as_object()
    assert (revision.title, revision.date) == (made.title, made.date)
    assert [b.block_type for b in revision.body] == [b.block_type for b in made.body]
    assert list(revision.tags.names()) == ["t1"]
    assert [a.author.name for a in revision.article_authors.all()] == ["Writer 1"]
    # Admin search and the reference index know the page too.
    assert made in ArticlePage.objects.search("Post 1")
    first = page_for("many/post-0.md")
    assert ReferenceIndex.get_references_to(first).filter(object_id=str(made.pk)).exists()


@pytest.mark.django_db
def test_drafts_in_the_source_stay_drafts(many):
    import_directory(many)
    draft = page_for("many/post-9.md")
    assert draft.live is False and draft.has_unpublished_changes
    assert draft.live_revision_id is None and draft.first_published_at is None
    assert draft.latest_revision_id is not None
    assert not Page.objects.live().filter(pk=draft.pk).exists()
    assert not PageLogEntry.objects.filter(page=draft, action="wagtail.publish").exists()


@pytest.mark.django_db
def test_an_imported_page_can_be_edited_and_republished(many):
    import_directory(many)
    page = page_for("many/post-3.md")
    page.title = "Edited in the admin"
    page.tags.add("edited")
    revision = page.save_revision()
    revision.publish()
    page = Page.objects.get(pk=page.pk).specific
    assert page.title == "Edited in the admin" and page.live
    assert page.live_revision_id == revision.pk and page.revisions.count() == 2
    assert sorted(page.tags.names()) == ["edited", "t0"]
    assert Page.find_problems() == ([], [], [], [], [])
    draft = page_for("many/post-9.md")
    draft.save_revision().publish()
    assert Page.objects.get(pk=draft.pk).live


@pytest.mark.django_db
def test_old_urls_redirect_to_bulk_imported_pages(blog_dir, client):
    import_directory(blog_dir)
    first = page_for("blog/first-post.md")
    redirect = Redirect.objects.get(old_path="/2020/04/17/First-post")
    assert redirect.redirect_page_id == first.pk and redirect.is_permanent
    response = client.get("/2020/04/17/First-post.html")
    assert response.status_code == 301
    assert response["Location"].endswith(first.url)


@pytest.mark.django_db
def test_the_sync_log_gets_every_page_once_and_the_import_one_build_request(many):
    before = BuildRequest.objects.count()
    report = import_directory(many)
    pages = ChangeLogEntry.objects.filter(kind=ChangeLogEntry.PAGE, event="publish")
    live = set(Page.objects.live().filter(pk__in=[s.page_id for s in ImportSource.objects.all()]))
    ids = list(pages.values_list("item_id", flat=True))
    assert sorted(ids) == sorted(p.pk for p in live) and len(ids) == len(set(ids))
    redirects = set(
        ChangeLogEntry.objects.filter(kind=ChangeLogEntry.REDIRECT).values_list(
            "item_id", flat=True
        )
    )
    assert redirects == set(Redirect.objects.values_list("pk", flat=True))
    assert report.redirects == len(redirects) > 0
    requests = BuildRequest.objects.all()[before:]
    assert [r.event for r in requests] == ["import"]
    assert set(requests[0].page_ids) >= {p.pk for p in live}


@pytest.mark.django_db
def test_a_second_import_of_unchanged_content_writes_nothing(many):
    import_directory(many)
    with CaptureQueriesContext(connection) as queries:
        report = import_directory(many)
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "REPLACE"))
    ]
    assert writes == []
    assert (report.created, report.updated, report.unchanged) == (0, 0, 121)


@pytest.mark.django_db
def test_old_urls_the_functions_or_the_build_answer_get_no_redirect(tmp_path):
    root = write_tree(
        tmp_path / "docs",
        {
            "_index.md": "---\ntitle: Docs\n---\n",
            "preview.md": "---\ntitle: Preview\n---\nHow previews work.\n",
            "search.md": "---\ntitle: Search\naliases: [/api/search, /old-search/]\n---\nFind.\n",
        },
    )
    report = import_directory(root)
    assert report.failed == []
    old_paths = set(Redirect.objects.values_list("old_path", flat=True))
    assert "/preview" not in old_paths and "/search" not in old_paths
    assert "/api/search" not in old_paths
    assert "/old-search" in old_paths
    skipped = "\n".join(report.skipped_redirects)
    for path in ("/preview", "/search", "/api/search"):
        assert f": {path}: reserved" in skipped
    assert not report.ok(strict=True)


@pytest.fixture
def blog_dir(tmp_path: Path) -> Path:
    return copy_fixture("blog", tmp_path / "fixture")
