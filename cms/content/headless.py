"""Page URLs of a headless CMS: every page lives on the static site, never on the CMS host.

The site's address is one setting, ``SiteSettings.base_url`` (the one the
sitemap, feeds, canonical and Open Graph links use). Following Wagtail's
documented extension point for custom page URLs (``Page.get_url_parts``, see
Wagtail's "Page" reference), :class:`SitePage` makes Wagtail generate page
URLs on that address:

- ``get_url_parts`` answers ``(site_id, base_url, page_path)``, so
  ``full_url`` (the API's ``meta.html_url``, notification emails) is the page
  on the site;
- ``get_url`` (``page.url``: "View live", "Live", the page explorer, the
  publish message, search results) answers the same full URL: Wagtail makes
  it relative only when "this link will be on the same domain" as the page,
  and on a headless CMS no link is (the admin is on the CMS host);
- ``serve`` (a public URL requested from the CMS host) redirects there (302:
  the address may change), as ``wagtail-headless-preview``'s
  ``HeadlessServeMixin`` does with its own setting; without ``base_url`` it
  answers 404 saying what to set, never a page rendered by the CMS.

Without ``base_url`` Wagtail's own behaviour is unchanged.

The builder's API contract keeps site-relative paths where it renders links
into pages (rich-text page links, redirect locations; :func:`site_path`, ``links.py``):
a page built or previewed anywhere links within that copy of the site.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseRedirect

BASE_URL_SECONDS = 5  # a base URL changed in one CMS process reaches the others this fast
_KEY = "jamtail:site-base-url:{}"


def site_base_url(site_id: int | None) -> str:
    """The site's public address (``https://example.org``, no trailing slash), or ``""``.

    Read from ``SiteSettings.base_url``; cached for :data:`BASE_URL_SECONDS`
    (page URLs are computed for every page of an API listing) and forgotten
    when the settings are saved (:func:`forget_base_url`).
    """
    if site_id is None:
        return ""
    key = _KEY.format(site_id)
    value = cache.get(key)
    if value is None:
        from .models import SiteSettings

        row = SiteSettings.objects.filter(site_id=site_id).values_list("base_url", flat=True)
        value = (row.first() or "").rstrip("/")
        cache.set(key, value, BASE_URL_SECONDS)
    return value


def forget_base_url(sender: Any, instance: Any, **kwargs: Any) -> None:
    """``post_save`` of ``SiteSettings``: the next page URL reads the new address."""
    cache.delete(_KEY.format(instance.site_id))


class SitePage:
    """Mixin for page types: URLs on the static site, no pages served by the CMS (module doc)."""

    def get_url_parts(self, request: HttpRequest | None = None) -> Any:
        parts = super().get_url_parts(request)  # type: ignore[misc]
        if not parts or parts[2] is None:
            return parts
        site_id, _cms_root, page_path = parts
        base = site_base_url(site_id)
        return (site_id, base, page_path) if base else parts

    def get_url(self, request: HttpRequest | None = None, current_site: Any = None) -> Any:
        parts = self.get_url_parts(request)
        if parts and parts[2] is not None and site_base_url(parts[0]):
            return parts[1] + parts[2]
        return super().get_url(request, current_site)  # type: ignore[misc]

    url = property(get_url)

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        parts = self.get_url_parts(request)
        if parts and parts[2] is not None and site_base_url(parts[0]):
            query = request.META.get("QUERY_STRING", "")
            return HttpResponseRedirect(parts[1] + parts[2] + (f"?{query}" if query else ""))
        return HttpResponseNotFound(
            "This CMS does not serve pages: its pages are published on the static site. "
            "Set the site's address (Settings > Site settings > Base URL).",
            content_type="text/plain; charset=utf-8",
        )


def site_path(page: Any) -> str | None:
    """The page's path relative to its site's root (``/blog/post/``), ``None`` if unroutable."""
    parts = page.get_url_parts()
    return parts[2] if parts else None
