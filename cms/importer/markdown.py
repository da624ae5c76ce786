"""Markdown -> StreamField blocks of ``BodyBlock`` (cms/content/blocks.py), as raw data.

Pure: no database access. Links and images are resolved through a
:class:`Resolver` the caller provides, so the same code serves planning
(collect references) and importing (ids of pages, images, documents).

``markdown_to_blocks(tokens, resolver)`` returns ``[{"type", "value"}]`` where

=============  ===============================================================
``heading``    ``{"text": str, "level": "2"|"3"|"4", "anchor": str}``
               (h1 -> 2, deeper than h4 -> 4; ``{#anchor}`` -> anchor, else the
               id the old site's renderer gave it: :mod:`anchors`)
``paragraph``  Wagtail database rich text; consecutive paragraphs, lists, rules
               and inline HTML merge into one block
``image``      ``{"image": int, "alt": str, "caption": str}`` for a paragraph
               that is only local images (each optionally inside a link)
``code``       ``{"language": str, "code": str}`` (first word of the info string)
``quote``      ``{"text": rich text, "attribution": str}`` (a trailing
               ``— Name`` / ``-- Name`` line becomes the attribution)
``table``      ``{"columns": [{"type": "text"|"text_left"|"text_center"|"text_right",
               "heading": inline Markdown}],
               "rows": [{"values": [rich text]}], "caption": ""}``
``raw_html``   the HTML block, local ``<img src>`` pointed at the library file
``footnotes``  ``[{"anchor": "fn-LABEL", "text": rich text}]``, last, if any
``definitions`` ``[{"term": inline Markdown, "anchor": str, "definition": rich
               text}]`` for a definition list (``Term`` then ``: Definition``),
               parsed where the family's renderer has them (``parse_markdown``)
=============  ===============================================================

Rich text links: ``<a linktype="page" id="N">`` (``fragment="F"`` for ``#F``),
``<a linktype="document" id="N">`` or ``<a href="...">``; local images in text become
``<embed embedtype="image" .../>``; external images a link to them;
footnote references ``<sup><a href="#fn-LABEL">N</a></sup>``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape, unescape
from typing import Any, Protocol
from urllib.parse import urlsplit

from linkify_it import LinkifyIt
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin

from jamtail.render.highlight import highlight_code

from .anchors import HeadingIds
from .sanitise import sanitise_html

_ANCHOR = re.compile(r"\s*\{#([^\s}]+)[^}]*\}\s*$")
_ATTRIBUTION = re.compile(r"^\s*(?:\u2014|\u2015|\u2013|--)\s*(\S.*)$")
_IMG_SRC = re.compile(r"""(<img\b[^>]*?\bsrc\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_IMG_ALT = re.compile(r"""(\balt\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_A_HREF = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_OTHER_SRC = re.compile(
    r"""(<(?:script|source|video|audio|iframe)\b[^>]*?\bsrc\s*=\s*)(["'])(.*?)\2""",
    re.IGNORECASE | re.DOTALL,
)
_CONTAINERS = {
    "bullet_list_open": "bullet_list_close",
    "ordered_list_open": "ordered_list_close",
    "blockquote_open": "blockquote_close",
    "table_open": "table_close",
    "paragraph_open": "paragraph_close",
    "heading_open": "heading_close",
    "footnote_block_open": "footnote_block_close",
    "dl_open": "dl_close",
    "dt_open": "dt_close",
    "dd_open": "dd_close",
}


# A definition list inside rich text (a quote, a list item, a section's intro), which
# Wagtail's editor has no element for: each term a bold paragraph, then its definition.
_DEFINITION_TAGS = {
    "dl_open": "",
    "dl_close": "",
    "dt_open": "<p><b>",
    "dt_close": "</b></p>",
}


@dataclass(frozen=True)
class LinkTarget:
    """A link the resolver recognised: ``kind`` is ``"page"`` or ``"document"``."""

    kind: str
    id: int

    def opening_tag(self, href: str) -> str:
        """Wagtail's database form of a link to this target, written as ``href``.

        Wagtail's page links have no fragment (wagtail/wagtail#1049), so a
        page link's ``#fragment`` is kept in a ``fragment`` attribute, which
        ``cms/content/links.py`` appends to the page's path and the editor keeps.
        """
        fragment = urlsplit(href).fragment if self.kind == "page" else ""
        extra = f' fragment="{escape(fragment)}"' if fragment else ""
        return f'<a linktype="{self.kind}" id="{self.id}"{extra}>'


@dataclass(frozen=True)
class ImageTarget:
    """A local image in Wagtail's library: its id and the original file's URL."""

    id: int
    url: str


MISSING_IMAGE = ImageTarget(-1, "")
"""What a resolver answers for a local image that does not exist: its alt text takes its place."""


class Resolver(Protocol):
    """Answers for the links and images of one source file."""

    def link(self, href: str) -> LinkTarget | None:
        """The page or document ``href`` points to, or ``None`` to keep the href."""

    def image(self, src: str, alt: str) -> ImageTarget | None:
        """The library image for a local ``src``; ``None`` for an external one.

        ``MISSING_IMAGE`` when a local image is missing (the alt text is kept).
        """

    def file_url(self, href: str) -> str | None:
        """The library URL (image or document file) of a local file, for raw HTML links."""


MAX_NESTING = 1000
"""markdown-it drops text nested deeper than this (its default, 20, lost lists past 9 levels)."""

LANGUAGE_ALIASES = {
    "mjs": "javascript",
    "cjs": "javascript",
    "jsonc": "json",
    "json-with-comments": "json",
    "plaintext": "text",
    "txt": "text",
    "plain": "text",
    "sh-session": "console",
    "shellsession": "console",
    "terminal": "console",
    "go-html-template": "html+django",
    "go-text-template": "django",
    "gotmpl": "django",
    "svelte": "html",
    "mdx": "markdown",
    "nushell": "shell",
}
"""Fence languages Pygments has no lexer for -> the nearest one it has (lower case)."""


class _SchemaLinkify(LinkifyIt):
    """linkify-it that links only URLs with a scheme (``https://``, ``mailto:``, ``//``).

    Its pretest still looks for fuzzy links and e-mail addresses with one large regex on
    every paragraph (a sixth of parsing a long post); every link a scheme finds holds a
    ``:`` or ``//``, so text with neither cannot hold one.
    """

    def pretest(self, text: str) -> bool:
        return (":" in text or "//" in text) and super().pretest(text)


def _make_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"linkify": True, "maxNesting": MAX_NESTING})
    md.enable(["table", "strikethrough", "linkify"])
    md.linkify = _SchemaLinkify().set({"fuzzy_link": False, "fuzzy_email": False})
    return md.use(footnote_plugin)


_MD = _make_parser()
_MD_DEFINITIONS = _make_parser().use(deflist_plugin)


def parse_markdown(text: str, definition_lists: bool = False) -> list[Token]:
    """Tokenise ``text`` once; reference-style links are resolved by markdown-it.

    ``definition_lists``: read ``Term`` then ``: Definition`` as a definition list
    (PHP Markdown Extra's syntax, which Hugo, kramdown and Python-Markdown's
    ``def_list`` follow); CommonMark reads it as a paragraph.
    """
    return (_MD_DEFINITIONS if definition_lists else _MD).parse(text, {})


def referenced_urls(tokens: Sequence[Token]) -> tuple[list[str], list[str]]:
    """Return ``(image srcs, link hrefs)`` used anywhere in ``tokens``, HTML ``<img>`` too."""
    images: list[str] = []
    links: list[str] = []
    for token in _walk(tokens):
        if token.type == "image":
            images.append(str(token.attrGet("src") or ""))
        elif token.type == "link_open":
            links.append(str(token.attrGet("href") or ""))
        elif token.type in ("html_block", "html_inline"):
            images.extend(m.group(3) for m in _IMG_SRC.finditer(token.content))
            links.extend(m.group(3) for m in _A_HREF.finditer(token.content))
    return images, links


def markdown_to_blocks(
    tokens: Sequence[Token],
    resolver: Resolver,
    trust_html: bool = False,
    heading_ids: HeadingIds | None = None,
) -> list[dict[str, Any]]:
    """Convert parsed Markdown to raw ``BodyBlock`` data (see the module docstring).

    Unless ``trust_html``, a body with inline HTML has its HTML-bearing blocks
    (paragraphs, quotes, table cells, footnotes, ``raw_html``) passed through
    :func:`sanitise.sanitise_html`. ``heading_ids`` (a fresh one per page) names
    headings without an ``{#anchor}``; without it their anchor is ``""``.
    """
    tokens = list(tokens)
    sanitise = not trust_html and has_inline_html(tokens)
    return _BlockWriter(resolver, sanitise, heading_ids or HeadingIds("")).write(tokens)


def markdown_to_rich_text(
    tokens: Sequence[Token], resolver: Resolver, trust_html: bool = False
) -> str:
    """Convert parsed Markdown to one piece of Wagtail rich text (e.g. a section intro)."""
    body = [t for t in tokens if not t.type.startswith("footnote_")]
    html = _RichText(resolver).render(body)
    return sanitise_html(html) if not trust_html and has_inline_html(body) else html


def has_inline_html(tokens: Sequence[Token]) -> bool:
    """True when the Markdown holds HTML of its own (blocks or inline tags)."""
    return any(t.type in ("html_block", "html_inline") for t in _walk(tokens))


def code_language(info: str) -> str:
    """The Pygments language of a fence info string: ``"mjs {1,3}"`` -> ``"javascript"``."""
    word = re.split(r"[\s,{]", info.strip(), maxsplit=1)[0] if info else ""
    return LANGUAGE_ALIASES.get(word.lower(), word)[:50]


def _walk(tokens: Sequence[Token]) -> Any:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


_ALIGN_TYPES = {"left": "text_left", "center": "text_center", "right": "text_right"}


def _column_type(th_open: Token) -> str:
    """The table column type of a GFM header cell: its alignment (``style="text-align:X"``)."""
    style = str(th_open.attrGet("style") or "")
    align = style.partition("text-align:")[2].strip().rstrip(";")
    return _ALIGN_TYPES.get(align, "text")


def _plain(inline: Token) -> str:
    parts = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts).strip()


def _footnote_anchor(meta: dict[str, Any]) -> str:
    label = meta.get("label") or str(meta["id"] + 1)
    return "fn-" + re.sub(r"[^\w-]+", "-", label)


class _RichText(RendererHTML):
    """markdown-it's HTML renderer, emitting Wagtail's database rich-text format."""

    def __init__(self, resolver: Resolver) -> None:
        super().__init__()
        self.resolver = resolver

    def render(self, tokens: Sequence[Token], options: Any = None, env: Any = None) -> str:
        return super().render(tokens, options or _MD.options, env if env is not None else {})

    def inline(self, children: Sequence[Token]) -> str:
        return self.renderInline(children, _MD.options, {})

    def renderToken(self, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        token = tokens[idx]
        if token.type == "link_open":
            return self._link_open(token)
        if token.type in ("em_open", "em_close", "strong_open", "strong_close"):
            tag = "i" if token.type.startswith("em") else "b"
            return f"<{tag}>" if token.nesting == 1 else f"</{tag}>"
        if token.type == "footnote_ref":
            n = token.meta["id"] + 1
            return f'<sup><a href="#{_footnote_anchor(token.meta)}">{n}</a></sup>'
        if token.type == "footnote_anchor":
            return ""
        if token.type in ("dd_open", "dd_close"):  # its text in a paragraph of its own
            near = tokens[idx + 1] if token.type == "dd_open" else tokens[idx - 1]
            if not (near.type.startswith("paragraph_") and near.hidden):
                return ""
            return "<p>" if token.type == "dd_open" else "</p>"
        if token.type in _DEFINITION_TAGS:  # a nested list: rich text has no <dl>
            return _DEFINITION_TAGS[token.type]
        return super().renderToken(tokens, idx, options, env)

    def _link_open(self, token: Token) -> str:
        href = str(token.attrGet("href") or "")
        target = self.resolver.link(href)
        if target is not None:
            return target.opening_tag(href)
        return f'<a href="{escape(href)}">'

    def image(self, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        token = tokens[idx]
        src = str(token.attrGet("src") or "")
        alt = self.renderInlineAsText(token.children or [], options, env)
        target = self.resolver.image(src, alt)
        if target is None:
            return f'<a href="{escape(src)}">{escape(alt or src)}</a>'
        if target is MISSING_IMAGE:
            return escape(alt)
        return f'<embed embedtype="image" id="{target.id}" format="fullwidth" alt="{escape(alt)}"/>'

    def fence(self, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        """Code inside rich text (a list item, a quote): highlighted here, as code blocks are."""
        token = tokens[idx]
        return highlight_code(token.content.rstrip("\n"), code_language(token.info))

    def html_inline(self, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        return _rewrite_local_refs(tokens[idx].content, self.resolver)

    def html_block(self, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        return _rewrite_local_refs(tokens[idx].content, self.resolver)


def _rewrite_local_refs(html: str, resolver: Resolver) -> str:
    """Point ``<img src>``, ``<a href>`` and other ``src`` of raw HTML at library files.

    Raw HTML is stored as it is (Wagtail does not expand references in it), so
    local files get their final URLs here: images their original file, other
    files their document.
    """

    def image(match: re.Match[str]) -> str:
        tag = match.group(0)
        src = _IMG_SRC.search(tag)
        if src is None:
            return tag
        alt = _IMG_ALT.search(tag)
        target = resolver.image(src.group(3), alt.group(3) if alt else "")
        if target is None:
            return tag
        if target is MISSING_IMAGE:
            return escape(unescape(alt.group(3))) if alt else ""
        return tag[: src.start(3)] + escape(target.url) + tag[src.end(3) :]

    def link(match: re.Match[str]) -> str:
        url = resolver.file_url(match.group(3))
        if not url:
            return match.group(0)
        return f"{match.group(1)}{match.group(2)}{url}{match.group(2)}"

    html = _IMG_TAG.sub(image, html)
    return _OTHER_SRC.sub(link, _A_HREF.sub(link, html))


class _BlockWriter:
    """Walks top-level tokens, emitting blocks; rich text accumulates in ``pending``."""

    def __init__(self, resolver: Resolver, sanitise: bool, heading_ids: HeadingIds) -> None:
        self.resolver = resolver
        self.heading_ids = heading_ids
        self.clean = sanitise_html if sanitise else (lambda html: html)
        self.html = _RichText(resolver)
        self.blocks: list[dict[str, Any]] = []
        self.pending: list[str] = []
        self.footnotes: list[dict[str, str]] = []

    def write(self, tokens: list[Token]) -> list[dict[str, Any]]:
        i = 0
        while i < len(tokens):
            end = _close_index(tokens, i)
            self.block(tokens[i : end + 1])
            i = end + 1
        self.flush()
        if self.footnotes:
            self.blocks.append({"type": "footnotes", "value": self.footnotes})
        return self.blocks

    def emit(self, type_: str, value: Any) -> None:
        self.flush()
        self.blocks.append({"type": type_, "value": value})

    def flush(self) -> None:
        html = self.clean("".join(self.pending).strip())
        if html:
            self.blocks.append({"type": "paragraph", "value": html})
        self.pending = []

    def block(self, group: list[Token]) -> None:
        first = group[0]
        if first.type == "heading_open":
            self.heading(first, group[1])
        elif first.type in ("fence", "code_block"):
            language = code_language(first.info)
            self.emit("code", {"language": language, "code": first.content.rstrip("\n")})
        elif first.type == "html_block":
            html = self.clean(_rewrite_local_refs(first.content, self.resolver).rstrip("\n"))
            if html.strip():
                self.emit("raw_html", html)
        elif first.type == "blockquote_open":
            self.quote(group[1:-1])
        elif first.type == "table_open":
            self.emit("table", self.table(group))
        elif first.type == "footnote_block_open":
            self.collect_footnotes(group)
        elif first.type == "dl_open":
            self.emit("definitions", self.definitions(group[1:-1]))
        elif first.type == "paragraph_open" and self.image_paragraph(group[1]):
            return
        else:
            self.pending.append(self.html.render(group))

    def heading(self, opening: Token, inline: Token) -> None:
        text = _plain(inline)
        match = _ANCHOR.search(text)
        if match:
            anchor, text = match.group(1), text[: match.start()].rstrip()
            self.heading_ids.reserve(anchor)
        else:
            anchor = self.heading_ids(text, inline.content.strip())
        level = min(max(int(opening.tag[1]), 2), 4)
        self.emit("heading", {"text": text[:255], "level": str(level), "anchor": anchor[:255]})

    def definitions(self, inner: list[Token]) -> list[dict[str, str]]:
        """A definition list's items: each term with the definitions after it, merged."""
        items: list[dict[str, str]] = []
        i = 0
        while i < len(inner):
            end = _close_index(inner, i)
            if inner[i].type == "dt_open":
                inline = inner[i + 1]
                term = inline.content.strip()[:500]
                anchor = self.heading_ids.term(_plain(inline), inline.content)
                items.append({"term": term, "anchor": anchor, "definition": ""})
            elif inner[i].type == "dd_open" and items:
                items[-1]["definition"] += self.clean(self.html.render(inner[i + 1 : end]).strip())
            i = end + 1
        return items

    def image_paragraph(self, inline: Token) -> bool:
        """Emit image blocks if the paragraph holds only local images; else do nothing."""
        images: list[Token] = []
        for child in inline.children or []:
            if child.type in ("softbreak", "hardbreak", "link_open", "link_close"):
                continue
            if child.type == "text" and not child.content.strip():
                continue
            if child.type != "image":
                return False
            images.append(child)
        if not images or any(not is_local_url(str(i.attrGet("src") or "")) for i in images):
            return False
        for token in images:
            alt = self.html.renderInlineAsText(token.children or [], _MD.options, {})
            target = self.resolver.image(str(token.attrGet("src") or ""), alt)
            if target is None:
                return False
            if target is MISSING_IMAGE:
                if alt:
                    self.pending.append(f"<p>{escape(alt)}</p>")
                continue
            caption = str(token.attrGet("title") or "")
            self.emit("image", {"image": target.id, "alt": alt[:500], "caption": caption[:1000]})
        return True

    def quote(self, inner: list[Token]) -> None:
        attribution = ""
        last_inline = _last_paragraph_inline(inner)
        if last_inline is not None:
            children = last_inline.children or []
            cut = max(
                (i for i, c in enumerate(children) if c.type in ("softbreak", "hardbreak")),
                default=-1,
            )
            tail = Token("inline", "", 0, children=children[cut + 1 :])
            match = _ATTRIBUTION.match(_plain(tail))
            if match:
                attribution = match.group(1).strip()[:255]
                if cut >= 0:
                    last_inline.children = children[:cut]
                else:
                    inner = _drop_last_paragraph(inner)
        text = self.clean(self.html.render(inner).strip())
        self.emit("quote", {"text": text, "attribution": attribution})

    def table(self, group: list[Token]) -> dict[str, Any]:
        headings: list[str] = []
        types: list[str] = []
        rows: list[list[str]] = []
        in_head = False
        for i, token in enumerate(group):
            if token.type == "thead_open":
                in_head = True
            elif token.type == "thead_close":
                in_head = False
            elif token.type == "th_open" and in_head:
                types.append(_column_type(token))
            elif token.type == "tr_open" and not in_head:
                rows.append([])
            elif token.type == "inline" and group[i - 1].type in ("th_open", "td_open"):
                if in_head:
                    # The heading keeps its inline Markdown (the table block renders it).
                    headings.append(" ".join(token.content.split()))
                else:
                    cell = self.clean(self.html.inline(token.children or []))
                    rows[-1].append(f"<p>{cell}</p>" if cell.strip() else "")
        width = len(headings)
        return {
            "caption": "",
            "columns": [{"type": t, "heading": h} for t, h in zip(types, headings, strict=True)],
            "rows": [{"values": (r + [""] * width)[:width]} for r in rows],
        }

    def collect_footnotes(self, group: list[Token]) -> None:
        start = 0
        for i, token in enumerate(group):
            if token.type == "footnote_open":
                start = i
            elif token.type == "footnote_close":
                text = self.clean(self.html.render(group[start + 1 : i]).strip())
                self.footnotes.append({"anchor": _footnote_anchor(group[start].meta), "text": text})


def _close_index(tokens: list[Token], start: int) -> int:
    """Index of the token closing the block opened at ``start`` (itself if self-contained)."""
    closing = _CONTAINERS.get(tokens[start].type)
    if closing is None:
        return start
    depth = 0
    for i in range(start, len(tokens)):
        if tokens[i].type == tokens[start].type:
            depth += 1
        elif tokens[i].type == closing:
            depth -= 1
            if depth == 0:
                return i
    return len(tokens) - 1


def _last_paragraph_inline(inner: list[Token]) -> Token | None:
    if len(inner) >= 3 and inner[-1].type == "paragraph_close" and inner[-2].type == "inline":
        return inner[-2]
    return None


def _drop_last_paragraph(inner: list[Token]) -> list[Token]:
    return inner[:-3]


def is_local_url(url: str) -> bool:
    """True for a relative or site-absolute path; False for URLs with a scheme or ``//``."""
    return bool(url) and not re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*:|//|#)", url)
