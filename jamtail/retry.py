"""The one retry policy for Jamtail's HTTP calls (CMS client, build hooks, Netlify deploys).

Built on tenacity (https://tenacity.readthedocs.io/). One call is retried when
it may pass if tried again:

- it raised a connection error, a timeout or a body cut short
  (:data:`RETRY_ERRORS`), or
- it answered 429 or 5xx (:data:`RETRY_STATUSES`).

Anything else (a 4xx, an invalid URL) is returned or raised at once. The pause
before retry *n* (1, 2, ...) is ``backoff * 2**(n-1)`` seconds capped at
``max_backoff``, with "equal jitter" (a random pause between half and all of
it; https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/)
so that clients failing together do not retry together. An answer's
``Retry-After`` (seconds or an HTTP date, RFC 9110 section 10.2.3) replaces
the computed pause; one asking for more than ``max_backoff`` ends the retries
(the caller's own, slower schedule, such as the CMS's hook rounds, takes over).

After ``attempts`` tries :meth:`RetryPolicy.call` returns the last answer (a
retryable status: the caller says what failed) or raises the last error.
The S3 target's requests are retried by botocore's own standard mode.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from typing import Any

import requests
import tenacity

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, *range(500, 600)})
RETRY_ERRORS: tuple[type[BaseException], ...] = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


def retry_after(response: requests.Response, now: float | None = None) -> float | None:
    """Seconds ``response``'s ``Retry-After`` asks for (0 or more), ``None`` without one."""
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None  # malformed: the computed pause applies
    return max(0.0, when - (time.time() if now is None else now))


def retryable(outcome: Any) -> bool:
    """Whether an answer (a :class:`requests.Response`) or an error may pass if retried."""
    if isinstance(outcome, BaseException):
        return isinstance(outcome, RETRY_ERRORS)
    return getattr(outcome, "status_code", None) in RETRY_STATUSES


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry; see the module docstring.

    ``attempts``: tries in all (at least 1). ``backoff``: the longest pause
    before the first retry, seconds. ``max_backoff``: the longest pause, and
    the longest ``Retry-After`` honoured. ``jitter``: randomise pauses.
    """

    attempts: int = 4
    backoff: float = 0.5
    max_backoff: float = 30.0
    jitter: bool = True

    def but(self, **changes: Any) -> RetryPolicy:
        """This policy with some fields changed (``DEFAULT.but(attempts=3)``)."""
        return replace(self, **changes)

    def pause(self, retry: int) -> float:
        """The longest computed pause before retry number ``retry`` (1, 2, ...), seconds."""
        return min(self.max_backoff, self.backoff * 2 ** (retry - 1))

    def call(
        self,
        attempt: Callable[[], requests.Response],
        what: str = "request",
        sleep: Callable[[float], None] = time.sleep,
    ) -> requests.Response:
        """Call ``attempt`` until it answers something not retryable or the tries run out.

        Returns the last answer; raises the last error when it was an error
        (and any error that is not retryable at once). ``sleep`` takes seconds.
        """
        half = self.backoff / 2 if self.jitter else self.backoff
        computed: tenacity.wait.wait_base = tenacity.wait_exponential(
            multiplier=half, max=self.max_backoff / 2 if self.jitter else self.max_backoff
        )
        if self.jitter:
            computed = computed + tenacity.wait_random_exponential(
                multiplier=half, max=self.max_backoff / 2
            )

        def wait(state: tenacity.RetryCallState) -> float:
            asked = _asked(state)
            return computed(state) if asked is None else asked

        def stop(state: tenacity.RetryCallState) -> bool:
            if state.attempt_number >= max(1, self.attempts):
                return True
            asked = _asked(state)
            if asked is not None and asked > self.max_backoff:
                log.warning("%s: the server asks to retry in %.0f s; giving up", what, asked)
                return True
            return False

        def before_sleep(state: tenacity.RetryCallState) -> None:
            outcome = state.outcome
            assert outcome is not None
            error = outcome.exception()
            if error is None:
                answer = outcome.result()
                answer.close()  # a streamed answer given up on frees its connection
            why = repr(error) if error else f"HTTP {answer.status_code}"
            log.warning(
                "%s failed (%s), retry %d of %d in %.2f s",
                what,
                why,
                state.attempt_number,
                self.attempts - 1,
                state.upcoming_sleep,
            )

        retrying = tenacity.Retrying(
            stop=stop,
            wait=wait,
            retry=tenacity.retry_if_exception(retryable) | tenacity.retry_if_result(retryable),
            sleep=sleep,
            before_sleep=before_sleep,
            retry_error_callback=_last_answer,
            reraise=True,
        )
        return retrying(attempt)


def _asked(state: tenacity.RetryCallState) -> float | None:
    """The ``Retry-After`` of the last answer, if it was an answer with one."""
    outcome = state.outcome
    if outcome is None or outcome.failed:
        return None
    response = outcome.result()
    return retry_after(response) if isinstance(response, requests.Response) else None


def _last_answer(state: tenacity.RetryCallState) -> Any:
    """Out of tries: the last answer, or the last error raised again."""
    assert state.outcome is not None
    return state.outcome.result()  # raises the error when the last try raised


DEFAULT = RetryPolicy()
"""The policy every HTTP call starts from; a caller changes only ``attempts``/``backoff``."""
