"""Connect content changes to :func:`outbox.record_change` (wired in ``apps.ready``)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_delete
from django.utils import timezone
from wagtail.contrib.redirects.models import Redirect
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from .outbox import page_path, record_change

UID = "jamtail-publishing-"


def _published(sender: Any, instance: Page, revision: Any = None, **kwargs: Any) -> None:
    record_change("publish_scheduled" if _scheduled(revision) else "publish", [instance])


def _scheduled(revision: Any) -> bool:
    """Whether ``revision`` goes live because its scheduled time came (``publish_scheduled``).

    Wagtail publishes a scheduled revision with its ``approved_go_live_at``
    still set on the instance (it clears the rows, not the object); an
    editor's own publish has none, or one in the future (scheduling it).
    """
    go_live = getattr(revision, "approved_go_live_at", None)
    return go_live is not None and go_live <= timezone.now()


def _unpublished(sender: Any, instance: Page, **kwargs: Any) -> None:
    # ``expired``: unpublished by ``publish_scheduled`` because its expiry time came.
    record_change("unpublish_expired" if instance.expired else "unpublish", [instance])


def _slug_changed(sender: Any, instance: Page, instance_before: Page, **kwargs: Any) -> None:
    record_change("slug_change", [instance], paths=[page_path(instance_before)])


def _moved(sender: Any, instance: Page, url_path_before: str = "", **kwargs: Any) -> None:
    if instance.live:
        record_change("move", [instance], paths=[url_path_before] if url_path_before else [])


def _page_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    if isinstance(instance, Page) and instance.live:
        record_change("delete", [instance])


# Wagtail fills these in lazily when an image or document is first read (by the
# API, say): saving them changes nothing anyone sees.
CACHED_FIELDS = {"file_hash", "file_size"}


def _changed(event: str):
    def handler(sender: Any, instance: Any, **kwargs: Any) -> None:
        if kwargs.get("update_fields") and set(kwargs["update_fields"]) <= CACHED_FIELDS:
            return
        action = "delete" if kwargs.get("signal") is post_delete else "change"
        # A new author has its own change-log item; a new image or document is only
        # an item through the pages and authors that use it, and none does yet.
        created = bool(kwargs.get("created")) and event in ("image", "document")
        record_change(f"{event}_{action}", obj=instance, created=created)

    return handler


def connect() -> None:
    from cms.content.models import Author, SiteSettings

    page_published.connect(_published, dispatch_uid=UID + "published")
    page_unpublished.connect(_unpublished, dispatch_uid=UID + "unpublished")
    page_slug_changed.connect(_slug_changed, dispatch_uid=UID + "slug")
    post_page_move.connect(_moved, dispatch_uid=UID + "move")
    # pre_delete: the page still knows its URL; Wagtail deletes specific rows too.
    pre_delete.connect(_page_deleted, sender=Page, dispatch_uid=UID + "page-delete")
    for name, model in [
        ("image", get_image_model()),
        ("document", get_document_model()),
        ("author", Author),
        ("settings", SiteSettings),
        ("redirect", Redirect),
    ]:
        handler = _changed(name)
        post_save.connect(handler, sender=model, weak=False, dispatch_uid=f"{UID}{name}-save")
        post_delete.connect(handler, sender=model, weak=False, dispatch_uid=f"{UID}{name}-del")
