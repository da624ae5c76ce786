"""``sitemap.xml`` per the Sitemaps protocol 0.9 (https://www.sitemaps.org/protocol.html).

Lists every published CMS page (and nothing else: no listings beyond page 1,
no tag pages), with ``<lastmod>`` as a W3C datetime. ``<loc>`` must be an
absolute URL: without a base URL in the site settings it is root-relative and
the build warns.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

from jamtail.plan.planner import SitePlan

log = logging.getLogger(__name__)
NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"


def build_sitemap(plan: SitePlan) -> list[tuple[str, bytes]]:
    """Return ``[("sitemap.xml", bytes)]``."""
    base = plan.site["base_url"]
    if not base:
        log.warning(
            "the site settings have no base URL: the sitemap's <loc> and the feeds' links "
            "are relative, pages have no canonical link, og:url or og:image, and robots.txt "
            "has no Sitemap line "
            "(the sitemap protocol needs absolute URLs). Set Settings > Site settings > "
            "Base URL in the CMS to the site's public address, e.g. https://example.org"
        )
    urlset = ET.Element("urlset", xmlns=NAMESPACE)
    for page in plan.pages:
        url = ET.SubElement(urlset, "url")
        ET.SubElement(url, "loc").text = base + page["url"]
        stamp = lastmod(page)
        if stamp:
            ET.SubElement(url, "lastmod").text = stamp
    ET.indent(urlset)
    return [("sitemap.xml", ET.tostring(urlset, encoding="utf-8", xml_declaration=True) + b"\n")]


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
        loc = re.escape(f"<loc>{escape(base + page['url'])}</loc>")
        pattern = re.compile(f"({loc}\n\\s*<lastmod>)[^<]*(</lastmod>)")
        text, found = pattern.subn(lambda m: m[1] + escape(stamp) + m[2], text)  # noqa: B023
        if found != 1:
            return None
    return text.encode("utf-8")
