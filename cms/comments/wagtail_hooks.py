"""Moderation in the Wagtail admin: the "Comments" menu item, its list, filters and bulk actions.

The list (a ``SnippetViewSet``) shows the newest comments first and filters by
status and page; pending comments are one click away. Selecting comments
offers **Approve**, **Reject** and **Mark as spam** (and Wagtail's Delete).
Each needs ``comments.change_comment`` (given to the Editors and Moderators
groups by migration 0002). Saving a comment whose approval changes records a
rebuild of its page (``signal_handlers.py``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import Comment


class CommentFilterSet(WagtailFilterSet):
    class Meta:
        model = Comment
        fields = ["status", "page"]


def excerpt(comment: Comment) -> str:
    text = comment.body_markdown.replace("\n", " ")
    return text if len(text) <= 120 else text[:119] + "…"


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
    ]
    list_filter = CommentFilterSet
    filterset_class = CommentFilterSet
    ordering = ["-created_at"]
    list_per_page = 50

    def get_queryset(self, request: Any) -> Any:
        return Comment.objects.select_related("page")


register_snippet(CommentViewSet)


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
        changed = 0
        with transaction.atomic():
            for comment in objects:
                if comment.status != cls.status:
                    comment.status = cls.status
                    comment.save(update_fields=["status", "body_html", "updated_at"])
                    changed += 1
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
