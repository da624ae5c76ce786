"""Moderation in the Wagtail admin: the "Comments" menu item, its list, filters and bulk actions.

The list (a ``SnippetViewSet``) shows the newest comments first and filters by
status and page. Each row has one-click **Approve**, **Reject** and **Spam**
buttons (``moderation.py``); the menu item says how many comments wait
("Comments (3)"), and so does a dashboard panel with the oldest waiting ones
and the same buttons. Selecting comments offers the same decisions as bulk
actions (and Wagtail's Delete). Each needs ``comments.change_comment`` (given
to the Editors and Moderators groups by migration 0002). Saving a comment
whose approval changes records a rebuild of its page (``signal_handlers.py``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import path, reverse
from django.utils.functional import cached_property
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import BaseColumn, Column
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import Comment
from .moderation import actions_for, may_moderate, moderate, pending_count, set_status
from .panels import excerpt, rows


class CommentFilterSet(WagtailFilterSet):
    class Meta:
        model = Comment
        fields = ["status", "page"]


class ModerateColumn(BaseColumn):
    """One-click Approve / Reject / Spam buttons (those that would change the comment)."""

    cell_template_name = "comments/moderate_cell.html"

    def get_cell_context_data(self, instance: Comment, parent_context: Any) -> dict[str, Any]:
        context = super().get_cell_context_data(instance, parent_context)
        request = parent_context.get("request")
        allowed = request is not None and may_moderate(request.user)
        context["actions"] = actions_for(instance) if allowed else []
        return context


class WaitingCountMenuItem:
    """A menu item whose label says how many comments wait: "Comments (3)".

    Wagtail's sidebar has no count badge for a plain link, so the count is
    part of the label, which screen readers read as well.
    """

    def render_component(self, request: Any) -> Any:
        component = super().render_component(request)  # type: ignore[misc]
        waiting = pending_count()
        if waiting:
            component.label = f"{component.label} ({waiting})"
            component.attrs = {**component.attrs, "data-waiting": str(waiting)}
        return component


class CommentViewSet(SnippetViewSet):
    model = Comment
    icon = "comment"
    menu_label = "Comments"
    menu_name = "comments"
    menu_order = 850
    add_to_admin_menu = True
    copy_view_enabled = False
    list_display = [
        "author_name",
        Column("excerpt", label="Comment", accessor=excerpt),
        "page",
        Column("status", label="Status", accessor="get_status_display", sort_key="status"),
        "created_at",
        ModerateColumn("moderate", label="Moderate"),
    ]
    list_filter = CommentFilterSet
    filterset_class = CommentFilterSet
    ordering = ["-created_at"]
    list_per_page = 50

    def get_queryset(self, request: Any) -> Any:
        return Comment.objects.select_related("page")

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),
            path("moderate/<int:pk>/<str:action>/", moderate, name="moderate"),
        ]

    @cached_property
    def menu_item_class(self) -> type:
        base = super().menu_item_class
        return type(base.__name__, (WaitingCountMenuItem, base), {})


register_snippet(CommentViewSet)


class CommentsWaitingPanel(Component):
    """The dashboard's "Comments waiting" panel: the oldest few, one click to decide each."""

    name = "comments_waiting"
    template_name = "comments/home_panel.html"
    order = 90  # above Wagtail's own panels: readers are waiting
    SHOWN = 5

    def get_context_data(self, parent_context: Any) -> dict[str, Any]:
        context = super().get_context_data(parent_context)
        waiting = Comment.objects.filter(status=Comment.PENDING).select_related("page")
        pending = waiting.count()
        context.update(
            pending=pending,
            heading=f"Comments waiting for moderation ({pending})",
            comments=rows(waiting.order_by("created_at")[: self.SHOWN], with_actions=True),
            list_url=reverse(Comment.snippet_viewset.get_url_name("list")),  # type: ignore[attr-defined]
            request=parent_context["request"],
            csrf_token=parent_context.get("csrf_token"),
        )
        return context


@hooks.register("construct_homepage_panels")
def add_comments_waiting_panel(request: Any, panels: list[Any]) -> None:
    if may_moderate(request.user):
        panels.append(CommentsWaitingPanel())


class StatusBulkAction(SnippetBulkAction):
    """Set the status of the selected comments (one subclass per status)."""

    status = ""
    models = [Comment]
    template_name = "comments/confirm_bulk_status.html"
    action_priority = 20

    def check_perm(self, obj: Comment) -> bool:
        return self.request.user.has_perm("comments.change_comment")

    @classmethod
    def execute_action(cls, objects: list[Comment], **kwargs: Any) -> tuple[int, int]:
        with transaction.atomic():
            changed = sum(set_status(comment, cls.status) for comment in objects)
        return changed, 0

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "action_label": self.display_name}

    def get_success_message(self, num_parent_objects: int, num_child_objects: int) -> str:
        return f"{num_parent_objects} comment(s) set to {self.status}."


@hooks.register("register_bulk_action")
class ApproveBulkAction(StatusBulkAction):
    display_name = "Approve"
    action_type = "approve"
    aria_label = "Approve the selected comments"
    status = Comment.APPROVED


@hooks.register("register_bulk_action")
class RejectBulkAction(StatusBulkAction):
    display_name = "Reject"
    action_type = "reject"
    aria_label = "Reject the selected comments"
    status = Comment.REJECTED


@hooks.register("register_bulk_action")
class SpamBulkAction(StatusBulkAction):
    display_name = "Mark as spam"
    action_type = "spam"
    aria_label = "Mark the selected comments as spam"
    status = Comment.SPAM
