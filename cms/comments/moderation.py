"""One-click moderation: approve, reject or mark as spam with one POST, and the count waiting.

Used by the Comments listing (a "Moderate" column), the article editor's
"Reader comments" panel, the dashboard panel and the bulk actions
(``wagtail_hooks.py``). Each button is Wagtail's own ``w-action#post``
(a POST with the CSRF token and ``next``, the page it was clicked on); the
view needs ``comments.change_comment`` and returns to ``next``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .models import Comment

PERMISSION = "comments.change_comment"


@dataclass(frozen=True)
class Action:
    """One moderation decision: its URL word, the status it sets, its button and message."""

    name: str
    status: str
    label: str
    done: str


ACTIONS = {
    a.name: a
    for a in (
        Action("approve", Comment.APPROVED, "Approve", "Approved"),
        Action("reject", Comment.REJECTED, "Reject", "Rejected"),
        Action("spam", Comment.SPAM, "Spam", "Marked as spam"),
    )
}


def pending_count() -> int:
    """Comments waiting for a moderator's decision."""
    return Comment.objects.filter(status=Comment.PENDING).count()


def set_status(comment: Comment, status: str) -> bool:
    """Give ``comment`` ``status``; False when it already had it (nothing saved).

    Saving records a rebuild of the page when what it shows changes
    (``signal_handlers.py``).
    """
    if comment.status == status:
        return False
    comment.status = status
    comment.save(update_fields=["status", "body_html", "updated_at"])
    return True


def may_moderate(user) -> bool:
    return bool(user and user.has_perm(PERMISSION))


def actions_for(comment: Comment) -> list[tuple[Action, str]]:
    """``(action, URL)`` of each decision that would change ``comment``, in button order."""
    return [
        (action, reverse(url_name(), args=[comment.pk, action.name]))
        for action in ACTIONS.values()
        if action.status != comment.status
    ]


def url_name() -> str:
    return Comment.snippet_viewset.get_url_name("moderate")  # type: ignore[attr-defined]


@require_POST
def moderate(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """POST: apply ``action`` (approve, reject, spam) to comment ``pk``; back to ``next``."""
    if not may_moderate(request.user):
        raise PermissionDenied
    chosen = ACTIONS.get(action)
    if chosen is None:
        raise Http404(f"no moderation action {action!r}")
    with transaction.atomic():
        comment = get_object_or_404(Comment.objects.select_for_update(), pk=pk)
        changed = set_status(comment, chosen.status)
    who = f"{comment.author_name} on “{comment.page.title}”"
    if changed:
        messages.success(request, f"{chosen.done}: the comment by {who}.")
    else:
        messages.info(request, f"The comment by {who} was already {comment.get_status_display()}.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse(Comment.snippet_viewset.get_url_name("list"))  # type: ignore[attr-defined]
    return redirect(target)
