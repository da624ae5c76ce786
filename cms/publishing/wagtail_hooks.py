"""Register the "Builds" admin views and menu item."""

from __future__ import annotations

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import views

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
