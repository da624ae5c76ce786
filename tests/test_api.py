"""The CMS API contract the builder relies on (Wagtail API v2 plus Jamtail's endpoints)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def items(api, path, **params):
    response = api.get(f"/api/v2/{path}", params)
    assert response.status_code == 200, response.content
    return response.json()["items"]


def test_pages_listing_has_only_live_public_pages(api, site):
    titles = {item["title"] for item in items(api, "pages/", limit=500)}
    assert {"Home", "Blog", "Hello Jamtail", "About"} <= titles
    assert "Secret Draft Post" not in titles
    assert "Private Members Post" not in titles


def test_one_request_returns_every_field_of_a_page_type(api, site):
    [hello] = [
        i
        for i in items(api, "pages/", type="content.ArticlePage", fields="*", limit=500)
        if i["title"] == "Hello Jamtail"
    ]
    assert hello["date"] == "2026-03-01"
    assert [a["name"] for a in hello["authors"]] == ["Ada Lindqvist", "Mei Chen"]
    assert [t["slug"] for t in hello["tags"]] == ["news", "python"]
    assert hello["summary"] == "The first post."
    assert hello["last_published_at"]
    assert {b["type"] for b in hello["body"]} >= {"heading", "paragraph", "image", "code"}


def test_images_are_exposed_as_renditions_in_fields_and_blocks(api, site):
    [hello] = [
        i
        for i in items(api, "pages/", type="content.ArticlePage", fields="*", limit=500)
        if i["title"] == "Hello Jamtail"
    ]
    hero = hello["hero_image"]
    assert hero["width"] == 1600 and hero["height"] == 900 and hero["alt"] == "Sunset"
    widths = [r["width"] for r in hero["renditions"]]
    assert widths == sorted(widths) and widths[0] == 400 and max(widths) <= 1600
    for rendition in hero["renditions"]:
        assert rendition["url"].startswith("/media/images/")
        assert rendition["height"] == round(rendition["width"] * 900 / 1600)
    [block] = [b for b in hello["body"] if b["type"] == "image"]
    assert block["value"]["alt"] == "An orange sunset"
    assert block["value"]["image"]["renditions"] == hero["renditions"]


def test_small_images_are_never_upscaled(api, site):
    from cms.content.images import image_representation
    from tests.factories import make_image

    small = image_representation(make_image("Tiny", (300, 200)))
    assert [r["width"] for r in small["renditions"]] == [300]


def test_rich_text_links_are_public_urls(api, site):
    [hello] = [
        i
        for i in items(api, "pages/", type="content.ArticlePage", fields="*", limit=500)
        if i["title"] == "Hello Jamtail"
    ]
    [paragraph] = [b for b in hello["body"] if b["type"] == "paragraph"]
    assert '<a href="/blog/">blog</a>' in paragraph["value"]
    assert "linktype" not in paragraph["value"]


def test_heading_anchor_defaults_to_the_slug_of_its_text(api, site):
    [hello] = [
        i
        for i in items(api, "pages/", type="content.ArticlePage", fields="*", limit=500)
        if i["title"] == "Hello Jamtail"
    ]
    [heading] = [b for b in hello["body"] if b["type"] == "heading"]
    assert heading["value"] == {"text": "First steps", "level": 2, "anchor": "first-steps"}


def test_listing_limit_is_raised_for_bulk_reads_and_enforced(api, site):
    assert api.get("/api/v2/pages/", {"limit": 500}).status_code == 200
    response = api.get("/api/v2/pages/", {"limit": 501})
    assert response.status_code == 400 and "limit" in response.json()["message"]


def test_authors_redirects_and_settings_are_reachable(api, site):
    authors = items(api, "authors/", fields="*")
    assert [(a["name"], a["slug"]) for a in authors] == [
        ("Ada Lindqvist", "ada-lindqvist"),
        ("Mei Chen", "mei-chen"),
    ]
    [redirect] = items(api, "redirects/")
    assert redirect["old_path"] == "/old-hello"
    assert redirect["location"] == "/blog/hello-jamtail/"
    assert redirect["is_permanent"] is True
    settings = api.get("/api/v2/site-settings/").json()
    assert settings["site_name"] == "Test Site"
    assert settings["base_url"] == "https://example.org"
    assert settings["description"] == "A site the tests build: every page type and block."
    assert settings["media_url"].endswith("/media/")
    assert settings["root_page_id"] == site["home"].id


def test_unpublishing_removes_a_page_from_the_api(api, site):
    site["posts"][1].unpublish()
    titles = {item["title"] for item in items(api, "pages/", limit=500)}
    assert "Second post" not in titles and "Hello Jamtail" in titles
