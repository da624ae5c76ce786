"""Imported HTML made safe: nh3 (the ammonia HTML sanitiser) with an allow-list.

Shared by every importer (Markdown inline HTML here, WordPress post HTML
elsewhere). ``sanitise_html(html)`` returns the HTML with only the tags and
attributes below; scripts, event handlers (``onerror``, ``onload``...),
``<style>``, ``<iframe>``, ``<object>``, forms and ``javascript:``/``data:``
URLs are removed, their text kept where they had any. Wagtail's own rich-text
references survive: ``<a linktype="page" id="3">`` and ``<embed embedtype=
"image" .../>``. See docs/security.md for the trust model (``--trust-html``).
"""

from __future__ import annotations

import nh3

ALLOWED_TAGS = set(nh3.ALLOWED_TAGS) | {
    "embed",
    "details",
    "summary",
    "figure",
    "figcaption",
    "picture",
    "source",
    "video",
    "audio",
    "track",
    "mark",
    "kbd",
    "samp",
    "var",
    "time",
    "aside",
    "section",
    "nav",
    "header",
    "footer",
    "article",
}
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"title", "lang", "dir", "class", "id"},
    "a": {"href", "linktype", "id", "fragment", "name", "hreflang", "rel", "target"},
    "embed": {"embedtype", "id", "format", "alt", "url"},
    "img": {"src", "alt", "width", "height", "loading", "srcset", "sizes"},
    "source": {"src", "srcset", "type", "media", "sizes"},
    "video": {"src", "controls", "width", "height", "poster", "loop", "muted", "playsinline"},
    "audio": {"src", "controls", "loop", "muted"},
    "track": {"src", "kind", "srclang", "label", "default"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "time": {"datetime"},
    "details": {"open"},
    "abbr": {"title"},
    "code": {"class"},
    "span": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


# One cleaner for every call: nh3.clean() builds its allow-list again each time.
_CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=URL_SCHEMES,
    link_rel=None,
    strip_comments=True,
)


def sanitise_html(html: str) -> str:
    """``html`` with everything outside the allow-list removed (never raises on bad HTML)."""
    return _CLEANER.clean(html)
