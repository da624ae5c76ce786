"""Serialise sync items exactly as the builder's other endpoints do.

An item is an envelope around the representation the builder already reads:

- ``page``: the item of ``/api/v2/pages/?type=<app.Model>&fields=*`` (Wagtail's
  own serializer, with the page type's bulk ``api_select_related`` /
  ``api_prefetch_related``), plus ``order``: the page's tree path, which sorts
  pages in page-tree order;
- ``author``: the item of ``/api/v2/authors/?fields=*``;
- ``redirect``: the item of ``/api/v2/redirects/``;
- ``settings`` (id 1): the body of ``/api/v2/site-settings/``.

``{"kind": str, "id": int, "deleted": false, "data": {...}}`` (pages add
``"order"``); a deletion is ``{"kind": str, "id": int, "deleted": true}``. A
page is visible when the pages endpoint would list it: live, public (no view
restriction on it or an ancestor) and in the requested site.

Every method costs a fixed number of queries, whatever the number of items.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from wagtail.api.v2.utils import parse_fields_parameter
from wagtail.contrib.redirects.models import Redirect

from cms.content.api import (
    AuthorsAPIViewSet,
    BulkPagesAPIViewSet,
    JamtailRedirectsAPIViewSet,
    api_router,
    site_settings_data,
)
from cms.content.models import Author

from .capture import SETTINGS_ID
from .models import ChangeLogEntry

Envelope = dict[str, Any]
ALL_FIELDS = parse_fields_parameter("*")


class ItemReader:
    """Reads and serialises items for one sync request (``request``: a DRF request)."""

    def __init__(self, request: Any):
        request.wagtailapi_router = api_router
        self.request = request
        self.pages_view = self._view(BulkPagesAPIViewSet)
        self.authors_view = self._view(AuthorsAPIViewSet)
        self.redirects_view = self._view(JamtailRedirectsAPIViewSet)
        self._public: Any = None
        self._serializers: dict[type, Any] = {}

    def _view(self, cls: type) -> Any:
        view = cls()
        view.request = self.request
        view.action = "listing_view"
        view.args, view.kwargs, view.format_kwarg = (), {}, None
        return view

    # Listing (initial sync): items of one kind after a key, in key order.

    def list_after(self, kind: str, after: Any, limit: int) -> tuple[list[Envelope], Any]:
        """Up to ``limit`` visible items of ``kind`` after ``after``; and the last key."""
        if kind == ChangeLogEntry.SETTINGS:
            return (self.settings() if after is None else []), SETTINGS_ID
        if kind == ChangeLogEntry.PAGE:
            rows = self.public_pages().order_by("path")
            if after is not None:
                rows = rows.filter(path__gt=after)
            found = list(rows.values_list("pk", "path", "content_type_id")[:limit])
            return self._pages(found), (found[-1][1] if found else after)
        queryset = self._queryset(kind)
        if after is not None:
            queryset = queryset.filter(pk__gt=after)
        objects = list(queryset.order_by("pk")[:limit])
        return self._serialise(kind, objects), (objects[-1].pk if objects else after)

    # Lookup (delta sync): the current state of given items, deletions included.

    def get(self, keys: Iterable[tuple[str, int]]) -> list[Envelope]:
        """Envelopes for ``keys`` in their order; an item no longer visible is a deletion."""
        keys = list(dict.fromkeys(keys))
        by_kind: dict[str, list[int]] = defaultdict(list)
        for kind, pk in keys:
            by_kind[kind].append(pk)
        found: dict[tuple[str, int], Envelope] = {}
        for kind, ids in by_kind.items():
            for envelope in self._lookup(kind, ids):
                found[(kind, envelope["id"])] = envelope
        return [found.get(key) or {"kind": key[0], "id": key[1], "deleted": True} for key in keys]

    def _lookup(self, kind: str, ids: list[int]) -> list[Envelope]:
        if kind == ChangeLogEntry.SETTINGS:
            return self.settings()
        if kind == ChangeLogEntry.PAGE:
            rows = self.public_pages().filter(pk__in=ids)
            return self._pages(list(rows.values_list("pk", "path", "content_type_id")))
        if kind in (ChangeLogEntry.AUTHOR, ChangeLogEntry.REDIRECT):
            return self._serialise(kind, list(self._queryset(kind).filter(pk__in=ids)))
        return []

    # Serialisation.

    def settings(self) -> list[Envelope]:
        data = site_settings_data(self.request)
        if data is None:
            return []
        return [
            {"kind": ChangeLogEntry.SETTINGS, "id": SETTINGS_ID, "deleted": False, "data": data}
        ]

    def public_pages(self) -> Any:
        """What ``/api/v2/pages/`` lists (live, public, in the site); evaluated lazily."""
        if self._public is None:
            self._public = self.pages_view.get_base_queryset()
        return self._public

    def _pages(self, rows: list[tuple[int, str, int]]) -> list[Envelope]:
        by_type: dict[int, list[int]] = defaultdict(list)
        for pk, _path, content_type_id in rows:
            by_type[content_type_id].append(pk)
        data: dict[int, dict[str, Any]] = {}
        context = self.pages_view.get_serializer_context()
        for content_type_id, ids in by_type.items():
            model = ContentType.objects.get_for_id(content_type_id).model_class()
            if model is None:
                continue
            select = ("locale", *getattr(model, "api_select_related", ()))
            prefetch = getattr(model, "api_prefetch_related", ())
            pages = model.objects.filter(pk__in=ids).select_related(*select)
            serializer = self._serializer(BulkPagesAPIViewSet, model)
            for item in serializer(
                pages.prefetch_related(*prefetch), many=True, context=context
            ).data:
                data[item["id"]] = dict(item)
        return [
            {
                "kind": ChangeLogEntry.PAGE,
                "id": pk,
                "deleted": False,
                "order": path,
                "data": data[pk],
            }
            for pk, path, _ in rows
            if pk in data
        ]

    def _queryset(self, kind: str) -> Any:
        if kind == ChangeLogEntry.AUTHOR:
            return Author.objects.select_related("avatar").prefetch_related("avatar__renditions")
        return Redirect.objects.select_related("redirect_page")

    def _serialise(self, kind: str, objects: list[Any]) -> list[Envelope]:
        if kind == ChangeLogEntry.AUTHOR:
            view, model = self.authors_view, Author
        else:
            view, model = self.redirects_view, Redirect
        serializer = self._serializer(type(view), model)
        items = serializer(objects, many=True, context=view.get_serializer_context()).data
        return [
            {"kind": kind, "id": item["id"], "deleted": False, "data": dict(item)} for item in items
        ]

    def _serializer(self, view_class: Any, model: type) -> Any:
        if model not in self._serializers:
            # Authors are read with fields=*, redirects and pages' own listing defaults
            # exactly as the builder requests them (see jamtail/gather.py).
            fields = [] if model is Redirect else ALL_FIELDS
            self._serializers[model] = view_class._get_serializer_class(
                api_router, model, fields, show_details=False
            )
        return self._serializers[model]
