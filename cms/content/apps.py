from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "cms.content"
    label = "content"
    verbose_name = "Content"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from .headless import forget_base_url
        from .models import SiteSettings

        post_save.connect(forget_base_url, sender=SiteSettings, dispatch_uid="jamtail-base-url")
