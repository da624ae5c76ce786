"""StreamField blocks and their API representation.

The API shape of each block (the ``value`` of ``{"type", "value", "id"}``):

=============  ==============================================================
``paragraph``  display HTML (rich text with public URLs)
``heading``    ``{"text": str, "level": 2|3|4, "anchor": str}``
``image``      ``{"image": <image dict, see images.py>, "alt": str, "caption": str}``
``code``       ``{"language": str, "code": str}``
``quote``      ``{"text": str, "attribution": str}``
``table``      ``{"caption": str, "columns": [{"type", "heading"}], "rows": [{"values": [html]}]}``
``embed``      ``{"url": str, "html": str | None, "title": str}``
``raw_html``   the HTML, trusted (editors only)
``footnotes``  ``[{"anchor": str, "text": display HTML}]``
=============  ==============================================================
"""

from __future__ import annotations

from typing import Any

from django.utils.text import slugify
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


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=255)
    level = blocks.ChoiceBlock(
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
    text = blocks.RichTextBlock(features=INLINE_FEATURES)
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


class FootnoteBlock(blocks.StructBlock):
    anchor = blocks.CharBlock(max_length=100)
    text = blocks.RichTextBlock(features=INLINE_FEATURES)


class BodyBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(features=RICH_TEXT_FEATURES)
    heading = HeadingBlock()
    image = ImageBlock()
    code = CodeBlock()
    quote = QuoteBlock()
    table = TypedTableBlock(
        [("text", blocks.RichTextBlock(features=INLINE_FEATURES))], icon="table"
    )
    embed = RichEmbedBlock()
    raw_html = blocks.RawHTMLBlock()
    footnotes = blocks.ListBlock(FootnoteBlock(), icon="list-ol")
