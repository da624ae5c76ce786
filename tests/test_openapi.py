"""The API contract (docs/openapi.json) is what the code serves, and what a real CMS answers.

The schema is generated from the code (``manage.py openapi_schema``, cms/content/openapi.py);
these tests fail when a field is added, renamed or reshaped without regenerating it, and when
a real CMS with the demo content answers something the schema does not allow.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource

from cms.content.management.commands.openapi_schema import render
from cms.content.openapi import UnknownShape, block_schema, field_schema
from tests.demo_stack import preview_token

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "docs" / "openapi.json"
BASE = "urn:jamtail:openapi"


def checker(schema: dict[str, Any], component: str) -> Draft202012Validator:
    """A JSON Schema 2020-12 validator for one component of the OpenAPI document."""
    registry = Registry().with_resource(
        BASE,
        Resource.from_contents(
            {**schema, "$schema": "https://json-schema.org/draft/2020-12/schema"}
        ),
    )
    return Draft202012Validator(
        {"$ref": f"{BASE}#/components/schemas/{component}"}, registry=registry
    )


def assert_valid(schema: dict[str, Any], component: str, value: Any) -> None:
    errors = sorted(checker(schema, component).iter_errors(value), key=lambda e: e.path)
    assert not errors, "\n".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in errors[:5]
    )


def test_the_checked_in_schema_is_the_one_the_code_serves():
    assert SCHEMA_FILE.read_text() == render(), (
        "docs/openapi.json is out of date: run `.venv/bin/python manage.py openapi_schema`"
    )


def test_the_schema_is_a_valid_openapi_3_1_document():
    document = json.loads(SCHEMA_FILE.read_text())
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_page_type_and_block_is_described():
    components = json.loads(SCHEMA_FILE.read_text())["components"]["schemas"]
    for page_type in ("HomePage", "SectionPage", "ArticlePage", "StandardPage"):
        assert page_type in components and f"{page_type}Detail" in components
    article = components["ArticlePage"]["properties"]
    assert {"date", "summary", "authors", "tags", "hero_image", "body", "comments"} <= set(article)
    blocks = {v["properties"]["type"]["const"] for v in components["BodyBlock"]["oneOf"]}
    assert blocks == {
        "paragraph",
        "heading",
        "image",
        "code",
        "quote",
        "table",
        "embed",
        "raw_html",
        "footnotes",
        "definitions",
    }


def test_a_field_or_block_of_unknown_shape_is_refused_not_guessed():
    from rest_framework import serializers
    from wagtail import blocks

    class Mystery(serializers.Field):
        pass

    class OwnShape(blocks.StructBlock):
        def get_api_representation(self, value, context=None):
            return "anything"

    with pytest.raises(UnknownShape, match="'mystery'"):
        field_schema("mystery", Mystery())
    block = OwnShape()
    block.set_name("own")
    with pytest.raises(UnknownShape, match="BLOCK_SHAPES"):
        block_schema(block)


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text())


@pytest.mark.slow
def test_a_real_cms_answers_as_the_schema_says(demo_cms, schema):
    api = demo_cms.api_url
    get = lambda path, **params: requests.get(api + path, params=params, timeout=30)  # noqa: E731

    # The sync endpoint, every page of a full sync (small pages, so it paginates).
    url, kinds = f"{api}sync/?limit=7", set()
    while url:
        body = requests.get(url, timeout=30).json()
        assert_valid(schema, "SyncPage", body)
        kinds |= {item["kind"] for item in body["items"]}
        url = body["next_page"]
    assert kinds == {"settings", "author", "redirect", "page"}
    assert_valid(schema, "SyncError", get("sync/", cursor="forged").json())

    listing = get("pages/", limit=500).json()
    for item in listing["items"]:
        assert_valid(schema, "PageSummary", item)
    for page_type in ("HomePage", "SectionPage", "ArticlePage", "StandardPage"):
        typed = get("pages/", type=f"content.{page_type}", fields="*", limit=500).json()
        assert typed["items"], page_type
        for item in typed["items"]:
            assert_valid(schema, page_type, item)
        detail = get(f"pages/{typed['items'][0]['id']}/", fields="*").json()
        assert_valid(schema, f"{page_type}Detail", detail)
    for item in get("authors/", fields="*").json()["items"]:
        assert_valid(schema, "Author", item)
    redirects = get("redirects/").json()["items"]
    assert redirects
    for item in redirects:
        assert_valid(schema, "Redirect", item)
    assert_valid(schema, "SiteSettings", get("site-settings/").json())

    token = preview_token(demo_cms, "A draft title")
    draft = get("preview/", content_type="content.articlepage", token=token).json()
    assert draft["title"] == "A draft title"
    assert_valid(schema, "ArticlePageDetail", draft)
    assert_valid(schema, "Error", get("preview/", content_type="content.articlepage").json())


def test_a_response_the_schema_does_not_allow_is_caught(schema):
    page = {"id": 1, "title": "x", "meta": {}, "intro": "", "body": [{"type": "nope"}]}
    assert list(checker(schema, "HomePage").iter_errors(page))
