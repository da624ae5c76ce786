"""Change capture for what the publishing outbox does not see (wired in ``apps.ready``).

Everything else reaches :func:`capture.capture_change` through
:func:`cms.publishing.outbox.record_change`.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from taggit.models import Tag
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_slug_changed, post_page_move

from .capture import capture_change

UID = "jamtail-sync-"


def _privacy(sender: Any, instance: PageViewRestriction, **kwargs: Any) -> None:
    # Any restriction hides the page and its descendants from anonymous API readers.
    page = Page.objects.filter(pk=instance.page_id).first()
    if page is not None:
        capture_change("privacy", [page])


def _site(sender: Any, instance: Site, **kwargs: Any) -> None:
    capture_change("site")


def _remember_base_url(sender: Any, instance: Any, **kwargs: Any) -> None:
    before = type(instance).objects.filter(pk=instance.pk).values_list("base_url", flat=True)
    instance._sync_base_url_before = before.first() if instance.pk else None


def _base_url_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Every page's meta.html_url is on the site's address (cms/content/headless.py).
    if getattr(instance, "_sync_base_url_before", None) != instance.base_url:
        capture_change("site")


def _moved(sender: Any, instance: Page, **kwargs: Any) -> None:
    # The outbox records moves of live pages; a draft's live descendants move too.
    capture_change("move" if not instance.live else "redirects_to", [instance])


def _slug_changed(sender: Any, instance: Page, **kwargs: Any) -> None:
    # Runs after Wagtail's own handler has bulk-created redirects from the old URLs
    # (bulk_create sends no post_save): record the redirects into the subtree.
    capture_change("redirects_to", [instance])


def _remember_url_path(sender: Any, instance: Any, **kwargs: Any) -> None:
    if isinstance(instance, Page) and instance.pk and not kwargs.get("raw"):
        before = Page.objects.filter(pk=instance.pk).values_list("url_path", flat=True).first()
        instance._sync_url_path_before = before  # type: ignore[attr-defined]


def _url_path_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Wagtail sends page_slug_changed only after commit; recording the subtree here
    # puts it in the same transaction as the new URLs.
    before = getattr(instance, "_sync_url_path_before", None)
    if isinstance(instance, Page) and before is not None and before != instance.url_path:
        capture_change("slug_change", [instance])


def _before_delete(kind: str):
    # Before the deletion cascades (article authors) or nulls foreign keys (hero
    # images): afterwards nothing says which items showed the object.
    def handler(sender: Any, instance: Any, **kwargs: Any) -> None:
        capture_change(f"{kind}_delete", obj=instance)

    return handler


def _tag_changed(sender: Any, instance: Tag, **kwargs: Any) -> None:
    capture_change("tag_change", obj=instance)


def connect() -> None:
    from cms.content.models import Author, SiteSettings

    for signal in (post_save, post_delete):
        name = "save" if signal is post_save else "delete"
        signal.connect(_privacy, sender=PageViewRestriction, dispatch_uid=f"{UID}privacy-{name}")
        signal.connect(_site, sender=Site, dispatch_uid=f"{UID}site-{name}")
    # Connected after wagtail.contrib.redirects' handlers (INSTALLED_APPS order).
    post_page_move.connect(_moved, dispatch_uid=UID + "move")
    page_slug_changed.connect(_slug_changed, dispatch_uid=UID + "slug")
    for kind, model in [
        ("image", get_image_model()),
        ("document", get_document_model()),
        ("author", Author),
    ]:
        pre_delete.connect(
            _before_delete(kind), sender=model, weak=False, dispatch_uid=f"{UID}{kind}-pre-delete"
        )
    pre_save.connect(_remember_base_url, sender=SiteSettings, dispatch_uid=UID + "base-url-pre")
    post_save.connect(_base_url_changed, sender=SiteSettings, dispatch_uid=UID + "base-url-post")
    pre_save.connect(_remember_url_path, dispatch_uid=UID + "page-pre-save")
    post_save.connect(_url_path_changed, dispatch_uid=UID + "page-post-save")
    post_save.connect(_tag_changed, sender=Tag, dispatch_uid=UID + "tag-save")
    pre_delete.connect(_tag_changed, sender=Tag, dispatch_uid=UID + "tag-delete")
