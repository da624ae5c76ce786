"""Non-HTML outputs, one module each: ``sitemap``, ``feeds``, ``robots``,
``redirects``, ``headers``, ``search`` (the full-text index).

Each module has one function taking the :class:`~jamtail.plan.SitePlan` and
returning (or yielding, lazily) ``(path, bytes)`` pairs; :data:`OUTPUTS` is
the explicit registry the build runs, in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..plan import SitePlan
from . import feeds, headers, redirects, robots, search, sitemap

OutputFunction = Callable[[SitePlan], Iterable[tuple[str, bytes]]]

OUTPUTS: list[tuple[str, OutputFunction]] = [
    ("sitemap", sitemap.build_sitemap),
    ("feeds", feeds.build_feeds),
    ("robots", robots.build_robots),
    ("redirects", redirects.build_redirects),
    ("headers", headers.build_headers),
    ("search", search.build_search_index),
]
