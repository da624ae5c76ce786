from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "cms.sync"
    label = "sync"
    verbose_name = "Content sync"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signal_handlers

        signal_handlers.connect()
