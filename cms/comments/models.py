"""The ``Comment`` model: a reader's comment on an article, awaiting or past moderation.

Only approved comments are ever public (the comments API and the page API's
``comments`` field). The email and the client hash are for moderators and the
rate limit; no public API serves them. The client's address is never stored:
only :func:`client_hash`, a keyed hash of it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.crypto import salted_hmac
from wagtail.admin.panels import FieldPanel
from wagtail.search import index


def client_hash(address: str) -> str:
    """HMAC-SHA256 (hex, 64 characters) of a client address, keyed by the comments salt.

    The key is ``JAMTAIL_COMMENTS_HASH_SALT``, or derived from ``SECRET_KEY``
    when it is unset, so the hashes cannot be reversed by hashing every address.
    """
    salt = settings.JAMTAIL_COMMENTS_HASH_SALT or None
    return salted_hmac(
        "jamtail.comments.client", address, secret=salt, algorithm="sha256"
    ).hexdigest()


class Comment(index.Indexed, models.Model):
    PENDING, APPROVED, REJECTED, SPAM = "pending", "approved", "rejected", "spam"
    STATUSES = [
        (PENDING, "Pending"),
        (APPROVED, "Approved"),
        (REJECTED, "Rejected"),
        (SPAM, "Spam"),
    ]

    page = models.ForeignKey(
        "content.ArticlePage", on_delete=models.CASCADE, related_name="comments"
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replies",
        help_text="The comment this one replies to.",
    )
    author_name = models.CharField(max_length=80)
    author_email = models.EmailField(blank=True, help_text="Private: never published.")
    body_markdown = models.TextField(help_text="What the reader wrote (Markdown).")
    body_html = models.TextField(help_text="The sanitised HTML shown on the page.")
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    client_hash = models.CharField(
        max_length=64, blank=True, editable=False, help_text="Keyed hash of the client address."
    )
    # The comments function's Idempotency-Key: a retried post finds its comment here.
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, editable=False)

    # Moderators decide; they do not rewrite what a reader wrote.
    panels = [
        FieldPanel("status"),
        FieldPanel("page", read_only=True),
        FieldPanel("author_name", read_only=True),
        FieldPanel("author_email", read_only=True),
        FieldPanel("body_markdown", read_only=True),
        FieldPanel("created_at", read_only=True),
    ]
    search_fields = [
        index.SearchField("author_name"),
        index.SearchField("body_markdown"),
        index.FilterField("status"),
        index.FilterField("page"),
    ]

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["client_hash", "created_at"]),
            models.Index(fields=["page", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="comment_idempotency_key")
        ]

    def __str__(self) -> str:
        return f"{self.author_name} on {self.page.title}"[:120]

    def save(self, *args, **kwargs) -> None:
        from functions.comment_markup import clean_html, render_comment

        # The function's HTML is untrusted here too: cleaned again before it is stored.
        self.body_html = clean_html(self.body_html or render_comment(self.body_markdown))
        super().save(*args, **kwargs)


def approved_comments() -> Prefetch:
    """A prefetch of each article's approved comments, oldest first, as ``approved_comments``."""
    return Prefetch(
        "comments",
        queryset=Comment.objects.filter(status=Comment.APPROVED).order_by("created_at", "id"),
        to_attr="approved_comments",
    )
