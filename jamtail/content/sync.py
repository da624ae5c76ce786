"""Sync: keep a local content cache up to date through the CMS sync API, and read it as Content.

:func:`sync` asks ``/api/v2/sync/`` for what changed since the cursor stored
in ``cache_dir/content.sqlite3`` (everything, the first time) and applies it,
page by page as it arrives, in one SQLite transaction together with the new
cursor; it returns a :class:`~jamtail.content.cache.Delta` naming the items whose content changed.
Each sync that changes anything stamps the changed items with the next
sequence number, so a build can ask for everything changed since the one
before it (:meth:`ContentCache.changed_since`). :func:`read_content` reads the
cache as the same :class:`~jamtail.content.gather.Content` that
:func:`~jamtail.content.gather.gather` reads from the CMS, with page bodies left in
the cache until asked for (:mod:`jamtail.content.lazy`); :meth:`ContentCache.pages`
reads just some pages, for patch builds. :func:`sync_content` is both in one.
See docs/sync.md for the endpoint and the cache.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jamtail.content.cache import CACHE_NAME, ContentCache, Delta
from jamtail.content.client import CMSClient
from jamtail.content.gather import Content, gather
from jamtail.content.jsontext import EVERY, loads_keeping
from jamtail.exceptions import CMSError, ContentError

log = logging.getLogger(__name__)

# Sync pages asked for at once when the CMS lists them up front: as many as the
# CMS has workers by default (cms/server.py: one per CPU, at least two).
REQUESTS_AT_ONCE = 2


class CursorRejected(CMSError):
    """The CMS refused the cursor (400 forged/malformed, 410 expired): sync everything again."""


def sync_content(client: CMSClient, cache_dir: Path, full: bool = False) -> tuple[Content, Delta]:
    """Bring the content cache up to date (:func:`sync`) and read it: ``(Content, Delta)``.

    ``Content`` equals what :func:`~jamtail.content.gather.gather` returns for the
    same CMS state (pages in page-tree order, authors by name then id,
    redirects by id). Raises as :func:`sync`, and ``ContentError`` when the
    CMS has no live page.
    """
    delta = sync(client, cache_dir, full)
    if delta.gathered is not None:
        return delta.gathered, delta
    started = time.perf_counter()
    content = read_content(cache_dir)
    delta.timings["read"] = time.perf_counter() - started
    return content, delta


def read_content(cache_dir: Path) -> Content:
    """The content cache under ``cache_dir`` as :class:`Content` (page bodies lazy).

    Raises ``ContentError`` when it holds no live page.
    """
    cache = ContentCache.open(cache_dir / CACHE_NAME)
    try:
        content = cache.read()
    finally:
        cache.close()
    if not content.pages:
        raise ContentError("the CMS has no live pages: publish a home page first")
    return content


def sync(
    client: CMSClient,
    cache_dir: Path,
    full: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Delta:
    """Bring the content cache in ``cache_dir`` up to date with the CMS.

    Returns the :class:`~jamtail.content.cache.Delta`.

    Makes a delta sync from the stored cursor, or a full sync when there is
    no cursor, when ``full`` is true, when the cache was filled from another
    CMS (``client.api_url`` differs) or is unreadable, or when the CMS refuses
    the cursor (expired or invalid: logged as a warning, then synced in full).
    The items and the new cursor are stored in one SQLite transaction: an
    error or a killed process leaves the cache exactly as it was. A CMS
    without the sync endpoint is read in full (``delta.gathered``).
    ``progress`` is called with the number of items received so far after
    each request (a first sync of 10,000 pages makes 22: 21 pages, one delta). Raises
    ``CMSError``/``CMSUnavailableError`` when the CMS fails.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    cache = ContentCache.open(cache_dir / CACHE_NAME)
    try:
        cursor, reason = cache.cursor_for(client.api_url)
        if full:
            cursor, reason = None, "a full sync was requested"
        delta = Delta(full=cursor is None, reason=reason or "")
        try:
            cache.apply(_fetch_all(client, cursor, delta, progress), delta, client.api_url)
        except CursorRejected as exc:
            log.warning("the CMS refused the stored sync cursor, syncing everything: %s", exc)
            delta = Delta(full=True, reason=f"the CMS refused the cursor: {exc}")
            cache.apply(_fetch_all(client, None, delta, progress), delta, client.api_url)
        except CMSError as exc:
            if "answered 404" not in str(exc):
                raise
            log.warning("the CMS has no sync endpoint (%s); reading it in full", exc)
            delta = Delta(full=True, reason="the CMS has no sync endpoint")
            delta.gathered = gather(client)
            return delta
    finally:
        cache.close()
    log.info(
        "synced %s: %d changes in %d requests",
        "in full" if delta.full else "the delta",
        len(delta.changes),
        delta.requests,
    )
    return delta


def _fetch_all(
    client: CMSClient,
    cursor: str | None,
    delta: Delta,
    progress: Callable[[int], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Every item of one sync, following ``next_page``; sets ``delta.cursor`` at the end.

    Items come one request (a page of up to 500) at a time, so a full sync
    of a large site never holds it all. When the CMS names the next page in
    a ``Link`` header, it is asked for at once, on a thread, and serialises
    it while this one is decoded and stored. When the first page of a full
    sync lists the pages after it (``following_pages``), they are asked for
    :data:`REQUESTS_AT_ONCE` at a time and their items yielded in listing
    order; since pages served in parallel may show an item changed meanwhile
    in its newer state before its older one, the sync then catches up with
    one delta sync from the cursor it ended with, whose items come last.
    ``delta.timings["fetch"]`` adds up the time spent waiting for the CMS.
    """
    received = 0
    pool = ThreadPoolExecutor(REQUESTS_AT_ONCE, thread_name_prefix="jamtail-sync")
    # Requests under way, in the order their items are yielded, each with whether
    # its next_page is to be followed (not for a listed page but the last).
    pending: deque[tuple[Future[tuple[str, str | None]], bool]] = deque()
    listed: deque[str] = deque()  # listed pages not asked for yet
    catch_up = False
    try:
        pending.append((pool.submit(_request, client, cursor), True))
        while pending:
            started = time.perf_counter()
            future, follow = pending.popleft()
            text, following = future.result()
            delta.timings["fetch"] = delta.timings.get("fetch", 0.0) + time.perf_counter() - started
            if follow and following and not pending:
                pending.append((pool.submit(_request, client, _cursor_in(following)), True))
            body = _decode(text, client.url("sync/"))
            delta.requests += 1
            received += len(body["items"])
            if progress is not None:
                progress(received)
            if "following_pages" in body and delta.requests == 1:
                listed = deque(_listed_pages(body, following, pending))
                catch_up = True
            while listed and len(pending) < REQUESTS_AT_ONCE:
                url = listed.popleft()
                # On a connection of its own: kept-alive ones may all be bound to one busy
                # CMS worker, which would then serialise both pages on one core.
                asked = pool.submit(_request, client, _cursor_in(url), True)
                pending.append((asked, not listed))
            yield from body["items"]
            if not follow or listed or (catch_up and delta.requests == 1):
                continue
            if body.get("next_sync_cursor"):
                if catch_up:
                    catch_up = False
                    pending.append((pool.submit(_request, client, body["next_sync_cursor"]), True))
                    continue
                delta.cursor = body["next_sync_cursor"]
                return
            next_page = body.get("next_page")
            if not next_page:
                raise CMSError("the CMS sync answered neither next_page nor next_sync_cursor")
            if following is None:
                pending.append((pool.submit(_request, client, _cursor_in(next_page)), True))
            elif _cursor_in(following) != _cursor_in(next_page):
                raise CMSError("the CMS sync's Link header and next_page name different pages")
        raise CMSError("the CMS sync ended without a next_sync_cursor")
    finally:
        # An error (or a closed generator) may leave requests under way: not waited for.
        pool.shutdown(wait=False, cancel_futures=True)


def _listed_pages(
    body: dict[str, Any],
    following: str | None,
    pending: deque[tuple[Future[tuple[str, str | None]], bool]],
) -> list[str]:
    """The listed pages of a full sync's first page not yet asked for.

    The first one was asked for already when the ``Link`` header named it: that
    request (in ``pending``) is then marked as the one to follow when it is the
    last. Raises ``CMSError`` when the list is malformed.
    """
    urls = body["following_pages"]
    if not (isinstance(urls, list) and urls and all(isinstance(url, str) for url in urls)):
        raise CMSError("the CMS sync's following_pages is not a list of page URLs")
    if body.get("next_page") != urls[0]:
        raise CMSError("the CMS sync's following_pages is not a list of pages after next_page")
    if following is None:
        return list(urls)
    if _cursor_in(following) != _cursor_in(urls[0]):
        raise CMSError("the CMS sync's Link header and next_page name different pages")
    future, _ = pending.pop()
    pending.append((future, len(urls) == 1))
    return list(urls[1:])


def _cursor_in(url: str) -> str:
    return parse_qs(urlsplit(url).query).get("cursor", [""])[0]


def _request(
    client: CMSClient, cursor: str | None, new_connection: bool = False
) -> tuple[str, str | None]:
    """One page of the sync as text, and the next page's URL if the CMS names it (Link)."""
    try:
        params = {"cursor": cursor} if cursor else None
        return client.get_text("sync/", params, new_connection)
    except CMSError as exc:
        code = exc.data.get("code") if isinstance(exc.data, dict) else None
        if cursor and exc.status in (400, 410) and code in ("invalid_cursor", "cursor_expired"):
            raise CursorRejected(f"{exc.status} {code}: {exc.data.get('message')}") from exc
        raise


def _decode(text: str, url: str) -> dict[str, Any]:
    """A sync page decoded; each item's ``data`` keeps its members' JSON text (stored as is)."""
    try:
        body = loads_keeping(text, ("items", EVERY, "data"))
    except (ValueError, RecursionError) as exc:  # also a number of 4,300+ digits, deep nesting
        raise CMSError(f"CMS API {url} did not return JSON ({exc})") from exc
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise CMSError(f"CMS API {url} did not answer a sync page (no items list)")
    return body
