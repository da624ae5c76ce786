"""``_search/``: the full-text search index (see ``jamtail/search/``).

Every page of the plan (the live, public pages) with its plain text, in
shards of about a hundred pages (tantivy segments), plus tantivy's
``_search/meta.json`` and ``_search/index.json``: the shard list
and the site dict and filter choices the search function's HTML results
page is rendered with. The files are deterministic: the same content gives
the same bytes, whether built whole or updated.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jamtail.plan.planner import SitePlan
from jamtail.search.segments import SegmentCache
from jamtail.search.shards import build_index, update_index


def build_search_index(plan: SitePlan) -> Iterator[tuple[str, bytes]]:
    """Yield ``("_search/<segment>.<ext>", bytes)`` per shard file, then ``_search/meta.json``
    and ``_search/index.json``. Segments made from the same pages before are taken
    from the build cache (:mod:`jamtail.search.segments`)."""
    return build_index(plan.pages, plan.site, SegmentCache.beside(plan.pages))


def update_search_index(
    previous: dict[str, Path],
    plan: SitePlan,
    changed: list[dict[str, Any]],
    removed_urls: list[str],
) -> Iterator[tuple[str, bytes | Path]]:
    """The incremental form (``Generator.update``, :mod:`jamtail.outputs`): a full build's bytes.

    ``previous``: the files this output wrote last time; ``changed``: pages
    new or changed since; ``removed_urls``: URLs no page has any more.
    Shards without a changed page or a page added or removed are yielded as
    their previous ``Path`` (linked, not rewritten).
    """
    cache = SegmentCache.beside(plan.pages)
    return update_index(previous, plan.pages, plan.site, changed, removed_urls, cache)
