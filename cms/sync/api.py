"""``GET /api/v2/sync/``: every published item, then only what changed (like Contentful's Sync API).

Initial sync: ``GET /api/v2/sync/[?limit=N]`` answers the first page of every
visible item (the site settings, then authors and redirects by id, then pages
in page-tree order). Follow ``next_page`` until a page carries
``next_sync_cursor`` instead; store it. Delta sync: ``GET
/api/v2/sync/?cursor=<next_sync_cursor>`` answers, in the same paginated
shape, every item that changed since: its current state, or a deletion when it
is no longer visible (deleted, unpublished, moved out of the site, made
private). Items are described in :mod:`cms.sync.items`. Body of every page::

    {
        "items": [{"kind": "page", "id": 12, "deleted": false, "order": "00010001...",
                   "data": {...}}, {"kind": "page", "id": 9, "deleted": true}, ...],
        "next_page": "http://cms/api/v2/sync/?cursor=..." | null,
        "next_sync_cursor": "..." | null,      # on the last page only
        "next_sync_url": "http://cms/api/v2/sync/?cursor=..." | null,
        "following_pages": ["http://cms/api/v2/sync/?cursor=...", ...],  # see below
    }

A page that has a next one also names it in a ``Link: <...>; rel="next"``
header (RFC 8288), so a client can ask for it while it decodes this one.

The first page of a full sync that needs more than one page also lists
every page after it, ``"following_pages": [url, ...]`` (``next_page`` is the
first of them): the listing is split up front, from the items' keys, and each
listed page but the last covers a fixed range of keys. A client may ask for
them in any order and several at once, so that a CMS with several workers
serialises them in parallel (a first sync of 10,000 never-serialised pages
is CPU-bound on the CMS). Only the last listed page answers ``next_page``
that matters (when items were added at the end meanwhile) or the
``next_sync_cursor``; the others' ``next_page`` continues after their range,
for a client that follows ``next_page`` alone. Pages read in parallel may
show an item changed meanwhile in its newer state on an earlier page and its
older one on a later page: such a client ends with one delta sync from the
cursor it got, as the builder does (``jamtail/content/sync.py``).

An item may appear more than once in a sync (it changed again while the sync
ran); the later occurrence is the newer state. A cursor is signed
(``django.core.signing``, salt :data:`SALT`) and expires after
``JAMTAIL_SYNC_CURSOR_MAX_AGE`` seconds. Errors are JSON
``{"code", "message", "full_sync_url"}``:

======  ===================  ========================================================
status  code                 when
======  ===================  ========================================================
400     ``invalid_cursor``   the cursor is malformed, forged or tampered with
400     ``invalid_limit``    ``limit`` is not an integer in 1..JAMTAIL_SYNC_PAGE_SIZE
410     ``cursor_expired``   older than the maximum age, its change-log entries were
                             pruned, or it belongs to another (reset) change log
======  ===================  ========================================================

Both tell the client to start over with a full sync (``full_sync_url``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.db import IntegrityError
from django.http import HttpResponse
from django.urls import reverse
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .items import ItemReader
from .models import ChangeLogEntry, SyncClock
from .serialised import RawJSON, encode

log = logging.getLogger(__name__)

SALT = "jamtail.content.sync.cursor"
KINDS = (
    ChangeLogEntry.SETTINGS,
    ChangeLogEntry.AUTHOR,
    ChangeLogEntry.REDIRECT,
    ChangeLogEntry.PAGE,
)
START_OVER = "Start over with a full sync: GET /api/v2/sync/ without a cursor."


class CursorError(Exception):
    """A cursor the endpoint refuses: ``status`` (400 or 410), ``code`` and a message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def max_age() -> int:
    """Seconds a cursor stays valid (``JAMTAIL_SYNC_CURSOR_MAX_AGE``)."""
    return int(getattr(settings, "JAMTAIL_SYNC_CURSOR_MAX_AGE", 30 * 86400))


def page_size() -> int:
    """Items per sync page unless ``limit`` asks for fewer (``JAMTAIL_SYNC_PAGE_SIZE``)."""
    return int(getattr(settings, "JAMTAIL_SYNC_PAGE_SIZE", 500))


def clock() -> SyncClock:
    """The change log's clock row, created on first use (a flushed test database has none)."""
    row = SyncClock.objects.filter(pk=1).first()
    if row is None:
        try:
            row, _ = SyncClock.objects.get_or_create(pk=1)
        except IntegrityError:
            row = SyncClock.objects.get(pk=1)
    return row


def make_cursor(state: dict[str, Any]) -> str:
    """Sign ``state`` (plain JSON data) into an opaque, timestamped cursor."""
    return signing.dumps(state, salt=SALT, compress=True)


def read_cursor(token: str, current: SyncClock) -> dict[str, Any]:
    """The state signed into ``token``; raise :class:`CursorError` if it cannot be used."""
    try:
        state = signing.loads(token, salt=SALT, max_age=max_age())
    except signing.SignatureExpired as exc:
        raise CursorError(410, "cursor_expired", f"This sync cursor has expired ({exc}).") from exc
    except (signing.BadSignature, ValueError) as exc:
        raise CursorError(400, "invalid_cursor", "This sync cursor is not valid.") from exc
    if not (
        isinstance(state, dict)
        and isinstance(state.get("since"), int)
        and state.get("mode") in ("initial", "delta")
    ):
        raise CursorError(400, "invalid_cursor", "This sync cursor is not valid.")
    if state.get("epoch") != current.epoch or state["since"] > current.value:
        raise CursorError(
            410, "cursor_expired", "This sync cursor belongs to a change log that was reset."
        )
    if state["since"] < current.pruned_through:
        raise CursorError(
            410, "cursor_expired", "The changes since this sync cursor are no longer kept."
        )
    return state


def page_url(request: Request, cursor: str) -> str:
    """The absolute URL of the sync page ``cursor`` names."""
    return request.build_absolute_uri(f"{reverse('sync')}?{urlencode({'cursor': cursor})}")


def render_body(body: dict[str, Any]) -> Iterator[bytes]:
    """``body`` as UTF-8 JSON, in chunks of about one item each.

    An item's ``data`` that is :class:`~cms.sync.serialised.RawJSON` (a page's
    cached serialised form) is spliced in as it is, never decoded; everything
    else is encoded as DRF's renderer does (:func:`cms.sync.serialised.encode`).
    """
    yield b'{"items":['
    for n, item in enumerate(body["items"]):
        data = item.get("data")
        if isinstance(data, RawJSON):
            head = encode({k: v for k, v in item.items() if k != "data"})
            text = f'{head[:-1]},"data":{data}}}'
        else:
            text = encode(item)
        yield (("," if n else "") + text).encode()
    rest = encode({k: v for k, v in body.items() if k != "items"})
    yield ("]," + rest[1:]).encode()


class SyncView(APIView):
    """The sync endpoint; see the module docstring for the contract."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []

    def get(self, request: Request) -> Response | HttpResponse:
        try:
            limit = self._limit(request)
            current = clock()
            token = request.GET.get("cursor")
            if token:
                state = read_cursor(token, current)
                limit = int(state.get("limit") or limit)
            else:
                state = {"mode": "initial", "since": current.value, "epoch": current.epoch}
        except CursorError as exc:
            log.info("sync refused: %s %s", exc.status, exc.code)
            body = {
                "code": exc.code,
                "message": f"{exc.message} {START_OVER}",
                "full_sync_url": request.build_absolute_uri(reverse("sync")),
            }
            return Response(body, status=exc.status)
        reader = ItemReader(request)
        planned: list[dict[str, Any]] = []
        if state["mode"] == "initial":
            if "kind" not in state:  # the first page of a full sync
                state, planned = self._plan(reader, state, limit)
            items, following = self._initial_page(reader, state, limit)
        else:
            items, following = self._delta_page(reader, state, limit)
        following_pages = [page_url(request, make_cursor(page)) for page in planned]
        # One joined body (with a Content-Length): the items are all read before the
        # first byte, so streaming them would save one copy of ~5 MB, not latency.
        body = self._body(request, items, following, state, following_pages)
        response = HttpResponse(b"".join(render_body(body)), content_type="application/json")
        # Pages of this answer serialised now; the others came from the cache (serialised.py).
        response["X-Jamtail-Serialised-Pages"] = str(reader.serialised_count)
        if body["next_page"]:
            # RFC 8288: a client can ask for the next page before decoding this one.
            response["Link"] = f'<{body["next_page"]}>; rel="next"'
        return response

    def _limit(self, request: Request) -> int:
        raw = request.GET.get("limit")
        if raw is None:
            return page_size()
        if not raw.isdigit() or not 1 <= int(raw) <= page_size():
            raise CursorError(
                400, "invalid_limit", f"limit must be an integer from 1 to {page_size()}."
            )
        return int(raw)

    def _initial_page(
        self, reader: ItemReader, state: dict[str, Any], limit: int
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """Items from the listing position in ``state``; and the next position, if any.

        The sync cursor is the clock value read before the first item: any
        change committed after it has a larger sequence number, so the first
        delta sync delivers it whether or not this listing saw it.
        """
        kind_index, after = state.get("kind", 0), state.get("after")
        items: list[dict[str, Any]] = []
        if state.get("until") is not None:
            end_kind, end_key = state["until"]
            for index in range(kind_index, end_kind + 1):
                upto = end_key if index == end_kind else None
                items += reader.list_after(KINDS[index], after, None, upto)[0]
                after = None
            rest = {k: v for k, v in state.items() if k != "until"}
            return items, {**rest, "kind": end_kind, "after": end_key, "limit": limit}
        while len(items) < limit and kind_index < len(KINDS):
            want = limit - len(items)
            batch, after = reader.list_after(KINDS[kind_index], after, want)
            items += batch
            if len(batch) < want or KINDS[kind_index] == ChangeLogEntry.SETTINGS:
                kind_index, after = kind_index + 1, None
        if kind_index >= len(KINDS):
            return items, None
        return items, {**state, "kind": kind_index, "after": after, "limit": limit}

    def _plan(
        self, reader: ItemReader, state: dict[str, Any], limit: int
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Split a full sync into pages of ``limit`` items up front, from the items' keys.

        Returns the first page's state and the following pages' states (none
        when one page holds every item). Each page but the last ends at a fixed
        position, ``until`` (kind index, key), so a client may ask for all of
        them at once and the CMS serialises them on all its workers. A page
        holds what is between its two positions when it is asked for: an item
        created or deleted meanwhile makes it a little longer or shorter, and
        is in the next delta sync anyway (its change is after ``since``).
        """
        positions = [(index, key) for index, kind in enumerate(KINDS) for key in reader.keys(kind)]
        ends = [list(positions[end - 1]) for end in range(limit, len(positions), limit)]
        pages = [{**state, "limit": limit, "until": ends[0]}] if ends else [state]
        for n, start in enumerate(ends, 1):
            page = {**state, "kind": start[0], "after": start[1], "limit": limit}
            if n < len(ends):
                page["until"] = ends[n]
            pages.append(page)
        return pages[0], pages[1:]

    def _delta_page(
        self, reader: ItemReader, state: dict[str, Any], limit: int
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """Items of the next ``limit`` change-log entries; and the next position, if more remain."""
        rows = list(
            ChangeLogEntry.objects.filter(seq__gt=state["since"])
            .order_by("seq")
            .values_list("seq", "kind", "item_id")[: limit + 1]
        )
        more = len(rows) > limit
        rows = rows[:limit]
        items = reader.get((kind, item_id) for _, kind, item_id in rows)
        state["since"] = rows[-1][0] if rows else state["since"]
        return items, ({**state, "limit": limit} if more else None)

    def _body(
        self,
        request: Request,
        items: list[dict[str, Any]],
        following: dict[str, Any] | None,
        state: dict[str, Any],
        following_pages: list[str],
    ) -> dict[str, Any]:
        if following_pages:  # the first page of a planned full sync
            return {
                "items": items,
                "next_page": following_pages[0],
                "next_sync_cursor": None,
                "next_sync_url": None,
                "following_pages": following_pages,
            }
        if following is not None:
            return {
                "items": items,
                "next_page": page_url(request, make_cursor(following)),
                "next_sync_cursor": None,
                "next_sync_url": None,
            }
        sync_cursor = make_cursor(
            {"mode": "delta", "since": state["since"], "epoch": state["epoch"]}
        )
        return {
            "items": items,
            "next_page": None,
            "next_sync_cursor": sync_cursor,
            "next_sync_url": page_url(request, sync_cursor),
        }
