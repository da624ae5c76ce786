"""The debounce rule, as plain arithmetic so it can be tested without a clock.

A build is dispatched once no new change has arrived for ``quiet`` seconds, or
once the oldest waiting change has waited ``max_wait`` seconds (so a steady
stream of edits still goes live). Everything pending is claimed at dispatch,
so the last change is always in the last build.
"""

from __future__ import annotations

from datetime import datetime


def seconds_to_wait(
    now: datetime,
    newest: datetime | None,
    oldest: datetime | None,
    quiet: float,
    max_wait: float,
) -> float:
    """Seconds until the pending changes should be built; ``0`` means build now.

    ``newest``/``oldest``: creation times of the newest and oldest unclaimed
    requests (``None`` when there are none: build now, which claims nothing).
    """
    if newest is None or oldest is None:
        return 0.0
    until_quiet = quiet - (now - newest).total_seconds()
    until_deadline = max_wait - (now - oldest).total_seconds()
    return max(0.0, min(until_quiet, until_deadline))
