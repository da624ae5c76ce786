"""Comment API routes, included under ``/api/v2/`` by ``cms/urls.py``."""

from django.urls import path

from .api import CommentsView

urlpatterns = [path("comments/", CommentsView.as_view(), name="comments")]
