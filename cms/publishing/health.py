"""The publishing pipeline's health, as editors see it, and the warnings it emails.

:func:`pipeline_health` reads the database once per call and returns a
:class:`PipelineHealth`: is the task worker alive (its heartbeat, see
cms/publishing/worker.py), the oldest change that is not live yet and how
long it has waited, a build waiting for an unreachable build service, and
the last build's result. ``problems`` lists, in plain words, what editors
should know; the dashboard panel, the Builds screen and the message after
Publish all show them.

:func:`notify_editors` emails (Wagtail's ``send_mail``) the editors whose
changes have waited past ``JAMTAIL_BUILD_WAIT_LIMIT_SECONDS`` or whose build
failed, once per change or build, plus ``JAMTAIL_PIPELINE_NOTIFY``.
"""

from __future__ import annotations

import logging
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Min, Q
from django.utils import timezone
from wagtail.admin.mail import send_mail

from .models import BuildRecord, BuildRequest, WorkerHeartbeat
from .tasks import seconds_to_dispatch

log = logging.getLogger(__name__)

# Builds still in flight: their changes are not live yet.
IN_FLIGHT = (BuildRecord.PENDING, BuildRecord.RUNNING)
# Build durations used to estimate "live in about N s".
RECENT_BUILDS = 5


@dataclass(frozen=True)
class LastBuild:
    """The newest finished build: id, ``succeeded``/``failed``, when, why it failed."""

    id: int
    status: str
    finished_at: datetime | None
    error: str


@dataclass(frozen=True)
class PipelineHealth:
    """The publishing pipeline at ``now`` (times are aware UTC datetimes, ages in seconds).

    - ``worker_alive``: a worker's heartbeat is younger than
      ``JAMTAIL_WORKER_STALE_SECONDS``; ``worker_last_seen`` is ``None`` when no
      worker ever ran.
    - ``waiting``: changes not live yet (unclaimed, or in a pending or running
      build); ``oldest_waiting_since`` the time of the oldest.
    - ``service_waiting_since``: the oldest build whose hooks the build service
      has not taken yet (``service_waiting_build``), and its last error.
    - ``last_build``: the newest finished build, or ``None``.
    - ``live_in_seconds``: a rough estimate of when a change made now is live
      (the debounce wait plus the median recent build), or ``None`` when it will not
      be live until a problem is fixed.
    """

    now: datetime
    worker_alive: bool
    worker_last_seen: datetime | None
    waiting: int
    oldest_waiting_since: datetime | None
    wait_limit_seconds: float
    service_waiting_since: datetime | None
    service_waiting_build: int | None
    service_error: str
    last_build: LastBuild | None
    hooks_configured: bool
    live_in_seconds: float | None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def worker_seconds_since(self) -> float | None:
        if self.worker_last_seen is None:
            return None
        return (self.now - self.worker_last_seen).total_seconds()

    @property
    def oldest_waiting_seconds(self) -> float | None:
        if self.oldest_waiting_since is None:
            return None
        return (self.now - self.oldest_waiting_since).total_seconds()

    @property
    def waited_too_long(self) -> bool:
        age = self.oldest_waiting_seconds
        return age is not None and age > self.wait_limit_seconds


def human_duration(seconds: float) -> str:
    """``"45 s"``, ``"3 min"``, ``"2 h 5 min"``: a duration an editor reads at a glance."""
    seconds = max(0, round(seconds))
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


def _not_live(now: datetime) -> Any:
    return BuildRequest.objects.filter(Q(build__isnull=True) | Q(build__status__in=IN_FLIGHT))


def pipeline_health(now: datetime | None = None) -> PipelineHealth:
    """The pipeline's state now (see :class:`PipelineHealth`); a few small queries."""
    now = now or timezone.now()
    stale = timedelta(seconds=settings.JAMTAIL_WORKER_STALE_SECONDS)
    beat = WorkerHeartbeat.objects.order_by("-last_seen").first()
    last_seen = beat.last_seen if beat else None
    # With the immediate backend tasks run inline in the request: no worker to miss.
    inline = settings.TASKS["default"]["BACKEND"].endswith(".ImmediateBackend")
    alive = inline or (last_seen is not None and now - last_seen <= stale)
    waiting_qs = _not_live(now)
    waiting = waiting_qs.count()
    oldest = waiting_qs.aggregate(oldest=Min("created_at"))["oldest"] if waiting else None
    stuck = (
        BuildRecord.objects.filter(status=BuildRecord.PENDING, hooks_waiting_since__isnull=False)
        .order_by("hooks_waiting_since")
        .first()
    )
    finished = (
        BuildRecord.objects.filter(status__in=(BuildRecord.SUCCEEDED, BuildRecord.FAILED))
        .order_by("-finished_at", "-id")
        .only("id", "status", "finished_at", "error")
        .first()
    )
    last = (
        LastBuild(finished.pk, finished.status, finished.finished_at, finished.error)
        if finished
        else None
    )
    hooks = bool(settings.JAMTAIL_BUILD_HOOKS)
    problems = []
    if not alive:
        if last_seen is None:
            problems.append("The build worker has not started: changes are not built.")
        else:
            ago = human_duration((now - last_seen).total_seconds())
            problems.append(
                f"The build worker is not running (last heard from {ago} ago): "
                "changes wait until it is back."
            )
    if stuck is not None:
        since = timezone.localtime(stuck.hooks_waiting_since)
        problems.append(
            f"Build #{stuck.pk} is waiting for the build service since {since:%Y-%m-%d %H:%M:%S}; "
            "it is retried until the service answers."
        )
    if not hooks and waiting:
        problems.append("No build hooks are configured (JAMTAIL_BUILD_HOOKS): changes wait.")
    if (
        oldest is not None
        and (now - oldest).total_seconds() > settings.JAMTAIL_BUILD_WAIT_LIMIT_SECONDS
    ):
        problems.append(
            f"The oldest change has waited {human_duration((now - oldest).total_seconds())} "
            "and is not live yet."
        )
    if last is not None and last.status == BuildRecord.FAILED:
        reason = (last.error.strip().splitlines() or ["see its log"])[0]
        problems.append(f"The last build, #{last.id}, failed: {reason}")
    blocked = not alive or stuck is not None or not hooks
    return PipelineHealth(
        now=now,
        worker_alive=alive,
        worker_last_seen=last_seen,
        waiting=waiting,
        oldest_waiting_since=oldest,
        wait_limit_seconds=settings.JAMTAIL_BUILD_WAIT_LIMIT_SECONDS,
        service_waiting_since=stuck.hooks_waiting_since if stuck else None,
        service_waiting_build=stuck.pk if stuck else None,
        service_error=stuck.error if stuck else "",
        last_build=last,
        hooks_configured=hooks,
        live_in_seconds=None if blocked else _estimate_live_in(),
        problems=problems,
    )


def _estimate_live_in() -> float:
    durations = list(
        BuildRecord.objects.filter(status=BuildRecord.SUCCEEDED, duration__isnull=False)
        .order_by("-finished_at")
        .values_list("duration", flat=True)[:RECENT_BUILDS]
    )
    typical = statistics.median(durations) if durations else 10.0
    return seconds_to_dispatch(timezone.now(), change_now=True) + typical


def publish_message(health: PipelineHealth, go_live_at: datetime | None = None) -> tuple[bool, str]:
    """What the editor is told after Publish: ``(fine, sentence)``.

    ``go_live_at``: the page's scheduled go-live time, when it is in the future.
    """
    if go_live_at is not None and go_live_at > health.now:
        when = timezone.localtime(go_live_at)
        if health.worker_alive:
            return True, (
                f"Scheduled: the worker publishes and builds it at {when:%Y-%m-%d %H:%M}, "
                f"live within about {human_duration(_schedule_delay(health))} of that time."
            )
        return False, (
            f"Scheduled for {when:%Y-%m-%d %H:%M}, but the build worker is not running: "
            "it will not go live until the worker is back."
        )
    if health.live_in_seconds is not None:
        return True, (
            f"The site is rebuilt with this change: live in about "
            f"{human_duration(health.live_in_seconds)} (see Builds)."
        )
    why = " ".join(p for p in health.problems if "worker" in p or "service" in p or "hooks" in p)
    return False, f"This change is saved but will not be live yet. {why}"


def _schedule_delay(health: PipelineHealth) -> float:
    return settings.JAMTAIL_SCHEDULE_CHECK_SECONDS + (health.live_in_seconds or 0)


# -- email ---------------------------------------------------------------------


def _recipients(users: list[Any]) -> list[str]:
    emails = {u.email for u in users if u is not None and u.email and u.is_active}
    return sorted(emails | set(settings.JAMTAIL_PIPELINE_NOTIFY))


def notify_editors(now: datetime | None = None) -> int:
    """Email the editors about changes waiting past the limit and failed builds; emails sent.

    Each change and each failed build is reported once (``alerted_at``). The
    recipients are the editors who made the changes (``BuildRequest.requested_by``)
    or asked for the build, plus ``JAMTAIL_PIPELINE_NOTIFY``.
    """
    now = now or timezone.now()
    health = pipeline_health(now)
    sent = 0
    limit = now - timedelta(seconds=settings.JAMTAIL_BUILD_WAIT_LIMIT_SECONDS)
    stuck = list(
        _not_live(now)
        .filter(created_at__lt=limit, alerted_at__isnull=True)
        .select_related("requested_by")
    )
    if stuck:
        recipients = _recipients([r.requested_by for r in stuck])
        lines = [f"- {r.event}: {r.object_repr} (since {r.created_at:%H:%M:%S} UTC)" for r in stuck]
        if recipients:
            sent += _send(
                f"Jamtail: {len(stuck)} change{'s' if len(stuck) != 1 else ''} not live "
                f"after {human_duration(settings.JAMTAIL_BUILD_WAIT_LIMIT_SECONDS)}",
                "These changes are saved but not on the site yet:\n"
                + "\n".join(lines)
                + "\n\nWhy:\n"
                + "\n".join(f"- {p}" for p in health.problems)
                + _builds_link(),
                recipients,
            )
        BuildRequest.objects.filter(pk__in=[r.pk for r in stuck]).update(alerted_at=now)
    recent = now - timedelta(days=1)
    for build in BuildRecord.objects.filter(
        status=BuildRecord.FAILED, alerted_at__isnull=True, requested_at__gte=recent
    ).select_related("requested_by"):
        users = [build.requested_by, *(r.requested_by for r in build.requests.all())]
        recipients = _recipients(users)
        if recipients:
            sent += _send(
                f"Jamtail: build #{build.pk} failed",
                f"Build #{build.pk} ({', '.join(build.events) or build.trigger}) failed; the live "
                f"site is unchanged.\n\n{build.error or '(see the build log)'}" + _builds_link(),
                recipients,
            )
        BuildRecord.objects.filter(pk=build.pk).update(alerted_at=now)
    return sent


def _builds_link() -> str:
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    return f"\n\nBuilds: {base}/admin/builds/\n"


def _send(subject: str, body: str, recipients: list[str]) -> int:
    try:
        send_mail(subject, body, recipients)
    except Exception:  # a mail server that is down must not stop the worker
        log.exception("could not email %s", ", ".join(recipients))
        return 0
    return 1
