"""Rebuild an article when what it shows of its comments changes (wired in ``apps.ready``).

A comment that becomes approved, stops being approved, or is deleted while
approved records ``record_change("comment_approve", [page])`` in the
publishing outbox (``cms/publishing/outbox.py``), inside the moderator's
transaction, so the page is rebuilt after the debounce like any publish.
A change that leaves the public page as it was (pending to spam) records nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save

from cms.publishing.outbox import record_change

from .models import Comment

UID = "jamtail-comments-"
EVENT = "comment_approve"


def _remember_status(sender: Any, instance: Comment, **kwargs: Any) -> None:
    before = None
    if instance.pk:
        before = Comment.objects.filter(pk=instance.pk).values_list("status", flat=True).first()
    instance._status_before = before  # type: ignore[attr-defined]


def _saved(sender: Any, instance: Comment, **kwargs: Any) -> None:
    was = getattr(instance, "_status_before", None) == Comment.APPROVED
    if was != (instance.status == Comment.APPROVED):
        record_change(EVENT, [instance.page], obj=instance)


def _deleted(sender: Any, instance: Comment, **kwargs: Any) -> None:
    if instance.status == Comment.APPROVED:
        try:
            page = instance.page
        except Exception:  # the page itself is being deleted: its own change rebuilds
            return
        record_change(EVENT, [page], obj=instance)


def connect() -> None:
    pre_save.connect(_remember_status, sender=Comment, dispatch_uid=UID + "pre-save")
    post_save.connect(_saved, sender=Comment, dispatch_uid=UID + "save")
    post_delete.connect(_deleted, sender=Comment, dispatch_uid=UID + "delete")
