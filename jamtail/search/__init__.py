"""Full-text search: the index the build writes and the queries the search function runs.

::

    text.py    page dicts -> plain text (rich text, StreamField blocks; no markup)
    index.py   plain text -> one shard: a SQLite FTS5 database, as bytes
    shards.py  pages -> shards (by page id) + index.json, built whole or updated
    query.py   user text -> safe FTS5 query on every shard -> merged ranked results

The build's ``search`` output (``jamtail/outputs/search.py``) writes the index
to ``_search/`` (``index.json`` and the shards); ``functions/search.py``
answers ``/api/search`` from it. See docs/search.md.
"""

from jamtail.search.query import IndexUnavailable, QueryError, SearchIndex, open_index, search
from jamtail.search.shards import INDEX_PATH, build_index, save_index, update_index

__all__ = [
    "INDEX_PATH",
    "IndexUnavailable",
    "QueryError",
    "SearchIndex",
    "build_index",
    "open_index",
    "save_index",
    "search",
    "update_index",
]
