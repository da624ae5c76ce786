from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _clear_serialised_pages(sender: Any, plan: Any = None, **kwargs: Any) -> None:
    # Applied migrations may change pages in ways the change log did not see (a data
    # migration): start the cache afresh. A migrate with nothing to apply (every deploy
    # runs one) keeps it; new code changes the rows' key anyway (serialised.page_key).
    if plan == []:
        return
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
