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

    def reusable(self, ref: int) -> str | None:
        """The content of the reusable block (``wp_block`` item) ``ref``; ``None`` when
        the export does not have it."""

    def footnotes(self) -> list[tuple[str, str]]:
        """The item's footnotes (WordPress 6.3+ ``footnotes`` meta) as ``(id, HTML)``."""

    def is_local(self, url: str) -> bool:
        """Whether ``url`` is on the old site (so its file belongs in the library)."""


@dataclass
class Converter:
    """Converts the content of one item; ``warnings`` collects what was dropped."""

    resolver: WpResolver
    warnings: list[str] = field(default_factory=list)
    _pending: list[Block] = field(default_factory=list)
    _reusing: set[int] = field(default_factory=set)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    # --- entry point ------------------------------------------------------------------

    def convert(self, content: str) -> list[Block]:
        """All blocks of a post's ``content:encoded``, consecutive paragraphs merged."""
        blocks: list[Block] = []
        for node in parse_blocks(content):
            blocks.extend(self.block(node))
        return _unescape_brackets(merge_paragraphs(blocks))

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
        tree = _fragment(node.html) if node.html.strip() else None
        if tree is not None and len(tree) == 1 and tree[0].tag == "pre":
            # A plugin's code block (SyntaxHighlighter, Code Syntax Block...): code.
            value = {"language": str(node.attrs.get("language") or _language(tree[0]))[:50]}
            return [{"type": "code", "value": {**value, "code": _pre_text(tree[0])}}]
        if node.html.strip():
            self.warn(f"block {name} has no Jamtail equivalent: its HTML was kept as text")
            return self.classic(node.html)
        self.warn(f"block {name} has no Jamtail equivalent and no content: dropped")
        return []

    def reusable_block(self, node: GBlock) -> list[Block]:
        """``<!-- wp:block {"ref":N} /-->``: the reusable block's own content, in place."""
        ref = _int_or_none(node.attrs.get("ref"))
        content = self.resolver.reusable(ref) if ref is not None else None
        if ref is None or content is None:
            self.warn(f"reusable block #{ref} is not in the export: its content is missing")
            return []
        if ref in self._reusing:
            self.warn(f"reusable block #{ref} contains itself: the inner copy was left out")
            return []
        self._reusing.add(ref)
        try:
            return [b for child in parse_blocks(content) for b in self.block(child)]
        finally:
            self._reusing.discard(ref)

    def heading_block(self, node: GBlock) -> list[Block]:
        level = int(node.attrs.get("level") or _heading_level(node.html) or 2)
        block = heading(" ".join(_text(node.html).split()), level)
        block["value"]["anchor"] = _anchor(node.attrs.get("anchor"), node.html)
        return [block]

    def media_and_children(self, node: GBlock) -> list[Block]:
        """Cover and media & text: the block's own image (a cover's background, the
        media beside the text), then its inner blocks."""
        blocks: list[Block] = []
        url = str(node.attrs.get("url") or node.attrs.get("mediaUrl") or "")
        media_id = _int_or_none(node.attrs.get("id") or node.attrs.get("mediaId"))
        tree = _fragment(node.html)
        img = tree.find(".//img")
        video = tree.find(".//video")
        if img is not None:
            blocks += self.image(
                _img_src(img) or url, img.get("alt", ""), "", media_id or _wp_image_class(img)
            )
        elif video is not None or node.attrs.get("mediaType") == "video":
            src = (video.get("src", "") if video is not None else "") or url
            blocks += self.media(src, "video") if src else []
        elif url:
            blocks += self.image(url, str(node.attrs.get("alt") or ""), "", media_id)
        return blocks + self.children_only(node)

    def image_block(self, node: GBlock) -> list[Block]:
        tree = _fragment(node.html)
        img = tree.find(".//img")
        if img is None:
            return []
        caption = tree.find(".//figcaption")
        return self.image(
            _img_src(img),
            img.get("alt", ""),
            _inner_text(caption) if caption is not None else "",
            _int_or_none(node.attrs.get("id")),
        )

    def gallery_block(self, node: GBlock) -> list[Block]:
        if node.children:
            return [b for child in node.children for b in self.block(child)]
        ids = [int(i) for i in node.attrs.get("ids", []) if str(i).isdigit()]
        if not ids:
            return self.classic(node.html)
        # The pre-5.9 gallery: its images' captions are written in the block, and win
        # over the attachments' own; the gallery's caption follows the images.
        tree = _fragment(node.html)
        captions = {}
        for figure in tree.iter("figure"):
            img, cap = figure.find(".//img"), figure.find("figcaption")
            image_id = _int_or_none(img.get("data-id")) if img is not None else None
            if image_id is not None and cap is not None:
                captions[image_id] = " ".join(_inner_text(cap).split())
        blocks = self.gallery(ids)
        by_pk = dict(zip([b["value"]["image"] for b in blocks], blocks, strict=False))
        for image_id, caption in captions.items():
            pk = self.resolver.image("", image_id)
            if pk in by_pk and caption:
                by_pk[pk]["value"]["caption"] = caption[:1000]
        outer = [c for c in tree if c.tag == "figure" for c in c if c.tag == "figcaption"]
        outer += [c for c in tree if c.tag == "figcaption"]
        for cap in outer:
            text = " ".join(_inner_text(cap).split())
            if text:
                blocks.append(self.paragraph(f"<p><i>{html_lib.escape(text)}</i></p>"))
        return blocks

    def list_block(self, node: GBlock) -> list[Block]:
        return self.classic(node.inner_with_children())

    def quote_block(self, node: GBlock) -> list[Block]:
        tree = _fragment(node.inner_with_children())
        quote = tree.find(".//blockquote")
        source = quote if quote is not None else tree
        return [self.quote(source), *self.images_in(source)]

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
        tree = _fragment(node.html)
        table = tree.find(".//table")
        if table is None:
            return []
        block = self.table(table)
        images = self.images_in(table)
        caption = tree.find(".//figcaption")
        if caption is not None and not block["value"]["caption"]:
            block["value"]["caption"] = " ".join(_inner_text(caption).split())
        return [block, *images]

    def social_links_block(self, node: GBlock) -> list[Block]:
        """Social icons (``core/social-link`` blocks keep their address in attributes
        only): one line of links named after each service."""
        links = []
        for child in node.children or [node]:
            url = str(child.attrs.get("url") or "").strip()
            if url:
                service = str(child.attrs.get("service") or "").title()
                label = str(child.attrs.get("label") or service or url)
                links.append(f'<a href="{html_lib.escape(url)}">{html_lib.escape(label)}</a>')
        return [self.paragraph("<p>" + " · ".join(links) + "</p>")] if links else []

    def details_block(self, node: GBlock) -> list[Block]:
        """``<details><summary>Q</summary>...``: the summary in bold, then the rest."""
        summary = _fragment(node.html).find(".//summary")
        text = " ".join(_inner_text(summary).split()) if summary is not None else ""
        head = [self.paragraph(f"<p><b>{html_lib.escape(text)}</b></p>")] if text else []
        return head + self.children_only(node)

    def footnotes_block(self, node: GBlock) -> list[Block]:
        """WordPress 6.3's footnotes: their text is in the post's ``footnotes`` meta
        (``[{"id", "content"}]``); a numbered list whose items keep their ids, so the
        ``#id`` links in the text still land on them."""
        notes = self.resolver.footnotes()
        if not notes:
            return []
        items = "".join(
            f'<li id="{html_lib.escape(note_id)}">{_clean_inline(content)}</li>'
            for note_id, content in notes
        )
        return [{"type": "raw_html", "value": f'<ol class="footnotes">{items}</ol>'}]

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

        # Code shows shortcodes, it does not run them: [b]..[/b] in a BBCode tutorial.
        code: list[str] = []

        def hide(match: re.Match[str]) -> str:
            code.append(match.group(0))
            return f"\ue002{len(code) - 1}\ue003"

        content = re.sub(r"<(pre|code)\b.*?</\1>", hide, content, flags=re.S | re.I)
        content = self.shortcodes(content, put)
        content = re.sub("\ue002(\\d+)\ue003", lambda m: code[int(m.group(1))], content)
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
        """Replace every shortcode by a stashed block marker (known, or kept as a marked
        ``shortcode`` code block) or, for an unknown enclosing one, its converted content.

        Unknown enclosing shortcodes are layout wrappers more often than not (page
        builders nest ``[vc_row][vc_column]...``): their content is converted in turn,
        so no inner tag is left as text. A ``[word]`` without attributes inside a
        sentence is prose (``[sic]``), as WordPress leaves it when no plugin claims it;
        alone in its paragraph, or with ``_``/``-`` in its name, it is a shortcode.
        """

        def enclosing(match: re.Match[str]) -> str:
            name, attrs, inner = (
                match.group("name").lower(),
                match.group("attrs"),
                match.group("inner"),
            )
            if name in CODE_SHORTCODES:
                return put(self.code_shortcode(name, parse_atts(attrs), inner))
            if name not in KNOWN_SHORTCODES:
                inner = self.shortcodes(inner, put)
            return self.shortcode(name, parse_atts(attrs), inner, put, match.group(0))

        def single(match: re.Match[str]) -> str:
            name, attrs = match.group("name").lower(), match.group("attrs")
            tag = match.group(0)
            if name not in KNOWN_SHORTCODES and not _looks_like_shortcode(match):
                return tag  # "[word]" in prose: WordPress leaves it as text too
            return self.shortcode(name, parse_atts(attrs), None, put, tag)

        def orphan_closer(match: re.Match[str]) -> str:
            self.warn(f"closing shortcode tag {match.group(0)} without its opening tag: removed")
            return ""

        # [[name]] is WordPress's escape for a shortcode shown as text: "[name]".
        content = _ESCAPED.sub(
            lambda m: m.group(1).replace("[", _OPEN).replace("]", _CLOSE), content
        )
        content = _ENCLOSING.sub(enclosing, content)
        content = _SINGLE.sub(single, content)
        return _CLOSER.sub(orphan_closer, content)

    def shortcode(
        self, name: str, atts: dict[str, str], inner: str | None,
        put: Callable[[list[Block]], str], tag: str = "",
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
        if name == "vc_single_image" and atts.get("image", "").isdigit():
            return put(self.gallery([int(atts["image"])]))  # WPBakery's image element
        if name == "et_pb_image" and atts.get("src"):  # Divi's image module
            return put(self.image(atts["src"], atts.get("alt", ""), "", None))
        if inner is not None:
            self.warn(f"shortcode [{name}] is unknown; its tags were dropped, its content kept")
            return inner
        # A plugin's output (a form, a cart, a table of contents) that a static page
        # cannot make: kept where it was as a marked block for an editor to replace.
        self.warn(f"shortcode [{name}] needs a WordPress plugin: kept as a 'shortcode' code block")
        return put([{"type": "code", "value": {"language": "shortcode", "code": tag.strip()}}])

    def code_shortcode(self, name: str, atts: dict[str, str], inner: str) -> list[Block]:
        """SyntaxHighlighter's ``[code lang="php"]...[/code]``, ``[sourcecode]`` and
        ``[python]...[/python]`` (also WordPress.com's): a code block. The visual
        editor stored the code HTML-escaped with ``<br>``/``<p>`` for line breaks."""
        language = atts.get("language") or atts.get("lang") or atts.get("0") or ""
        if name not in ("code", "sourcecode"):
            language = language or name
        code = inner
        if re.search(r"&(?:lt|gt|amp|quot|#\d+);", code):
            code = re.sub(r"<br\s*/?>\n?", "\n", code, flags=re.I)
            code = re.sub(r"</p>\s*<p>", "\n\n", code, flags=re.I)
            code = html_lib.unescape(re.sub(r"</?p>", "", code, flags=re.I))
        code = code.strip("\n").replace("\r\n", "\n")
        return [{"type": "code", "value": {"language": language[:50], "code": code}}]

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
            _img_src(img), img.get("alt", ""), caption,
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
            if not text:
                return []
            block = heading(text, int(tag[1]))
            block["value"]["anchor"] = _anchor(el.get("id"), "")
            return [block]
        if tag == "pre":
            return [{"type": "code", "value": {"language": _language(el), "code": _pre_text(el)}}]
        if tag == "blockquote":
            return [self.quote(el), *self.images_in(el)]
        if tag == "table":
            return [self.table(el), *self.images_in(el)]
        if tag == "hr":
            return [{"type": "paragraph", "value": "<hr/>"}]
        if tag == "figure":
            img = el.find(".//img")
            if img is not None:
                cap = el.find(".//figcaption")
                return self.image(
                    _img_src(img), img.get("alt", ""),
                    _inner_text(cap).strip() if cap is not None else "", _wp_image_class(img),
                )  # fmt: skip
        if tag == "dl":
            return [self.definitions(el)]
        if tag in ("script", "style", "form"):
            self.warn(f"<{tag}> removed: it cannot run on a static page")
            return []
        if tag in ("iframe", "video", "audio", "object", "embed"):
            src = el.get("src") or el.get("data") or ""
            if tag == "object":  # Flash-era embeds: <param name="movie">, an inner <embed>
                movie = el.xpath(".//param[@name='movie' or @name='src']/@value")
                inner = el.xpath(".//embed/@src")
                src = src or (movie[0] if movie else "") or (inner[0] if inner else "")
            src = "https:" + src if src.startswith("//") else src
            youtube = _YOUTUBE_IFRAME.match(src)
            if youtube:  # the player's address -> the video's, which oEmbed knows
                src = f"https://www.youtube.com/watch?v={youtube.group(1)}"
            if src and self.resolver.is_embed_url(src):
                return self.embed(src)
            kept = self.raw(lxml_html.tostring(el, encoding="unicode"))
            if not kept and tag in ("object", "embed"):
                self.warn(
                    f"<{tag}> (a Flash-era plugin embed) removed: browsers cannot play it; "
                    f"it pointed at {src or 'nothing'}"
                )
            return kept
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
            blocks.extend(self.image(_img_src(img), img.get("alt", ""), "", _wp_image_class(img)))
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

    def images_in(self, el: Any) -> list[Block]:
        """The images inside a quote or a table (whose blocks hold text only), as image
        blocks to follow it: moved, not lost."""
        images = list(el.iter("img"))
        if images:
            self.warn(f"{len(images)} image(s) inside a {el.tag} moved after it")
        return [
            b
            for img in images
            for b in self.image(_img_src(img), img.get("alt", ""), "", _wp_image_class(img))
        ]

    def paragraph(self, html: str) -> Block:
        return {"type": "paragraph", "value": self.rich_text(html)}

    def definitions(self, el: Any) -> Block:
        """A ``<dl>``: each ``<dt>`` (its text, and its ``id`` as the anchor) with the
        ``<dd>`` after it, merged."""
        items: list[dict[str, str]] = []
        for child in el:
            if child.tag == "dt":
                term = markdown_escape(" ".join(_inner_text(child).split()))[:500]
                anchor = _anchor(child.get("id"), "")
                items.append({"term": term, "anchor": anchor, "definition": ""})
            elif child.tag == "dd" and items:  # rich_text puts bare text in a paragraph
                items[-1]["definition"] += self.rich_text(_inner_html(child))
        return {"type": "definitions", "value": items}

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
        return target.opening_tag(href)

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
    "cover": Converter.media_and_children,
    "media-text": Converter.media_and_children,
    "block": Converter.reusable_block,
    "buttons": Converter.children_only,
    "button": Converter.children_only,
    "details": Converter.details_block,
    "social-links": Converter.social_links_block,
    "social-link": Converter.social_links_block,
    "footnotes": Converter.footnotes_block,
}


# --- shortcodes (wp-includes/shortcodes.php) -----------------------------------------------

CODE_SHORTCODES = {
    "code", "sourcecode", "as3", "actionscript3", "bash", "shell", "sh", "c", "cpp",
    "csharp", "c-sharp", "css", "delphi", "pascal", "diff", "patch", "erlang", "go",
    "golang", "groovy", "haskell", "java", "javafx", "js", "javascript", "jscript",
    "json", "kotlin", "latex", "matlab", "objc", "perl", "pl", "php", "plain", "text",
    "powershell", "ps", "py", "python", "r", "ruby", "rails", "rust", "scala", "sql",
    "swift", "tex", "ts", "typescript", "vb", "vbnet", "xml", "xhtml", "xslt", "html",
    "yaml",
}  # fmt: skip
"""SyntaxHighlighter Evolved's enclosing shortcodes (and WordPress.com's ``[code]``)."""
KNOWN_SHORTCODES = {
    "caption", "wp_caption", "gallery", "embed", "audio", "video", "playlist",
    "wpvideo", "youtube", "vimeo", "tweet",
}  # fmt: skip
_NAME = r"(?P<name>[a-zA-Z_][\w-]*)"
_ENCLOSING = re.compile(
    r"\[" + _NAME + r"(?P<attrs>(?:\s[^\]]*)?)\](?P<inner>.*?)\[/(?P=name)\]", re.S
)
_SINGLE = re.compile(r"\[" + _NAME + r"(?P<attrs>(?:\s[^\]]*?)?)\s*(?P<close>/?)\]")
_CLOSER = re.compile(r"\[/[a-zA-Z_][\w-]*\]")


_ESCAPED = re.compile(
    r"\[(\[[a-zA-Z_][\w-]*(?:\s[^\]]*)?\](?:[^\[]*?\[/[a-zA-Z_][\w-]*\])?)\]", re.S
)
_OPEN, _CLOSE = "\ue000", "\ue001"  # an escaped shortcode's brackets, until the end


def _unescape_brackets(value: Any) -> Any:
    """``value`` (blocks, or any of their values) with escaped shortcodes' brackets back."""
    if isinstance(value, str):
        return value.replace(_OPEN, "[").replace(_CLOSE, "]")
    if isinstance(value, list):
        return [_unescape_brackets(v) for v in value]
    if isinstance(value, dict):
        return {k: _unescape_brackets(v) for k, v in value.items()}
    return value


def _looks_like_shortcode(match: re.Match[str]) -> bool:
    """Whether an unknown ``[name ...]`` is a shortcode rather than bracketed prose:
    it has ``key=value`` attributes, is self-closed (``/]``), has ``_`` or ``-`` in its
    name, or stands alone on its line (WordPress's block-level shortcodes)."""
    name, attrs = match.group("name"), match.group("attrs")
    if "=" in attrs or match.group("close") or "_" in name or "-" in name:
        return True
    text = match.string
    start = text.rfind("\n", 0, match.start()) + 1
    end = text.find("\n", match.end())
    line = text[start : end if end >= 0 else len(text)]
    return re.sub(r"</?p>|&nbsp;", "", line).strip() == match.group(0)


_ATT = re.compile(
    r"""([\w-]+)\s*=\s*"([^"]*)"(?:\s|$)|([\w-]+)\s*=\s*'([^']*)'(?:\s|$)|([\w-]+)\s*=\s*([^\s'"]+)(?:\s|$)|"([^"]*)"(?:\s|$)|'([^']*)'(?:\s|$)|(\S+)(?:\s|$)"""
)
_BARE_URL_LINE = re.compile(r"^[ \t]*(https?://[^\s<>\"]+)[ \t]*$", re.M)
_YOUTUBE_IFRAME = re.compile(
    r"https?://(?:www\.)?youtube(?:-nocookie)?\.com/(?:embed|v)/([\w-]{6,})", re.I
)
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
    """Double line breaks -> ``<p>``, single ones -> ``<br>``, as WordPress's ``wpautop``
    does: every chunk between blank lines is wrapped, then the wrapping is taken off
    block elements again (a ``<blockquote>`` gets its paragraphs inside it, list items
    are never wrapped); ``<pre>``, scripts and styles are left alone."""
    if not text.strip():
        return ""
    pres: list[str] = []

    def keep(match: re.Match[str]) -> str:
        pres.append(match.group(0))
        return f"<pre-keep-{len(pres) - 1}></pre-keep-{len(pres) - 1}>"

    blocks = _AUTOP_BLOCKS + r"|pre-keep-\d+"
    text = re.sub(r"<(pre|script|style)\b.*?</\1>", keep, text, flags=re.S | re.I)
    text = re.sub(r"<[^<>]*>", lambda m: m.group(0).replace("\n", " "), text)  # inside tags
    text = re.sub(r"<br\s*/?>\s*<br\s*/?>", "\n\n", text, flags=re.I)
    text = re.sub(rf"(<(?:{blocks})[\s/>])", r"\n\n\1", text, flags=re.I)
    text = re.sub(rf"(</(?:{blocks})>)", r"\1\n\n", text, flags=re.I)
    chunks = [c.strip("\n") for c in re.split(r"\n\s*\n", text) if c.strip()]
    out = "".join(f"<p>{c.strip()}</p>\n" for c in chunks)
    out = re.sub(r"<p>\s*</p>", "", out)
    out = re.sub(r"<p>([^<]+)</(div|address|form)>", r"<p>\1</p></\2>", out, flags=re.I)
    out = re.sub(rf"<p>\s*(</?(?:{blocks})[^>]*>)\s*</p>", r"\1", out, flags=re.I)
    out = re.sub(r"<p>(<li.+?)</p>", r"\1", out, flags=re.I | re.S)
    out = re.sub(r"<p><blockquote([^>]*)>", r"<blockquote\1><p>", out, flags=re.I)
    out = out.replace("</blockquote></p>", "</p></blockquote>")
    out = re.sub(rf"<p>\s*(</?(?:{blocks})[^>]*>)", r"\1", out, flags=re.I)
    out = re.sub(rf"(</?(?:{blocks})[^>]*>)\s*</p>", r"\1", out, flags=re.I)
    out = re.sub(r"(?<!<br>)\s*\n", "<br>\n", out)
    out = re.sub(rf"(</?(?:{blocks})[^>]*>)\s*<br>", r"\1", out, flags=re.I)
    out = re.sub(r"<br>(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)", r"\1", out, flags=re.I)
    out = re.sub(r"<p>\s*</p>", "", out).strip()
    return re.sub(r"<pre-keep-(\d+)></pre-keep-\1>", lambda m: pres[int(m.group(1))], out)


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
    if match:
        return match.group(1) or match.group(2)
    # WP-Syntax and others: <pre lang="php">, <pre data-lang="php">.
    return str(el.get("lang") or el.get("data-lang") or "")[:50]


def _heading_level(html: str) -> int | None:
    match = re.search(r"<h([1-6])\b", html)
    return int(match.group(1)) if match else None


def _clean_inline(html: str) -> str:
    """Inline HTML cleaned to what rich text holds (links, emphasis, code)."""
    for old, new in _RICH_RENAMES.items():
        html = re.sub(rf"<(/?){old}\b", rf"<\1{new}", html, flags=re.I)
    return nh3.clean(html, tags=RICH_TAGS - {"p", "ul", "ol", "li", "hr"}, link_rel=None)


def _anchor(attr: Any, html: str) -> str:
    """A heading's anchor (``id``), from the block's ``anchor`` or the tag's ``id``, so
    that ``#links`` to it keep working; ``""`` when it has none."""
    value = str(attr or "")
    if not value and html:
        match = re.search(r"<h[1-6]\b[^>]*\bid=[\"']([^\"']+)", html)
        value = match.group(1) if match else ""
    return re.sub(r"[^\w-]", "", value)[:255]


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _img_src(img: Any) -> str:
    """An image's address: ``src``, or, when a lazy-loading plugin left a placeholder
    there (a ``data:`` URI or nothing), its ``data-src``/``data-lazy-src``/``data-orig-file``."""
    src = str(img.get("src") or "")
    if not src or src.startswith("data:"):
        for name in ("data-src", "data-lazy-src", "data-orig-file", "data-original"):
            if img.get(name):
                return str(img.get(name))
    return src


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


__all__ = ["Converter", "GBlock", "WpResolver", "etree", "parse_atts", "parse_blocks", "wpautop"]
