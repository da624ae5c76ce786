from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _clear_serialised_pages(sender: Any, **kwargs: Any) -> None:
    # A deploy that migrates may change how pages are serialised: start the cache afresh.
    from django.db import connections

    from .models import SerialisedPage

    using = kwargs.get("using", "default")
    if SerialisedPage._meta.db_table in connections[using].introspection.table_names():
        SerialisedPage.objects.using(using).all().delete()


class SyncConfig(AppConfig):
    name = "cms.sync"
    label = "sync"
    verbose_name = "Content sync"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signal_handlers

        signal_handlers.connect()
        post_migrate.connect(_clear_serialised_pages, sender=self)
