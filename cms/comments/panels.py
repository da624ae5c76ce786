"""The article editor's "Reader comments" panel: the page's own comments, one click to decide.

Not Wagtail's editorial commenting (the side panel where editors discuss a
draft): these are readers' comments from the site, as the Comments listing
shows them, limited to this page, with the same one-click buttons.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Case, IntegerField, Value, When
from django.urls import reverse
from wagtail.admin.panels import Panel

from .models import Comment
from .moderation import actions_for, may_moderate

SHOWN = 20


def excerpt(comment: Comment, length: int = 120) -> str:
    """The comment's text on one line, cut at ``length`` characters with an ellipsis."""
    text = " ".join(comment.body_markdown.split())
    return text if len(text) <= length else text[: length - 1] + "…"


def rows(comments: Any, with_actions: bool) -> list[dict[str, Any]]:
    """What the panels show per comment: the comment, its excerpt and its one-click actions."""
    return [
        {"comment": c, "excerpt": excerpt(c), "actions": actions_for(c) if with_actions else []}
        for c in comments
    ]


class ReaderCommentsPanel(Panel):
    """Lists the page's reader comments, pending first, newest first, with moderation buttons."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "comments/page_comments_panel.html"

        def is_shown(self) -> bool:
            return bool(self.instance and self.instance.pk) and super().is_shown()

        def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
            context = super().get_context_data(parent_context)
            comments = Comment.objects.filter(page_id=self.instance.pk)
            pending_first = Case(
                When(status=Comment.PENDING, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
            shown = list(comments.order_by(pending_first, "-created_at")[:SHOWN])
            can_moderate = may_moderate(self.request.user)
            list_url = reverse(Comment.snippet_viewset.get_url_name("list"))  # type: ignore[attr-defined]
            context.update(
                comments=rows(shown, can_moderate),
                can_moderate=can_moderate,
                total=comments.count(),
                pending=comments.filter(status=Comment.PENDING).count(),
                list_url=f"{list_url}?page={self.instance.pk}",
            )
            return context
