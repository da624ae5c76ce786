"""``POST /api/v2/media-versions/``: a version for each media file the builder found in content.

Images in StreamField image blocks come with their ``file_hash``, so the
builder knows when the file changed. Files named only by URL (an ``<img>`` in
rich text or raw HTML, a document link) come with nothing: without this
endpoint the builder revalidates each one with a conditional GET on every
build (760 requests, half a second, for the Rust blog). Asking here costs
one request per 1,000 files.

Request body: ``{"paths": ["original_images/a.png", "images/a.width-400.png",
"documents/b.pdf", ...]}``: paths relative to ``MEDIA_URL``, at most
:data:`MAX_PATHS`. Answer: ``{"versions": {path: version}}`` for the paths
that are an image, a rendition or a document's file; other paths are left
out (the builder revalidates those). A version changes whenever the file's
bytes can: an original's or a document's SHA-1 (Wagtail's ``file_hash``); a
rendition's image hash and the rendition's id (renditions are made again,
with new ids, when the image's file or focal point changes). A hash Wagtail
has not computed yet (an image made outside its forms) is computed once and
saved, as the images of the sync are; a file missing from the storage is
left out.

Errors: 400 ``{"message"}`` for a body that is not ``{"paths": [str, ...]}``
or names more than :data:`MAX_PATHS` paths. Lists what the images and
documents endpoints already list (no page content).
"""

from __future__ import annotations

import logging
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

MAX_PATHS = 1000
log = logging.getLogger(__name__)


class MediaVersionsView(APIView):
    """The view of ``POST /api/v2/media-versions/`` (see the module docstring)."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []

    def post(self, request: Request) -> Response:
        paths, error = asked_paths(request)
        if error is not None:
            return error
        return Response({"versions": media_versions(set(paths))})


def asked_paths(request: Request) -> tuple[list[str], Response | None]:
    """The media paths a ``{"paths": [str, ...]}`` request body names (at most
    :data:`MAX_PATHS`), or a 400 answer saying what is wrong with it."""
    paths = request.data.get("paths") if isinstance(request.data, dict) else None
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        return [], Response({"message": 'expected {"paths": [path, ...]}'}, status=400)
    if len(paths) > MAX_PATHS:
        message = f"{len(paths)} paths: ask for at most {MAX_PATHS} at a time"
        return [], Response({"message": message}, status=400)
    return paths, None


def media_versions(paths: set[str]) -> dict[str, str]:
    """``{path: version}`` for the ``paths`` (relative to ``MEDIA_URL``) that are media files."""
    image_model = get_image_model()
    found: dict[str, str] = {}
    for model in (image_model, get_document_model()):
        for item in model.objects.filter(file__in=paths).only("file", "file_hash"):
            found[item.file.name] = _file_hash(item)
    renditions = image_model.get_rendition_model().objects.filter(file__in=paths)
    for rendition in renditions.select_related("image").only(
        "file", "image__file", "image__file_hash"
    ):
        if digest := _file_hash(rendition.image):
            found[rendition.file.name] = f"{digest}.{rendition.pk}"
    return {name: version for name, version in found.items() if version}


def _file_hash(item: Any) -> str:
    """An image's or document's SHA-1, computed and saved the first time (Wagtail's
    ``get_file_hash``); ``""`` when its file cannot be read (missing from the storage)."""
    try:
        return item.get_file_hash()
    except Exception as exc:  # any storage's error: the file is left unversioned, not lost
        log.warning("no hash for %s (%s): the builder revalidates it", item.file.name, exc)
        return ""
