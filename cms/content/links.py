"""Rich-text page links: in the API as site paths (headless.py), with their fragment.

Imported once models are ready. Wagtail's page links have no fragment
(wagtail/wagtail#1049); an imported link to another page's heading keeps it in
a ``fragment`` attribute: ``<a linktype="page" id="3" fragment="setup">``. The
API writes it after the path and the editor (Draftail) keeps it while the link
is not replaced.
"""

from __future__ import annotations

from typing import Any

from django.utils.html import escape
from draftjs_exporter.dom import DOM
from wagtail.admin.rich_text.converters.contentstate import link_entity
from wagtail.admin.rich_text.converters.html_to_contentstate import PageLinkElementHandler
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
        for attrs, page in zip(attrs_list, cls.get_many(attrs_list), strict=True):
            path = site_path(page.localized) if page else None
            if path and attrs.get("fragment"):
                path = f"{path}#{attrs['fragment']}"
            links.append(f'<a href="{escape(path)}">' if path else "<a>")
        return links


class FragmentPageLinkElementHandler(PageLinkElementHandler):
    """Database HTML -> the editor's link entity, keeping a page link's ``fragment``."""

    def get_attribute_data(self, attrs: dict[str, Any]) -> dict[str, Any]:
        data = super().get_attribute_data(attrs)
        if attrs.get("fragment"):
            data["fragment"] = attrs["fragment"]
        return data


def fragment_link_entity(props: dict[str, Any]) -> Any:
    """The editor's link entity -> database HTML, keeping a page link's ``fragment``."""
    if props.get("id") is None or not props.get("fragment"):
        return link_entity(props)
    attrs = {"linktype": "page", "id": props["id"], "fragment": props["fragment"]}
    return DOM.create_element("a", attrs, props["children"])
