"""A comment's Markdown to safe HTML: a small Markdown subset, then an nh3 allow-list.

Used by ``functions/comments.py`` before a comment is forwarded, and again by
the CMS when it stores a comment and when its API serves one (defence in depth:
the HTML that reaches a page is cleaned wherever it crosses a boundary).

The Markdown subset (markdown-it-py, CommonMark): paragraphs, line breaks,
emphasis, strong, inline code, fenced and indented code, block quotes, lists
and links. Raw HTML is not Markdown here: it is escaped as text. Images,
headings, tables and autolinks are off.

The HTML allow-list: ``p br em strong code pre blockquote ul ol li a``; the
only attribute is ``a[href]``, and only with an ``http``, ``https`` or
``mailto`` URL (relative and every other scheme are dropped); every link gets
``rel="nofollow ugc noopener"``. Everything else is stripped (its text kept),
and the content of ``script``/``style`` is removed with the tag.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {"p", "br", "em", "strong", "code", "pre", "blockquote", "a", "ul", "ol", "li"}
ALLOWED_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener"
_MARKDOWN_RULES = [
    "paragraph",
    "newline",
    "escape",
    "entity",
    "text",
    "emphasis",
    "backticks",
    "fence",
    "code",
    "blockquote",
    "list",
    "link",
]

_DEAD_LINK = re.compile(f'<a rel="{LINK_REL}">(.*?)</a>', re.DOTALL)
_markdown = MarkdownIt("zero", {"html": False, "breaks": True}).enable(_MARKDOWN_RULES)


def _absolute_links_only(tag: str, attribute: str, value: str) -> str | None:
    """nh3 attribute filter: keep ``href`` only when it names an allowed scheme."""
    if tag == "a" and attribute == "href":
        scheme, colon, _ = value.strip().partition(":")
        if not colon or scheme.lower() not in ALLOWED_SCHEMES:
            return None
    return value


def clean_html(html: str) -> str:
    """``html`` reduced to the allow-list in the module docstring (idempotent).

    A link whose address was dropped is unwrapped to its text: an ``a`` with a
    ``rel`` but no ``href`` is not valid HTML, and it links nowhere anyway.
    """
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes={"a": {"href"}},
        attribute_filter=_absolute_links_only,
        url_schemes=ALLOWED_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    ).strip()
    # nh3's output is normalised and anchors cannot nest, so the first </a> closes it.
    return _DEAD_LINK.sub(r"\1", cleaned)


def render_comment(markdown: str) -> str:
    """The safe HTML of a comment written in the Markdown subset (module docstring)."""
    return clean_html(_markdown.render(markdown))
