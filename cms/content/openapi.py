"""The API contract as a document: an OpenAPI 3.1 schema of everything a front end reads.

:func:`build_schema` returns the schema (a plain JSON-compatible dict); the
``openapi_schema`` management command writes it to ``docs/openapi.json`` and
``--check`` compares it with that file. The Next front end's TypeScript types
are generated from it (``next/``: ``npm run types``, openapi-typescript).

Why a generator of our own and not drf-spectacular: Wagtail's API viewsets
make their serializer class per request, from the page type and the ``fields``
parameter (``BaseAPIViewSet._get_serializer_class``), and put some fields under
``meta``; drf-spectacular introspects one ``get_serializer_class()`` per view
and cannot see either, nor the shapes of StreamField blocks. This module asks
the same ``_get_serializer_class`` the views call for every page type, so the
schema lists exactly the fields the API serves, and maps each DRF field and
StreamField block to JSON Schema (2020-12, as OpenAPI 3.1 uses). A field or
block whose shape it does not know raises :class:`UnknownShape` instead of
being described loosely: describe it in :data:`FIELD_SHAPES` or
:data:`BLOCK_SHAPES` when you add it.

Covered: the pages API v2 (listing, detail, each page type), authors,
redirects, site settings, media versions, the sync endpoint (``cms/sync/api.py``), the draft
preview endpoint (``cms/content/preview.py``), and the site's functions
``/api/search`` and ``/api/comments`` (``functions/``).
"""

from __future__ import annotations

from typing import Any

from rest_framework import fields as drf
from wagtail import blocks
from wagtail.api.v2 import serializers as wagtail_serializers
from wagtail.api.v2.utils import parse_fields_parameter
from wagtail.contrib.redirects.models import Redirect
from wagtail.contrib.typed_table_block.blocks import TypedTableBlock
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageChooserBlock
from wagtail.models import Page, get_page_models

from cms.comments.serializers import CommentsField

from .api import (
    AuthorsAPIViewSet,
    BulkPagesAPIViewSet,
    JamtailRedirectsAPIViewSet,
    SiteLocationField,
    api_router,
)
from .blocks import DefinitionBlock, HeadingBlock, ImageBlock, RichEmbedBlock
from .images import ImageRenditionsField
from .models import Author, AuthorsField, TagsField

Schema = dict[str, Any]
OPENAPI_VERSION = "3.1.0"


class UnknownShape(Exception):
    """A serializer field or block this generator cannot describe (names it and its class)."""


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict[str, Schema], required: list[str] | None = None, **extra: Any) -> Schema:
    """A closed object: every key named, all required unless ``required`` says otherwise."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
        **extra,
    }


STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
HTML: Schema = {"type": "string", "contentMediaType": "text/html"}

# Shapes of values the CMS builds by hand (images.py, models.py, comments), as components.
SHARED: dict[str, Schema] = {
    "ImageRendition": obj({"width": INTEGER, "height": INTEGER, "url": STRING}),
    "Image": obj(
        {
            "id": INTEGER,
            "title": STRING,
            "alt": STRING,
            "width": INTEGER,
            "height": INTEGER,
            "file_hash": STRING,
            "url": {**STRING, "description": "the default rendition (at least 800 px wide)"},
            "renditions": {"type": "array", "items": ref("ImageRendition")},
        },
        description="An image as a set of responsive renditions (cms/content/images.py).",
    ),
    "AuthorRef": obj({"id": INTEGER, "name": STRING, "slug": STRING}),
    "Tag": obj({"name": STRING, "slug": STRING}),
    "Comment": obj(
        {
            "id": INTEGER,
            "parent": nullable(INTEGER),
            "author_name": STRING,
            "created_at": {"type": "string", "format": "date-time"},
            "body_html": HTML,
            "replies": {"type": "array", "items": ref("Comment")},
        },
        description="An approved comment, threaded (cms/comments/serializers.py).",
    ),
    "SiteSettings": obj(
        {
            "site_name": STRING,
            "tagline": STRING,
            "description": STRING,
            "base_url": STRING,
            "language": STRING,
            "social_links": {
                "type": "array",
                "items": obj({"label": STRING, "url": STRING}),
            },
            "root_page_id": INTEGER,
            "media_url": STRING,
        }
    ),
    "Error": obj(
        {"code": STRING, "message": STRING},
        required=["message"],
        description="A JSON error; ``code`` is stable, ``message`` is for people.",
    ),
}

# DRF fields of our own, by class: their shape is what their to_representation returns.
FIELD_SHAPES: dict[type, Schema] = {
    ImageRenditionsField: nullable(ref("Image")),
    AuthorsField: {"type": "array", "items": ref("AuthorRef")},
    TagsField: {"type": "array", "items": ref("Tag")},
    CommentsField: {"type": "array", "items": ref("Comment")},
    SiteLocationField: nullable(STRING),
    wagtail_serializers.RichTextFieldSerializer: HTML,
    wagtail_serializers.PageTypeField: STRING,
    wagtail_serializers.TypeField: STRING,
    wagtail_serializers.DetailUrlField: nullable(STRING),
    wagtail_serializers.PageHtmlUrlField: nullable(STRING),
    wagtail_serializers.PageLocaleField: STRING,
    wagtail_serializers.PageAliasOfField: nullable(
        obj(
            {
                "id": INTEGER,
                "meta": {"type": "object", "additionalProperties": True},
                "title": STRING,
            },
            required=["id"],
        )
    ),
    wagtail_serializers.PageParentField: nullable(
        {
            "type": "object",
            "properties": {
                "id": INTEGER,
                "meta": {"type": "object", "additionalProperties": True},
                "title": STRING,
            },
            "required": ["id", "meta", "title"],
        }
    ),
}

# Plain DRF fields, by class (checked with isinstance, most specific first).
DRF_SHAPES: list[tuple[type, Schema]] = [
    (drf.BooleanField, {"type": "boolean"}),
    (drf.IntegerField, INTEGER),
    (drf.DateTimeField, {"type": "string", "format": "date-time"}),
    (drf.DateField, {"type": "string", "format": "date"}),
    (drf.URLField, STRING),
    (drf.CharField, STRING),
]

# StreamField blocks whose API representation is their own (get_api_representation).
BLOCK_SHAPES: dict[type, Schema] = {
    HeadingBlock: obj(
        {"text": STRING, "level": {"type": "integer", "enum": [2, 3, 4]}, "anchor": STRING}
    ),
    ImageBlock: obj({"image": nullable(ref("Image")), "alt": STRING, "caption": STRING}),
    DefinitionBlock: obj({"term": STRING, "term_html": HTML, "anchor": STRING, "definition": HTML}),
    RichEmbedBlock: nullable(obj({"url": STRING, "html": nullable(HTML), "title": STRING})),
    ImageChooserBlock: nullable(ref("Image")),
}


def field_schema(name: str, field: Any) -> Schema:
    """JSON Schema of one serializer field's value; raise :class:`UnknownShape`."""
    for cls in type(field).__mro__:
        if cls in FIELD_SHAPES:
            return FIELD_SHAPES[cls]
    if isinstance(field, wagtail_serializers.StreamField):
        return {"type": "array", "items": ref("BodyBlock")}
    if isinstance(field, drf.ChoiceField):
        return {"type": "string", "enum": [str(value) for value in field.choices]}
    for cls, schema in DRF_SHAPES:
        if isinstance(field, cls):
            shape = dict(schema)
            if getattr(field, "allow_null", False):
                return nullable(shape)
            return shape
    raise UnknownShape(f"API field {name!r} ({type(field).__qualname__}) has no schema")


def block_schema(block: Any) -> Schema:
    """JSON Schema of a block's API value; raise :class:`UnknownShape`."""
    for cls in type(block).__mro__:
        if cls in BLOCK_SHAPES:
            return BLOCK_SHAPES[cls]
    if isinstance(block, TypedTableBlock):
        return obj(
            {
                "caption": STRING,
                "columns": {
                    "type": "array",
                    "items": obj(
                        {
                            "type": STRING,
                            "heading": STRING,
                            "heading_html": HTML,
                            "align": {"type": "string", "enum": ["", "left", "center", "right"]},
                        }
                    ),
                },
                "rows": {
                    "type": "array",
                    "items": obj({"values": {"type": "array", "items": HTML}}),
                },
            }
        )
    _own_representation(block)
    if isinstance(block, blocks.StructBlock):
        return obj({name: block_schema(child) for name, child in block.child_blocks.items()})
    if isinstance(block, blocks.ListBlock):
        return {"type": "array", "items": block_schema(block.child_block)}
    if isinstance(block, blocks.RichTextBlock | blocks.RawHTMLBlock):
        return HTML
    if isinstance(block, blocks.ChoiceBlock):
        return {"type": "string", "enum": [str(value) for value, _ in block.field.choices]}
    if isinstance(block, blocks.CharBlock | blocks.TextBlock | blocks.URLBlock):
        return STRING
    raise UnknownShape(f"block {block.name!r} ({type(block).__qualname__}) has no schema")


def _own_representation(block: Any) -> None:
    """Refuse a block that overrides ``get_api_representation`` without a declared shape."""
    method = type(block).get_api_representation
    inherited = (
        blocks.StructBlock,
        blocks.ListBlock,
        blocks.StreamBlock,
        blocks.FieldBlock,
        blocks.RichTextBlock,
        EmbedBlock,
    )
    if not any(method is getattr(base, "get_api_representation", None) for base in inherited):
        raise UnknownShape(
            f"block {block.name!r} ({type(block).__qualname__}) has its own API "
            "representation: describe it in BLOCK_SHAPES"
        )


def stream_schema(stream: blocks.StreamBlock) -> Schema:
    """``[{"type", "value", "id"}]`` items of a StreamField, one variant per block type."""
    return {
        "oneOf": [
            obj(
                {"type": {"const": name}, "value": block_schema(child), "id": STRING},
                title=f"{name} block",
            )
            for name, child in stream.child_blocks.items()
        ],
        "discriminator": {"propertyName": "type"},
    }


def page_models() -> list[type[Page]]:
    """Every concrete page type the API serves, by ``app_label.Model`` name."""
    models = [m for m in get_page_models() if m is not Page and m._meta.app_label == "content"]
    return sorted(models, key=lambda m: m.__name__)


def item_schema(
    view: Any, model: type, fields: Any, show_details: bool, type_name: str | None = None
) -> Schema:
    """The item a Wagtail API view serves for ``model``: top-level fields plus ``meta``."""
    serializer_class = view._get_serializer_class(
        api_router, model, fields, show_details=show_details
    )
    serializer = serializer_class()
    meta_names = set(serializer_class.meta_fields)
    top: dict[str, Schema] = {}
    meta: dict[str, Schema] = {}
    for name, field in serializer.get_fields().items():
        schema = field_schema(name, field)
        (meta if name in meta_names else top)[name] = schema
    if type_name and "type" in meta:
        meta["type"] = {"const": type_name}
    return obj({**top, "meta": obj(meta)})


def stream_field_blocks() -> Schema:
    """``BodyBlock``: the one StreamBlock every page type's ``body`` uses."""
    streams = {
        type(field.stream_block)
        for model in page_models()
        for field in model._meta.get_fields()
        if hasattr(field, "stream_block")
    }
    if len(streams) != 1:
        raise UnknownShape(
            f"expected one StreamBlock for page bodies, found {sorted(map(str, streams))}"
        )
    return stream_schema(streams.pop()())


def page_components() -> dict[str, Schema]:
    """Per page type: ``<Type>`` (a listing item with ``fields=*``, as sync serves it)
    and ``<Type>Detail`` (``/pages/<id>/`` and the preview, with ``meta.parent``)."""
    out: dict[str, Schema] = {}
    every = parse_fields_parameter("*")
    for model in page_models():
        name = f"{model._meta.app_label}.{model.__name__}"
        out[model.__name__] = item_schema(BulkPagesAPIViewSet, model, every, False, name)
        out[f"{model.__name__}Detail"] = item_schema(BulkPagesAPIViewSet, model, every, True, name)
    return out


def listing(item: Schema) -> Schema:
    return obj({"meta": obj({"total_count": INTEGER}), "items": {"type": "array", "items": item}})


def sync_components(page_types: list[str]) -> dict[str, Schema]:
    """The sync endpoint's body and items (cms/sync/api.py, cms/sync/items.py)."""

    def live(kind: str, data: Schema, **more: Schema) -> Schema:
        props = {"kind": {"const": kind}, "id": INTEGER, "deleted": {"const": False}}
        return obj({**props, **more, "data": data}, title=f"{kind} item")

    page_data = {"oneOf": [ref(t) for t in page_types]}
    return {
        "SyncItem": {
            "oneOf": [
                live("settings", ref("SiteSettings")),
                live("author", ref("Author")),
                live("redirect", ref("Redirect")),
                live("page", page_data, order=STRING),
                obj(
                    {
                        "kind": {"enum": ["settings", "author", "redirect", "page"]},
                        "id": INTEGER,
                        "deleted": {"const": True},
                    },
                    title="deletion",
                ),
            ]
        },
        "SyncPage": obj(
            {
                "items": {"type": "array", "items": ref("SyncItem")},
                "next_page": nullable(STRING),
                "next_sync_cursor": nullable(STRING),
                "next_sync_url": nullable(STRING),
                "following_pages": {
                    "type": "array",
                    "items": STRING,
                    "description": "On the first page of a full sync that needs more: every"
                    " page after it (the first is next_page), to ask for in any order.",
                },
            },
            required=["items", "next_page", "next_sync_cursor", "next_sync_url"],
        ),
        "SyncError": obj(
            {
                "code": {"enum": ["invalid_cursor", "invalid_limit", "cursor_expired"]},
                "message": STRING,
                "full_sync_url": STRING,
            }
        ),
    }


def function_components() -> dict[str, Schema]:
    """The site's functions (functions/search.py, functions/comments.py)."""
    return {
        "SearchHit": obj(
            {
                "title": STRING,
                "url": STRING,
                "date": nullable(STRING),
                "section": nullable(STRING),
                "snippet": HTML,
            }
        ),
        "SearchResults": {
            "type": "object",
            "properties": {
                "query": STRING,
                "results": {"type": "array", "items": ref("SearchHit")},
                "total": INTEGER,
                "page": INTEGER,
                "pages": INTEGER,
                "per_page": INTEGER,
                "took_ms": {"type": "number"},
            },
            "required": ["results", "total", "page", "pages", "per_page"],
        },
        "CommentList": obj(
            {"page": INTEGER, "comments": {"type": "array", "items": ref("Comment")}}
        ),
        "CommentToken": obj({"token": STRING, "min_seconds": {"type": "number"}}),
        "CommentPost": {
            "type": "object",
            "properties": {
                "page": INTEGER,
                "author_name": STRING,
                "body": {**STRING, "description": "Markdown"},
                "author_email": STRING,
                "parent": nullable(INTEGER),
                "return_to": STRING,
                "form_token": STRING,
                "website": {**STRING, "description": "honeypot: must stay empty"},
            },
            "required": ["page", "author_name", "body", "form_token"],
        },
        "CommentAccepted": obj({"status": {"const": "pending"}, "id": INTEGER, "message": STRING}),
    }


def _json(schema: Schema, description: str = "OK") -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query(name: str, description: str, schema: Schema | None = None, **extra: Any) -> Schema:
    return {
        "name": name,
        "in": "query",
        "description": description,
        "schema": schema or STRING,
        **extra,
    }


def paths(page_types: list[str]) -> dict[str, Schema]:
    cms = [{"url": "{cms}", "variables": {"cms": {"default": "http://127.0.0.1:8000"}}}]
    site = [{"url": "{site}", "variables": {"site": {"default": "http://127.0.0.1:8080"}}}]
    listing_item = {
        "anyOf": [*(ref(t) for t in page_types), ref("PageSummary")],
    }
    detail = {"oneOf": [ref(f"{t}Detail") for t in page_types]}
    error = _json(ref("Error"), "error")
    # The body of media-versions/ and media-archive/ (MAX_PATHS in media_versions.py).
    media_paths = {
        "required": True,
        "content": {
            "application/json": {
                "schema": obj({"paths": {"type": "array", "items": STRING, "maxItems": 1000}})
            }
        },
    }
    return {
        "/api/v2/pages/": {
            "servers": cms,
            "get": {
                "operationId": "listPages",
                "summary": "Live, public pages in tree order (Wagtail API v2)",
                "parameters": [
                    _query("type", "app_label.Model, e.g. content.ArticlePage"),
                    _query("fields", "'*' for every field of the type"),
                    _query("offset", "", INTEGER),
                    _query("limit", "", INTEGER),
                ],
                "responses": {"200": _json(listing(listing_item))},
            },
        },
        "/api/v2/pages/{id}/": {
            "servers": cms,
            "get": {
                "operationId": "getPage",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": INTEGER},
                    _query("fields", "'*' for every field"),
                ],
                "responses": {"200": _json(detail), "404": error},
            },
        },
        "/api/v2/authors/": {
            "servers": cms,
            "get": {
                "operationId": "listAuthors",
                "parameters": [_query("fields", "'*' for every field")],
                "responses": {"200": _json(listing(ref("Author")))},
            },
        },
        "/api/v2/redirects/": {
            "servers": cms,
            "get": {
                "operationId": "listRedirects",
                "responses": {"200": _json(listing(ref("Redirect")))},
            },
        },
        "/api/v2/site-settings/": {
            "servers": cms,
            "get": {
                "operationId": "getSiteSettings",
                "responses": {"200": _json(ref("SiteSettings")), "404": error},
            },
        },
        "/api/v2/media-versions/": {
            "servers": cms,
            "post": {
                "operationId": "getMediaVersions",
                "summary": "A version for each media file named by URL (media_versions.py)",
                "requestBody": media_paths,
                "responses": {
                    "200": _json(
                        obj({"versions": {"type": "object", "additionalProperties": STRING}})
                    ),
                    "400": error,
                },
            },
        },
        "/api/v2/media-archive/": {
            "servers": cms,
            "post": {
                "operationId": "getMediaArchive",
                "summary": "Many media files in one tar stream (media_archive.py)",
                "requestBody": media_paths,
                "responses": {
                    "200": {
                        "description": "A pax tar archive of the files that may be served",
                        "content": {"application/x-tar": {"schema": {"type": "string"}}},
                    },
                    "400": error,
                },
            },
        },
        "/api/v2/sync/": {
            "servers": cms,
            "get": {
                "operationId": "sync",
                "summary": "Every published item, then only what changed (cms/sync/api.py)",
                "parameters": [
                    _query("cursor", "next_page's or next_sync_url's cursor"),
                    _query("limit", "items per page, 1..JAMTAIL_SYNC_PAGE_SIZE", INTEGER),
                ],
                "responses": {
                    "200": _json(ref("SyncPage")),
                    "400": _json(ref("SyncError"), "invalid cursor or limit"),
                    "410": _json(ref("SyncError"), "cursor expired: start a full sync"),
                },
            },
        },
        "/api/v2/preview/": {
            "servers": cms,
            "get": {
                "operationId": "getPreview",
                "summary": "A draft in the shape of /pages/<id>/?fields=* (id null if unsaved)",
                "parameters": [
                    _query("content_type", "app_label.model, lower case", required=True),
                    _query("token", "the signed preview token", required=True),
                ],
                "responses": {
                    "200": _json(detail),
                    **{status: error for status in ("400", "403", "404", "410")},
                },
            },
        },
        "/api/search": {
            "servers": site,
            "get": {
                "operationId": "search",
                "summary": "Full-text search (functions/search.py); HTML with format=html",
                "parameters": [
                    _query("q", "the query", required=True),
                    _query("section", "a section's URL"),
                    _query("tag", "a tag's slug"),
                    _query("page", "", INTEGER),
                    _query("format", "", {"enum": ["json", "html"]}),
                ],
                "responses": {
                    "200": _json(ref("SearchResults")),
                    "400": error,
                    "503": error,
                },
            },
        },
        "/api/comments": {
            "servers": site,
            "get": {
                "operationId": "listComments",
                "parameters": [_query("page", "the page id", INTEGER, required=True)],
                "responses": {"200": _json(ref("CommentList")), "400": error},
            },
            "post": {
                "operationId": "postComment",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": ref("CommentPost")},
                        "application/x-www-form-urlencoded": {"schema": ref("CommentPost")},
                    },
                },
                "responses": {
                    "202": _json(ref("CommentAccepted"), "stored for moderation"),
                    **{s: error for s in ("400", "413", "415", "429", "502", "503")},
                },
            },
        },
        "/api/comments/token": {
            "servers": site,
            "get": {
                "operationId": "commentToken",
                "responses": {"200": _json(ref("CommentToken"))},
            },
        },
    }


def build_schema() -> Schema:
    """The OpenAPI 3.1 document (a dict); raise :class:`UnknownShape` for an undescribed field."""
    pages = page_components()
    page_types = sorted(name for name in pages if not name.endswith("Detail"))
    every = parse_fields_parameter("*")
    components: dict[str, Schema] = {
        **SHARED,
        "BodyBlock": stream_field_blocks(),
        **pages,
        "PageSummary": item_schema(BulkPagesAPIViewSet, Page, [], False),
        "Author": item_schema(AuthorsAPIViewSet, Author, every, False),
        "Redirect": item_schema(JamtailRedirectsAPIViewSet, Redirect, [], False),
        **sync_components(page_types),
        **function_components(),
    }
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Jamtail content API",
            "version": "1",
            "description": "What a front end reads: the CMS's Wagtail API v2 and sync "
            "endpoint, draft preview, and the site's search and comments functions. "
            "Generated by `manage.py openapi_schema` (cms/content/openapi.py).",
        },
        "paths": paths(page_types),
        "components": {"schemas": components},
    }
