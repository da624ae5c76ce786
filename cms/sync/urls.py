"""``/api/v2/sync/`` (mounted in cms/urls.py)."""

from django.urls import path

from .api import SyncView

urlpatterns = [path("", SyncView.as_view(), name="sync")]
