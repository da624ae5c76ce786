"""The API representation of an image: a set of responsive renditions.

Every image the builder sees (a hero image, an avatar, an image block in a
StreamField, an image embedded in rich text) is described by the same
dictionary, so templates can write one ``<img srcset>`` for all of them::

    {
        "id": 7,
        "title": "Ferris",
        "alt": "Ferris the crab",          # the image's default alt text
        "width": 1600, "height": 900,      # of the original, in CSS pixels
        "file_hash": "3f2a...",            # SHA-1 of the original file
        "url": "/media/images/ferris.width-800.png",   # default rendition
        "renditions": [                     # ascending widths, never upscaled
            {"width": 400, "height": 225, "url": "/media/images/ferris.width-400.png"},
            ...
        ],
    }

URLs are as Wagtail's storage gives them: relative to the CMS (``/media/...``)
with the default file storage, absolute with S3. The builder resolves them
against the CMS base URL and copies the files into the site.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

RENDITION_WIDTHS = (400, 800, 1200, 1600)
DEFAULT_WIDTH = 800


def rendition_specs(image: Any) -> list[str]:
    """Return the Wagtail filter specs for an image, narrowest first, never upscaled."""
    width = round(image.width)
    widths = [w for w in RENDITION_WIDTHS if w < width] or [width]
    if width not in widths and width < RENDITION_WIDTHS[-1]:
        widths.append(width)
    suffix = "|preserve-svg" if image.is_svg() else ""
    return [f"width-{w}{suffix}" for w in widths]


def image_representation(image: Any) -> dict[str, Any] | None:
    """Describe ``image`` (a Wagtail image or ``None``) as the dict shown above.

    Renditions are created on first use (Wagtail caches them), so the first
    build of a site pays for resizing and later builds do not.
    """
    if image is None:
        return None
    specs = rendition_specs(image)
    renditions = image.get_renditions(*specs)
    items = sorted(
        # SVG renditions report float sizes; HTML width/height and srcset need integers.
        (
            {"width": round(r.width), "height": round(r.height), "url": r.url}
            for r in renditions.values()
        ),
        key=lambda r: r["width"],
    )
    default = next((r for r in items if r["width"] >= DEFAULT_WIDTH), items[-1])
    return {
        "id": image.pk,
        "title": image.title,
        "alt": getattr(image, "default_alt_text", None) or image.title,
        "width": round(image.width),
        "height": round(image.height),
        "file_hash": image.get_file_hash(),
        "url": default["url"],
        "renditions": items,
    }


def prepare_renditions(image: Any) -> int:
    """Create ``image``'s API renditions now; return how many it has.

    Resizing is the slowest part of serving an image through the API (an
    animated GIF can take seconds), so batch jobs such as the Markdown
    importer pay for it up front instead of the first build's API requests.
    """
    return len(image.get_renditions(*rendition_specs(image)))


class ImageRenditionsField(serializers.Field):
    """DRF field for an image foreign key, serialised by :func:`image_representation`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> dict[str, Any] | None:
        return image_representation(value)
