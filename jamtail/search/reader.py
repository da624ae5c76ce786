"""The index as the search function reads it: ``index.json`` and a connection per shard.

:func:`open_index` reads ``_search/index.json`` (:mod:`jamtail.search.shards`)
and opens every shard read-only (``mode=ro``, ``immutable``, memory-mapped). Each shard's
row count and token count (FTS5's "averages" record) are read once, for
ranking across shards with the whole index's statistics
(:mod:`jamtail.search.ranking`).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from jamtail.search.index import SCHEMA_VERSION
from jamtail.search.shards import read_meta

MMAP_BYTES = 1 << 30  # address space only; the file's size is what is mapped


class IndexUnavailable(RuntimeError):
    """The index is missing, unreadable or of another schema version (HTTP 503)."""


class SearchIndex:
    """An open index: ``index.json``'s contents and one read-only connection per shard.

    ``files`` are the shard file names, ``shards`` their connections,
    ``rows`` and ``tokens`` each shard's page count and total token count
    (all columns), in the same order. Connections may be used from any
    thread; queries hold ``lock`` (shared with the earlier version whose
    connections it reuses). Close with :meth:`close`.
    """

    def __init__(
        self,
        path: Path,
        meta: dict[str, Any],
        shards: dict[str, sqlite3.Connection],
        lock: threading.Lock | None = None,
    ):
        self.path = path
        self.site: dict[str, Any] = meta.get("site") or {}
        self.sections: list[dict[str, str]] = meta.get("sections") or []
        self.tags: list[dict[str, str]] = meta.get("tags") or []
        self.files = list(shards)
        self.shards = list(shards.values())
        self.rows: list[int] = []
        self.tokens: list[int] = []
        for con in self.shards:
            rows, tokens = shard_totals(con)
            self.rows.append(rows)
            self.tokens.append(tokens)
        # {FTS5 phrase: pages holding it in each shard}, for ranking (ranking.py).
        self.frequencies: dict[str, tuple[int, ...]] = {}
        self.lock = lock or threading.Lock()

    def close(self) -> None:
        """Close every shard's connection."""
        for con in self.shards:
            con.close()


def open_index(path: Path, reuse: SearchIndex | None = None) -> SearchIndex:
    """The index whose ``index.json`` is at ``path``, opened read-only.

    Shards already open in ``reuse`` (an earlier version of the same index)
    are shared rather than reopened: a shard's name names its content.
    Raises :class:`IndexUnavailable` when a file is missing, unreadable or
    of another schema version.
    """
    try:
        meta = read_meta(path)
    except FileNotFoundError as exc:
        raise IndexUnavailable(f"no search index at {path}: build the site first") from exc
    except (OSError, ValueError) as exc:
        raise IndexUnavailable(
            f"the search index at {path} cannot be read ({exc}): "
            "rebuild the site with this version of Jamtail"
        ) from exc
    known = dict(zip(reuse.files, reuse.shards, strict=True)) if reuse else {}
    shards: dict[str, sqlite3.Connection] = {}
    try:
        for entry in meta["shards"]:
            name = entry["file"]
            shards[name] = known.get(name) or _open_shard(path.parent / name)
        # One lock for the versions sharing connections: a request still on
        # the old version must not use a connection at the same time as one on the new.
        return SearchIndex(path, meta, shards, reuse.lock if reuse else None)
    except (IndexUnavailable, sqlite3.Error) as exc:
        for name, con in shards.items():
            if name not in known:
                con.close()
        if isinstance(exc, IndexUnavailable):
            raise
        raise IndexUnavailable(f"the search index at {path} cannot be read: {exc}") from exc


def _open_shard(path: Path) -> sqlite3.Connection:
    """A read-only connection to one shard; :class:`IndexUnavailable` otherwise."""
    if not path.is_file():
        raise IndexUnavailable(f"the search index shard {path} is missing: build the site again")
    try:
        # immutable: a shard's file never changes (its name is its digest, and
        # builds replace files, never rewrite them), so SQLite need not lock it
        # or check it for changes on every statement.
        con = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False
        )
        # Memory-mapped reads come straight from the OS's page cache.
        con.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        # The hits query's materialised results and sorter would otherwise be
        # temporary files: created per statement, that is most of a shard's time.
        con.execute("PRAGMA temp_store = MEMORY")
        version = con.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.Error as exc:
        raise IndexUnavailable(f"the search index shard {path} cannot be read: {exc}") from exc
    if version != SCHEMA_VERSION:
        con.close()
        raise IndexUnavailable(
            f"the search index shard {path} has schema {version}, expected {SCHEMA_VERSION}: "
            "rebuild the site with this version of Jamtail"
        )
    return con


def varints(blob: bytes) -> list[int]:
    """The SQLite varints in ``blob`` (big-endian 7-bit groups; a 9th byte gives 8 bits).

    FTS5 stores its per-row column sizes (``fts_docsize.sz``) and its
    averages record (``fts_data`` row 1) this way (``fts5_index.c``).
    """
    values = []
    i = 0
    while i < len(blob):
        value = 0
        for k in range(9):
            byte = blob[i]
            i += 1
            if k == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        values.append(value)
    return values


def shard_totals(con: sqlite3.Connection) -> tuple[int, int]:
    """``(rows, tokens)`` of a shard's FTS5 table: what ``bm25()`` takes its average from."""
    row = con.execute("SELECT block FROM fts_data WHERE id = 1").fetchone()
    if row is None:  # an empty table has no averages record yet
        return 0, 0
    values = varints(row[0])
    return values[0], sum(values[1:])
