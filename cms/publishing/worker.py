"""The task worker's own duties besides running tasks: heartbeat and periodic checks.

``manage.py pipeline_worker`` runs django-tasks-db's worker (the tasks) and,
in a background thread, :class:`Housekeeper`: every
``JAMTAIL_WORKER_HEARTBEAT_SECONDS`` it

- records the worker's heartbeat (:class:`~.models.WorkerHeartbeat`), which the
  admin reads to say whether the worker is alive;
- runs Wagtail's ``publish_scheduled`` every ``JAMTAIL_SCHEDULE_CHECK_SECONDS``,
  so scheduled go-live and expiry reach the site within a minute (the signal
  handlers record them as ``publish_scheduled`` / ``unpublish_expired``, as
  they do when cron runs the command);
- posts build hooks whose delivery round is due (a build service that was
  down, :func:`~.tasks.resume_deliveries`);
- re-enqueues the dispatch of changes whose dispatch task was lost
  (:func:`~.tasks.redispatch_stalled`);
- emails editors about changes waiting too long or failed builds
  (:func:`~.health.notify_editors`).

Every step is retried on a locked database and any error is logged, never
fatal: the thread keeps beating.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.management import call_command
from django.db import close_old_connections
from django.utils import timezone

from .dblock import retry_when_locked
from .health import notify_editors
from .models import WorkerHeartbeat
from .tasks import redispatch_stalled, resume_deliveries

log = logging.getLogger(__name__)


def record_heartbeat(worker_id: str, started_at: float, tasks_run: int = 0) -> None:
    """Create or refresh this process's heartbeat row (``started_at``: a UNIX time)."""
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": datetime.fromtimestamp(started_at, tz=UTC),
            "last_seen": now,
            "tasks_run": tasks_run,
        },
    )
    # Rows of workers gone for a day are noise in the admin.
    WorkerHeartbeat.objects.filter(last_seen__lt=now - timedelta(days=1)).delete()


def publish_scheduled(worker_id: str) -> None:
    """Run Wagtail's ``publish_scheduled`` and note when it last ran on the heartbeat."""
    call_command("publish_scheduled", verbosity=0)
    WorkerHeartbeat.objects.filter(worker_id=worker_id).update(last_schedule_check=timezone.now())


class Housekeeper:
    """The periodic duties of one worker process (see the module docstring)."""

    def __init__(self, worker_id: str, tasks_run: Callable[[], int] = lambda: 0):
        self.worker_id = worker_id
        self.tasks_run = tasks_run
        self.started_at = time.time()
        self.stopped = threading.Event()
        self._last_schedule_check = 0.0

    def start(self) -> None:
        """Start the heartbeat and the duties in two daemon threads.

        Two threads, so a slow duty (posting to a build service that times
        out) never delays the heartbeat and makes a busy worker look dead.
        """
        for name, target in [("heartbeat", self.beat), ("housekeeping", self.run)]:
            threading.Thread(target=target, name=f"jamtail-{name}", daemon=True).start()

    def beat(self) -> None:
        while not self.stopped.is_set():
            self._run_step("heartbeat", self.heartbeat)
            self.stopped.wait(settings.JAMTAIL_WORKER_HEARTBEAT_SECONDS)

    def heartbeat(self) -> None:
        record_heartbeat(self.worker_id, self.started_at, self.tasks_run())

    def run(self) -> None:
        while not self.stopped.is_set():
            self.tick()
            self.stopped.wait(settings.JAMTAIL_WORKER_HEARTBEAT_SECONDS)

    def tick(self) -> None:
        """One round of duties; each step's failure is logged and the others still run."""
        steps: list[tuple[str, Callable[[], object]]] = []
        if time.monotonic() - self._last_schedule_check >= settings.JAMTAIL_SCHEDULE_CHECK_SECONDS:
            self._last_schedule_check = time.monotonic()
            steps.append(("publish_scheduled", lambda: publish_scheduled(self.worker_id)))
        steps += [
            ("build hook deliveries", resume_deliveries),
            ("stalled dispatch", redispatch_stalled),
            ("editor notifications", notify_editors),
        ]
        for name, step in steps:
            self._run_step(name, step)

    def _run_step(self, name: str, step: Callable[[], object]) -> None:
        try:
            retry_when_locked(step)()
        except Exception:
            log.exception("worker housekeeping step %r failed; trying again next round", name)
        finally:
            close_old_connections()

    def stop(self) -> None:
        self.stopped.set()
