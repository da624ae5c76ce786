"""Render outputs on every core: forked worker processes write HTML straight to disk.

The parent claims every output path first (so conflicts are found before any
work), then forks ``jobs`` workers that inherit the plan and the renderer
copy-on-write and receive only index ranges. Each worker renders its outputs,
writes them to their claimed paths and returns the bytes written; the first
error (e.g. :class:`~jamtail.exceptions.TemplateRenderError`) is re-raised
in the parent. On platforms without ``fork`` it renders in-process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from pathlib import Path

from .plan import Output
from .render import Renderer

Progress = Callable[[int, int], None]
CHUNK = 64

# Set in the parent just before forking; workers read it (never pickled).
_JOB: tuple[Renderer, list[Output], list[Path]] | None = None


def default_jobs() -> int:
    """Worker count: the CPUs this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def render_to_paths(
    renderer: Renderer,
    outputs: list[Output],
    paths: list[Path],
    jobs: int,
    progress: Progress | None = None,
) -> int:
    """Render ``outputs[i]`` into ``paths[i]`` for all i; return total bytes written."""
    global _JOB
    chunks = [(start, min(start + CHUNK, len(outputs))) for start in range(0, len(outputs), CHUNK)]
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    if jobs <= 1 or len(chunks) <= 1 or not can_fork:
        _JOB = (renderer, outputs, paths)
        try:
            return _report(map(_render_chunk, chunks), len(outputs), progress)
        finally:
            _JOB = None
    _JOB = (renderer, outputs, paths)
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            return _report(pool.imap_unordered(_render_chunk, chunks), len(outputs), progress)
    finally:
        _JOB = None


def _report(results, total: int, progress: Progress | None) -> int:
    done = written = 0
    for count, size in results:
        done += count
        written += size
        if progress:
            progress(done, total)
    return written


def _render_chunk(bounds: tuple[int, int]) -> tuple[int, int]:
    assert _JOB is not None
    renderer, outputs, paths = _JOB
    size = 0
    for i in range(*bounds):
        data = renderer.render(outputs[i]).encode("utf-8")
        paths[i].write_bytes(data)
        size += len(data)
    return bounds[1] - bounds[0], size
