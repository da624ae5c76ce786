"""Plain text of a page for the search index: no markup, no scripts, one space between words.

``page_text(page)`` reads the page dict as :mod:`jamtail.content.gather` gives it:
rich text fields (``intro``) are HTML, ``body`` is a StreamField as a list of
``{"type", "value"}`` blocks (see ``cms/content/blocks.py``):

==============  ==========================================================
``paragraph``   rich text HTML
``heading``     ``{"text", "level", "anchor"}``
``code``        ``{"language", "code"}`` (kept: readers search for APIs)
``quote``       ``{"text": rich text, "attribution"}``
``table``       ``{"caption", "columns": [{"heading"}], "rows": [{"values"}]}``
``image``       ``{"image", "alt", "caption"}``: alt text and caption
``embed``       ``{"url", "title", "html"}``: the title only
``raw_html``    HTML; ``<script>``/``<style>`` content is dropped
``footnotes``   ``[{"anchor", "text": rich text}]``
``definitions`` ``[{"term", "term_html", "anchor", "definition": rich text}]``
==============  ==========================================================

An unknown block type contributes the strings found in its value, so a new
block type is searchable before anyone teaches this module about it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from typing import Any

_SPACE = re.compile(r"\s+")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
    "table", "blockquote", "pre", "section", "article", "figure", "figcaption", "dt", "dd", "hr",
}  # fmt: skip


# Block types whose text never shows a URL: their HTML's tags are dropped and their
# other fields are plain text (see block_text).
_URL_FREE = frozenset(
    {
        "paragraph", "raw_html", "heading", "quote", "image", "embed", "table", "footnotes",
        "definitions",
    }
)  # fmt: skip


def clean(text: str) -> str:
    """``text`` with control characters removed and whitespace collapsed."""
    return _SPACE.sub(" ", _CONTROL.sub(" ", text or "")).strip()


# Regular expressions rather than an HTML parser: rich text from the CMS is
# well-formed, and this is ten times faster on a large site. What a parser
# would add (recovering from broken markup) costs words at worst, never safety:
# the index holds text, and snippets are escaped when shown.
_SKIPPED = re.compile(
    r"<(script|style|template|noscript)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL
)
_ALT = re.compile(r"""<img\b[^>]*?\balt\s*=\s*(?:"([^"]*)"|'([^']*)')[^>]*>""", re.IGNORECASE)
_BLOCK = re.compile(rf"</?(?:{'|'.join(sorted(_BLOCK_TAGS))})\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][^>]*>")


def html_text(html: str) -> str:
    """The text of an HTML fragment (rich text, raw HTML), cleaned as :func:`clean` does.

    Scripts, styles, templates and comments are dropped; an image gives its
    alt text; block elements separate words, inline ones do not.
    """
    if not html:
        return ""
    if "<" not in html and "&" not in html:
        return clean(html)
    text = _SKIPPED.sub(" ", html)
    text = _ALT.sub(lambda m: f" {m.group(1) or m.group(2) or ''} ", text)
    text = _TAG.sub("", _BLOCK.sub(" ", text))
    return clean(unescape(text))


def _strings(value: Any) -> list[str]:
    """Every string inside ``value`` (dicts and lists walked in order)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def block_text(block: dict[str, Any]) -> str:
    """The plain text of one StreamField block (table in the module docstring)."""
    kind, value = block.get("type"), block.get("value")
    if value is None:
        return ""
    if kind in ("paragraph", "raw_html"):
        return html_text(str(value))
    if kind == "heading":
        return clean(value.get("text", ""))
    if kind == "code":
        return clean(value.get("code", ""))
    if kind == "quote":
        return clean(f"{html_text(value.get('text', ''))} {value.get('attribution') or ''}")
    if kind == "image":
        return clean(f"{value.get('alt') or ''} {value.get('caption') or ''}")
    if kind == "embed":
        return clean(value.get("title") or "")
    if kind == "table":
        cells = [value.get("caption") or ""]
        cells += [c.get("heading") or "" for c in value.get("columns") or []]
        cells += [html_text(v) for row in value.get("rows") or [] for v in row.get("values", [])]
        return clean(" ".join(cells))
    if kind == "footnotes":
        return clean(" ".join(html_text(n.get("text", "")) for n in value))
    if kind == "definitions":
        return clean(
            " ".join(f"{d.get('term', '')} {html_text(d.get('definition', ''))}" for d in value)
        )
    return html_text(" ".join(_strings(value)))


def page_text(page: dict[str, Any], body: list[str] | None = None) -> str:
    """The body text of a page: its intro (rich text) then every block of ``body``.

    ``body``: the page's :func:`body_parts` when already known (then the
    body is not read).
    """
    parts = [html_text(page.get("intro") or "")]
    parts += body_parts(page.get("body")) if body is None else body
    # Each part is already clean (no control characters, single spaces, no space at
    # either end), so joining the non-empty ones with one space is too: cleaning the
    # whole text again cost 3 s of a 10k-page build.
    return " ".join(p for p in parts if p)


def body_parts(body: Any, localise: Callable[[Any], Any] | None = None) -> list[str]:
    """The text of each block of a StreamField ``body`` (or of a rich text string).

    ``localise``: what makes a block's media URLs those of the built site (the
    build's :class:`~jamtail.content.media.MediaLocaliser`), applied only to the
    blocks whose text may show a URL (code, and types this module does not
    know): walking every block cost a fifth of a first build's search text.
    """
    if isinstance(body, list):
        return [
            block_text(b if localise is None or b.get("type") in _URL_FREE else localise(b))
            for b in body
            if isinstance(b, dict)
        ]
    if isinstance(body, str):
        return [html_text(body)]
    return []
