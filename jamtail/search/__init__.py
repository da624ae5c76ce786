"""Full-text search: the index the build writes and the queries the search function runs.

::

    text.py    page dicts -> plain text (rich text, StreamField blocks; no markup)
    index.py   plain text -> a SQLite FTS5 database, as bytes (full or incremental)
    query.py   user text -> safe FTS5 query -> ranked results with escaped snippets

The build's ``search`` output (``jamtail/outputs/search.py``) writes the index
to ``_search/index.sqlite3``; ``functions/search.py`` answers ``/api/search``
from it. See docs/search.md.
"""

from .index import INDEX_PATH, build_index, update_index
from .query import IndexUnavailable, QueryError, open_index, search

__all__ = [
    "INDEX_PATH",
    "IndexUnavailable",
    "QueryError",
    "build_index",
    "open_index",
    "search",
    "update_index",
]
