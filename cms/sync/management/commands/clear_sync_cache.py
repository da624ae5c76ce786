"""``manage.py clear_sync_cache``: forget every page's cached serialised form."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cms.sync.serialised import clear


class Command(BaseCommand):
    help = (
        "Empty the sync endpoint's serialised-page cache (cms/sync/serialised.py). Run it after "
        "changing content without signals (SQL, QuerySet.update()); the next sync serialises "
        "every page again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Deleted {clear()} serialised pages.")
