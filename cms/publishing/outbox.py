"""Record a content change as a ``BuildRequest`` and schedule the dispatch after commit.

:func:`record_change` runs inside the editor's transaction, so the request
exists exactly when the change does (an outbox); the dispatch task is only
enqueued by ``transaction.on_commit`` and never runs in the editor's request
(with the database task backend; see docs/publishing.md).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
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
    created: bool = False,
) -> BuildRequest | None:
    """Write a ``BuildRequest`` for ``event`` and schedule a dispatch after commit.

    ``created``: ``obj`` was just added, so nothing in the sync can depend on it yet
    (an image no page shows): the change log has nothing to look up for it.

    Never raises: a failure is logged, and the editor's change goes through.
    The sync change log is written first and does raise (see cms/sync/capture.py).
    """
    pages = list(pages)
    capture_change(event, pages, None if created else obj)
    batch = _batch.get()
    if batch is not None:
        batch.add(event, pages, paths)
        return None
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


@dataclass
class _Batch:
    """What :func:`one_build_request` has collected so far."""

    events: set[str] = field(default_factory=set)
    page_ids: set[int] = field(default_factory=set)
    paths: set[str] = field(default_factory=set)

    def add(self, event: str, pages: list[Any], paths: Iterable[str]) -> None:
        self.events.add(event)
        self.page_ids.update(p.pk for p in pages)
        self.paths.update(page_path(p) for p in pages)
        self.paths.update(paths)


_batch: ContextVar[_Batch | None] = ContextVar("jamtail_outbox_batch", default=None)


@contextlib.contextmanager
def one_build_request(event: str) -> Iterator[None]:
    """Within the block, changes make one ``BuildRequest`` (``event``) at its end, not one each.

    For bulk jobs such as an import, which commit in many transactions: each
    :func:`record_change` still writes the sync change log in its own
    transaction (the builder's incremental sync sees every change), but the
    build request, and so the build, comes once, after the last change, even
    when the block raises. Nested blocks join the outer one.
    """
    if _batch.get() is not None:
        yield
        return
    batch = _Batch()
    token = _batch.set(batch)
    try:
        yield
    finally:
        _batch.reset(token)
        if batch.events:
            _write_batch(event, batch)


def _write_batch(event: str, batch: _Batch) -> None:
    try:
        with transaction.atomic():
            BuildRequest.objects.create(
                event=event,
                requested_by=_acting_user(),
                page_ids=sorted(batch.page_ids),
                paths=sorted(batch.paths - {""}),
                object_repr=", ".join(sorted(batch.events))[:255],
            )
            transaction.on_commit(_schedule)
    except Exception:
        log.exception("could not record a build request for %s", event)
