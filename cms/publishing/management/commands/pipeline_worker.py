"""``manage.py pipeline_worker``: the task worker with a heartbeat and periodic checks.

Takes django-tasks-db's ``db_worker`` options (``--queue-name``, ``--interval``,
``--worker-id``, ...; ``--reload`` is not supported). Differences from ``db_worker``:

- a heartbeat and the periodic duties of :mod:`cms.publishing.worker`
  (scheduled publishing, build hook retries, stalled dispatches, warnings);
- recording a task's result retries while SQLite is locked, where
  ``db_worker`` would die of ``OperationalError: database is locked``;
- a calm log at the default verbosity: only failed tasks and warnings
  (``-v 2`` logs every task's state, ``-v 3`` debug).

Run it under a supervisor that restarts it (``manage.py supervise_worker``,
or systemd with ``Restart=always``; see docs/publishing.md#worker).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import OperationalError, connections
from django_tasks_db.compat import TASKS_LOGGER
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from cms.publishing.dblock import is_locked, retry_when_locked
from cms.publishing.worker import Housekeeper

log = logging.getLogger("cms.publishing.worker")


class SturdyWorker(db_worker.Worker):
    """django-tasks-db's worker, carrying on through a locked database.

    ``db_worker`` opens its claim transaction (``BEGIN IMMEDIATE``) outside its
    own "database is locked" handling, so a write lock held longer than the
    busy timeout (a long import) ends the process; and recording a task's
    result has no handling at all. Here both wait the lock out.
    """

    def run(self) -> None:
        while True:
            try:
                return super().run()
            except OperationalError as error:
                if not is_locked(error) or not self.running:
                    raise
                log.warning("the database is locked (a long write elsewhere); waiting")
                connections.close_all()  # a fresh connection for the next claim
                time.sleep(max(self.interval, 1.0))

    def run_task(self, db_task_result: DBTaskResult) -> None:
        for name in ("set_successful", "set_failed"):
            method = getattr(db_task_result, name)
            setattr(db_task_result, name, retry_when_locked(method))
        super().run_task(db_task_result)

    @property
    def tasks_run(self) -> int:
        return self._run_tasks


class Command(db_worker.Command):
    help = "Run the task worker with a heartbeat, scheduled publishing and build hook retries"

    def configure_logging(self, verbosity: int) -> None:
        super().configure_logging(max(verbosity - 1, 0) if verbosity > 1 else verbosity)
        if verbosity == 1:
            # Failed tasks are logged at ERROR (with their traceback): keep those,
            # drop the two INFO lines every task writes.
            logging.getLogger(TASKS_LOGGER).setLevel(logging.WARNING)
            logging.getLogger("django_tasks_db").setLevel(logging.ERROR)

    def handle(self, *, verbosity: int, **options: Any) -> None:
        self.configure_logging(verbosity)
        queue_names = options["queue_name"].split(",")
        excluded = options["exclude_queues"].split(",") if options["exclude_queues"] else []
        worker = SturdyWorker(
            queue_names=queue_names,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=excluded,
        )
        housekeeper = Housekeeper(options["worker_id"], lambda: worker.tasks_run)
        housekeeper.start()
        worker.configure_signals()
        try:
            worker.run()
        finally:
            housekeeper.stop()
