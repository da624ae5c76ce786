"""``_search/index.sqlite3``: the full-text search index (see ``jamtail/search/``).

Every page of the plan (the live, public pages) with its plain text, plus the
site dict the search function's HTML results page is rendered with. The
file is deterministic: the same content gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..plan import SitePlan
from ..search.index import INDEX_PATH, build_index, update_index


def build_search_index(plan: SitePlan) -> list[tuple[str, bytes]]:
    """Return ``[("_search/index.sqlite3", bytes)]``."""
    return [(INDEX_PATH, build_index(plan.pages, plan.site))]


def update_search_index(
    previous: dict[str, Path],
    plan: SitePlan,
    changed: list[dict[str, Any]],
    removed_urls: list[str],
) -> list[tuple[str, bytes]]:
    """The incremental form the builder calls (see ``jamtail.build``): same bytes as a full build.

    ``previous``: the files this output wrote last time; ``changed``: pages
    new or changed since; ``removed_urls``: URLs no page has any more.
    """
    if INDEX_PATH not in previous:
        return build_search_index(plan)
    data = update_index(previous[INDEX_PATH].read_bytes(), changed, removed_urls, plan.site)
    return [(INDEX_PATH, data)]


build_search_index.update = update_search_index  # type: ignore[attr-defined]
