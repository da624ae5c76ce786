"""Change capture: turn a content change into change-log rows, in the editor's transaction.

:func:`capture_change` is called by :func:`cms.publishing.outbox.record_change`
(every publish, unpublish, move, slug change, deletion, comment approval and
image, document, author, redirect and settings save or deletion passes
through it) and by this app's own signal handlers for what the outbox does not
see (view restrictions, sites, tags, non-live pages with live descendants).

An event names the items it touched; :func:`affected_items` widens that to
every item whose API representation may have changed:

==========================  ================================================================
event                        items recorded
==========================  ================================================================
``publish``, ``unpublish``   the page
``comment_*``                the page (approved comments are a page field)
``move``, ``slug_change``,   the page and its descendants (their URLs change), the redirects
``delete``, ``privacy``      to any of them, and the pages linking to any of them (the link
                             URL in their rich text changes; found through Wagtail's
                             reference index)
``image_*``                  pages using the image (reference index, ``hero_image``), authors
                             whose avatar it is
``document_*``               pages linking to the document (reference index)
``author_*``                 the author and the articles they signed
``tag_*``                    the articles carrying the tag
``settings_*``               the site settings
``redirect_*``               the redirect
``site``                     the site settings and every page (root, host or base URL changed)
``redirects_to``             redirects into the page's subtree (after Wagtail has created
                             redirects from the old URLs, with ``bulk_create``)
==========================  ================================================================

Rows only say *that* an item changed; the sync endpoint reads its current state.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import CharField, F, Max, Q
from django.db.models.functions import Cast
from wagtail.models import Page, ReferenceIndex

from . import serialised
from .models import ChangeLogEntry, SyncClock

log = logging.getLogger(__name__)

Item = tuple[str, int]  # (kind, id)
SUBTREE_EVENTS = {"move", "slug_change", "delete", "privacy"}
SETTINGS_ID = 1  # the site settings are one item


def capture_change(event: str, pages: Iterable[Any] = (), obj: Any = None) -> int:
    """Record every item ``event`` may have changed; return how many rows were written.

    Runs inside the caller's transaction (a savepoint when there is one), so
    the rows commit or roll back with the change itself. Errors propagate: a
    change the sync cannot see must not be committed silently.
    """
    items = affected_items(event, [p for p in pages if p is not None and p.pk], obj)
    return append(items, event)


def affected_items(event: str, pages: list[Any], obj: Any = None) -> list[Item]:
    """The ``(kind, id)`` items whose API output ``event`` may change (see the table above)."""
    page_ids = [p.pk for p in pages]
    if event == "redirects_to":
        return redirects_into(page_ids)
    items: list[Item] = [(ChangeLogEntry.PAGE, pk) for pk in page_ids]
    if event in SUBTREE_EVENTS and page_ids:
        items += subtree_items(page_ids)
    elif event == "site":
        items.append((ChangeLogEntry.SETTINGS, SETTINGS_ID))
        items += [(ChangeLogEntry.PAGE, pk) for pk in Page.objects.values_list("pk", flat=True)]
    if obj is not None and getattr(obj, "pk", None) is not None:
        items += object_items(event.rsplit("_", 1)[0], obj)
    return items


def subtree_items(page_ids: list[int]) -> list[Item]:
    """The pages below ``page_ids`` (inclusive), redirects to them and pages linking to them."""
    paths = list(Page.objects.filter(pk__in=page_ids).values_list("path", flat=True))
    if not paths:
        return []
    prefix = Q()
    for path in paths:
        prefix |= Q(path__startswith=path)
    subtree = Page.objects.filter(prefix)
    items = [(ChangeLogEntry.PAGE, pk) for pk in subtree.values_list("pk", flat=True)]
    from wagtail.contrib.redirects.models import Redirect

    redirects = Redirect.objects.filter(redirect_page__in=subtree.values("pk"))
    items += [(ChangeLogEntry.REDIRECT, pk) for pk in redirects.values_list("pk", flat=True)]
    linked = subtree.annotate(key=Cast("pk", output_field=CharField())).values("key")
    items += _referencing_pages(Page, linked)
    return items


def redirects_into(page_ids: list[int]) -> list[Item]:
    """Redirects to any page below ``page_ids`` (inclusive)."""
    from wagtail.contrib.redirects.models import Redirect

    paths = list(Page.objects.filter(pk__in=page_ids).values_list("path", flat=True))
    if not paths:
        return []
    prefix = Q()
    for path in paths:
        prefix |= Q(redirect_page__path__startswith=path)
    return [
        (ChangeLogEntry.REDIRECT, pk)
        for pk in Redirect.objects.filter(prefix).values_list("pk", flat=True)
    ]


def object_items(kind: str, obj: Any) -> list[Item]:
    """Items depending on a non-page object: ``kind`` is the event's prefix (``image``...)."""
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model

    from cms.content.models import ArticleAuthor, ArticlePage, ArticleTag, Author

    if kind == "settings":
        return [(ChangeLogEntry.SETTINGS, SETTINGS_ID)]
    if kind == "redirect":
        return [(ChangeLogEntry.REDIRECT, obj.pk)]
    if kind == "author":
        articles = ArticleAuthor.objects.filter(author_id=obj.pk).values_list("page_id", flat=True)
        return [(ChangeLogEntry.AUTHOR, obj.pk)] + [(ChangeLogEntry.PAGE, pk) for pk in articles]
    if kind == "tag":
        tagged = ArticleTag.objects.filter(tag_id=obj.pk).values_list(
            "content_object_id", flat=True
        )
        return [(ChangeLogEntry.PAGE, pk) for pk in tagged]
    if kind == "image" and isinstance(obj, get_image_model()):
        heroes = ArticlePage.objects.filter(hero_image_id=obj.pk).values_list("pk", flat=True)
        avatars = Author.objects.filter(avatar_id=obj.pk).values_list("pk", flat=True)
        return (
            [(ChangeLogEntry.PAGE, pk) for pk in heroes]
            + [(ChangeLogEntry.AUTHOR, pk) for pk in avatars]
            + _referencing_pages(obj, [str(obj.pk)])
        )
    if kind == "document" and isinstance(obj, get_document_model()):
        return _referencing_pages(obj, [str(obj.pk)])
    return []


def _referencing_pages(target: Any, target_ids: Any) -> list[Item]:
    """Pages whose content refers to ``target_ids`` (objects of ``target``'s model).

    Read from Wagtail's reference index, which a background task updates after
    a save; see docs/sync.md for the window this leaves.
    """
    sources = ReferenceIndex.objects.filter(
        to_content_type=ReferenceIndex._get_base_content_type(target),
        to_object_id__in=target_ids,
        base_content_type=ReferenceIndex._get_base_content_type(Page),
    ).values_list("object_id", flat=True)
    return [(ChangeLogEntry.PAGE, int(pk)) for pk in set(sources)]


def append(items: Iterable[Item], event: str = "") -> int:
    """Write one change-log row per distinct item, numbered from the locked clock."""
    unique = list(dict.fromkeys(items))
    if not unique:
        return 0
    with transaction.atomic():
        first = take_sequence_numbers(len(unique))
        ChangeLogEntry.objects.bulk_create(
            [
                ChangeLogEntry(seq=first + n, kind=kind, item_id=pk, event=event[:50])
                for n, (kind, pk) in enumerate(unique)
            ],
            batch_size=500,
        )
        # The serialised form of every page named here may be stale (cms/sync/serialised.py).
        serialised.invalidate(pk for kind, pk in unique if kind == ChangeLogEntry.PAGE)
    return len(unique)


def take_sequence_numbers(count: int) -> int:
    """Reserve ``count`` consecutive sequence numbers; return the first.

    The ``UPDATE`` locks the clock row until the surrounding transaction ends,
    which is what orders sequence numbers by commit (see models.py).
    """
    if not SyncClock.objects.filter(pk=1).update(value=F("value") + count):
        try:
            with transaction.atomic():
                last = ChangeLogEntry.objects.aggregate(last=Max("seq"))["last"] or 0
                SyncClock.objects.create(pk=1, value=last + count)
                return last + 1
        except IntegrityError:  # another transaction created it first
            SyncClock.objects.filter(pk=1).update(value=F("value") + count)
    value = SyncClock.objects.values_list("value", flat=True).get(pk=1)
    return value - count + 1
