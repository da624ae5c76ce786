"""Rich-text page links in the API as site paths (headless.py); imported once models are ready."""

from __future__ import annotations

from django.utils.html import escape
from wagtail.rich_text.pages import PageLinkHandler

from .headless import site_path


class SitePathPageLinkHandler(PageLinkHandler):
    """Rich-text page links as site paths (``/blog/``), as Wagtail writes them for one site.

    Registered in place of Wagtail's own handler (``wagtail_hooks.py``): pages
    get full URLs on the site (:class:`SitePage`), but the HTML the builder
    renders links within whichever copy of the site shows it (a preview, a
    local server, the CDN).
    """

    @classmethod
    def expand_db_attributes_many(cls, attrs_list: list[dict]) -> list[str]:
        links = []
        for page in cls.get_many(attrs_list):
            path = site_path(page.localized) if page else None
            links.append(f'<a href="{escape(path)}">' if path else "<a>")
        return links
