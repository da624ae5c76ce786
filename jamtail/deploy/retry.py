"""Retries with exponential backoff for flaky network calls."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


class Retryable(Exception):
    """Raised by an attempt that may succeed if tried again (timeouts, 5xx, 429)."""


def with_retries(attempt: Callable[[], T], what: str, tries: int, delay: float) -> T:
    """Call ``attempt`` until it returns; sleep ``delay * 2**n`` after the n-th failure.

    Only :class:`Retryable` is retried; after ``tries`` failures the last one is re-raised.
    """
    for n in range(tries):
        try:
            return attempt()
        except Retryable as exc:
            if n == tries - 1:
                raise
            log.warning("%s failed (%s), retry %d of %d", what, exc, n + 1, tries - 1)
            time.sleep(delay * 2**n)
    raise AssertionError("unreachable")
