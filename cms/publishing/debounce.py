"""The debounce rule, as plain arithmetic so it can be tested without a clock.

The first change after a quiet period (no change in the ``quiet`` seconds
before it) is built at once: a single publish goes live without waiting.
Changes that follow it within ``quiet`` seconds are debounced: their build is
dispatched once no new change has arrived for ``quiet`` seconds, or once the
oldest waiting change has waited ``max_wait`` seconds (so a steady stream of
edits still goes live). A burst shorter than ``max_wait`` makes two builds at most.

The quiet period runs from the last change, not from the last dispatch: an
editor publishing every few seconds gets every build at once, where timing
from the dispatch would delay each build by the quiet period after the first
one was delayed (the delayed dispatch made the next change "close to a build").

And when the last build is known to have finished (``settled``: the build
service reported it), nothing is building to coalesce into: a change made at
a person's pace (at least half the quiet period after the change before it)
is built at once even within the quiet period, so such changes wait only for
a build that is running. Changes closer together than that are a burst (a
script, an import), debounced as above whatever is building, so a burst still
makes two builds at most. A build that is never reported (a Netlify build
hook, a runner without a token) never counts as finished: the quiet period
alone decides.
Everything pending is claimed at dispatch, so the last change is always in the
last build.
"""

from __future__ import annotations

from datetime import datetime


def seconds_to_wait(
    now: datetime,
    newest: datetime | None,
    oldest: datetime | None,
    quiet: float,
    max_wait: float,
    last_change: datetime | None = None,
    settled: bool = False,
) -> float:
    """Seconds until the pending changes should be built; ``0`` means build now.

    ``newest``/``oldest``: creation times of the newest and oldest unclaimed
    requests (``None`` when there are none: build now, which claims nothing).
    ``last_change``: when the newest change already claimed by a build was made
    (``None``: none was). ``settled``: the latest build was reported finished.
    """
    if newest is None or oldest is None or last_change is None:
        return 0.0
    gap = (oldest - last_change).total_seconds()
    if gap >= quiet:
        return 0.0  # the leading edge: the first change after a quiet period
    if settled and gap >= quiet / 2:
        return 0.0  # nothing is building, and this is no burst
    until_quiet = quiet - (now - newest).total_seconds()
    until_deadline = max_wait - (now - oldest).total_seconds()
    return max(0.0, min(until_quiet, until_deadline))
