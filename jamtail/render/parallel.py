"""Render outputs on every core: forked worker processes write HTML straight to disk.

The parent claims every output path first (so conflicts are found before any
work), then forks ``jobs`` workers that inherit the plan and the renderer
copy-on-write and receive only index ranges. Each worker renders its outputs,
writes them to their claimed paths and sends back, per output, only its
manifest entry (size, SHA-1, MD5), the templates it loaded and, when asked
(:class:`LinkScan`), its links: no HTML crosses a process boundary or stays
in memory after its file is written, so memory does not grow with the site.
Reading links here, from the HTML in hand, spares the link check reading
every file back (6 to 8 s of a 10k-page full build). The first error (e.g.
:class:`~jamtail.exceptions.TemplateRenderError`) is re-raised in the parent.
Small jobs (one chunk), ``jobs=1`` and platforms without ``fork`` render
in-process.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from jamtail.plan.planner import Output
from jamtail.render.links import PageLinks, extract
from jamtail.render.renderer import Renderer
from jamtail.write.manifest import FileEntry, digest_bytes
from jamtail.write.writer import replace_file

Progress = Callable[[int, int], None]
CHUNK = 64
# A worker copies the parent's objects it touches (reference counts are writes), so
# its memory grows with every chunk, the more so on a listing of twenty pages; a
# fresh fork starts small again. A fork every 8 chunks instead of 16 cost 6% of a
# 10,000-page full build (paired runs) and took a 50,000-page one from a peak of
# 1,003 MB to 953 MB (all processes, PSS): only large sites fork that often.
CHUNKS_PER_WORKER = 16
LARGE_SITE = 20_000  # outputs
CHUNKS_PER_WORKER_LARGE = 8

# Set in the parent just before forking; workers read it (never pickled).
_JOB: tuple[Renderer, list[Output], list[Path], list[FileEntry | None], LinkScan | None] | None
_JOB = None


@dataclass(frozen=True, slots=True)
class LinkScan:
    """Read the links of rendered HTML (:func:`jamtail.render.links.extract`).

    ``origin``: the site's ``scheme://host`` (empty when it has none);
    ``urls[i]``: the URL path ``outputs[i]`` is served at (``/blog/x/``), or
    ``None`` for an output that is not an HTML file.
    """

    origin: str
    urls: list[str | None]


@dataclass(frozen=True, slots=True)
class Rendered:
    """What rendering one output produced: its file's manifest entry, the templates
    loaded and, when a :class:`LinkScan` asked for them, its links (else ``None``)."""

    entry: FileEntry
    templates: tuple[str, ...]
    links: PageLinks | None = None


def default_jobs() -> int:
    """Worker count: the CPUs this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def render_to_paths(
    renderer: Renderer,
    outputs: list[Output],
    paths: list[Path],
    jobs: int,
    progress: Progress | None = None,
    current: list[FileEntry | None] | None = None,
    scan: LinkScan | None = None,
) -> list[Rendered]:
    """Render ``outputs[i]`` into ``paths[i]`` for all i; return what each produced, in order.

    ``current[i]``: the manifest entry of the file already at ``paths[i]``
    (``None``: no file); a rendering with the same digest is not written.
    Other files are replaced, never written into (see :func:`replace_file`).
    ``scan``: read each HTML output's links too (``Rendered.links``).
    """
    existing: list[FileEntry | None] = list(current) if current is not None else []
    existing += [None] * (len(outputs) - len(existing))
    global _JOB
    chunks = [(start, min(start + CHUNK, len(outputs))) for start in range(0, len(outputs), CHUNK)]
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    if jobs <= 1 or len(chunks) <= 1 or not can_fork:
        _JOB = (renderer, outputs, paths, existing, scan)
        try:
            return _report(map(_render_chunk, chunks), len(outputs), progress)
        finally:
            _JOB = None
    _JOB = (renderer, outputs, paths, existing, scan)
    # Workers share the parent's memory copy-on-write; the cyclic garbage collector
    # would write into every object it scans and so copy them all. Frozen objects
    # are never scanned (see gc.freeze).
    gc.collect()
    gc.freeze()
    try:
        context = multiprocessing.get_context("fork")
        lifetime = CHUNKS_PER_WORKER_LARGE if len(outputs) > LARGE_SITE else CHUNKS_PER_WORKER
        with context.Pool(jobs, maxtasksperchild=lifetime) as pool:
            return _report(pool.imap_unordered(_render_chunk, chunks), len(outputs), progress)
    finally:
        gc.unfreeze()
        _JOB = None


def _report(results, total: int, progress: Progress | None) -> list[Rendered]:
    rendered: list[Rendered | None] = [None] * total
    shared = _Shared()
    done = 0
    for start, chunk in results:
        rendered[start : start + len(chunk)] = map(shared, chunk)
        done += len(chunk)
        if progress:
            progress(done, total)
    return rendered  # type: ignore[return-value]  # every slot is filled by its chunk


class _Shared:
    """Give results one object per distinct link, template name and set of ids.

    Each output's results arrive as new objects, but most are the same few: the
    10,000-page benchmark site has 637,552 links of which 79,804 differ, and
    13,317 pages whose sets of ids are one of 531 (listings share
    theirs, and pages with one body share its headings'). Held until the link
    check, one copy of each took a full render of 50,000 pages from a peak of
    1.77 GB to about 1 GB (all processes, PSS).
    """

    def __init__(self) -> None:
        self.ids: dict[frozenset[str], frozenset[str]] = {}

    def __call__(self, done: Rendered) -> Rendered:
        links = done.links
        if links is not None:
            ids = self.ids.get(links.ids)
            if ids is None:
                ids = frozenset(map(sys.intern, links.ids))
                self.ids[ids] = ids
            links = PageLinks(tuple(map(sys.intern, links.links)), ids)
        return Rendered(done.entry, tuple(map(sys.intern, done.templates)), links)


def _render_chunk(bounds: tuple[int, int]) -> tuple[int, list[Rendered]]:
    assert _JOB is not None
    renderer, outputs, paths, current, scan = _JOB
    chunk = []
    for i in range(*bounds):
        html, templates = renderer.render_tracked(outputs[i])
        data = html.encode("utf-8")
        entry = digest_bytes(data)
        if entry != current[i]:
            replace_file(paths[i], data)
        links = None
        if scan is not None and (url := scan.urls[i]) is not None:
            links = extract(html, url, scan.origin)
        chunk.append(Rendered(entry, tuple(sorted(templates)), links))
    return bounds[0], chunk
