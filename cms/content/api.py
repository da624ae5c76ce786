"""The CMS's read API: Wagtail API v2 plus the endpoints the builder needs.

Routes (all under ``/api/v2/``):

- ``pages/``: Wagtail's pages endpoint (live, public pages only), in page-tree
  order unless ``order`` is given.
- ``sync/``: every item the builder needs, then only what changed (``cms/sync/api.py``).
- ``images/``, ``documents/``: Wagtail's media endpoints.
- ``redirects/``: Wagtail redirects with ``old_path``, ``location`` and ``is_permanent``.
- ``authors/``: the ``Author`` snippets.
- ``site-settings/``: ``SiteSettings`` of the default site as a plain object.
- ``media-versions/`` (POST): a version for each media file named by URL in content
  (``cms/content/media_versions.py``).
- ``media-archive/`` (POST): many media files in one tar stream (``cms/content/media_archive.py``).

Listing responses follow the v2 shape ``{"meta": {"total_count": N}, "items": [...]}``;
``limit`` may go up to ``WAGTAILAPI_LIMIT_MAX``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import path
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.views import BaseAPIViewSet, PagesAPIViewSet
from wagtail.contrib.redirects.api.v2 import RedirectsAPIViewSet, RedirectSerializer
from wagtail.documents.api.v2.views import DocumentsAPIViewSet
from wagtail.images.api.v2.views import ImagesAPIViewSet
from wagtail.models import Site

from .media_archive import MediaArchiveView
from .media_versions import MediaVersionsView
from .models import Author, SiteSettings


class BulkPagesAPIViewSet(PagesAPIViewSet):
    """Wagtail's pages endpoint, loading a page type's relations in bulk.

    A page model may declare ``api_select_related`` and ``api_prefetch_related``;
    a listing of that type then costs a fixed number of queries instead of a
    few per page (500 articles: ~2,000 queries before, ~10 after).
    """

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()
        model = queryset.model
        select = ("locale", *getattr(model, "api_select_related", ()))
        prefetch = getattr(model, "api_prefetch_related", ())
        if not (self.request.GET.get("order") or self.request.GET.get("search")):
            # Tree order, and a stable one: offset pagination of an unordered query
            # may skip or repeat pages (the sync endpoint returns this order too).
            queryset = queryset.order_by("path")
        return queryset.select_related(*select).prefetch_related(*prefetch)


class SiteLocationField(serializers.Field):
    """A redirect's target: a site path (``/blog/post/``) for a page, else the URL as stored.

    Wagtail's ``Redirect.link`` is the page's full URL on the site
    (``cms/content/headless.py``); the builder writes ``_redirects`` relative
    to the copy of the site it builds.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        kwargs.setdefault("source", "*")
        super().__init__(**kwargs)

    def to_representation(self, redirect: Any) -> str | None:
        link = redirect.link
        if link and redirect.redirect_page_id:
            parts = redirect.redirect_page.specific_deferred.get_url_parts()
            if parts and parts[1] and link.startswith(parts[1]):
                return link[len(parts[1]) :]
        return link


class PermanentRedirectSerializer(RedirectSerializer):
    location = SiteLocationField()
    is_permanent = serializers.BooleanField(read_only=True)


class JamtailRedirectsAPIViewSet(RedirectsAPIViewSet):
    base_serializer_class = PermanentRedirectSerializer
    body_fields = [*RedirectsAPIViewSet.body_fields, "is_permanent"]
    listing_default_fields = [*RedirectsAPIViewSet.listing_default_fields, "is_permanent"]

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("redirect_page").order_by("id")


class AuthorsAPIViewSet(BaseAPIViewSet):
    name = "authors"
    model = Author
    body_fields = [*BaseAPIViewSet.body_fields, "name", "slug", "bio", "url", "avatar"]
    listing_default_fields = [*BaseAPIViewSet.listing_default_fields, "name", "slug"]

    def get_queryset(self) -> Any:
        return Author.objects.select_related("avatar").order_by("name", "id")


class SiteSettingsView(APIView):
    """``GET /api/v2/site-settings/``: the default site's settings and root page."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []

    def get(self, request: Request) -> Response:
        data = site_settings_data(request)
        if data is None:
            return Response({"message": "no Wagtail site is configured"}, status=404)
        return Response(data)


def site_settings_data(request: Any) -> dict[str, Any] | None:
    """The body of ``/api/v2/site-settings/`` (also a sync item), or ``None`` without a site."""
    site = Site.objects.filter(is_default_site=True).first() or Site.objects.first()
    if site is None:
        return None
    data = SiteSettings.for_site(site).as_api_dict()
    data["root_page_id"] = site.root_page_id
    data["media_url"] = request.build_absolute_uri(settings.MEDIA_URL)
    return data


api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", BulkPagesAPIViewSet)
api_router.register_endpoint("images", ImagesAPIViewSet)
api_router.register_endpoint("documents", DocumentsAPIViewSet)
api_router.register_endpoint("redirects", JamtailRedirectsAPIViewSet)
api_router.register_endpoint("authors", AuthorsAPIViewSet)

extra_urlpatterns = [
    path("site-settings/", SiteSettingsView.as_view(), name="site-settings"),
    path("media-versions/", MediaVersionsView.as_view(), name="media-versions"),
    path("media-archive/", MediaArchiveView.as_view(), name="media-archive"),
]
