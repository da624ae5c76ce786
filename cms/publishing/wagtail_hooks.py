"""Register the "Builds" admin views and menu item, the dashboard's "Publishing"
panel, and the message after Publish that says when the change will be live."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component

from . import views
from .health import pipeline_health, publish_message

app_name = "publishing_builds"
urlpatterns = [
    path("", views.index, name="index"),
    path("rebuild/", views.rebuild, name="rebuild"),
    path("<int:build_id>/", views.detail, name="detail"),
    path("<int:build_id>/retry/", views.retry, name="retry"),
]


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [path("builds/", include((urlpatterns, app_name), namespace=app_name))]


class BuildsMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return request.user.has_perm(views.VIEW)


@hooks.register("register_admin_menu_item")
def register_builds_menu_item():
    return BuildsMenuItem(
        "Builds", reverse("publishing_builds:index"), icon_name=views.ICON, order=900
    )


class PipelineHealthPanel(Component):
    """The dashboard panel: worker, waiting changes, last build, and any warning."""

    name = "pipeline_health"
    template_name = "publishing/health_panel.html"
    order = 50  # above Wagtail's own panels: a stalled pipeline is news

    def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
        return {"health": pipeline_health()}


@hooks.register("construct_homepage_panels")
def add_pipeline_health_panel(request, panels) -> None:
    if request.user.has_perm(views.VIEW):
        panels.insert(0, PipelineHealthPanel())


@hooks.register("after_publish_page")
@hooks.register("after_unpublish_page")
def say_when_the_change_is_live(request, page) -> None:
    """Add "live in about N s", or "will not be live yet" and why, to Wagtail's message."""
    go_live_at = getattr(page, "go_live_at", None) if not page.live else None
    fine, sentence = publish_message(pipeline_health(), go_live_at=go_live_at)
    (messages.info if fine else messages.warning)(request, sentence)
