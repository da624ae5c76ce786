"""Background tasks (django-tasks): dispatch pending build requests, post the build hooks.

``schedule_dispatch()`` runs after the editor's transaction commits. It
enqueues :func:`dispatch_builds` to run after the quiet period, unless one is
already waiting (a burst of publishes makes one task, not fifty).
:func:`dispatch_builds` re-checks the outbox: if a newer change arrived it
re-enqueues itself for later (``run_after``); otherwise it claims every
unclaimed ``BuildRequest`` atomically into a new ``BuildRecord`` and posts the
build hooks. A change that commits while a dispatch runs enqueues a new task
(the running one no longer counts as waiting), so no change is ever left out.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone
from django_tasks import task

from jamtail import webhooks

from . import debounce
from .models import BuildRecord, BuildRequest
from .triggers import trigger_for

log = logging.getLogger(__name__)


def _supports_defer() -> bool:
    return bool(dispatch_builds.get_backend().supports_defer)


def _dispatch_waiting() -> bool:
    """Whether a dispatch task is enqueued and not started yet (database backend only)."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the database backend is a dependency
        return False
    return DBTaskResult.objects.filter(
        status="READY", task_path=dispatch_builds.module_path
    ).exists()


def schedule_dispatch() -> None:
    """Enqueue a dispatch after the quiet period unless one is already waiting.

    Always enqueued, even where this process has no hooks configured (an import
    from the command line, a shell): the worker's settings decide where hooks go.
    """
    if not _supports_defer():
        dispatch_builds.enqueue()
        return
    if _dispatch_waiting():
        return
    quiet = timedelta(seconds=settings.JAMTAIL_BUILD_QUIET_SECONDS)
    dispatch_builds.using(run_after=timezone.now() + quiet).enqueue()


@task()
def dispatch_builds() -> int | None:
    """Claim the pending build requests into a build and post the hooks; the build id."""
    if not settings.JAMTAIL_BUILD_HOOKS:
        log.info("no build hooks configured (JAMTAIL_BUILD_HOOKS): build requests wait")
        return None
    pending = BuildRequest.objects.filter(build__isnull=True)
    times = pending.aggregate(newest=Max("created_at"), oldest=Min("created_at"))
    now = timezone.now()
    wait = debounce.seconds_to_wait(
        now,
        times["newest"],
        times["oldest"],
        settings.JAMTAIL_BUILD_QUIET_SECONDS,
        settings.JAMTAIL_BUILD_MAX_WAIT_SECONDS,
    )
    if wait > 0 and _supports_defer():
        if not _dispatch_waiting():
            dispatch_builds.using(run_after=now + timedelta(seconds=wait)).enqueue()
        return None
    build = claim_pending()
    if build is None:
        return None
    send_hooks(build)
    return build.pk


def claim_pending(trigger: str = "") -> BuildRecord | None:
    """Move every unclaimed request into a new pending ``BuildRecord`` (None if none).

    Its ``trigger`` is ``trigger`` when given, else the kinds of the claimed
    changes (:func:`triggers.trigger_for`: ``publish``, ``unpublish, comment``...).
    """
    with transaction.atomic():
        build = BuildRecord.objects.create(trigger=trigger or "publish")
        claimed = BuildRequest.objects.filter(build__isnull=True).update(build=build)
        if not claimed:
            transaction.set_rollback(True)
            return None
        requests = list(build.requests.order_by("id"))
        build.trigger = trigger or trigger_for(r.event for r in requests)
        build.events = sorted({r.event for r in requests})
        build.page_ids = sorted({i for r in requests for i in r.page_ids})
        build.paths = sorted({p for r in requests for p in r.paths})
        build.save(update_fields=["trigger", "events", "page_ids", "paths"])
    return build


@task()
def send_build_hooks(build_id: int) -> None:
    """Post the hooks of an existing build (Rebuild now, Retry)."""
    send_hooks(BuildRecord.objects.get(pk=build_id))


def send_hooks(build: BuildRecord) -> None:
    """POST the signed payload to every configured hook; record attempts, fail if all failed."""
    hooks = settings.JAMTAIL_BUILD_HOOKS
    if not hooks:
        build.status, build.error = BuildRecord.FAILED, "no build hooks configured"
        build.save(update_fields=["status", "error"])
        return
    payload = build.payload()
    title = f"Jamtail build #{build.pk}: {', '.join(build.events) or build.trigger}"
    deliveries = [
        webhooks.deliver(
            url,
            payload,
            settings.JAMTAIL_WEBHOOK_SECRET,
            max_attempts=settings.JAMTAIL_WEBHOOK_MAX_ATTEMPTS,
            timeout=settings.JAMTAIL_WEBHOOK_TIMEOUT,
            backoff=settings.JAMTAIL_WEBHOOK_BACKOFF,
            title=title,
        )
        for url in hooks
    ]
    errors = [f"{d.url}: {d.reason}" for d in deliveries if not d.ok]
    build.refresh_from_db()
    build.webhook_attempts = [*build.webhook_attempts, *(d.as_dict() for d in deliveries)]
    fields = ["webhook_attempts"]
    if errors:
        build.error = "\n".join(errors)
        fields.append("error")
        log.warning("build #%s: build hooks failed: %s", build.pk, build.error)
    if errors and len(errors) == len(deliveries) and build.status == BuildRecord.PENDING:
        build.status = BuildRecord.FAILED
        build.finished_at = timezone.now()
        fields += ["status", "finished_at"]
    build.save(update_fields=fields)


def request_build(trigger: str, user=None, retry_of: BuildRecord | None = None) -> BuildRecord:
    """Create a build now (admin "Rebuild now"/"Retry") and post its hooks after commit."""
    build = BuildRecord.objects.create(trigger=trigger, requested_by=user, retry_of=retry_of)
    if retry_of is not None:
        build.events, build.page_ids, build.paths = (
            retry_of.events,
            retry_of.page_ids,
            retry_of.paths,
        )
        build.save(update_fields=["events", "page_ids", "paths"])
    transaction.on_commit(lambda: send_build_hooks.enqueue(build.pk))
    return build
