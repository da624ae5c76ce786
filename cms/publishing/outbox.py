"""Record a content change as a ``BuildRequest`` and schedule the dispatch after commit.

:func:`record_change` runs inside the editor's transaction, so the request
exists exactly when the change does (an outbox); the dispatch task is only
enqueued by ``transaction.on_commit`` and never runs in the editor's request
(with the database task backend; see docs/publishing.md).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from wagtail.log_actions import get_active_log_context

from cms.sync.capture import capture_change

from .models import BuildRequest

log = logging.getLogger(__name__)


def _acting_user() -> Any:
    """The admin user making the change (Wagtail's log context), or ``None``."""
    context = get_active_log_context()
    user = getattr(context, "user", None)
    return user if getattr(user, "pk", None) else None


def page_path(page: Any) -> str:
    """The page's path on the site (``/blog/post/``), or its tree ``url_path``."""
    try:
        parts = page.get_url_parts()
    except Exception:  # a page being deleted may have lost its site
        parts = None
    if parts and parts[2]:
        return parts[2]
    return getattr(page, "url_path", "") or ""


def record_change(
    event: str,
    pages: Iterable[Any] = (),
    obj: Any = None,
    paths: Iterable[str] = (),
) -> BuildRequest | None:
    """Write a ``BuildRequest`` for ``event`` and schedule a dispatch after commit.

    Never raises: a failure is logged, and the editor's change goes through.
    The sync change log is written first and does raise (see cms/sync/capture.py).
    """
    pages = list(pages)
    capture_change(event, pages, obj)
    try:
        request = BuildRequest.objects.create(
            event=event,
            requested_by=_acting_user(),
            page_ids=[p.pk for p in pages],
            paths=sorted({*(page_path(p) for p in pages), *paths} - {""}),
            object_repr=str(obj if obj is not None else (pages[0] if pages else ""))[:255],
        )
    except Exception:
        log.exception("could not record a build request for %s", event)
        return None
    transaction.on_commit(_schedule)
    return request


def _schedule() -> None:
    from .tasks import schedule_dispatch

    try:
        schedule_dispatch()
    except Exception:
        log.exception("could not enqueue the build dispatch task")
