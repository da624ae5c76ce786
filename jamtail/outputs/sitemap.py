"""``sitemap.xml`` per the Sitemaps protocol 0.9 (https://www.sitemaps.org/protocol.html).

Lists every published CMS page (and nothing else: no listings beyond page 1,
no tag pages), with ``<lastmod>`` as a W3C datetime. ``<loc>`` must be an
absolute URL: without a base URL in the site settings it is root-relative and
the build warns.

A sitemap may list at most 50,000 URLs (:data:`MAX_URLS`). A larger site gets
a sitemap index at ``sitemap.xml`` (what ``robots.txt`` names) listing
``sitemap-1.xml``, ``sitemap-2.xml``, ..., each of at most that many pages in
tree order, as Django's sitemaps framework splits them. The index has no
``<lastmod>`` (optional in the protocol), so a publish changes one part only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

from jamtail.plan.planner import SitePlan

log = logging.getLogger(__name__)
NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
INDEX = "sitemap.xml"
#: URLs one sitemap file may list (the protocol's limit).
MAX_URLS = 50_000


def build_sitemap(plan: SitePlan) -> list[tuple[str, bytes]]:
    """Return ``[("sitemap.xml", bytes)]``, or the index and its parts for a site of
    more than :data:`MAX_URLS` pages."""
    base = plan.site["base_url"]
    if not base:
        log.warning(
            "the site settings have no base URL: the sitemap's <loc> and the feeds' links "
            "are relative, pages have no canonical link, og:url or og:image, and robots.txt "
            "has no Sitemap line "
            "(the sitemap protocol needs absolute URLs). Set Settings > Site settings > "
            "Base URL in the CMS to the site's public address, e.g. https://example.org"
        )
    pages = plan.pages
    if len(pages) <= MAX_URLS:
        return [(INDEX, _urlset(base, pages))]
    parts = [
        (f"sitemap-{number}.xml", _urlset(base, pages[start : start + MAX_URLS]))
        for number, start in enumerate(range(0, len(pages), MAX_URLS), 1)
    ]
    index = ET.Element("sitemapindex", xmlns=NAMESPACE)
    for name, _ in parts:
        ET.SubElement(ET.SubElement(index, "sitemap"), "loc").text = f"{base}/{name}"
    return [(INDEX, _xml(index)), *parts]


def _urlset(base: str, pages: list[dict[str, Any]]) -> bytes:
    urlset = ET.Element("urlset", xmlns=NAMESPACE)
    for page in pages:
        url = ET.SubElement(urlset, "url")
        ET.SubElement(url, "loc").text = base + page["url"]
        stamp = lastmod(page)
        if stamp:
            ET.SubElement(url, "lastmod").text = stamp
    return _xml(urlset)


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def lastmod(page: dict[str, Any]) -> str | None:
    """A page's ``<lastmod>``: when it was last published (``None``: never)."""
    return page.get("last_published_at") or page.get("first_published_at")


def patch_sitemap(data: bytes, base: str, pages: Iterable[dict[str, Any]]) -> bytes | None:
    """``data`` (a sitemap this module wrote) with the ``<lastmod>`` of ``pages`` updated.

    For pages whose URL is unchanged. Gives the bytes :func:`build_sitemap`
    gives for the updated pages, or ``None`` when a page is not listed once
    with a ``<lastmod>`` (build the sitemap anew then).
    """
    text = data.decode("utf-8")
    for page in pages:
        stamp = lastmod(page)
        if not stamp:
            return None
        loc = re.escape(_loc(base, page))
        pattern = re.compile(f"({loc}\n\\s*<lastmod>)[^<]*(</lastmod>)")
        text, found = pattern.subn(lambda m: m[1] + escape(stamp) + m[2], text)  # noqa: B023
        if found != 1:
            return None
    return text.encode("utf-8")


def patch_sitemaps(
    files: dict[str, Path], base: str, pages: Iterable[dict[str, Any]]
) -> list[tuple[str, bytes | Path]] | None:
    """The sitemap's files (``path -> file`` of the last build) with the ``<lastmod>`` of
    ``pages`` updated, as :func:`patch_sitemap` does; a file that lists none of them is
    kept (its ``Path``). ``None`` when a page is not listed once."""
    todo = list(pages)
    result: list[tuple[str, bytes | Path]] = []
    for name, path in sorted(files.items()):
        if name == INDEX and len(files) > 1:  # the index lists the parts, not pages
            result.append((name, path))
            continue
        data = path.read_bytes()
        listed = [page for page in todo if _loc(base, page).encode("utf-8") in data]
        patched = patch_sitemap(data, base, listed) if listed else path
        if patched is None:
            return None
        result.append((name, patched))
        todo = [page for page in todo if not any(page is done for done in listed)]
    return None if todo else result


def _loc(base: str, page: dict[str, Any]) -> str:
    return f"<loc>{escape(base + page['url'])}</loc>"
