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

Every method costs a fixed number of queries, whatever the number of items,
plus Wagtail's StreamField look-ups for pages not in the serialised-page cache
(:mod:`cms.sync.serialised`). A page's ``data`` is :class:`~cms.sync.serialised.RawJSON`
text (see :func:`cms.sync.api.render_body`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from wagtail.api.utils import get_full_url
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

from . import serialised
from .capture import SETTINGS_ID
from .models import ChangeLogEntry, SyncClock
from .serialised import RawJSON, page_key

Envelope = dict[str, Any]
# What a page listing reads: id, tree path, type, and the parts of the cache key.
PAGE_COLUMNS = ("pk", "path", "content_type_id", "latest_revision_id", "last_published_at")
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
        self.serialised_count = 0  # pages serialised (not read from the cache) so far

    def _view(self, cls: type) -> Any:
        view = cls()
        view.request = self.request
        view.action = "listing_view"
        view.args, view.kwargs, view.format_kwarg = (), {}, None
        return view

    # Listing (initial sync): items of one kind after a key, in key order.

    def list_after(
        self, kind: str, after: Any, limit: int | None, upto: Any = None
    ) -> tuple[list[Envelope], Any]:
        """Up to ``limit`` (``None``: every) visible item of ``kind`` after key ``after``
        and, if ``upto`` is given, at most ``upto``; and the last key."""
        if kind == ChangeLogEntry.SETTINGS:
            return (self.settings() if after is None else []), SETTINGS_ID
        if kind == ChangeLogEntry.PAGE:
            rows = self.public_pages().order_by("path")
            if after is not None:
                rows = rows.filter(path__gt=after)
            if upto is not None:
                rows = rows.filter(path__lte=upto)
            found = list(rows.values_list(*PAGE_COLUMNS)[:limit])
            return self._pages(found), (found[-1][1] if found else after)
        queryset = self._queryset(kind)
        if after is not None:
            queryset = queryset.filter(pk__gt=after)
        if upto is not None:
            queryset = queryset.filter(pk__lte=upto)
        objects = list(queryset.order_by("pk")[:limit])
        return self._serialise(kind, objects), (objects[-1].pk if objects else after)

    def keys(self, kind: str) -> list[Any]:
        """The keys :meth:`list_after` would list for ``kind``, in its order, read without
        serialising anything (one query)."""
        if kind == ChangeLogEntry.SETTINGS:
            return [SETTINGS_ID]
        if kind == ChangeLogEntry.PAGE:
            return list(self.public_pages().order_by("path").values_list("path", flat=True))
        queryset = self._queryset(kind).prefetch_related(None)
        return list(queryset.order_by("pk").values_list("pk", flat=True))

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
            return self._pages(list(rows.values_list(*PAGE_COLUMNS)))
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

    def _pages(self, rows: list[tuple[Any, ...]]) -> list[Envelope]:
        """Envelopes of the pages in ``rows`` (:data:`PAGE_COLUMNS`), from the cache if valid.

        A page whose serialised form is cached under its current key is not
        serialised again (:mod:`cms.sync.serialised`); the others are, in bulk
        per page type, and stored for the next sync.
        """
        as_of = current_clock_value()  # before any page is read: see serialised.store
        base_url = get_full_url(self.request, "/")
        keys = {pk: page_key(base_url, rev, published) for pk, _, _, rev, published in rows}
        data: dict[int, RawJSON] = serialised.load(keys)
        by_type: dict[int, list[int]] = defaultdict(list)
        for pk, _path, content_type_id, _, _ in rows:
            if pk not in data:
                by_type[content_type_id].append(pk)
        fresh: dict[int, tuple[str, str]] = {}
        for content_type_id, ids in by_type.items():
            model = ContentType.objects.get_for_id(content_type_id).model_class()
            if model is None:
                continue
            for item in self.serialise_pages(model, ids):
                text = serialised.encode(item)
                data[item["id"]] = text
                fresh[item["id"]] = (keys[item["id"]], text)
        self.serialised_count += len(fresh)
        serialised.store(fresh, as_of)
        return [
            {
                "kind": ChangeLogEntry.PAGE,
                "id": pk,
                "deleted": False,
                "order": path,
                "data": data[pk],
            }
            for pk, path, *_ in rows
            if pk in data
        ]

    def serialise_pages(self, model: type, ids: list[int]) -> list[dict[str, Any]]:
        """The API representation of pages ``ids`` of ``model``, serialised now (no cache).

        A fixed number of queries for the page type's bulk relations
        (``api_select_related``, ``api_prefetch_related``), plus Wagtail's own
        per-field look-ups of StreamField blocks.
        """
        select = ("locale", *getattr(model, "api_select_related", ()))
        prefetch = getattr(model, "api_prefetch_related", ())
        pages = model.objects.filter(pk__in=ids).select_related(*select)  # type: ignore[attr-defined]
        serializer = self._serializer(BulkPagesAPIViewSet, model)
        context = self.pages_view.get_serializer_context()
        items = serializer(pages.prefetch_related(*prefetch), many=True, context=context).data
        return [dict(item) for item in items]

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
            # exactly as the builder requests them (see jamtail/content/gather.py).
            fields = [] if model is Redirect else ALL_FIELDS
            self._serializers[model] = view_class._get_serializer_class(
                api_router, model, fields, show_details=False
            )
        return self._serializers[model]


def current_clock_value() -> int:
    """The change log's last handed-out sequence number (0 before the first change)."""
    return SyncClock.objects.filter(pk=1).values_list("value", flat=True).first() or 0
