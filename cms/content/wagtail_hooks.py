"""Admin and rich-text hooks of the content app."""

from __future__ import annotations

from typing import Any

from django.urls import include, path
from wagtail import hooks
from wagtail.admin.rich_text.converters.html_to_contentstate import ExternalLinkElementHandler
from wagtail.admin.ui.menus.pages import PageMenuItem

from . import share_views
from .links import FragmentPageLinkElementHandler, SitePathPageLinkHandler, fragment_link_entity


@hooks.register("register_rich_text_features", order=100)
def register_site_path_page_links(features: Any) -> None:
    # After Wagtail's own registration (order 0), so these replace its "page" handler and
    # its editor's "link" conversion (wagtail/admin/wagtail_hooks.py), page links' fragment kept.
    features.register_link_type(SitePathPageLinkHandler)
    features.register_converter_rule(
        "contentstate",
        "link",
        {
            "from_database_format": {
                "a[href]": ExternalLinkElementHandler("LINK"),
                'a[linktype="page"]': FragmentPageLinkElementHandler("LINK"),
            },
            "to_database_format": {"entity_decorators": {"LINK": fragment_link_entity}},
        },
    )


class SharePreviewMenuItem(PageMenuItem):
    """ "Share preview" in a page's header menu (the "..." next to its title)."""

    label = "Share preview"
    icon_name = "link"
    url_name = "preview_links:index"
    priority = 70

    def is_shown(self, user: Any) -> bool:
        return self.page.permissions_for_user(user).can_edit()


@hooks.register("register_page_header_buttons")
def share_preview_button(page: Any, user: Any, view_name: str, next_url: str | None = None):
    yield SharePreviewMenuItem(page=page)


@hooks.register("register_admin_urls")
def register_preview_link_urls():
    urls = [
        path("<int:page_id>/", share_views.index, name="index"),
        path("<int:page_id>/<int:link_id>/revoke/", share_views.revoke, name="revoke"),
    ]
    return [path("preview-links/", include((urls, "preview_links"), namespace="preview_links"))]
