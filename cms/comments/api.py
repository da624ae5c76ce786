"""``/api/v2/comments/``: the comments function stores comments; anyone lists approved ones.

- ``GET /api/v2/comments/?page=<id>``: public. ``{"page": id, "comments": [...]}``
  with the live article's approved comments, threaded (``serializers.py``);
  400 without a page id, 404 when no live article has that id.
- ``POST /api/v2/comments/``: only with ``Authorization: Bearer
  $JAMTAIL_COMMENTS_TOKEN`` (compared in constant time; 401 when wrong or
  missing, 403 when no token is configured). Body: ``page``, ``parent``
  (optional), ``author_name``, ``author_email`` (optional), ``body_markdown``,
  ``body_html`` (optional; cleaned again here), ``client_address``. Answers 201
  ``{"id", "status": "pending"}``; 400 ``{"message", "fields"}`` when a field
  is invalid, the page is not a live article, or the parent is not an approved
  comment of the same page; 429 with ``Retry-After`` (seconds) when this
  client already posted ``JAMTAIL_COMMENTS_RATE_LIMIT`` comments in the last
  ``JAMTAIL_COMMENTS_RATE_WINDOW`` seconds.

Exactly once: a post may carry ``Idempotency-Key`` (1 to 64 characters of
``A-Z a-z 0-9 _ -``; the comments function derives one from the reader's form
token and comment, draft-ietf-httpapi-idempotency-key-header). The first post
with a key stores the comment; a repeat, however late and whatever happened
since (a timeout, a dropped connection), gets the first answer again, 201
``{"id", "status": "pending"}`` with ``Idempotent-Replayed: true``, and stores
nothing. 400 for a malformed key.

The client address is hashed (``models.client_hash``) and never stored. The
rate limit counts every comment of the client, whatever its status, so spam
that was already removed still counts.
"""

from __future__ import annotations

import hmac
import math
import re
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cms.content.models import ArticlePage

from .models import Comment, client_hash
from .serializers import threaded
from .tasks import schedule_notification

IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Larger ids cannot be in the database (a 400, not a database overflow's 500):
# Wagtail's Page id is an AutoField (32 bits), a comment's a BigAutoField.
MAX_PAGE_ID = 2**31 - 1
MAX_COMMENT_ID = 2**63 - 1


class NewCommentSerializer(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_ID)
    parent = serializers.IntegerField(
        min_value=1, max_value=MAX_COMMENT_ID, required=False, allow_null=True
    )
    author_name = serializers.CharField(max_length=80, trim_whitespace=True)
    author_email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    body_markdown = serializers.CharField(max_length=5000, trim_whitespace=True)
    body_html = serializers.CharField(max_length=100_000, required=False, allow_blank=True)
    client_address = serializers.CharField(max_length=64)

    def validate_page(self, value: int) -> ArticlePage:
        page = ArticlePage.objects.live().public().filter(pk=value).first()
        if page is None:
            raise serializers.ValidationError(f"no live article with id {value}")
        return page

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        parent_id = data.get("parent")
        data["parent"] = None
        if parent_id:
            parent = Comment.objects.filter(
                pk=parent_id, page=data["page"], status=Comment.APPROVED
            ).first()
            if parent is None:
                raise serializers.ValidationError(
                    {"parent": "not an approved comment on this page"}
                )
            data["parent"] = parent
        return data


def _refused(request: Request) -> Response | None:
    token = settings.JAMTAIL_COMMENTS_TOKEN
    if not token:
        return Response({"message": "JAMTAIL_COMMENTS_TOKEN is not configured"}, status=403)
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        return Response({"message": "invalid or missing service token"}, status=401)
    return None


def retry_after(hashed: str) -> int | None:
    """Seconds until ``hashed`` may post again, or ``None`` when it is under the limit."""
    window = timedelta(seconds=settings.JAMTAIL_COMMENTS_RATE_WINDOW)
    now = timezone.now()
    recent = Comment.objects.filter(client_hash=hashed, created_at__gt=now - window)
    times = list(
        recent.order_by("-created_at").values_list("created_at", flat=True)[
            : settings.JAMTAIL_COMMENTS_RATE_LIMIT
        ]
    )
    if len(times) < settings.JAMTAIL_COMMENTS_RATE_LIMIT:
        return None
    # The oldest of the last LIMIT comments leaves the window first.
    return max(1, math.ceil((times[-1] + window - now).total_seconds()))


def serialise_per_client(hashed: str) -> None:
    """Make one client's posts count and insert one at a time, inside the transaction.

    SQLite already does (``transaction_mode=IMMEDIATE`` takes the write lock at
    BEGIN); PostgreSQL takes a transaction-level advisory lock on the hash, so
    simultaneous posts cannot all see room under the limit.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(hashed[:15], 16)])


class CommentsView(APIView):
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []

    def get(self, request: Request) -> Response:
        page_id = request.query_params.get("page", "")
        if not (page_id.isascii() and page_id.isdigit() and int(page_id) <= MAX_PAGE_ID):
            return Response({"message": "give ?page=<page id>"}, status=400)
        page = ArticlePage.objects.live().public().filter(pk=int(page_id)).first()
        if page is None:
            return Response({"message": f"no live article with id {page_id}"}, status=404)
        approved = page.comments.filter(status=Comment.APPROVED).order_by("created_at", "id")
        return Response({"page": page.pk, "comments": threaded(approved)})

    def post(self, request: Request) -> Response:
        if refused := _refused(request):
            return refused
        key = request.headers.get("Idempotency-Key")
        if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
            return Response(
                {"message": "Idempotency-Key must be 1 to 64 of A-Z a-z 0-9 _ -"}, status=400
            )
        if key and (first := first_answer(key)):
            return first
        if not isinstance(request.data, dict):
            return Response({"message": "the body must be a JSON object"}, status=400)
        form = NewCommentSerializer(data=request.data)
        if not form.is_valid():
            fields = {k: " ".join(str(e) for e in v) for k, v in form.errors.items()}
            message = fields.pop("non_field_errors", "") or "please correct the marked fields"
            return Response({"message": message, "fields": fields}, status=400)
        data = form.validated_data
        hashed = client_hash(data["client_address"])
        with transaction.atomic():
            serialise_per_client(hashed)
            wait = retry_after(hashed)
            if wait is not None:
                return Response(
                    {"message": f"too many comments from you: try again in {wait} s"},
                    status=429,
                    headers={"Retry-After": str(wait)},
                )
            try:
                with transaction.atomic():  # a savepoint: a key stored meanwhile undoes only this
                    comment = Comment.objects.create(
                        page=data["page"],
                        parent=data["parent"],
                        author_name=data["author_name"],
                        author_email=data.get("author_email", ""),
                        body_markdown=data["body_markdown"],
                        body_html=data.get("body_html", ""),
                        client_hash=hashed,
                        idempotency_key=key or None,
                    )
            except IntegrityError:
                if key and (first := first_answer(key)):
                    return first
                raise
            schedule_notification(comment)
        return Response(stored_answer(comment), status=201)


def stored_answer(comment: Comment) -> dict[str, Any]:
    """The answer to the post that stored ``comment``: it was pending then, whatever it is now."""
    return {"id": comment.pk, "status": Comment.PENDING}


def first_answer(key: str) -> Response | None:
    """The first answer again for a post repeating ``key``; ``None`` for a new key."""
    comment = Comment.objects.filter(idempotency_key=key).first()
    if comment is None:
        return None
    return Response(stored_answer(comment), status=201, headers={"Idempotent-Replayed": "true"})
