"""The CMS preview endpoint: drafts in the published API's shape, and only with a good token."""

from __future__ import annotations

import datetime as dt
import time
from unittest import mock

import pytest
from wagtail_headless_preview.models import PagePreview

from cms.content.models import ArticlePage, StandardPage

pytestmark = pytest.mark.django_db


def preview(api, content_type, token):
    return api.get("/api/v2/preview/", {"content_type": content_type, "token": token})


def draft_of(page, **changes):
    """What Wagtail's Preview button does: the edited, unsaved page stored under a token."""
    page = page.get_latest_revision_as_object()
    for name, value in changes.items():
        setattr(page, name, value)
    return page.create_page_preview().token


def new_page_under(parent, page):
    """What Wagtail's preview of the 'add page' form does: a tree position, no row."""
    page.depth = parent.depth + 1
    last = parent.get_last_child()
    page.path = last._inc_path() if last else page._get_path(parent.path, page.depth, 1)
    page.set_url_path(parent)
    return page.create_page_preview().token


def test_an_unchanged_draft_has_exactly_the_published_shape(api, site):
    hello = site["posts"][0]
    published = api.get(f"/api/v2/pages/{hello.id}/", {"fields": "*"}).json()
    response = preview(api, "content.articlepage", draft_of(hello))
    assert response.status_code == 200, response.content
    assert response.json() == published
    assert response["X-Robots-Tag"] == "noindex"
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_an_edited_draft_shows_the_edits_and_not_the_published_title(api, site):
    hello = site["posts"][0]
    body = [("paragraph", "<p>Freshly drafted words.</p>")]
    token = draft_of(hello, title="Hello, edited", body=body)
    item = preview(api, "content.articlepage", token).json()
    assert item["title"] == "Hello, edited"
    assert item["body"][0]["value"] == "<p>Freshly drafted words.</p>"
    assert [a["name"] for a in item["authors"]] == ["Ada Lindqvist", "Mei Chen"]
    assert [t["slug"] for t in item["tags"]] == ["news", "python"]
    assert item["hero_image"]["renditions"]
    assert item["meta"]["parent"]["id"] == site["blog"].id
    live = api.get(f"/api/v2/pages/{hello.id}/").json()
    assert live["title"] == "Hello Jamtail"


def test_a_page_never_saved_previews_under_its_parent(api, site):
    token = new_page_under(
        site["blog"], ArticlePage(title="Brand new", slug="brand-new", date=dt.date(2026, 5, 1))
    )
    item = preview(api, "content.articlepage", token).json()
    assert item["id"] is None
    assert item["title"] == "Brand new"
    assert item["meta"]["html_url"].endswith("/blog/brand-new/")
    assert item["meta"]["parent"]["id"] == site["blog"].id
    assert not ArticlePage.objects.filter(slug="brand-new").exists()


def test_the_never_published_draft_previews(api, site):
    item = preview(api, "content.articlepage", draft_of(site["draft"])).json()
    assert item["title"] == "Secret Draft Post"


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({}, 400, "missing_parameter"),
        ({"content_type": "content.articlepage"}, 400, "missing_parameter"),
        ({"content_type": "content.nosuchpage", "token": "x"}, 400, "unknown_page_type"),
        ({"content_type": "content.author", "token": "x"}, 400, "unknown_page_type"),
        ({"content_type": "content.articlepage", "token": "id=1:forged:sig"}, 403, "invalid_token"),
    ],
)
def test_bad_requests_get_a_clear_error_and_no_draft(api, site, params, status, code):
    response = api.get("/api/v2/preview/", params)
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code
    assert "Preview" in body["message"]
    assert "title" not in body


def test_a_tampered_token_is_refused(api, site):
    token = draft_of(site["posts"][0], title="Leaked?")
    _value, stamp, signature = token.rsplit(":", 2)
    tampered = f"id={site['posts'][1].id}:{stamp}:{signature}"
    for bad in (tampered, token[:-2] + ("AA" if not token.endswith("AA") else "BB")):
        response = preview(api, "content.articlepage", bad)
        assert response.status_code == 403
        assert b"Leaked?" not in response.content


def test_an_expired_token_is_refused(api, site, settings):
    settings.JAMTAIL_PREVIEW_MAX_AGE = 60
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 120):
        token = draft_of(site["posts"][0], title="Old draft")
    response = preview(api, "content.articlepage", token)
    assert response.status_code == 410
    assert response.json()["code"] == "token_expired"
    assert b"Old draft" not in response.content


def test_a_token_for_another_page_type_is_refused(api, site):
    token = draft_of(site["posts"][0], title="Article draft")
    response = preview(api, "content.standardpage", token)
    assert response.status_code == 403
    assert response.json()["code"] == "type_mismatch"
    assert b"Article draft" not in response.content
    new = new_page_under(site["home"], StandardPage(title="New about", slug="new-about"))
    assert preview(api, "content.articlepage", new).status_code == 403


def test_a_signed_token_whose_draft_is_gone_is_not_found(api, site):
    token = draft_of(site["posts"][0])
    PagePreview.objects.filter(token=token).delete()
    response = preview(api, "content.articlepage", token)
    assert response.status_code == 404
    assert response.json()["code"] == "preview_not_found"


def test_preview_redirects_the_editor_to_the_front_end(site, rf):
    hello = site["posts"][0]
    request = rf.get(f"/admin/pages/{hello.id}/edit/preview/")
    response = hello.serve_preview(request, hello.default_preview_mode)
    assert response.status_code == 302
    assert response["Location"].startswith("http://127.0.0.1:8080/preview/?")
    assert "content_type=content.articlepage" in response["Location"]
