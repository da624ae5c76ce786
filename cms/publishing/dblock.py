"""Retry a database write that SQLite refused with "database is locked".

SQLite lets one writer in at a time. A long write (an import, a bulk edit)
makes every other writer wait up to the busy timeout (``timeout`` in the
database OPTIONS, see cms/settings.py) and then fail with
``OperationalError: database is locked``. Background work must not die of
that: :func:`retry_when_locked` runs the write again, with exponential
backoff, until ``JAMTAIL_DB_LOCK_RETRY_SECONDS`` have passed. Any other
error, and a locked database past the deadline, is raised as it was.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.conf import settings
from django.db import OperationalError, close_old_connections, connection

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

FIRST_PAUSE_SECONDS = 0.5
LONGEST_PAUSE_SECONDS = 10.0


def is_locked(error: BaseException) -> bool:
    """Whether ``error`` is SQLite's "database is locked" / "database table is locked"."""
    return isinstance(error, OperationalError) and "is locked" in str(error)


def retry_when_locked(
    function: Callable[P, R],
    *,
    seconds: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Callable[P, R]:
    """``function`` wrapped to run again while the database is locked, for ``seconds``.

    ``seconds`` defaults to ``settings.JAMTAIL_DB_LOCK_RETRY_SECONDS``. Pauses
    double from 0.5 s up to 10 s. The wrapped call must be safe to repeat: a
    locked write rolled back its transaction, so it left nothing behind.
    """

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        limit = settings.JAMTAIL_DB_LOCK_RETRY_SECONDS if seconds is None else seconds
        deadline = clock() + limit
        pause = FIRST_PAUSE_SECONDS
        while True:
            try:
                return function(*args, **kwargs)
            except OperationalError as error:
                if not is_locked(error) or clock() + pause > deadline:
                    raise
                log.warning(
                    "%s: the database is locked (a long write elsewhere); retrying in %.1f s",
                    getattr(function, "__qualname__", function),
                    pause,
                )
            sleep(pause)
            if not connection.in_atomic_block:
                # A connection that failed mid-write may be unusable: start afresh.
                close_old_connections()
            pause = min(pause * 2, LONGEST_PAUSE_SECONDS)

    return wrapper
