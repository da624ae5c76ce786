"""JSON from strangers, bounded: a size and a nesting depth checked before parsing.

Python's ``json`` parser recurses once per nesting level, so a body of
100,000 ``[`` raises ``RecursionError`` (a crash, not a 400), and a body of a
few hundred levels makes structures that recurse again wherever they are
walked. :func:`loads` refuses both with :class:`JSONLimitError` before
parsing: its ``status`` is 413 for size and 400 for depth or bad JSON, so
every receiver (the functions, the CMS's DRF parser, the build hook) answers
the same way.

Used by ``functions/`` (via ``functions/adapter.py`` callers), the CMS's
``cms/parsers.py`` and ``jamtail/hookserver.py``. JSON: RFC 8259 (which lets
a receiver limit depth and size, section 9).
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 32
# A string (escapes included) or anything but a bracket: skipped in one step.
_SKIP = re.compile(rb'"(?:[^"\\]+|\\.)*"?|[^"\[\]{}]+', re.DOTALL)


class JSONLimitError(ValueError):
    """A JSON body refused before or while parsing; ``status``: 400 or 413."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def depth(raw: bytes, stop_above: int | None = None) -> int:
    """The deepest nesting of arrays and objects in ``raw`` (strings are skipped).

    ``stop_above``: return as soon as the depth exceeds it (a hostile body is
    not scanned to its end).
    """
    deepest = level = 0
    position, end = 0, len(raw)
    while position < end:
        skipped = _SKIP.match(raw, position)
        if skipped:
            position = skipped.end()
            continue
        if raw[position] in b"[{":
            level += 1
            deepest = max(deepest, level)
            if stop_above is not None and deepest > stop_above:
                return deepest
        else:
            level -= 1
        position += 1
    return deepest


def loads(raw: bytes | str, max_bytes: int, max_depth: int = MAX_DEPTH) -> Any:
    """Parse ``raw``; raise :class:`JSONLimitError` when it is too big, too deep or not JSON.

    ``max_bytes``: the largest body in bytes (UTF-8); ``max_depth``: the most
    nested arrays and objects (``{"a": [1]}`` is 2 deep).
    """
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    if len(data) > max_bytes:
        raise JSONLimitError(413, f"the body is over {max_bytes} bytes")
    if depth(data, stop_above=max_depth) > max_depth:
        raise JSONLimitError(400, f"the JSON is nested more than {max_depth} levels deep")
    try:
        return json.loads(data or b"{}")
    except (ValueError, RecursionError):
        raise JSONLimitError(400, "the body is not valid JSON") from None
