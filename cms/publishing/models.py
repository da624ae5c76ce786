"""The outbox of build requests and the record of each build.

``BuildRequest``: one content change (event, affected page ids and paths),
written in the same transaction as the change. ``build`` stays empty until the
dispatch task claims the request into a ``BuildRecord``.

``BuildRecord``: one build as the admin shows it. The dispatch task creates it
(status ``pending``) and posts the build hooks (``webhook_attempts``); the
runner reports ``running`` and then ``succeeded`` or ``failed`` with times, the
log tail and the build's report (:class:`jamtail.report.BuildReport` as JSON)
through ``/api/v2/builds/<id>/``; the counts shown in lists are copied from it.

``trigger`` names what caused the build, in the words editors use (see
:data:`TRIGGERS`): the kinds of its changes (``publish``, ``unpublish``,
``move``, ``delete``, ``image``, ``document``, ``snippet``, ``comment``,
``schedule``), or ``manual``, ``retry`` or ``runner``.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models

from jamtail.report import BuildReport


class BuildRecord(models.Model):
    PENDING, RUNNING, SUCCEEDED, FAILED = "pending", "running", "succeeded", "failed"
    STATUSES = [(s, s) for s in (PENDING, RUNNING, SUCCEEDED, FAILED)]

    trigger = models.CharField(max_length=50, help_text="publish, unpublish, manual, retry, ...")
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING, db_index=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    retry_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    events = models.JSONField(default=list, blank=True)
    page_ids = models.JSONField(default=list, blank=True)
    paths = models.JSONField(default=list, blank=True)
    pages_rebuilt = models.PositiveIntegerField(null=True, blank=True)
    files_uploaded = models.PositiveIntegerField(
        null=True, blank=True, help_text="by the deploy (none when not deployed)"
    )
    bytes = models.BigIntegerField(null=True, blank=True, help_text="of the built site")
    kind = models.CharField(max_length=12, blank=True, help_text="full, incremental or patch")
    report = models.JSONField(
        null=True, blank=True, help_text="the build's report (jamtail.report.BuildReport JSON)"
    )
    duration = models.FloatField(null=True, blank=True, help_text="seconds")
    log_tail = models.TextField(blank=True)
    deploy_url = models.URLField(max_length=500, blank=True)
    runner = models.CharField(max_length=100, blank=True)
    webhook_attempts = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, help_text="why the build or its webhooks failed")
    # The build service (runner, Netlify) did not take the hooks yet: the CMS keeps
    # retrying with capped exponential backoff until it does (docs/publishing.md#outages).
    hooks_waiting_since = models.DateTimeField(null=True, blank=True)
    next_hook_attempt_at = models.DateTimeField(null=True, blank=True)
    hook_rounds = models.PositiveIntegerField(default=0, help_text="delivery rounds so far")
    alerted_at = models.DateTimeField(
        null=True, blank=True, help_text="when editors were emailed about this build's failure"
    )

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"Build #{self.pk} ({self.status})"

    def apply_report(self, report: BuildReport) -> None:
        """Keep ``report`` and copy the figures the lists show from it."""
        self.report = report.to_json()
        self.pages_rebuilt = report.pages_rebuilt
        self.files_uploaded = report.files_uploaded
        self.bytes = report.bytes
        self.kind = report.kind
        if report.deploy_url:
            self.deploy_url = report.deploy_url[:500]

    def _report(self, name: str, default: Any) -> Any:
        return (self.report or {}).get(name) or default

    @property
    def warnings(self) -> list[str]:
        return self._report("warnings", [])

    @property
    def broken_links(self) -> list[dict[str, str]]:
        """``{source, target}`` of each broken internal link the build found (if checked)."""
        return self._report("broken_links", [])

    @property
    def durations(self) -> dict[str, float]:
        """Seconds per build stage, from the report."""
        return self._report("durations", {})

    @property
    def deploy(self) -> dict[str, Any]:
        return self._report("deploy", {})

    def site_url(self, fallback: str = "") -> str:
        """The live site's address without a trailing slash: the deploy's URL when it is
        a web address (not a local ``file:`` one), else ``fallback`` (the site's base URL)."""
        if self.deploy_url.startswith(("http://", "https://")):
            return self.deploy_url.rstrip("/")
        return fallback.rstrip("/")

    def payload(self) -> dict[str, Any]:
        """The JSON body sent to build hooks (see docs/publishing.md)."""
        requests = list(self.requests.order_by("id"))
        return {
            "build_id": self.pk,
            "trigger": self.trigger,
            "events": self.events,
            "page_ids": self.page_ids,
            "paths": self.paths,
            "request_ids": [str(r.request_id) for r in requests],
            "time": self.requested_at.isoformat(),
        }


class BuildRequest(models.Model):
    """One content change waiting for (or included in) a build."""

    request_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.CharField(max_length=50)
    page_ids = models.JSONField(default=list, blank=True)
    paths = models.JSONField(default=list, blank=True)
    object_repr = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    build = models.ForeignKey(
        BuildRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    alerted_at = models.DateTimeField(
        null=True, blank=True, help_text="when editors were emailed that this change is stuck"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.event} {self.object_repr}".strip()


class WorkerHeartbeat(models.Model):
    """One task worker process, as it last reported itself (every few seconds).

    The admin counts the worker as alive while ``last_seen`` is younger than
    ``JAMTAIL_WORKER_STALE_SECONDS``.
    """

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)
    tasks_run = models.PositiveIntegerField(default=0)
    last_schedule_check = models.DateTimeField(
        null=True, blank=True, help_text="when the worker last ran publish_scheduled"
    )

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"worker {self.hostname}:{self.pid} (seen {self.last_seen:%H:%M:%S})"
