"""Gather: read everything the build needs from the CMS API into plain data.

Requests, for a site of N pages: one for the site settings, ceil(N/500) for
the page tree, then, in parallel, ceil(N_t/200) per page type t with
``fields=*``, and ceil(n/500) each for authors and redirects. Never one
request per page.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from jamtail.content.client import CMSClient
from jamtail.exceptions import ContentError

log = logging.getLogger(__name__)

SLICE = 200  # pages per typed listing request
PARALLEL_REQUESTS = 4
# Keys of a v2 page item that are not fields of the page itself.
_ITEM_KEYS = {"id", "meta", "title"}


@dataclass
class Content:
    """Everything read from the CMS for one build (plain data, JSON-compatible but dates).

    ``pages`` are in page-tree order; each is a dict with ``id``, ``type`` (the
    model name, e.g. ``"ArticlePage"``), ``title``, ``slug``, ``url`` (path,
    e.g. ``"/blog/hello/"``), ``parent_url`` (``None`` for the home page),
    ``seo_title``, ``search_description``, ``first_published_at`` and the page
    type's API fields (``date`` parsed to :class:`datetime.date`).
    """

    settings: dict[str, Any]
    pages: list[dict[str, Any]]
    authors: list[dict[str, Any]] = field(default_factory=list)
    redirects: list[dict[str, Any]] = field(default_factory=list)
    site_origin: str = ""  # scheme://host of the CMS's page URLs, e.g. "http://localhost"


def gather(client: CMSClient) -> Content:
    """Fetch settings, pages, authors and redirects; raise ``CMSError``/``ContentError``."""
    settings = client.get_json("site-settings/")
    tree = list(client.iter_listing("pages/"))
    if not tree:
        raise ContentError("the CMS has no live pages: publish a home page first")
    # The tree tells how many pages each type has, so every slice of every
    # listing can be requested at once: a CMS with several workers serves them
    # in parallel, and our decoding overlaps its work.
    counts = Counter(item["meta"]["type"] for item in tree)
    slices = [
        ("pages/", {"type": page_type, "fields": "*", "offset": offset, "limit": SLICE})
        for page_type, count in sorted(counts.items())
        for offset in range(0, count, SLICE)
    ]
    with ThreadPoolExecutor(max_workers=PARALLEL_REQUESTS) as pool:
        typed = pool.map(lambda r: client.get_json(*r)["items"], slices)
        authors_job = pool.submit(lambda: list(client.iter_listing("authors/", {"fields": "*"})))
        redirects_job = pool.submit(lambda: list(client.iter_listing("redirects/")))
        by_id = {item["id"]: item for items in typed for item in items}
        authors, redirects = authors_job.result(), redirects_job.result()
    content = assemble(settings, [by_id.get(item["id"], item) for item in tree], authors, redirects)
    log.info(
        "gathered %d pages, %d authors, %d redirects",
        len(content.pages),
        len(content.authors),
        len(redirects),
    )
    return content


def assemble(
    settings: dict[str, Any],
    items: list[dict[str, Any]],
    authors: list[dict[str, Any]],
    redirects: list[dict[str, Any]],
) -> Content:
    """Build :class:`Content` from API items: ``items`` are v2 page items in tree order.

    Shared by :func:`gather` and :func:`jamtail.content.sync.sync_content`, so both
    give the same ``Content`` for the same CMS state.
    """
    origin = site_origin(items, settings.get("root_page_id"))
    pages = [normalise_page(item) for item in items]
    root_url = _root_url(pages, settings.get("root_page_id"))
    pages = [relative_to_root(page, root_url) for page in pages if page["url"] is not None]
    return Content(settings, pages, authors, redirects, origin)


def normalise_page(item: dict[str, Any]) -> dict[str, Any]:
    """Turn a v2 page item into the flat page dict described on :class:`Content`."""
    meta = item.get("meta", {})
    html_url = meta.get("html_url")
    page: dict[str, Any] = {
        "id": item["id"],
        "type": meta.get("type", "").rsplit(".", 1)[-1],
        "title": item.get("title", ""),
        "slug": meta.get("slug", ""),
        "url": urlsplit(html_url).path if html_url else None,
        "seo_title": meta.get("seo_title") or "",
        "search_description": meta.get("search_description") or "",
        "first_published_at": meta.get("first_published_at"),
    }
    for key, value in item.items():
        if key not in _ITEM_KEYS:
            page[key] = value
    if page.get("date"):
        try:
            page["date"] = dt.date.fromisoformat(page["date"])
        except (TypeError, ValueError) as exc:
            raise ContentError(
                f"page {page['id']} {page['title']!r} has an invalid date {page['date']!r}"
            ) from exc
    return page


def site_origin(tree: list[dict[str, Any]], root_page_id: int | None) -> str:
    """``scheme://host`` of the root page's URL among the API items ``tree`` (``""``: none)."""
    for item in tree:
        if item["id"] == root_page_id and item["meta"].get("html_url"):
            parts = urlsplit(item["meta"]["html_url"])
            return f"{parts.scheme}://{parts.netloc}"
    return ""


def _root_url(pages: list[dict[str, Any]], root_page_id: int | None) -> str:
    for page in pages:
        if page["id"] == root_page_id:
            return page["url"] or "/"
    return "/"


def relative_to_root(page: dict[str, Any], root_url: str) -> dict[str, Any]:
    """Make ``page["url"]`` relative to the site root (``root_url``, e.g. ``"/home/"``).

    Also sets ``page["parent_url"]`` (``None`` for the root). Changes and
    returns ``page``; used by the build and by draft previews alike.
    """
    url = page["url"]
    if root_url != "/" and url.startswith(root_url):
        url = "/" + url[len(root_url) :]
    page["url"] = url
    page["parent_url"] = None if url == "/" else url.rstrip("/").rsplit("/", 1)[0] + "/"
    return page
