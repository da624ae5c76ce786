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

from django.core.files import File
from django.core.files.images import ImageFile
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

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
        self._hashes: dict[Path, tuple[str, bytes]] = {}

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
            image = model(
                title=title_from_name(path.stem)[:255],
                file=ImageFile(BytesIO(data), name=path.name),
                file_hash=digest,
                file_size=len(data),
            )
            if hasattr(image, "description"):
                image.description = alt[:255]
            image.save()
            prepare_renditions(image)
            logger.info("added image %s as #%s", path, image.pk)
            target = ImageTarget(image.pk, image.file.url)
            self.created_images += 1
        self._targets[digest] = target
        return target

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
