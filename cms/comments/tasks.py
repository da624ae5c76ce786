"""Email the moderators about a new comment, in a background task (django-tasks).

:func:`schedule_notification` runs inside the transaction that stores the
comment and enqueues :func:`notify_moderators` after commit, so the comments
API never waits for SMTP and a mail failure never loses a comment. A failed
send is logged and tried again (``MAX_ATTEMPTS`` in all, backing off, when the
task backend can defer); a sent one is recorded in ``Comment.notified_at``.
Recipients: ``JAMTAIL_COMMENTS_NOTIFY`` (comma-separated); none, no email.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from .models import Comment

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
BACKOFF_SECONDS = 30


def schedule_notification(comment: Comment) -> None:
    """Enqueue the moderators' email for ``comment`` once the transaction commits."""
    if not settings.JAMTAIL_COMMENTS_NOTIFY:
        return

    def enqueue() -> None:
        try:
            notify_moderators.enqueue(comment.pk)
        except Exception:
            log.exception("could not enqueue the email about comment %s", comment.pk)

    transaction.on_commit(enqueue)


def message_for(comment: Comment) -> tuple[str, str]:
    """``(subject, plain-text body)`` of the email about ``comment`` (no reader email in it)."""
    admin = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    edit = admin + reverse("wagtailsnippets_comments_comment:edit", args=[comment.pk])
    listing = admin + reverse("wagtailsnippets_comments_comment:list") + "?status=pending"
    subject = f"New comment on “{comment.page.title}” from {comment.author_name}"[:200]
    body = (
        f"{comment.author_name} commented on “{comment.page.title}”:\n\n"
        f"{comment.body_markdown}\n\n"
        f"Approve, reject or mark it as spam: {edit}\n"
        f"Every comment awaiting moderation: {listing}\n"
    )
    return subject, body


@task()
def notify_moderators(comment_id: int, attempt: int = 1) -> bool:
    """Send the email about comment ``comment_id``; ``True`` once sent."""
    comment = Comment.objects.select_related("page").filter(pk=comment_id).first()
    if comment is None or comment.notified_at is not None:
        return False
    subject, body = message_for(comment)
    try:
        send_mail(subject, body, None, settings.JAMTAIL_COMMENTS_NOTIFY)
    except Exception as exc:
        log.warning("email about comment %s failed (attempt %d): %s", comment_id, attempt, exc)
        backend = notify_moderators.get_backend()
        if attempt < MAX_ATTEMPTS and backend.supports_defer:
            later = timezone.now() + timedelta(seconds=BACKOFF_SECONDS * attempt)
            notify_moderators.using(run_after=later).enqueue(comment_id, attempt + 1)
        return False
    Comment.objects.filter(pk=comment_id).update(notified_at=timezone.now())
    return True
