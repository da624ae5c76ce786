"""Non-HTML outputs, one module each: ``sitemap``, ``feeds``, ``robots``,
``redirects``, ``headers``, ``search`` (the full-text index).

Each module has one function taking the :class:`~jamtail.plan.planner.SitePlan` and
returning (or yielding, lazily) ``(path, bytes)`` pairs; :data:`OUTPUTS` is
the explicit registry the build runs, in order. An output may also declare
an incremental form (:attr:`Generator.update`); the build uses it when it
can, and never looks for capabilities an output does not declare.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jamtail.outputs import feeds, headers, redirects, robots, search, sitemap
from jamtail.plan.planner import SitePlan

OutputFunction = Callable[[SitePlan], Iterable[tuple[str, bytes]]]
"""The full form: the plan in, ``(path, bytes)`` pairs out."""

UpdateFunction = Callable[
    [dict[str, Path], SitePlan, list[dict[str, Any]], list[str]],
    Iterable[tuple[str, bytes | Path]],
]
"""The incremental form: ``(previous files by path, plan, changed pages, removed URLs)``
in, ``(path, bytes)`` pairs out, or ``(path, previous Path)`` for a file unchanged
(linked, not rewritten). It must give the bytes the full form gives."""


@dataclass(frozen=True)
class Generator:
    """One non-HTML output: its ``name`` (the dependency graph's key), its full form
    ``build``, and, if it has one, its incremental form ``update``."""

    name: str
    build: OutputFunction
    update: UpdateFunction | None = None


OUTPUTS: list[Generator] = [
    Generator("sitemap", sitemap.build_sitemap),
    Generator("feeds", feeds.build_feeds),
    Generator("robots", robots.build_robots),
    Generator("redirects", redirects.build_redirects),
    Generator("headers", headers.build_headers),
    Generator("search", search.build_search_index, update=search.update_search_index),
]
