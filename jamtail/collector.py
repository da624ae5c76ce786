"""Pause Python's cyclic garbage collector while code builds large acyclic object graphs.

Used by the CMS's importer and by the builder's manifest reader
(:mod:`jamtail.write.manifest`). An import holds every planned page, its
Markdown tokens and its block data at once: hundreds of thousands of objects,
almost none in reference cycles. The collector still scans them over and over
as they accumulate (a full collection runs each time the survivors grow by a
quarter), which cost a
third of a 10,000-post import: 63.6 s with it, 45.4 s without, for 3 % more
peak memory (448 MB against 434 MB; docs/importing.md#speed). Reference
counting still frees everything else at once; the collector takes over again
when the import ends. Reading a build manifest of 67,000 files beside a million
other objects took 0.1-0.3 s, and 0.74-0.79 s in the two reads out of twelve that
set off a full collection.

The switch is the process's: a thread that finds it on turns it back on, so it is
never left off, though another thread's pause may end early. A process forked
while paused inherits the pause: no manifest is read while render workers fork.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Within the block the cyclic collector does not run; nested blocks are no-ops.

    Usable as a decorator. The collector is enabled again on exit only if it was
    enabled on entry.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
