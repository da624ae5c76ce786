"""Background tasks (django-tasks): dispatch pending build requests, post the build hooks.

``schedule_dispatch()`` runs after the editor's transaction commits. It
enqueues :func:`dispatch_builds`, unless one is already waiting (a burst of
publishes makes one task, not fifty). :func:`dispatch_builds` applies the
debounce rule (``debounce.py``): the first change after a quiet period builds at
once; for changes that follow it, it re-enqueues itself for later
(``run_after``) until the quiet period has passed; then it claims every
unclaimed ``BuildRequest`` atomically into a new ``BuildRecord`` and posts the
build hooks. A change that commits while a dispatch runs enqueues a new task
(the running one no longer counts as waiting), so no change is ever left out.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone
from django_tasks import task

from jamtail import webhooks

from . import debounce
from .dblock import retry_when_locked
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
    """Enqueue a dispatch unless one is already waiting.

    Enqueued to run at once: it builds the first change after a quiet period now and
    defers itself for the changes that follow (``debounce.py``). Always enqueued, even
    where this process has no hooks configured (an import from the command line, a
    shell): the worker's settings decide where hooks go.
    """
    if _supports_defer() and _dispatch_waiting():
        return
    dispatch_builds.enqueue()


def seconds_to_dispatch(now: datetime, change_now: bool = False) -> float:
    """Seconds until the waiting changes are dispatched by the debounce rule (0: now).

    ``change_now``: as if one more change was made at ``now`` (what an editor who
    publishes now will wait).
    """
    times = BuildRequest.objects.filter(build__isnull=True).aggregate(
        newest=Max("created_at"), oldest=Min("created_at")
    )
    if change_now:
        times = {"newest": now, "oldest": times["oldest"] or now}
    return debounce.seconds_to_wait(
        now,
        times["newest"],
        times["oldest"],
        settings.JAMTAIL_BUILD_QUIET_SECONDS,
        settings.JAMTAIL_BUILD_MAX_WAIT_SECONDS,
        last_change=BuildRequest.objects.filter(build__isnull=False).aggregate(
            last=Max("created_at")
        )["last"],
        settled=latest_build_finished(),
    )


def latest_build_finished() -> bool:
    """Whether the latest build was reported finished (succeeded or failed)."""
    status = BuildRecord.objects.order_by("-requested_at", "-pk").values_list("status").first()
    return status is not None and status[0] in (BuildRecord.SUCCEEDED, BuildRecord.FAILED)


def dispatch_after_build() -> None:
    """A build was reported finished: build the changes that waited for it now.

    Enqueued even when a deferred dispatch waits (it would run up to the quiet
    period later); whichever runs first claims the changes, the other finds none.
    """
    if BuildRequest.objects.filter(build__isnull=True).exists():
        dispatch_builds.enqueue()


@task()
def dispatch_builds() -> int | None:
    """Claim the pending build requests into a build and post the hooks; the build id.

    A locked database (a long import) is waited out (:mod:`.dblock`), not fatal.
    """
    return retry_when_locked(_dispatch_builds)()


def _dispatch_builds() -> int | None:
    if not settings.JAMTAIL_BUILD_HOOKS:
        log.info("no build hooks configured (JAMTAIL_BUILD_HOOKS): build requests wait")
        return None
    now = timezone.now()
    wait = seconds_to_dispatch(now)
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
    retry_when_locked(_send_build_hooks)(build_id)


def _send_build_hooks(build_id: int) -> None:
    send_hooks(BuildRecord.objects.get(pk=build_id))


def hook_backoff(rounds: int) -> float:
    """Seconds to wait after the ``rounds``-th failed delivery round before the next.

    ``JAMTAIL_WEBHOOK_BACKOFF`` doubled each round, capped at
    ``JAMTAIL_WEBHOOK_BACKOFF_MAX``: 1, 2, 4, ... 300, 300, ... with the defaults.
    """
    base = max(settings.JAMTAIL_WEBHOOK_BACKOFF, 0.01)
    return float(min(base * 2 ** max(rounds - 1, 0), settings.JAMTAIL_WEBHOOK_BACKOFF_MAX))


def _delivered_urls(build: BuildRecord) -> set[str]:
    return {d["url"] for d in build.webhook_attempts if d.get("ok")}


def send_hooks(build: BuildRecord) -> None:
    """POST the signed payload to every configured hook that has not taken it yet.

    Hooks that answered are not posted again. When the rest failed on errors
    that may pass (the build service is down, busy or unreachable), the build
    stays ``pending`` and "waiting for the build service": ``hooks_waiting_since``
    is set and ``next_hook_attempt_at`` says when :func:`resume_deliveries`
    tries again (capped exponential backoff, with no limit on rounds: the
    change is delivered when the service returns). A hook that refuses (4xx),
    or no hooks at all, fails the build with the reason.
    """
    hooks = settings.JAMTAIL_BUILD_HOOKS
    if not hooks:
        build.status, build.error = BuildRecord.FAILED, "no build hooks configured"
        build.save(update_fields=["status", "error"])
        return
    pending_hooks = [url for url in hooks if url not in _delivered_urls(build)]
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
        for url in pending_hooks
    ]
    retry_when_locked(_record_deliveries)(build.pk, deliveries)


def _record_deliveries(build_id: int, deliveries: list[webhooks.Delivery]) -> None:
    now = timezone.now()
    with transaction.atomic():
        build = BuildRecord.objects.get(pk=build_id)
        build.webhook_attempts = [*build.webhook_attempts, *(d.as_dict() for d in deliveries)]
        fields = ["webhook_attempts", "error", "hooks_waiting_since", "next_hook_attempt_at"]
        failed = [d for d in deliveries if not d.ok]
        reasons = "\n".join(f"{d.url}: {d.reason}" for d in failed)
        build.next_hook_attempt_at = None
        if not failed:
            build.hooks_waiting_since = None
            build.error = ""
        elif all(d.retryable for d in failed):
            build.hooks_waiting_since = build.hooks_waiting_since or now
            build.hook_rounds += 1
            fields.append("hook_rounds")
            pause = hook_backoff(build.hook_rounds)
            build.next_hook_attempt_at = now + timedelta(seconds=pause)
            since = f"{build.hooks_waiting_since:%Y-%m-%d %H:%M:%S}"
            build.error = (
                f"waiting for the build service since {since} "
                f"UTC ({build.hook_rounds} round{'s' if build.hook_rounds != 1 else ''} of "
                f"attempts; next in {pause:.0f} s)\n{reasons}"
            )
            log.warning("build #%s: build service unreachable, next try in %.0f s: %s",
                        build.pk, pause, reasons)  # fmt: skip
        else:
            build.hooks_waiting_since = None
            build.error = reasons
            log.warning("build #%s: build hooks failed: %s", build.pk, reasons)
            if build.status == BuildRecord.PENDING:
                build.status = BuildRecord.FAILED
                build.finished_at = now
                fields += ["status", "finished_at"]
        build.save(update_fields=fields)


def resume_deliveries(now: datetime | None = None) -> list[int]:
    """Post the hooks of every build whose next delivery round is due; their ids.

    Called by the worker's periodic loop (cms/publishing/worker.py). Each due
    build is claimed by clearing ``next_hook_attempt_at`` in a conditional
    ``UPDATE``, so two workers never deliver the same round twice.
    """
    now = now or timezone.now()
    due = BuildRecord.objects.filter(
        status=BuildRecord.PENDING, next_hook_attempt_at__lte=now
    ).values_list("pk", "next_hook_attempt_at")
    sent = []
    for pk, when in list(due):
        claimed = BuildRecord.objects.filter(pk=pk, next_hook_attempt_at=when).update(
            next_hook_attempt_at=None
        )
        if claimed:
            send_hooks(BuildRecord.objects.get(pk=pk))
            sent.append(pk)
    return sent


def redispatch_stalled(now: datetime | None = None) -> bool:
    """Enqueue a dispatch when changes wait with none enqueued; whether it did.

    A dispatch task can be lost: its worker was killed mid-task, or the task
    failed on a locked database. The outbox still holds the changes, so the
    worker's periodic loop calls this and the changes build without anyone
    publishing again.
    """
    now = now or timezone.now()
    quiet = timedelta(seconds=settings.JAMTAIL_BUILD_QUIET_SECONDS)
    stalled = BuildRequest.objects.filter(build__isnull=True, created_at__lte=now - quiet)
    if not settings.JAMTAIL_BUILD_HOOKS or not stalled.exists() or _dispatch_waiting():
        return False
    dispatch_builds.enqueue()
    return True


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
