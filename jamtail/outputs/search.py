"""``_search/index.sqlite3``: the full-text search index (see ``jamtail/search/``).

Every page of the plan (the live, public pages) with its plain text, plus the
site dict the search function's HTML results page is rendered with. The
file is deterministic: the same content gives the same bytes.
"""

from __future__ import annotations

from ..plan import SitePlan
from ..search.index import INDEX_PATH, build_index


def build_search_index(plan: SitePlan) -> list[tuple[str, bytes]]:
    """Return ``[("_search/index.sqlite3", bytes)]``."""
    return [(INDEX_PATH, build_index(plan.pages, plan.site))]
