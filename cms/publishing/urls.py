"""Runner-facing API routes, included under ``/api/v2/`` by ``cms/urls.py``."""

from django.urls import path

from . import api

urlpatterns = [
    path("builds/", api.builds, name="publishing-builds"),
    path("builds/<int:build_id>/", api.build_detail, name="publishing-build"),
]
