"""Draft preview: the CMS side (``wagtail-headless-preview`` plus our preview endpoint).

Flow: an editor clicks Preview (or the live preview panel refreshes). Wagtail
calls ``serve_preview`` on the unsaved page; the package's
``HeadlessPreviewMixin`` (on every page type) stores the page as JSON in a
``PagePreview`` row under a signed token and redirects to the front end's
preview URL (``JAMTAIL_PREVIEW_URL``, e.g. ``https://example.org/preview/``)
with ``?content_type=content.articlepage&token=...``. The front end (the
``/preview/`` function) asks :func:`preview_view` for the draft.

``GET /api/v2/preview/?content_type=<app_label.model>&token=<token>`` answers
the draft in exactly the shape of ``/api/v2/pages/<id>/?fields=*`` (all
fields, renditions, rendered rich text, authors, tags, ``meta.parent``), built
by Wagtail's own serializer machinery. A page not yet saved (previewed from
the "add page" form) has ``"id": null`` and ``meta.detail_url: null``.

Errors are JSON ``{"message": str, "code": str}`` and never contain the draft:

======  ====================  ==================================================
status  code                  when
======  ====================  ==================================================
400     ``missing_parameter``   ``token`` or ``content_type`` absent
400     ``unknown_page_type``   ``content_type`` is not a page type with previews
403     ``invalid_token``       the signature does not verify (forged, tampered)
403     ``type_mismatch``       the token was issued for another page type
410     ``token_expired``       older than ``JAMTAIL_PREVIEW_MAX_AGE`` seconds
404     ``preview_not_found``   signed, but its stored draft is gone
======  ====================  ==================================================

The package's own ``get_page_from_preview_token`` calls ``unsign()`` without
``max_age``, so its tokens never expire; this view always passes one.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from wagtail.api.v2.utils import parse_fields_parameter
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.models import Page
from wagtail_headless_preview.models import HeadlessPreviewMixin, PagePreview

from .api import api_router
from .preview_links import LinkRefused, draft_for_link

log = logging.getLogger(__name__)

AGAIN = "Click Preview in the Wagtail admin again for a fresh preview link."


class PreviewError(Exception):
    """A request the preview endpoint refuses: ``status``, ``code`` and a message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def max_age() -> int:
    """Seconds a preview token stays valid (``JAMTAIL_PREVIEW_MAX_AGE``, via settings)."""
    return int(getattr(settings, "JAMTAIL_PREVIEW_MAX_AGE", 3600))


def page_model_for(content_type: str) -> type[Page]:
    """The page model named ``app_label.model`` (lower case, as the package sends it)."""
    app_label, _, model = content_type.partition(".")
    try:
        model_class = ContentType.objects.get_by_natural_key(app_label, model).model_class()
    except ContentType.DoesNotExist:
        model_class = None
    if model_class is None or not issubclass(model_class, Page):
        raise PreviewError(
            400, "unknown_page_type", f"{content_type!r} is not a page type. {AGAIN}"
        )
    if not issubclass(model_class, HeadlessPreviewMixin):
        raise PreviewError(400, "unknown_page_type", f"{content_type!r} has no preview. {AGAIN}")
    return model_class


def draft_for(content_type: str, token: str) -> Page:
    """The unsaved page behind ``token``; raise :class:`PreviewError` unless all checks pass.

    Checks, in order: the signature (salted as the package signs), the age,
    that the signed identifier (``id=N`` or ``parent_id=N;page_type=app.Model``)
    and the stored row both name ``content_type``'s model.
    """
    if not token or not content_type:
        raise PreviewError(
            400, "missing_parameter", f"The preview link has no token or page type. {AGAIN}"
        )
    model = page_model_for(content_type)
    signer = HeadlessPreviewMixin.get_preview_signer()
    try:
        identifier = signer.unsign(token, max_age=max_age())
    except signing.SignatureExpired as exc:
        raise PreviewError(
            410, "token_expired", f"This preview link has expired ({exc}). {AGAIN}"
        ) from exc
    except signing.BadSignature as exc:
        raise PreviewError(
            403, "invalid_token", f"This preview link is not valid. {AGAIN}"
        ) from exc
    if _signed_model(identifier) is not model:
        raise PreviewError(
            403, "type_mismatch", f"This preview link is not for a {model.__name__}. {AGAIN}"
        )
    row = PagePreview.objects.filter(token=token).first()
    if row is None:
        raise PreviewError(404, "preview_not_found", f"This preview has been removed. {AGAIN}")
    if row.content_type.model_class() is not model:
        raise PreviewError(
            403, "type_mismatch", f"This preview link is not for a {model.__name__}. {AGAIN}"
        )
    page = row.as_page()
    if page.locale_id is None:
        page.locale = page.get_default_locale()  # a new page takes its parent's locale
    if page.pk is not None:
        # Publication dates are facts of the live page, not draft content; the
        # stored JSON does not keep them.
        dates = Page.objects.filter(pk=page.pk).values("first_published_at", "last_published_at")
        for name, value in (dates.first() or {}).items():
            setattr(page, name, value)
    return page


def _signed_model(identifier: str) -> type | None:
    """The page model an identifier signed by the package names, or ``None``."""
    fields = dict(part.split("=", 1) for part in identifier.split(";") if "=" in part)
    if "id" in fields:
        page = Page.objects.filter(pk=fields["id"]).select_related("content_type").first()
        return page.content_type.model_class() if page else None
    if "page_type" in fields:
        app_label, _, name = fields["page_type"].partition(".")
        try:
            return ContentType.objects.get_by_natural_key(app_label, name.lower()).model_class()
        except ContentType.DoesNotExist:
            return None
    return None


class PreviewAPIViewSet(PagesAPIViewSet):
    """Wagtail's pages endpoint narrowed to one view: a draft, serialised as a page item."""

    def preview_view(self, request: Request) -> Response:
        """``GET /api/v2/preview/``: the draft as a pages item, or a JSON error (see above).

        ``?share=<token>`` instead of ``content_type`` and ``token``: the latest
        draft of a shareable preview link's page (``preview_links.py``, its errors).
        """
        content_type = request.GET.get("content_type", "")
        try:
            if request.GET.get("share"):
                page = draft_for_link(request.GET["share"])
            else:
                page = draft_for(content_type, request.GET.get("token", ""))
        except (PreviewError, LinkRefused) as exc:
            log.info("preview refused: %s %s (%s)", exc.status, exc.code, content_type)
            data: dict[str, Any] = {"message": exc.message, "code": exc.code}
            return _private(Response(data, status=exc.status))
        unsaved = page.pk is None
        if unsaved:
            page.pk = 0  # the serializer reverses a detail URL from the primary key
        self.action = "detail_view"
        self._cached_object = page
        serializer_class = self._get_serializer_class(
            request.wagtailapi_router, type(page), parse_fields_parameter("*"), show_details=True
        )
        item = dict(serializer_class(page, context=self.get_serializer_context()).data)
        if unsaved:
            item["id"] = None
            item["meta"]["detail_url"] = None
        return _private(Response(item))


def _private(response: Response) -> Response:
    response["Cache-Control"] = "no-store, private"
    response["X-Robots-Tag"] = "noindex"
    return response


urlpatterns = [
    path(
        "",
        api_router.wrap_view(PreviewAPIViewSet.as_view({"get": "preview_view"})),
        name="preview",
    )
]
