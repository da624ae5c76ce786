"""The public shape of approved comments: threaded, without emails or client hashes.

``[{"id", "parent", "author_name", "created_at", "body_html", "replies": [...]}]``,
oldest first at every level. ``body_html`` is cleaned with nh3 once more on
the way out (``functions/comment_markup.py``), whatever the database holds.
A reply whose parent is no longer approved is shown at the top level: the
moderator approved the reply itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework import serializers

from functions.comment_markup import clean_html

from .models import Comment


def public_comment(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "parent": comment.parent_id,
        "author_name": comment.author_name,
        "created_at": comment.created_at.isoformat(timespec="seconds"),
        "body_html": clean_html(comment.body_html),
        "replies": [],
    }


def threaded(comments: Iterable[Comment]) -> list[dict[str, Any]]:
    """Approved ``comments`` (oldest first) as a tree of :func:`public_comment` dicts."""
    nodes = {c.pk: public_comment(c) for c in comments}
    roots = []
    for node in nodes.values():
        parent = nodes.get(node["parent"]) if node["parent"] else None
        (parent["replies"] if parent else roots).append(node)
    return roots


def approved_of(page: Any) -> list[Comment]:
    """A page's approved comments, from the listing's prefetch when it made one."""
    prefetched = getattr(page, "approved_comments", None)
    if prefetched is not None:
        return prefetched
    return list(page.comments.filter(status=Comment.APPROVED).order_by("created_at", "id"))


class CommentsField(serializers.Field):
    """An article's approved comments, threaded (page API field ``comments``)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        kwargs.setdefault("source", "*")
        super().__init__(**kwargs)

    def to_representation(self, page: Any) -> list[dict[str, Any]]:
        return threaded(approved_of(page))
