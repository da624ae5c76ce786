"""Full-text search: the index the build writes and the queries the search function runs.

::

    text.py    page dicts -> plain text (rich text, StreamField blocks; no markup)
    index.py   plain text -> one shard: a tantivy segment, as files of bytes
    shards.py  pages -> shards (by page id) + meta.json + index.json, built whole or updated
    reader.py  index.json + the tantivy index, opened for the search function
    query.py   user text -> a tantivy query built as objects -> ranked results, snippets

The build's ``search`` output (``jamtail/outputs/search.py``) writes the index
to ``_search/`` (``index.json``, tantivy's ``meta.json``, the shards' files);
``functions/search.py`` answers ``/api/search`` from it. See docs/search.md.
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
