"""``manage.py prune_sync_log``: delete change-log entries older than the cursor lifetime."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from cms.sync.api import clock, max_age
from cms.sync.models import ChangeLogEntry, SyncClock


class Command(BaseCommand):
    help = (
        "Delete sync change-log entries older than JAMTAIL_SYNC_CURSOR_MAX_AGE. Cursors that "
        "still point before them are answered 410 Gone (the builder then syncs in full)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            default=None,
            help="age in seconds (default: JAMTAIL_SYNC_CURSOR_MAX_AGE)",
        )

    def handle(self, *args: Any, older_than: int | None = None, **options: Any) -> None:
        cutoff = timezone.now() - dt.timedelta(
            seconds=older_than if older_than is not None else max_age()
        )
        clock()  # make sure the row exists
        with transaction.atomic():
            old = ChangeLogEntry.objects.filter(created_at__lt=cutoff)
            through = old.aggregate(last=Max("seq"))["last"]
            if through is None:
                self.stdout.write("Nothing to prune.")
                return
            count, _ = ChangeLogEntry.objects.filter(seq__lte=through).delete()
            SyncClock.objects.filter(pk=1, pruned_through__lt=through).update(
                pruned_through=through
            )
        self.stdout.write(f"Pruned {count} change-log entries (through #{through}).")
