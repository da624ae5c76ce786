"""StreamField blocks and their API representation.

The API shape of each block (the ``value`` of ``{"type", "value", "id"}``):

=============  ==============================================================
``paragraph``  display HTML (rich text with public URLs)
``heading``    ``{"text": str, "level": 2|3|4, "anchor": str}``
``image``      ``{"image": <image dict, see images.py>, "alt": str, "caption": str}``
``code``       ``{"language": str, "code": str}``
``quote``      ``{"text": str, "attribution": str}``
``table``      ``{"caption": str, "columns": [{"type", "heading", "heading_html", "align"}],
               "rows": [{"values": [html]}]}`` (see ``TableBlock``)
``embed``      ``{"url": str, "html": str | None, "title": str}``
``raw_html``   the HTML, trusted (editors only)
``footnotes``  ``[{"anchor": str, "text": display HTML}]``
``definitions`` ``[{"term": str, "term_html": display HTML, "anchor": str,
               "definition": display HTML}]`` (a definition list, see
               ``DefinitionBlock``)
=============  ==============================================================
"""

from __future__ import annotations

import functools
import re
from html import unescape
from typing import Any

import nh3
from django.utils.encoding import force_str
from django.utils.text import slugify
from markdown_it import MarkdownIt
from wagtail import blocks
from wagtail.contrib.typed_table_block.blocks import TypedTableBlock
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageChooserBlock

from .images import image_representation

RICH_TEXT_FEATURES = [
    "bold",
    "italic",
    "link",
    "document-link",
    "ol",
    "ul",
    "code",
    "superscript",
    "subscript",
    "strikethrough",
    "hr",
    "image",
]
INLINE_FEATURES = ["bold", "italic", "link", "code", "strikethrough"]

_TAG_STRIPPER = nh3.Cleaner(tags=set(), strip_comments=True)
_BLOCK_END = re.compile(r"(</(?:p|h\d|li|blockquote)>|<(?:br|hr)\s*/>)", re.IGNORECASE)


def text_for_indexing(html: str) -> str:
    """Plain text of rich text for the search index: Wagtail's ``get_text_for_indexing``
    (a space after each block element, tags removed, entities decoded), with nh3 (Rust)
    removing the tags where Django's ``strip_tags`` runs an HTML parser written in Python,
    the slowest step of saving a long page.
    """
    spaced = _BLOCK_END.sub(r"\1 ", html)
    return unescape(_TAG_STRIPPER.clean(spaced)).strip()


class IndexedRichTextBlock(blocks.RichTextBlock):
    """Wagtail's rich text block, its search text made by :func:`text_for_indexing`."""

    def get_searchable_content(self, value: Any) -> list[str]:
        if not self.search_index:
            return []
        return [text_for_indexing(str(value.source))]


class FixedChoiceBlock(blocks.ChoiceBlock):
    """Wagtail's ``ChoiceBlock`` for a fixed list of choices, reading stored values faster.

    Wagtail's ``normalize_choice`` walks ``field.choices`` for every value it
    reads, and Django builds that list again on each walk (Wagtail passes the
    choices as a callable): 12.6 µs per heading against 0.2 µs here, 2-3 % of
    serialising a page when the CMS serialises every page for a full sync
    (four to five headings a page in ``bench/large_site.py``). With a fixed list the
    answer depends on the value alone, so it is looked up in a dict built once,
    giving what Wagtail's walk gives (the first choice whose key, as text,
    equals the value; the value itself when none does). Forms, validation,
    stored data and migrations (``deconstruct``: a plain ``ChoiceBlock``) are
    Wagtail's.
    """

    def normalize_choice(self, value: Any) -> Any:
        if value is None:
            return None
        return self._choice_keys.get(force_str(value), value)

    @functools.cached_property
    def _choice_keys(self) -> dict[str, Any]:
        keys: dict[str, Any] = {}
        for key, label in self.field.choices:
            group = label if isinstance(label, list | tuple) else [(key, label)]
            for choice, _ in group:
                keys.setdefault(force_str(choice), choice)
        return keys


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=255)
    level = FixedChoiceBlock(
        choices=[("2", "Level 2"), ("3", "Level 3"), ("4", "Level 4")], default="2"
    )
    anchor = blocks.CharBlock(
        required=False, max_length=255, help_text="Fragment id; defaults to the slug of the text."
    )

    class Meta:
        icon = "title"

    def get_api_representation(self, value: Any, context: Any = None) -> dict[str, Any]:
        return {
            "text": value["text"],
            "level": int(value["level"]),
            "anchor": value["anchor"] or slugify(value["text"]),
        }


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock()
    alt = blocks.CharBlock(
        required=False, max_length=500, help_text="Alt text; defaults to the image's own."
    )
    caption = blocks.CharBlock(required=False, max_length=1000)

    class Meta:
        icon = "image"

    def get_api_representation(self, value: Any, context: Any = None) -> dict[str, Any]:
        image = image_representation(value["image"])
        return {
            "image": image,
            "alt": value["alt"] or (image["alt"] if image else ""),
            "caption": value["caption"],
        }


class CodeBlock(blocks.StructBlock):
    language = blocks.CharBlock(required=False, max_length=50, help_text="e.g. rust, python")
    code = blocks.TextBlock()

    class Meta:
        icon = "code"


class QuoteBlock(blocks.StructBlock):
    text = IndexedRichTextBlock(features=INLINE_FEATURES)
    attribution = blocks.CharBlock(required=False, max_length=255)

    class Meta:
        icon = "openquote"


class RichEmbedBlock(EmbedBlock):
    """An oEmbed URL; the API also carries the embed HTML when a provider answered."""

    def get_api_representation(self, value: Any, context: Any = None) -> dict[str, Any] | None:
        if value is None:
            return None
        html = None
        title = ""
        try:
            html = value.html
            title = getattr(value, "title", "") or ""
        except Exception:
            html = None
        return {"url": value.url, "html": html, "title": title}


# Column types whose name carries the column's alignment (GFM's ``:--``, ``:-:``, ``--:``).
COLUMN_ALIGN = {"text_left": "left", "text_center": "center", "text_right": "right"}
HEADING_TAGS = {"strong", "em", "code", "a", "del", "s"}
_MARKDOWN_SPECIAL = re.compile(r"[\\`*_\[\]<>~&!]")
_heading_markdown = MarkdownIt("commonmark", {"html": False}).enable("strikethrough")


def heading_html(heading: str) -> str:
    """A column heading's display HTML: the heading read as inline Markdown, sanitised.

    Headings are plain ``CharBlock`` text in the admin; inline Markdown (``**bold**``,
    ``*em*``, `` `code` ``, ``[text](url)``, ``~~del~~``) in them renders as markup, so a
    Markdown table's header cells keep their markup. Only ``HEADING_TAGS`` survive (nh3).
    """
    html = _heading_markdown.renderInline(heading)
    return nh3.clean(html, tags=HEADING_TAGS, attributes={"a": {"href"}})


def heading_text(heading: str) -> str:
    """A column heading as plain text (its inline Markdown's text only)."""
    return unescape(nh3.clean(heading_html(heading), tags=set()))


def markdown_escape(text: str) -> str:
    """Plain text as inline Markdown that reads back as the same text (for headings)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\g<0>", text)


class TableBlock(TypedTableBlock):
    """A typed table whose column types also name the column's alignment.

    API shape of a column: ``{"type": str, "heading": plain text, "heading_html": display
    HTML (inline markup of the heading, see ``heading_html``), "align": "" | "left" |
    "center" | "right"}``; rows as Wagtail's TypedTableBlock gives them.
    """

    def get_api_representation(self, table: Any, context: Any = None) -> dict[str, Any]:
        value: dict[str, Any] = super().get_api_representation(table, context)
        for column in value["columns"]:
            source = column["heading"] or ""
            column["heading"] = heading_text(source)
            column["heading_html"] = heading_html(source)
            column["align"] = COLUMN_ALIGN.get(column["type"], "")
        return value


class FootnoteBlock(blocks.StructBlock):
    anchor = blocks.CharBlock(max_length=100)
    text = IndexedRichTextBlock(features=INLINE_FEATURES)


class DefinitionBlock(blocks.StructBlock):
    """One term of a definition list (``<dl>``; Markdown's ``Term`` then ``: Definition``).

    API shape: ``{"term": plain text, "term_html": display HTML (the term's inline
    Markdown, see ``heading_html``), "anchor": fragment id or "" for none,
    "definition": display HTML}``.
    """

    term = blocks.CharBlock(
        max_length=500, help_text="Inline Markdown: **bold**, *italic*, `code`, [link](url)."
    )
    anchor = blocks.CharBlock(
        required=False, max_length=255, help_text="Fragment id for links to the term; optional."
    )
    definition = IndexedRichTextBlock(features=RICH_TEXT_FEATURES, required=False)

    def get_api_representation(self, value: Any, context: Any = None) -> dict[str, Any]:
        represented: dict[str, Any] = super().get_api_representation(value, context)
        represented["term"] = heading_text(value["term"])
        represented["term_html"] = heading_html(value["term"])
        return represented


class BodyBlock(blocks.StreamBlock):
    paragraph = IndexedRichTextBlock(features=RICH_TEXT_FEATURES)
    heading = HeadingBlock()
    image = ImageBlock()
    code = CodeBlock()
    quote = QuoteBlock()
    table = TableBlock(
        [
            ("text", IndexedRichTextBlock(features=INLINE_FEATURES, label="Text")),
            ("text_left", IndexedRichTextBlock(features=INLINE_FEATURES, label="Text, left")),
            ("text_center", IndexedRichTextBlock(features=INLINE_FEATURES, label="Text, centred")),
            ("text_right", IndexedRichTextBlock(features=INLINE_FEATURES, label="Text, right")),
        ],
        icon="table",
    )
    embed = RichEmbedBlock()
    raw_html = blocks.RawHTMLBlock()
    footnotes = blocks.ListBlock(FootnoteBlock(), icon="list-ol")
    definitions = blocks.ListBlock(DefinitionBlock(), icon="list-ul")
