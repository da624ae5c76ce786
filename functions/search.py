"""``/api/search``: full-text search over the index the build wrote (see ``jamtail/search/``).

``handler(event, context)`` in the Lambda proxy format (payload 1.0, or 2.0
as Lambda function URLs send it: only the method and query are read, and
header names are matched in any case). Configuration, read
from the environment on every request:

- ``JAMTAIL_SEARCH_INDEX``: the index's ``index.json`` (default
  ``build/_search/index.json``; the tantivy index is beside it);
- ``JAMTAIL_SITE_DIR``: ``templates/`` and ``static/`` for the HTML results
  page (default ``site``).

Request: ``GET /api/search?q=TEXT&section=URL&tag=SLUG&page=N&format=json|html``.
Answers JSON (:meth:`SearchResults.as_json`: ``results`` of ``{title, url,
date, section, snippet}``, ``total``, ``page``, ``pages``, ``per_page``,
``took_ms``), or the site's own ``search.html`` page when ``format=html``
or, without ``format``, when the ``Accept`` header asks for ``text/html``
(a browser submitting the search form without JavaScript).

Errors are JSON ``{"code", "message"}`` (an HTML page for HTML requests):
400 for a query or parameter out of bounds, 405 for a method other than GET
and HEAD, 503 when the index is missing or unreadable. The index is only
read, and kept open in the process (:func:`current_index`): each request
checks ``index.json`` (one ``stat``) and, when a build replaced it, reopens
the index.
One log line per request (logger ``functions.search``, JSON: method, status,
ms, format, number of terms, total; never the query text).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jamtail.plan.planner import Output, paginate
from jamtail.render.assets import AssetManifest
from jamtail.render.renderer import Renderer
from jamtail.search.query import (
    IndexUnavailable,
    QueryError,
    SearchIndex,
    SearchResults,
    check_filter,
    check_page,
    check_query,
    filter_choices,
    open_index,
    search,
    stored_site,
)
from jamtail.security import CSP, secured
from jamtail.settings import Settings

from .adapter import Handler

log = logging.getLogger(__name__)
_OPEN: dict[Path, tuple[tuple[int, int, int, int], SearchIndex]] = {}
_OPEN_LOCK = threading.Lock()

DEFAULT_INDEX = "build/_search/index.json"
ENDPOINT = "/api/search"
JSON_CACHE = "public, max-age=60"
Response = tuple[int, dict[str, str], str]


def wants_html(event: dict[str, Any], query: dict[str, str]) -> bool:
    """``format=html``/``json`` decides; otherwise an ``Accept`` naming ``text/html``."""
    fmt = (query.get("format") or "").lower()
    if fmt in ("html", "json"):
        return fmt == "html"
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    return "text/html" in headers.get("accept", "")


def request_method(event: dict[str, Any]) -> str:
    """The HTTP method of a payload 1.0 event, or of a 2.0 one (what Lambda function URLs send)."""
    http = (event.get("requestContext") or {}).get("http") or {}
    return str(event.get("httpMethod") or http.get("method") or "GET").upper()


def make_handler(index_path: Path, site_dir: Path) -> Handler:
    """A search handler reading ``index_path``, rendering HTML with ``site_dir``."""

    def search_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        started = time.perf_counter()
        method = request_method(event)
        query = event.get("queryStringParameters") or {}
        html = wants_html(event, query)
        results: SearchResults | None = None
        if method not in ("GET", "HEAD"):
            status, headers, body = _error(405, "method_not_allowed", "use GET", False)
            headers["Allow"] = "GET, HEAD"
        else:
            try:
                status, headers, body, results = _answer(index_path, site_dir, query, html)
            except QueryError as exc:
                status, headers, body = _error(400, exc.code, str(exc), html)
                if html:
                    body = _error_page(index_path, site_dir, str(exc)) or body
            except IndexUnavailable as exc:
                log.error("search index unavailable: %s", exc)
                message = "Search is unavailable right now: the search index is missing."
                status, headers, body = _error(503, "index_unavailable", message, html)
                headers["Retry-After"] = "60"
        log.info(
            "%s",
            json.dumps(
                {
                    "function": "search",
                    "method": method,
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                    "format": "html" if html else "json",
                    "terms": len(results.terms) if results else None,
                    "total": results.total if results else None,
                }
            ),
        )
        return {"statusCode": status, "headers": headers, "body": body, "isBase64Encoded": False}

    return secured(search_handler)


def _answer(
    index_path: Path, site_dir: Path, query: dict[str, str], html: bool
) -> tuple[int, dict[str, str], str, SearchResults]:
    text = check_query(query.get("q"))
    page = check_page(query.get("page"))
    section = check_filter("section", query.get("section", ""))
    tag = check_filter("tag", query.get("tag", ""))
    index = current_index(index_path)
    results = search(index, text, section, tag, page)
    if not html:
        headers = {
            "Content-Type": "application/json",
            "Cache-Control": JSON_CACHE,
            "Vary": "Accept",
            "X-Content-Type-Options": "nosniff",
        }
        return 200, headers, json.dumps(results.as_json(), ensure_ascii=False), results
    sections, tags = filter_choices(index)
    body = render_results_page(site_dir, stored_site(index), results, sections, tags)
    return 200, _html_headers(), body, results


def current_index(path: Path) -> SearchIndex:
    """The index at ``path`` (its ``index.json``), kept open between requests.

    One ``stat`` of ``index.json`` per call: when the file is another one
    (a build or deploy replaced it), the index is reopened (a millisecond
    or two: tantivy maps the segments' files; files are replaced, never
    rewritten in place, so an open index never changes under a request
    still using it). Raises :class:`IndexUnavailable`
    when the index is missing or unreadable; nothing is kept then.
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        _OPEN.pop(path, None)
        raise IndexUnavailable(f"no search index at {path}: build the site first") from exc
    key = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)
    with _OPEN_LOCK:
        cached = _OPEN.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        try:
            index = open_index(path)
        except IndexUnavailable:
            _OPEN.pop(path, None)
            raise
        # The replaced index is unmapped when the last request using it lets go
        # of it (no explicit close: one may still be running).
        _OPEN[path] = (key, index)
        return index


def render_results_page(
    site_dir: Path,
    site: dict[str, Any],
    results: SearchResults | None,
    sections: list[dict[str, str]],
    tags: list[dict[str, str]],
    error: str = "",
) -> str:
    """The ``search.html`` page with ``results`` (or ``error``), rendered as the build does."""
    context: dict[str, Any] = {
        "page": {"id": None, "type": "SearchPage", "title": "Search", "url": "/search/"},
        "search": results,
        "search_sections": sections,
        "search_tags": tags,
        "search_error": error,
        "noindex": True,
    }
    if results is not None and results.pages > 1:
        context["pagination"] = _pagination(results)
    assets = AssetManifest(site_dir / "static")
    output = Output("search/index.html", "search.html", context, "search results")
    return Renderer(site_dir / "templates", site, assets.url).render(output)


def _pagination(results: SearchResults) -> dict[str, Any]:
    """The build's pagination dict, with links back to this function."""
    pages = paginate("/search/", results.total, results.per_page)
    current = pages[min(results.page, len(pages)) - 1]

    def link(number: int) -> str:
        params = {"q": results.query, "section": results.section, "tag": results.tag}
        kept = {k: v for k, v in params.items() if v}
        return f"{ENDPOINT}?{urlencode({**kept, 'page': number})}"

    current = {**current, "number": results.page}
    current["pages"] = [{"number": p["number"], "url": link(p["number"])} for p in pages]
    current["prev_url"] = link(results.page - 1) if results.page > 1 else None
    current["next_url"] = link(results.page + 1) if results.page < len(pages) else None
    current["has_prev"], current["has_next"] = bool(current["prev_url"]), bool(current["next_url"])
    return current


def _error_page(index_path: Path, site_dir: Path, message: str) -> str | None:
    """The site's search page showing ``message``; ``None`` when the index cannot be read."""
    try:
        index = current_index(index_path)
    except IndexUnavailable:
        return None
    sections, tags = filter_choices(index)
    return render_results_page(site_dir, stored_site(index), None, sections, tags, error=message)


def _html_headers() -> dict[str, str]:
    return {
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": JSON_CACHE,
        "Vary": "Accept",
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "X-Robots-Tag": "noindex",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }


def _error(status: int, code: str, message: str, html: bool) -> Response:
    if html:
        # A plain page: the reader's own words are escaped; no template needed
        # (the index, and with it the site's name and navigation, may be missing).
        from html import escape

        body = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Search error {status}</title></head><body><main>"
            f"<h1>Search error</h1><p>{escape(message)}</p>"
            '<p><a href="/search/">Back to search</a></p></main></body></html>'
        )
        headers = {**_html_headers(), "Cache-Control": "no-store"}
        return status, headers, body
    headers = {
        "Content-Type": "application/json",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return status, headers, json.dumps({"code": code, "message": message})


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The deployed entry point: configured by the environment (module docstring)."""
    settings = Settings.from_environ()
    index = settings.functions.search_index or Path(DEFAULT_INDEX)
    return make_handler(index, settings.site_dir)(event, context)
