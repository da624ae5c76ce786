"""Lazy pages: page dicts whose heavy fields (the StreamField ``body``) load on first use.

A page's body is about 90% of its data (11 KB of 12 KB on a typical article),
and most builds need few bodies: an incremental build renders a handful of
pages, and planning, fingerprinting and listings only need the rest of each
page (its *head*). The content cache (:mod:`jamtail.content.sync`) therefore stores
heads and bodies apart, :class:`~jamtail.content.gather.Content` holds
:class:`LazyPage` heads, and a body is read from the cache when a template,
the search index or the highlighter asks for it, through a small
per-process LRU so memory stays flat however large the site.

A :class:`LazyPage` behaves as the full page dict for reading one key
(``page["body"]``, ``page.get("body")``, ``"body" in page``, Jinja2's
``page.body``) and for ``==``; iterating it, ``items()`` and ``dict(page)``
see the head only. Each lazy field carries a hash of its stored JSON, so a
page's fingerprint covers its body without reading it
(:meth:`LazyPage.lazy_fingerprint`).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from jamtail.exceptions import ContentError

LAZY_FIELDS = ("body",)
_INHERITED: list[sqlite3.Connection] = []  # connections a forked process must not close
CACHED_BODIES = 64  # per process: a render touches a page's body a few times in a row
#: Derived values missing before :meth:`BodyLoader.fill` shares computing them between processes.
PARALLEL_DERIVED = 500

Transform = Callable[[Any], Any]


class BodyLoader:
    """Reads lazy fields from the content cache's ``items`` table (``kind = 'page'``).

    ``path``: the SQLite file. ``transform`` (set by the build) is applied to
    each field as it is read, e.g. :meth:`~jamtail.content.media.MediaLocaliser.localise`;
    ``transform_key`` names it in fingerprints (a different transform gives
    different bytes); it is skipped for a field whose stored JSON holds none
    of ``transform_markers`` (strings any value it would change contains;
    the default ``("",)`` means always transform). The connection is opened per process, so a loader
    survives ``fork`` into rendering workers. Raises ``KeyError`` for a page
    the cache no longer holds.
    """

    def __init__(self, path: Path):
        self.path = path
        self.transform: Transform | None = None
        self.transform_key = ""
        self.transform_markers: tuple[str, ...] = ("",)
        self._db: sqlite3.Connection | None = None
        self._pid = 0
        self._cache: OrderedDict[int, tuple[dict[str, str], dict[str, Any]]] = OrderedDict()

    def fields(self, page_id: int, hashes: dict[str, str]) -> dict[str, Any]:
        """``{field: value}`` of page ``page_id``'s lazy fields, transformed.

        ``hashes``: the fields' hashes the page was read with; raises
        :class:`~jamtail.exceptions.ContentError` when the cache holds another
        version (it was synced again during the build: build again).
        """
        hit = self._cache.get(page_id)
        if hit is not None and hit[0] == hashes:
            self._cache.move_to_end(page_id)
            return hit[1]
        text = self._text(page_id, hashes)
        value = json.loads(text)
        if self.transform is not None and any(m in text for m in self.transform_markers):
            value = self.transform(value)
        self._cache[page_id] = (hashes, value)
        if len(self._cache) > CACHED_BODIES:
            self._cache.popitem(last=False)
        return value

    def derived(
        self, name: str, key: str, pages: Iterable[LazyPage], compute: Callable[[dict], Any]
    ) -> dict[int, Any]:
        """``{page id: compute(raw lazy fields)}`` for ``pages``, cached in the content cache.

        A value is reused while the page's lazy fields and ``key`` (what else
        ``compute`` depends on) are unchanged, so only new and changed pages
        are read and computed. Values must be JSON-serialisable. Table
        ``derived(name, id, version, value)`` (created on first use).
        """
        pages = list(pages)
        stored = self._stored(name, [page["id"] for page in pages], "version, value")
        result: dict[int, Any] = {}
        fresh: list[tuple[str, int, str, str]] = []
        for page in pages:
            version = _version(page, key)
            hit = stored.get(page["id"])
            if hit is not None and hit[0] == version:
                result[page["id"]] = json.loads(hit[1])
                continue
            value = result[page["id"]] = compute(self._raw_fields(page["id"], page.lazy_hashes))
            fresh.append((name, page["id"], version, _encode(value)))
        self._store(fresh)
        return result

    def fill(
        self,
        name: str,
        key: str,
        pages: Iterable[LazyPage],
        compute: Callable[[dict], Any],
        jobs: int,
    ) -> int:
        """Compute and store what :meth:`derived` would compute for ``pages``; how many.

        On ``jobs`` forked processes when at least :data:`PARALLEL_DERIVED`
        values are missing (a first build: 10,000 pages' search text is 10 s
        of CPU), else nothing is done here and :meth:`derived` computes them
        as it goes. ``compute`` runs in the workers, where it sees this
        loader's ``transform``.
        """
        pages = list(pages)
        stored = self._stored(name, [page["id"] for page in pages], "version")
        missing = [
            page for page in pages if stored.get(page["id"], ("",))[0] != _version(page, key)
        ]
        if len(missing) < PARALLEL_DERIVED or jobs <= 1:
            return 0
        if "fork" not in multiprocessing.get_all_start_methods():
            return 0
        global _FILLING
        todo = [(page["id"], page.lazy_hashes) for page in missing]
        chunks = [(start, min(start + 100, len(todo))) for start in range(0, len(todo), 100)]
        _FILLING = (self, compute, todo)
        try:
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                values = [value for chunk in pool.map(_fill_chunk, chunks) for value in chunk]
        finally:
            _FILLING = None
        pairs = zip(missing, values, strict=True)
        self._store([(name, page["id"], _version(page, key), v) for page, v in pairs])
        return len(missing)

    def _stored(self, name: str, ids: list[int], columns: str) -> dict[int, tuple[str, ...]]:
        """``{id: (columns...)}`` of the ``derived`` rows of ``name`` for ``ids``."""
        db = self._connection()
        db.execute(
            "CREATE TABLE IF NOT EXISTS derived (name TEXT NOT NULL, id INTEGER NOT NULL, "
            "version TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (name, id)) WITHOUT ROWID"
        )
        stored: dict[int, tuple[str, ...]] = {}
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = db.execute(
                f"SELECT id, {columns} FROM derived WHERE name = ? AND id IN ({marks})",
                (name, *part),
            )
            stored.update((row[0], row[1:]) for row in rows)
        return stored

    def _store(self, rows: list[tuple[str, int, str, str]]) -> None:
        if rows:
            with self._connection() as db:
                db.executemany("INSERT OR REPLACE INTO derived VALUES (?, ?, ?, ?)", rows)

    def _raw_fields(self, page_id: int, hashes: dict[str, str]) -> dict[str, Any]:
        """The page's lazy fields as stored (no transform); ``{}`` when it has none."""
        return json.loads(self._text(page_id, hashes)) if hashes else {}

    def _text(self, page_id: int, hashes: dict[str, str]) -> str:
        row = self._connection().execute(
            "SELECT lazy.fields, items.lazy_hashes FROM items LEFT JOIN lazy ON lazy.id = items.id "
            "WHERE items.kind = 'page' AND items.id = ?",
            (page_id,),
        )
        found = row.fetchone()
        if found is None or found[0] is None or json.loads(found[1]) != hashes:
            raise ContentError(
                f"page {page_id} changed in the content cache {self.path} during the build "
                "(another build synced it): build again"
            )
        return found[0]

    def forget(self) -> None:
        """Drop cached fields (after the transform or the cache changed)."""
        self._cache.clear()

    def _connection(self) -> sqlite3.Connection:
        if self._db is None or self._pid != os.getpid():
            # A connection must not cross fork: each process opens its own. One
            # inherited from the parent is kept, never closed: closing it here
            # could checkpoint or remove the WAL file the parent still uses.
            if self._db is not None:
                _INHERITED.append(self._db)
            self._db = sqlite3.connect(self.path, timeout=60)
            self._pid = os.getpid()
            self._cache.clear()
        return self._db


def _version(page: LazyPage, key: str) -> str:
    """What a derived value of ``page`` depends on: its lazy fields, the transform, ``key``."""
    return f"{page.lazy_fingerprint()}|{key}"


def _encode(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


# Set in the parent just before forking (:meth:`BodyLoader.fill`); workers read it.
_FILLING: tuple[BodyLoader, Callable[[dict], Any], list[tuple[int, dict[str, str]]]] | None = None


def _fill_chunk(bounds: tuple[int, int]) -> list[str]:
    assert _FILLING is not None
    loader, compute, todo = _FILLING
    return [_encode(compute(loader._raw_fields(*item))) for item in todo[bounds[0] : bounds[1]]]


class LazyPage(dict):
    """A page dict holding its head; the fields named in ``hashes`` load from ``loader``.

    ``hashes``: ``{field: hash of its stored JSON}`` for the lazy fields this
    page has (a page type without a body has none).
    """

    __slots__ = ("_hashes", "_loader")

    def __init__(self, head: dict[str, Any], loader: BodyLoader, hashes: dict[str, str]):
        super().__init__(head)
        self._loader = loader
        self._hashes = hashes

    def __missing__(self, key: str) -> Any:
        if key in self._hashes:
            return self._loader.fields(self["id"], self._hashes)[key]
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        if key in self._hashes:
            return self[key]
        return default

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self._hashes

    def __eq__(self, other: object) -> bool:
        return materialise(self) == (materialise(other) if isinstance(other, dict) else other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # a dict: unhashable

    def __reduce__(self):  # pickled as the full page: a loader is local to this machine
        return (dict, (materialise(self),))

    @property
    def loader(self) -> BodyLoader:
        """Where the lazy fields come from."""
        return self._loader

    @property
    def lazy_hashes(self) -> dict[str, str]:
        """``{field: hash}`` of the lazy fields (for per-field change reports)."""
        return self._hashes

    def lazy_fingerprint(self) -> str:
        """The lazy fields' hashes and the loader's transform key, as one string."""
        return "|".join(f"{k}={v}" for k, v in sorted(self._hashes.items())) + (
            f"|{self._loader.transform_key}"
        )

    def with_head(self, head: dict[str, Any]) -> LazyPage:
        """A page with ``head`` in place of this one's, loading the same lazy fields."""
        return LazyPage(head, self._loader, self._hashes)


def materialise(page: dict[str, Any]) -> dict[str, Any]:
    """A plain dict with every field of ``page``, lazy ones read (the head's key order first)."""
    if not isinstance(page, LazyPage):
        return page
    full = dict(page)
    for key in page.lazy_hashes:
        full[key] = page[key]
    return full
