"""``manage.py supervise_worker [-- WORKER ARGS]``: keep ``pipeline_worker`` running.

Starts ``manage.py pipeline_worker`` with the given arguments (default
``--queue-name '*'``) and starts it again whenever it exits without being
asked to: killed (SIGKILL, out of memory), crashed, or exited with an error.
The pause before a restart starts at ``JAMTAIL_WORKER_RESTART_DELAY`` seconds
and doubles while the worker keeps dying within a minute of starting (at most
60 s), so a worker that cannot start does not spin. While the worker is down
the supervisor still emails editors about changes that wait too long
(:func:`cms.publishing.health.notify_editors`). SIGTERM or SIGINT stop the
worker (it finishes its current task) and then the supervisor.

In production, systemd's ``Restart=always`` does the same job; see
docs/publishing.md#worker for both.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import OperationalError, close_old_connections

from cms.publishing.dblock import is_locked
from cms.publishing.health import notify_editors

log = logging.getLogger("cms.publishing.supervisor")

MANAGE = Path(__file__).resolve().parents[4] / "manage.py"
LONGEST_PAUSE = 60.0
STABLE_SECONDS = 60.0
STOP_GRACE_SECONDS = 30.0


class Command(BaseCommand):
    help = "Run manage.py pipeline_worker and restart it whenever it dies"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "worker_args",
            nargs="*",
            help="arguments for pipeline_worker (after --), default: --queue-name '*'",
        )

    def handle(self, *args: Any, worker_args: list[str], verbosity: int, **options: Any) -> None:
        self.stopping = False
        self.child: subprocess.Popen | None = None
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        command = [sys.executable, str(MANAGE), "pipeline_worker", f"-v{verbosity}"]
        command += worker_args or ["--queue-name", "*"]
        pause = settings.JAMTAIL_WORKER_RESTART_DELAY
        restarts = 0
        while not self.stopping:
            started = time.monotonic()
            self.child = subprocess.Popen(command)
            code = self._wait(self.child)
            if self.stopping:
                break
            if time.monotonic() - started >= STABLE_SECONDS:
                pause = settings.JAMTAIL_WORKER_RESTART_DELAY
            restarts += 1
            how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exited with {code}"
            self.stderr.write(
                f"supervise_worker: the task worker (pid {self.child.pid}) {how}; "
                f"restart #{restarts} in {pause:.0f} s"
            )
            self._sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)
        self._stop_child()

    def _wait(self, child: subprocess.Popen) -> int:
        """Wait for ``child`` to exit (its return code), warning editors meanwhile."""
        next_check = 0.0
        while True:
            try:
                return child.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
            if self.stopping:
                self._stop_child()
                return child.returncode if child.returncode is not None else 0
            if time.monotonic() >= next_check:
                self._notify()
                next_check = time.monotonic() + settings.JAMTAIL_WORKER_HEARTBEAT_SECONDS

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        self._notify()
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.2, deadline - time.monotonic()))

    def _notify(self) -> None:
        try:
            notify_editors()
        except OperationalError as error:
            if not is_locked(error):
                raise
            # A long write holds the database: the next round will do.
        except Exception:  # the database may be gone: try again next round
            log.exception("supervise_worker: could not check for changes waiting too long")
        finally:
            close_old_connections()

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def _stop_child(self) -> None:
        child = self.child
        if child is None or child.poll() is not None:
            return
        child.terminate()
        try:
            child.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
