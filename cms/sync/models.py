"""The change log behind ``/api/v2/sync/``: one row per changed item, in commit order.

``SyncClock`` is a single row holding the last sequence number handed out.
Every transaction that changes content increments it (an ``UPDATE`` that
locks the row until the transaction ends) and writes one ``ChangeLogEntry``
per affected item with the numbers it took. Because the row stays locked
until commit, a transaction cannot take a number while an earlier holder is
still open: sequence numbers become visible strictly in commit order, on
PostgreSQL as on SQLite (which serialises writers anyway). A reader that has
seen every committed row up to ``seq = n`` can therefore never later meet a
row with ``seq <= n``; that is what makes a cursor (a sequence number) safe
while editors publish during a sync. See docs/sync.md.
"""

from __future__ import annotations

import uuid

from django.db import models


def new_epoch() -> str:
    return uuid.uuid4().hex


class SyncClock(models.Model):
    """The single row (``pk=1``) numbering change-log entries."""

    value = models.BigIntegerField(default=0, help_text="the last sequence number handed out")
    pruned_through = models.BigIntegerField(
        default=0, help_text="entries up to this sequence number have been deleted"
    )
    epoch = models.CharField(
        max_length=32,
        default=new_epoch,
        help_text="identifies this change log; cursors of another are refused",
    )

    def __str__(self) -> str:
        return f"sync clock at {self.value}"


class ChangeLogEntry(models.Model):
    """One item (``kind``, ``item_id``) changed in the transaction that took ``seq``.

    Rows say *that* an item changed, never how: the sync endpoint reads the
    item's current state, so a deletion is an item no longer visible.
    """

    PAGE, AUTHOR, REDIRECT, SETTINGS = "page", "author", "redirect", "settings"
    KINDS = [(k, k) for k in (SETTINGS, AUTHOR, REDIRECT, PAGE)]

    seq = models.BigIntegerField(unique=True)
    kind = models.CharField(max_length=16, choices=KINDS)
    item_id = models.BigIntegerField()
    event = models.CharField(max_length=50, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "change log entries"

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind} {self.item_id} ({self.event})"


class SerialisedPage(models.Model):
    """A page's sync ``data`` as JSON text, so an unchanged page is serialised once.

    ``key`` names what the text was made from: the serialiser version, the
    API base URL of the request, the page's latest revision and publication
    time (see :func:`cms.sync.serialised.page_key`); a row with another key is
    never served. ``as_of`` is the change-log clock value read before the
    page was read: the row is stored only if no change-log entry after it
    names the page (the read may predate such a change).

    Every change-log entry for a page deletes its row in the same transaction
    (:func:`cms.sync.capture.append`), so anything the change log widens a
    change to (a linked page moved, an image, an author, a tag, the site's
    address) invalidates the rows it may have made stale. No foreign key: a
    row of a deleted page is never read (the page is not listed) and its
    deletion is in the change log, which removes the row.
    """

    page_id = models.BigIntegerField(primary_key=True)
    key = models.CharField(max_length=255)
    data = models.TextField(help_text="the page item's data, JSON")
    as_of = models.BigIntegerField(help_text="change-log clock value read before serialising")

    class Meta:
        verbose_name = "serialised page"

    def __str__(self) -> str:
        return f"page {self.page_id} ({self.key})"
