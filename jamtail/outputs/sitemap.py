"""``sitemap.xml`` per the Sitemaps protocol 0.9 (https://www.sitemaps.org/protocol.html).

Lists every published CMS page (and nothing else: no listings beyond page 1,
no tag pages), with ``<lastmod>`` as a W3C datetime. ``<loc>`` must be an
absolute URL: without a base URL in the site settings it is root-relative and
the build warns.
"""

from __future__ import annotations

import logging
from xml.etree import ElementTree as ET

from ..plan import SitePlan

log = logging.getLogger(__name__)
NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"


def build_sitemap(plan: SitePlan) -> list[tuple[str, bytes]]:
    """Return ``[("sitemap.xml", bytes)]``."""
    base = plan.site["base_url"]
    if not base:
        log.warning("site settings have no base URL: sitemap <loc> values are not absolute")
    urlset = ET.Element("urlset", xmlns=NAMESPACE)
    for page in plan.pages:
        url = ET.SubElement(urlset, "url")
        ET.SubElement(url, "loc").text = base + page["url"]
        lastmod = page.get("last_published_at") or page.get("first_published_at")
        if lastmod:
            ET.SubElement(url, "lastmod").text = lastmod
    ET.indent(urlset)
    return [("sitemap.xml", ET.tostring(urlset, encoding="utf-8", xml_declaration=True) + b"\n")]
