"""A WordPress post's content -> StreamField blocks of ``BodyBlock`` (raw data). Pure.

Three layers, as WordPress renders them (``the_content`` filters):

1. Gutenberg block comments ``<!-- wp:name {json} -->...<!-- /wp:name -->``, split
   as WordPress's block parser does (``wp-includes/class-wp-block-parser.php``);
   each core block maps to the matching block, containers (columns, group) are
   flattened, content outside blocks is classic HTML.
2. Shortcodes (``[caption]``, ``[gallery]``, ``[embed]``, ``[audio]``, ``[video]``,
   Jetpack's ``[wpvideo]``/``[youtube]``/``[vimeo]``/``[tweet]``), parsed with
   WordPress's attribute grammar (``shortcode_parse_atts``).
3. Classic-editor HTML: bare oEmbed URLs on their own line (``autoembed``), then
   ``wpautop`` paragraphs, then one block per top-level element, cleaned with nh3.

Block values are those of the Markdown importer (``cms/importer/markdown.py``):
``paragraph`` (Wagtail database rich text), ``heading`` ``{"text", "level", "anchor"}``,
``image`` ``{"image": id, "alt", "caption"}``, ``code`` ``{"language", "code"}``,
``quote`` ``{"text", "attribution"}``, ``table`` (TypedTableBlock data), ``embed``
(the URL) and ``raw_html``.

Images, galleries and links are resolved through a :class:`WpResolver`; what
cannot be converted is reported through ``warn`` and never leaks as text.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import nh3
from lxml import etree
from lxml import html as lxml_html

from cms.content.blocks import markdown_escape

from ..markdown import LinkTarget

Block = dict[str, Any]

# --- rich text ------------------------------------------------------------------------

RICH_TAGS = {"p", "br", "b", "i", "a", "code", "sup", "sub", "s", "ul", "ol", "li", "hr"}
_RICH_RENAMES = {"strong": "b", "em": "i", "del": "s", "strike": "s", "tt": "code", "kbd": "code"}
RAW_TAGS = {
    *RICH_TAGS,
    *_RICH_RENAMES,
    "div", "span", "figure", "figcaption", "img", "iframe", "video", "audio", "source",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "dl", "dt", "dd",
    "blockquote", "cite", "q", "abbr", "address", "pre", "h2", "h3", "h4", "h5", "h6",
    "small", "mark", "u", "ins", "var", "details", "summary",
}  # fmt: skip
RAW_ATTRIBUTES = {
    "*": {"class", "title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "iframe": {"src", "width", "height", "allow", "allowfullscreen", "frameborder"},
    "video": {"src", "controls", "poster", "width", "height"},
    "audio": {"src", "controls"},
    "source": {"src", "type"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "abbr": {"title"},
}
BLOCK_TAGS = {
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "blockquote", "pre",
    "table", "figure", "hr", "address", "iframe", "video", "audio", "form", "section",
    "article", "aside", "header", "footer", "details", "jt-block", "script", "style",
}  # fmt: skip


class WpResolver(Protocol):
    """Answers for the images, galleries and links of one WordPress item."""

    def image(self, src: str, attachment_id: int | None = None) -> int | None:
        """The Wagtail image id for an image URL or attachment id; ``None`` if not found.

        The resolver reports a missing file itself (once, with the item it is in).
        """

    def gallery(self, ids: list[int] | None) -> list[tuple[int, str]]:
        """``(image id, caption)`` for attachment ``ids``, or, for ``None``, for every
        image attached to the item (``[gallery]`` without ``ids``)."""

    def link(self, href: str) -> LinkTarget | None:
        """The page or document an old URL (permalink, ``?p=N``, upload) now is."""

    def is_embed_url(self, url: str) -> bool:
        """Whether an oEmbed provider Wagtail knows serves ``url``."""

    def is_local(self, url: str) -> bool:
        """Whether ``url`` is on the old site (so its file belongs in the library)."""


@dataclass
class Converter:
    """Converts the content of one item; ``warnings`` collects what was dropped."""

    resolver: WpResolver
    warnings: list[str] = field(default_factory=list)
    _pending: list[Block] = field(default_factory=list)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    # --- entry point ------------------------------------------------------------------

    def convert(self, content: str) -> list[Block]:
        """All blocks of a post's ``content:encoded``, consecutive paragraphs merged."""
        blocks: list[Block] = []
        for node in parse_blocks(content):
            blocks.extend(self.block(node))
        return merge_paragraphs(blocks)

    # --- Gutenberg ----------------------------------------------------------------------

    def block(self, node: GBlock) -> list[Block]:
        name = node.name
        if name == "freeform":
            return self.classic(node.html)
        handler = _GUTENBERG.get(name.removeprefix("core/"))
        if handler is not None:
            return handler(self, node)
        if name.startswith("core-embed/") or name.endswith("/embed"):
            return self.embed_block(node)
        if node.children:
            return [b for child in node.children for b in self.block(child)]
        if node.html.strip():
            self.warn(f"block {name} has no Jamtail equivalent: its HTML was kept as text")
            return self.classic(node.html)
        self.warn(f"block {name} has no Jamtail equivalent and no content: dropped")
        return []

    def heading_block(self, node: GBlock) -> list[Block]:
        level = int(node.attrs.get("level") or _heading_level(node.html) or 2)
        return [heading(" ".join(_text(node.html).split()), level)]

    def image_block(self, node: GBlock) -> list[Block]:
        tree = _fragment(node.html)
        img = tree.find(".//img")
        if img is None:
            return []
        caption = tree.find(".//figcaption")
        return self.image(
            img.get("src", ""),
            img.get("alt", ""),
            _inner_text(caption) if caption is not None else "",
            _int_or_none(node.attrs.get("id")),
        )

    def gallery_block(self, node: GBlock) -> list[Block]:
        if node.children:
            return [b for child in node.children for b in self.block(child)]
        ids = [int(i) for i in node.attrs.get("ids", []) if str(i).isdigit()]
        if ids:
            return self.gallery(ids)
        return self.classic(node.html)

    def list_block(self, node: GBlock) -> list[Block]:
        return self.classic(node.inner_with_children())

    def quote_block(self, node: GBlock) -> list[Block]:
        tree = _fragment(node.inner_with_children())
        quote = tree.find(".//blockquote")
        return [self.quote(quote if quote is not None else tree)]

    def code_block(self, node: GBlock) -> list[Block]:
        tree = _fragment(node.html)
        code = tree.find(".//code")
        source = code if code is not None else tree
        return [
            {"type": "code", "value": {"language": _language(source), "code": _pre_text(source)}}
        ]

    def preformatted_block(self, node: GBlock) -> list[Block]:
        return [
            {"type": "code", "value": {"language": "", "code": _pre_text(_fragment(node.html))}}
        ]

    def table_block(self, node: GBlock) -> list[Block]:
        table = _fragment(node.html).find(".//table")
        return [self.table(table)] if table is not None else []

    def embed_block(self, node: GBlock) -> list[Block]:
        url = str(node.attrs.get("url") or "").strip() or _text(node.html).strip()
        return self.embed(url) if url else []

    def html_block(self, node: GBlock) -> list[Block]:
        return self.raw(node.html)

    def separator_block(self, node: GBlock) -> list[Block]:
        return [{"type": "paragraph", "value": "<hr/>"}]

    def file_block(self, node: GBlock) -> list[Block]:
        link = _fragment(node.html).find(".//a")
        if link is None:
            return []
        return self.classic(lxml_html.tostring(link, encoding="unicode"))

    def media_block(self, node: GBlock) -> list[Block]:
        tree = _fragment(node.html)
        media = tree.find(".//video")
        if media is None:
            media = tree.find(".//audio")
        src = media.get("src", "") if media is not None else ""
        return self.media(src, node.name.removeprefix("core/"))

    def shortcode_block(self, node: GBlock) -> list[Block]:
        return self.classic(node.html)

    def nothing(self, node: GBlock) -> list[Block]:
        return []

    def children_only(self, node: GBlock) -> list[Block]:
        blocks = [b for child in node.children for b in self.block(child)]
        if not node.children and _text(node.html).strip():
            blocks = self.classic(node.html)
        return blocks

    # --- classic editor: shortcodes, autoembed, wpautop -------------------------------

    def classic(self, content: str) -> list[Block]:
        content = content.replace("\r\n", "\n").replace("\r", "\n")
        content = re.sub(r"<!--\s*(more|nextpage|noteaser)\b.*?-->", "\n\n", content)
        content = re.sub(r"<!--.*?-->", "", content, flags=re.S)
        stash: list[list[Block]] = []

        def put(blocks: list[Block]) -> str:
            stash.append(blocks)
            return f'\n\n<jt-block data-i="{len(stash) - 1}"></jt-block>\n\n'

        content = self.shortcodes(content, put)
        content = _BARE_URL_LINE.sub(
            lambda m: (
                put(self.embed(m.group(1)))
                if self.resolver.is_embed_url(m.group(1))
                else m.group(0)
            ),
            content,
        )
        content = wpautop(content)
        tree = _fragment(content)
        blocks: list[Block] = []
        if tree.text and tree.text.strip():
            blocks.append(self.paragraph(html_lib.escape(tree.text)))
        for child in tree:
            blocks.extend(self.element(child, stash))
            if child.tail and child.tail.strip():
                blocks.append(self.paragraph(html_lib.escape(child.tail)))
        return blocks

    def shortcodes(self, content: str, put: Callable[[list[Block]], str]) -> str:
        """Replace every shortcode by a stashed block marker (known) or its content (unknown)."""

        def enclosing(match: re.Match[str]) -> str:
            name, attrs, inner = (
                match.group("name").lower(),
                match.group("attrs"),
                match.group("inner"),
            )
            return self.shortcode(name, parse_atts(attrs), inner, put)

        def single(match: re.Match[str]) -> str:
            name, attrs = match.group("name").lower(), match.group("attrs")
            if name not in KNOWN_SHORTCODES and not attrs.strip():
                return match.group(0)  # "[word]" in prose: WordPress leaves it as text too
            return self.shortcode(name, parse_atts(attrs), None, put)

        content = _ENCLOSING.sub(enclosing, content)
        return _SINGLE.sub(single, content)

    def shortcode(
        self, name: str, atts: dict[str, str], inner: str | None,
        put: Callable[[list[Block]], str],
    ) -> str:  # fmt: skip
        if name in ("caption", "wp_caption"):
            return put(self.caption(atts, inner or ""))
        if name == "gallery":
            ids = [
                int(i)
                for i in re.split(r"[,\s]+", atts.get("ids", atts.get("include", "")))
                if i.isdigit()
            ]
            return put(self.gallery(ids or None))
        if name == "embed":
            url = (inner or atts.get("src") or atts.get("0") or "").strip()
            return put(self.embed(url)) if url else ""
        if name in ("audio", "video"):
            src = atts.get("src") or next(
                (
                    v
                    for k, v in atts.items()
                    if k in ("mp3", "mp4", "m4a", "ogg", "wav", "webm", "m4v", "ogv", "wmv", "flv")
                ),
                "",
            )
            return put(self.media(src or atts.get("0", "") or (inner or "").strip(), name))
        if name in ("youtube", "vimeo"):
            url = atts.get("0") or atts.get("id") or atts.get("url") or (inner or "").strip()
            if url and not url.startswith("http"):
                url = (
                    "https://www.youtube.com/watch?v="
                    if name == "youtube"
                    else "https://vimeo.com/"
                ) + url
            return put(self.embed(url)) if url else ""
        if name == "tweet":
            url = atts.get("0") or atts.get("url") or ""
            return put(self.embed(url)) if url.startswith("http") else ""
        if name in (
            "playlist",
            "wpvideo",
            "contact-form",
            "contact-form-7",
            "jetpack_subscription_form",
        ):
            self.warn(f"shortcode [{name}] needs a WordPress plugin; it was dropped")
            return ""
        self.warn(f"shortcode [{name}] is unknown; its tags were dropped, its text kept")
        return inner or ""

    def caption(self, atts: dict[str, str], inner: str) -> list[Block]:
        tree = _fragment(inner)
        img = tree.find(".//img")
        if img is None:
            return self.classic(inner)
        caption = atts.get("caption", "")
        if not caption:
            # The caption is the text after the image (WordPress 3.4+), not inside the link.
            for node in list(tree.iter("img")):
                _remove_keep_tail(node)
            caption = " ".join(_inner_text(tree).split())
        match = re.search(r"attachment_(\d+)", atts.get("id", ""))
        return self.image(
            img.get("src", ""), img.get("alt", ""), caption,
            int(match.group(1)) if match else _wp_image_class(img),
        )  # fmt: skip

    def gallery(self, ids: list[int] | None) -> list[Block]:
        images = self.resolver.gallery(ids)
        if not images:
            self.warn("a gallery has no images that could be imported")
        return [
            {"type": "image", "value": {"image": pk, "alt": "", "caption": caption[:1000]}}
            for pk, caption in images
        ]

    def embed(self, url: str) -> list[Block]:
        url = html_lib.unescape(url).strip()
        if not re.match(r"https?://", url):
            self.warn(f"embed {url!r} is not a URL: dropped")
            return []
        return [{"type": "embed", "value": url}]

    def media(self, src: str, kind: str) -> list[Block]:
        if not src:
            self.warn(f"[{kind}] without a file: dropped")
            return []
        if self.resolver.is_embed_url(src):
            return self.embed(src)
        target = self.resolver.link(src)
        href = (
            f'linktype="document" id="{target.id}"' if target else f'href="{html_lib.escape(src)}"'
        )
        name = html_lib.escape(src.rstrip("/").rsplit("/", 1)[-1])
        return [{"type": "paragraph", "value": f"<p><a {href}>{kind.title()}: {name}</a></p>"}]

    def image(self, src: str, alt: str, caption: str, attachment_id: int | None) -> list[Block]:
        pk = self.resolver.image(src, attachment_id)
        if pk is None and re.match(r"https?://", src) and not self.resolver.is_local(src):
            # Another site's image stays where it is, shown as it was.
            figure = f'<img src="{html_lib.escape(src)}" alt="{html_lib.escape(alt)}">'
            if caption:
                figure += f"<figcaption>{html_lib.escape(caption)}</figcaption>"
            return [{"type": "raw_html", "value": f"<figure>{figure}</figure>"}]
        if pk is None:
            # A missing upload: the reader keeps its text (WordPress's alt and caption).
            text = caption or alt
            return [self.paragraph(f"<i>{html_lib.escape(text)}</i>")] if text else []
        value = {"image": pk, "alt": alt[:500], "caption": caption[:1000]}
        return [{"type": "image", "value": value}]

    # --- HTML elements -> blocks ----------------------------------------------------------

    def element(self, el: Any, stash: list[list[Block]]) -> list[Block]:
        if not isinstance(el.tag, str):
            return []
        tag = el.tag.lower()
        if tag == "jt-block":
            return stash[int(el.get("data-i"))]
        markers = el.findall(".//jt-block")
        if markers:
            return self.split_markers(el, stash)
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            text = " ".join(_inner_text(el).split())
            return [heading(text, int(tag[1]))] if text else []
        if tag == "pre":
            return [{"type": "code", "value": {"language": _language(el), "code": _pre_text(el)}}]
        if tag == "blockquote":
            return [self.quote(el)]
        if tag == "table":
            return [self.table(el)]
        if tag == "hr":
            return [{"type": "paragraph", "value": "<hr/>"}]
        if tag == "figure":
            img = el.find(".//img")
            if img is not None:
                cap = el.find(".//figcaption")
                return self.image(
                    img.get("src", ""), img.get("alt", ""),
                    _inner_text(cap).strip() if cap is not None else "", _wp_image_class(img),
                )  # fmt: skip
        if tag == "dl":
            return [self.paragraph(_dl_to_paragraphs(el))]
        if tag in ("script", "style", "form"):
            self.warn(f"<{tag}> removed: it cannot run on a static page")
            return []
        if tag in ("iframe", "video", "audio", "object", "embed"):
            src = el.get("src") or el.get("data") or ""
            if src and self.resolver.is_embed_url(src):
                return self.embed(src)
            return self.raw(lxml_html.tostring(el, encoding="unicode"))
        if tag in ("div", "section", "article", "aside", "header", "footer", "center"):
            inner = _inner_html(el)
            return self.classic(inner) if inner.strip() else []
        return self.rich(el)

    def split_markers(self, el: Any, stash: list[list[Block]]) -> list[Block]:
        """An element with stashed blocks inside: text before, the blocks, text after."""
        blocks: list[Block] = []
        marker = el.find(".//jt-block")
        before = lxml_html.tostring(el, encoding="unicode").split(
            lxml_html.tostring(marker, encoding="unicode", with_tail=False), 1
        )
        head = before[0]
        blocks.extend(self.classic(head + f"</{el.tag}>") if _text(head).strip() else [])
        blocks.extend(stash[int(marker.get("data-i"))])
        rest = f"<{el.tag}>" + before[1] if len(before) > 1 else ""
        if _text(rest).strip() or "<jt-block" in rest:
            # Re-stash the remaining markers' blocks through a fresh parse of the tail.
            tree = _fragment(rest)
            for child in tree:
                blocks.extend(self.element(child, stash))
        return blocks

    def rich(self, el: Any) -> list[Block]:
        """A paragraph-like element: its images become image blocks, the rest rich text."""
        blocks: list[Block] = []
        for img in list(el.iter("img")):
            blocks.extend(
                self.image(img.get("src", ""), img.get("alt", ""), "", _wp_image_class(img))
            )
            parent = img.getparent()
            # Drop the image and a link that only wrapped it (to the full-size file).
            target = (
                parent
                if parent.tag == "a" and not _text_of(parent).strip() and len(parent) == 1
                else img
            )
            _remove_keep_tail(target)
        html = lxml_html.tostring(el, encoding="unicode")
        if _text(html).strip() or "<hr" in html:
            blocks.append(self.paragraph(html))
        return blocks

    def paragraph(self, html: str) -> Block:
        return {"type": "paragraph", "value": self.rich_text(html)}

    def rich_text(self, html: str) -> str:
        """Wagtail database rich text: nh3-cleaned, Draftail's tags, links resolved."""
        for old, new in _RICH_RENAMES.items():
            html = re.sub(rf"<(/?){old}\b", rf"<\1{new}", html, flags=re.I)
        html = nh3.clean(
            html,
            tags=RICH_TAGS,
            # "*": none; ammonia otherwise keeps lang and title on every tag.
            attributes={"a": {"href"}, "*": set()},
            link_rel=None,
        )
        html = _A_HREF.sub(self._link, html)
        html = _EMPTY_INLINE.sub("", html).strip()
        if html and not re.match(r"<(p|ul|ol|hr)\b", html):
            html = f"<p>{html}</p>"
        return html

    def _link(self, match: re.Match[str]) -> str:
        href = html_lib.unescape(match.group(1))
        target = self.resolver.link(href)
        if target is None:
            return match.group(0)
        return f'<a linktype="{target.kind}" id="{target.id}">'

    def quote(self, el: Any) -> Block:
        attribution = ""
        cite = el.find(".//cite")
        if cite is not None:
            attribution = " ".join(_inner_text(cite).split()).lstrip("-\u2014\u2013 ")
            _remove_keep_tail(cite)
        inner = _inner_html(el)
        text = self.rich_text(nh3.clean(inner, tags=RICH_TAGS - {"ul", "ol", "li", "hr"}))
        text = text.replace("<br>", "<br/>")
        return {"type": "quote", "value": {"text": text, "attribution": attribution[:255]}}

    def table(self, table: Any) -> Block:
        rows = [r for r in table.iter("tr")]
        heads: list[str] = []
        if rows and all(c.tag == "th" for c in rows[0] if isinstance(c.tag, str)):
            heads = [" ".join(_inner_text(c).split()) for c in rows[0] if isinstance(c.tag, str)]
            rows = rows[1:]
        body = [
            [self._cell(c) for c in row if isinstance(c.tag, str) and c.tag in ("td", "th")]
            for row in rows
        ]
        width = max([len(heads), *(len(r) for r in body)])
        heads = (heads + [""] * width)[:width]
        caption_el = table.find("caption")
        return {
            "type": "table",
            "value": {
                "caption": _inner_text(caption_el).strip() if caption_el is not None else "",
                "columns": [{"type": "text", "heading": markdown_escape(h)} for h in heads],
                "rows": [{"values": (r + [""] * width)[:width]} for r in body],
            },
        }

    def _cell(self, cell: Any) -> str:
        inner = _inner_html(cell).strip()
        return self.rich_text(f"<p>{inner}</p>") if _text(inner).strip() else ""

    def raw(self, html: str) -> list[Block]:
        cleaned = nh3.clean(html, tags=RAW_TAGS, attributes=RAW_ATTRIBUTES, link_rel=None)
        return [{"type": "raw_html", "value": cleaned}] if cleaned.strip() else []


# --- Gutenberg block grammar ---------------------------------------------------------------

_BLOCK_COMMENT = re.compile(
    r"<!--\s+(?P<closer>/)?wp:(?P<ns>[a-z][a-z0-9_-]*/)?(?P<name>[a-z][a-z0-9_-]*)"
    r"\s+(?P<attrs>\{.*?\}\s+)?(?P<void>/)?-->",
    re.S,
)


@dataclass
class GBlock:
    """A parsed block: ``name`` (``core/paragraph``; ``freeform`` for classic HTML between
    blocks), ``attrs`` (its JSON), ``html`` (its own HTML, inner blocks left out) and
    ``children``; ``parts`` keeps HTML and children in order."""

    name: str
    attrs: dict[str, Any] = field(default_factory=dict)
    html: str = ""
    children: list[GBlock] = field(default_factory=list)
    parts: list[str | GBlock] = field(default_factory=list)

    def inner_with_children(self) -> str:
        """The block's HTML with its inner blocks' HTML in place (list items, quotes)."""
        return "".join(p if isinstance(p, str) else p.inner_with_children() for p in self.parts)


def parse_blocks(content: str) -> list[GBlock]:
    """Split post content into top-level blocks; unbalanced comments are read as HTML."""
    top: list[GBlock] = []
    stack: list[GBlock] = []
    pos = 0

    def add_html(text: str) -> None:
        if stack:
            stack[-1].html += text
            stack[-1].parts.append(text)
        elif text.strip():
            top.append(GBlock("freeform", html=text, parts=[text]))

    def attach(block: GBlock) -> None:
        if stack:
            stack[-1].children.append(block)
            stack[-1].parts.append(block)
        else:
            top.append(block)

    for match in _BLOCK_COMMENT.finditer(content):
        add_html(content[pos : match.start()])
        pos = match.end()
        name = (match.group("ns") or "core/") + match.group("name")
        if match.group("closer"):
            if stack and stack[-1].name == name:
                attach(stack.pop())
            continue
        try:
            attrs = json.loads(match.group("attrs") or "{}")
        except ValueError:
            attrs = {}
        block = GBlock(name, attrs if isinstance(attrs, dict) else {})
        if match.group("void"):
            attach(block)
        else:
            stack.append(block)
    add_html(content[pos:])
    while stack:  # an unclosed block: keep what it holds
        attach(stack.pop())
    return top


_GUTENBERG: dict[str, Callable[[Converter, GBlock], list[Block]]] = {
    "paragraph": Converter.list_block,
    "heading": Converter.heading_block,
    "image": Converter.image_block,
    "gallery": Converter.gallery_block,
    "list": Converter.list_block,
    "list-item": Converter.list_block,
    "quote": Converter.quote_block,
    "pullquote": Converter.quote_block,
    "code": Converter.code_block,
    "preformatted": Converter.preformatted_block,
    "verse": Converter.preformatted_block,
    "table": Converter.table_block,
    "embed": Converter.embed_block,
    "html": Converter.html_block,
    "separator": Converter.separator_block,
    "file": Converter.file_block,
    "video": Converter.media_block,
    "audio": Converter.media_block,
    "shortcode": Converter.shortcode_block,
    "freeform": Converter.shortcode_block,
    "more": Converter.nothing,
    "nextpage": Converter.nothing,
    "spacer": Converter.nothing,
    "columns": Converter.children_only,
    "column": Converter.children_only,
    "group": Converter.children_only,
    "cover": Converter.children_only,
    "media-text": Converter.children_only,
    "buttons": Converter.children_only,
    "button": Converter.children_only,
    "details": Converter.children_only,
}


# --- shortcodes (wp-includes/shortcodes.php) -----------------------------------------------

KNOWN_SHORTCODES = {
    "caption", "wp_caption", "gallery", "embed", "audio", "video", "playlist",
    "wpvideo", "youtube", "vimeo", "tweet",
}  # fmt: skip
_NAME = r"(?P<name>[a-zA-Z_][\w-]*)"
_ENCLOSING = re.compile(
    r"\[" + _NAME + r"(?P<attrs>(?:\s[^\]]*)?)\](?P<inner>.*?)\[/(?P=name)\]", re.S
)
_SINGLE = re.compile(r"\[" + _NAME + r"(?P<attrs>(?:\s[^\]]*?)?)\s*/?\]")
_ATT = re.compile(
    r"""([\w-]+)\s*=\s*"([^"]*)"(?:\s|$)|([\w-]+)\s*=\s*'([^']*)'(?:\s|$)|([\w-]+)\s*=\s*([^\s'"]+)(?:\s|$)|"([^"]*)"(?:\s|$)|'([^']*)'(?:\s|$)|(\S+)(?:\s|$)"""
)
_BARE_URL_LINE = re.compile(r"^[ \t]*(https?://[^\s<>\"]+)[ \t]*$", re.M)
_EMPTY_INLINE = re.compile(r"<(b|i|code|s|sup|sub)>\s*</\1>")
_A_HREF = re.compile(r'<a\b[^>]*?\bhref="([^"]*)"[^>]*>')


def parse_atts(text: str) -> dict[str, str]:
    """Shortcode attributes as ``shortcode_parse_atts()`` reads them.

    Positional attributes are keyed ``"0"``, ``"1"``...
    """
    atts: dict[str, str] = {}
    position = 0
    text = html_lib.unescape(text.replace("\u00a0", " ").replace("\u200b", " "))
    for m in _ATT.finditer(text):
        if m.group(1):
            atts[m.group(1).lower()] = m.group(2)
        elif m.group(3):
            atts[m.group(3).lower()] = m.group(4)
        elif m.group(5):
            atts[m.group(5).lower()] = m.group(6)
        else:
            value = m.group(7) or m.group(8) or m.group(9) or ""
            atts[str(position)] = value.lstrip("=")
            position += 1
    return atts


# --- wpautop (wp-includes/formatting.php), the parts that matter for block splitting ----

_AUTOP_BLOCKS = (
    "table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre|form|map|"
    "area|blockquote|address|math|style|p|h[1-6]|hr|fieldset|legend|section|article|aside|"
    "hgroup|header|footer|nav|figure|figcaption|details|menu|summary|iframe|video|audio|"
    "object|script|jt-block"
)


def wpautop(text: str) -> str:
    """Double line breaks -> ``<p>``, single ones -> ``<br>``, not inside block elements."""
    if not text.strip():
        return ""
    pres: list[str] = []

    def keep(match: re.Match[str]) -> str:
        pres.append(match.group(0))
        return f"<pre-keep-{len(pres) - 1}></pre-keep-{len(pres) - 1}>"

    text = re.sub(r"<(pre|script|style)\b.*?</\1>", keep, text, flags=re.S | re.I)
    text = re.sub(rf"(<(?:{_AUTOP_BLOCKS})[\s/>])", r"\n\n\1", text, flags=re.I)
    text = re.sub(rf"(</(?:{_AUTOP_BLOCKS})>)", r"\1\n\n", text, flags=re.I)
    text = re.sub(r"(<pre-keep-\d+></pre-keep-\d+>)", r"\n\n\1\n\n", text)
    out = []
    for chunk in re.split(r"\n\s*\n", text):
        chunk = chunk.strip()
        if not chunk:
            continue
        if re.match(rf"</?(?:{_AUTOP_BLOCKS})[\s/>]|<pre-keep-", chunk, re.I):
            out.append(chunk)
        else:
            out.append("<p>" + re.sub(r"(?<!<br>)\s*\n\s*", "<br>\n", chunk) + "</p>")
    result = "\n".join(out)
    return re.sub(r"<pre-keep-(\d+)></pre-keep-\1>", lambda m: pres[int(m.group(1))], result)


# --- small helpers -------------------------------------------------------------------------


def heading(text: str, level: int) -> Block:
    level = min(max(level, 2), 4)
    return {"type": "heading", "value": {"text": text[:255], "level": str(level), "anchor": ""}}


def merge_paragraphs(blocks: list[Block]) -> list[Block]:
    merged: list[Block] = []
    for block in blocks:
        if block["type"] == "paragraph" and merged and merged[-1]["type"] == "paragraph":
            merged[-1] = {"type": "paragraph", "value": merged[-1]["value"] + block["value"]}
        else:
            merged.append(block)
    return [b for b in merged if b["type"] != "paragraph" or b["value"].strip()]


def _fragment(html: str) -> Any:
    """Parse an HTML fragment into a ``<div>`` (lxml's HTML parser: no network, no entities)."""
    if not html.strip():
        return lxml_html.fromstring("<div></div>")
    return lxml_html.fragment_fromstring(html, create_parent="div")


def _text(html: str) -> str:
    return _inner_text(_fragment(html))


def _inner_text(el: Any) -> str:
    return "".join(el.itertext()) if el is not None else ""


def _text_of(el: Any) -> str:
    return "".join(el.itertext())


def _inner_html(el: Any) -> str:
    return (html_lib.escape(el.text) if el.text else "") + "".join(
        lxml_html.tostring(c, encoding="unicode") for c in el
    )


def _pre_text(el: Any) -> str:
    for br in el.iter("br"):
        br.tail = "\n" + (br.tail or "")
    return _inner_text(el).strip("\n")


def _language(el: Any) -> str:
    classes = " ".join(
        filter(None, [el.get("class", "")] + [c.get("class", "") for c in el.iter("code")])
    )
    match = re.search(r"(?:language|lang)-([\w+#-]+)|brush:\s*([\w+#-]+)", classes)
    return (match.group(1) or match.group(2)) if match else ""


def _heading_level(html: str) -> int | None:
    match = re.search(r"<h([1-6])\b", html)
    return int(match.group(1)) if match else None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _wp_image_class(img: Any) -> int | None:
    match = re.search(r"\bwp-image-(\d+)\b", img.get("class", ""))
    return int(match.group(1)) if match else None


def _remove_keep_tail(el: Any) -> None:
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail or ""
    previous = el.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(el)


def _dl_to_paragraphs(el: Any) -> str:
    parts = []
    for child in el:
        if child.tag == "dt":
            parts.append(f"<p><b>{_inner_html(child)}</b></p>")
        elif child.tag == "dd":
            parts.append(f"<p>{_inner_html(child)}</p>")
    return "".join(parts)


__all__ = ["Converter", "GBlock", "WpResolver", "etree", "parse_atts", "parse_blocks", "wpautop"]
