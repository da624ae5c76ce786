"""Images and documents from a content folder -> Wagtail's libraries, deduplicated.

A file is identified by its content: Wagtail stores a SHA-1 ``file_hash`` on
every image and document, so a file already in the library (from an earlier
import or uploaded by hand) is reused instead of copied again.

``LibraryFiles.image(path, alt)`` returns an ``ImageTarget``;
``LibraryFiles.document(path)`` a document id. With ``dry_run`` nothing is
stored: new files get id 0 and are only counted.
"""

from __future__ import annotations

import hashlib
import logging
from io import BytesIO
from pathlib import Path
from typing import Any

import willow
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from PIL import Image as PillowImage
from PIL import UnidentifiedImageError
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection

from cms.content.images import prepare_renditions

from .markdown import ImageTarget
from .slugs import title_from_name

logger = logging.getLogger(__name__)


class LibraryFiles:
    """Finds or adds images and documents; ``created_images`` counts new images."""

    def __init__(self, dry_run: bool = False) -> None:
        self.dry_run = dry_run
        self.created_images = 0
        self.created_documents = 0
        self._known_images: dict[str, int] | None = None
        self._targets: dict[str, ImageTarget] = {}
        self._documents: dict[str, int] | None = None
        self._root_collection: int | None = None
        self._hashes: dict[Path, tuple[str, bytes]] = {}
        self.new_images: list[int] = []
        """Ids of the images this import added (their renditions come later, see below)."""

    def image(self, path: Path, alt: str = "") -> ImageTarget:
        """The library image with the content of ``path``, added if new."""
        model = get_image_model()
        if self._known_images is None:
            self._known_images = {
                h: pk for h, pk in model.objects.values_list("file_hash", "pk") if h
            }
        digest, data = self._read(path)
        if digest in self._targets:
            return self._targets[digest]
        pk = self._known_images.get(digest)
        if pk is not None:
            target = ImageTarget(pk, model.objects.get(pk=pk).file.url)
        elif self.dry_run:
            target = ImageTarget(0, "")
            self.created_images += 1
        else:
            image = _new_image(model, path, data, digest, self._collection_id())
            if hasattr(image, "description"):
                image.description = alt[:255]
            image.save()
            self.new_images.append(image.pk)
            logger.info("added image %s as #%s", path, image.pk)
            target = ImageTarget(image.pk, image.file.url)
            self.created_images += 1
        self._targets[digest] = target
        return target

    def _collection_id(self) -> int:
        """The root collection's id (Wagtail's default for a new image), read once."""
        if self._root_collection is None:
            self._root_collection = Collection.get_first_root_node().pk
        return self._root_collection

    def prepare_renditions(self) -> int:
        """Make the API renditions of every image added so far; return how many were made.

        Called after the pages are written (``--renditions``): resizing is
        the slowest part of an import with images, and without it the build
        makes them on first use instead.
        """
        model = get_image_model()
        made = 0
        for image in model.objects.filter(pk__in=self.new_images):
            made += prepare_renditions(image)
        return made

    def document(self, path: Path) -> int:
        """The id of the library document with the content of ``path``, added if new."""
        model = get_document_model()
        if self._documents is None:
            self._documents = {h: pk for h, pk in model.objects.values_list("file_hash", "pk") if h}
        digest, data = self._read(path)
        if digest not in self._documents:
            self.created_documents += 1
            if self.dry_run:
                self._documents[digest] = 0
            else:
                document = model(
                    title=title_from_name(path.stem)[:255],
                    file=File(BytesIO(data), name=path.name),
                    file_hash=digest,
                    file_size=len(data),
                )
                document.save()
                self._documents[digest] = document.pk
        return self._documents[digest]

    def document_url(self, path: Path) -> str:
        """The file URL of the library document for ``path`` ("" in a dry run)."""
        pk = self.document(path)
        return get_document_model().objects.get(pk=pk).file.url if pk else ""

    def _read(self, path: Path) -> tuple[str, bytes]:
        if path not in self._hashes:
            data = path.read_bytes()
            self._hashes[path] = (hashlib.sha1(data).hexdigest(), data)
        return self._hashes[path]

    def forget(self) -> None:
        """Drop the cached ids (after a rolled-back file: rows it added are gone)."""
        self._known_images = None
        self._targets = {}
        self._documents = None


def _new_image(model: type, path: Path, data: bytes, digest: str, collection_id: int) -> Any:
    """An unsaved library image of ``data`` in collection ``collection_id``, its file
    already in storage when its size can be read once here.

    Given a file object, Django's image field measures it on construction and again on
    save, and Wagtail measures through Willow, which decodes every pixel of a bitmap (a
    third of a photo-heavy import) and parses an SVG each time. A stored file name and a
    size measured once skip both.
    """
    title = title_from_name(path.stem)[:255]
    size = _image_size(data)
    if size is None:  # unreadable: Django's and Wagtail's validation report it on save
        return model(
            title=title,
            file=ImageFile(BytesIO(data), name=path.name),
            file_hash=digest,
            file_size=len(data),
            collection_id=collection_id,
        )
    field = model._meta.get_field("file")
    instance = model(collection_id=collection_id)  # upload_to asks the instance for a folder
    name = field.storage.save(
        field.generate_filename(instance, path.name), ContentFile(data), field.max_length
    )
    return model(
        title=title,
        file=name,
        width=size[0],
        height=size[1],
        file_hash=digest,
        file_size=len(data),
        collection_id=collection_id,
    )


def _image_size(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` in pixels, or None when neither Pillow nor Willow can read it.

    Pillow reads a bitmap's header (it opens lazily: no pixel is decoded); Willow
    measures what Pillow cannot (SVG, from its ``width``/``height``/``viewBox``), as
    Wagtail's own image field does.
    """
    try:
        with PillowImage.open(BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError, ValueError):
        pass
    try:
        return willow.Image.open(BytesIO(data)).get_size()
    except Exception:  # Willow raises its own errors and its parsers' (ExpatError...)
        return None
