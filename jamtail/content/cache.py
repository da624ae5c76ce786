"""The content cache: one SQLite file under the build cache holding every synced item.

:class:`ContentCache` stores each item's API representation (a page's body
apart, see :mod:`jamtail.content.lazy`) with its hash, the sync cursor, and a
change sequence number per item, so a build can ask for everything changed
since the one before it (:meth:`ContentCache.changed_since`). :class:`Delta`
is what one sync changed in it. :mod:`jamtail.content.sync` fills it from the
CMS; see docs/sync.md.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jamtail.content.gather import Content, assemble, relative_to_root, site_origin
from jamtail.content.jsontext import Members
from jamtail.content.lazy import LAZY_FIELDS, BodyLoader, LazyPage

log = logging.getLogger(__name__)

CREATED, UPDATED, DELETED = "created", "updated", "deleted"
KINDS = ("settings", "author", "redirect", "page")
CACHE_NAME = "content.sqlite3"
SCHEMA_VERSION = "5"
SETTINGS_ID = 1


@dataclass(frozen=True)
class ItemChange:
    """One item whose content differs from the cache's previous copy.

    ``kind``: ``"page"``, ``"author"``, ``"redirect"`` or ``"settings"`` (id 1).
    ``id``: the CMS id (page id, author id...). ``change``: ``"created"``,
    ``"updated"`` or ``"deleted"``. ``old_hash``/``new_hash``: SHA-256 (hex) of
    the item's API representation and tree position before/after (``None``
    when it did not exist; the CMS serialises an item's fields in a fixed
    order, so equal content gives an equal hash). ``old_url``/``new_url``:
    for pages, the site-relative URL as in ``Content.pages[i]["url"]``
    (``"/blog/hello/"``) before/after; ``None`` for other kinds and for a
    missing side.
    """

    kind: str
    id: int
    change: str
    old_hash: str | None = None
    new_hash: str | None = None
    old_url: str | None = None
    new_url: str | None = None


@dataclass
class Delta:
    """What one sync changed in the content cache (plain data).

    ``full``: the sync listed everything (first sync, ``full=True``, or the
    cursor was refused); the changes are still computed against the previous
    cache, so a full re-sync of unchanged content has no changes. ``reason``:
    why it was full (``""`` for a delta sync). ``changes``: one
    :class:`ItemChange` per item whose hash changed, created or deleted,
    sorted by kind (settings, author, redirect, page) then id; an item
    re-sent unchanged is not listed. ``requests``: HTTP requests made.
    ``cursor``: the cursor stored for the next sync. ``timings``: seconds spent
    in ``fetch`` (HTTP), ``store`` (writing the cache) and ``read`` (building
    ``Content`` from the cache). ``cache_id`` and ``seq``: the cache's identity
    and change sequence number after this sync (see
    :meth:`ContentCache.changed_since`). ``gathered``: the content read in
    full from a CMS without the sync endpoint (``None`` otherwise).
    """

    full: bool = False
    reason: str = ""
    changes: list[ItemChange] = field(default_factory=list)
    requests: int = 0
    cursor: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    cache_id: str = ""
    seq: int = 0
    gathered: Content | None = None

    def of_kind(self, kind: str) -> list[ItemChange]:
        """The changes to items of ``kind``."""
        return [c for c in self.changes if c.kind == kind]

    def ids(self, kind: str, *changes: str) -> set[int]:
        """Ids of changed items of ``kind``, optionally only ``created``/``updated``/``deleted``."""
        wanted = set(changes) or {CREATED, UPDATED, DELETED}
        return {c.id for c in self.changes if c.kind == kind and c.change in wanted}

    @property
    def empty(self) -> bool:
        """True when no item changed."""
        return not self.changes


class _Before(dict[tuple[str, int], tuple | None]):
    """``(kind, id) -> (hash, url, seq)`` as the cache held each item before this sync.

    Read from the cache on first use, that is before the sync writes the item
    (an item listed twice in one sync keeps its first, pre-sync, state).
    """

    def __init__(self, db: sqlite3.Connection):
        super().__init__()
        self.db = db

    def __missing__(self, key: tuple[str, int]) -> tuple | None:
        row = self.db.execute(
            "SELECT hash, url, seq FROM items WHERE kind = ? AND id = ?", key
        ).fetchone()
        self[key] = found = tuple(row) if row is not None else None
        return found

    def get(self, key, default=None):
        found = self[key]
        return default if found is None else found


def _digest(envelope: dict[str, Any], data: str) -> str:
    """SHA-256 (hex) of an item's tree position and data JSON: equal content, equal hash."""
    return hashlib.sha256(f"{envelope.get('order', '')}\n{data}".encode()).hexdigest()


# What json.dumps(value, separators=(",", ":"), ensure_ascii=False) uses, made once.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
_compact = _ENCODER.encode
_encode_key = json.encoder.encode_basestring  # a str key, as dumps encodes it


def _join(parts: dict[str, str], keys: Iterable[str]) -> str:
    """The compact JSON object of ``keys`` from their encoded ``parts`` (``_compact`` of it)."""
    return "{" + ",".join(f"{_encode_key(k)}:{parts[k]}" for k in keys) + "}"


def page_json(data: Any) -> tuple[str, str, str | None, str]:
    """``(data, head, lazy, lazy hashes)`` JSON of an item's data, each field encoded once.

    A compact JSON object is its members' encodings joined, so each value is
    encoded once and the whole, the head (``data`` without
    :data:`LAZY_FIELDS`) and the lazy fields are put together from the parts;
    byte for byte what :func:`_compact` gives for each. ``data`` decoded as
    :class:`~jamtail.content.jsontext.Members` (a sync answer) brings its
    members' JSON text along: that text is used as it came, not encoded again
    (decoding and encoding every page was most of a first sync's own work).
    """
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        text = _compact(data)
        return text, text, None, "{}"
    kept = data.texts if isinstance(data, Members) else None
    parts = kept or {k: _compact(v) for k, v in data.items()}
    whole = _join(parts, data)
    lazy_keys = [k for k in LAZY_FIELDS if k in data]
    if not lazy_keys:
        return whole, whole, None, "{}"
    hashes = {k: hashlib.blake2b(parts[k].encode(), digest_size=12).hexdigest() for k in lazy_keys}
    head = _join(parts, (k for k in data if k not in lazy_keys))
    return whole, head, _join(parts, lazy_keys), _compact(hashes)


class ContentCache:
    """The SQLite content cache: one row per item and the sync cursor.

    Tables: ``state(key, value)`` holds ``cursor``, ``api_url`` and ``schema``;
    ``items(kind, id, sort_key, hash, url, data, lazy_hashes, seq)`` holds
    each item's API representation as compact JSON without a page's lazy
    fields (``body``), which ``lazy(id, fields)`` holds by page id, their
    hashes in ``lazy_hashes`` (see :mod:`jamtail.content.lazy`)
    (``sort_key``: a page's tree path; ``url``: a page's site-relative URL
    when last synced; ``seq``: the sync that last changed it).
    """

    def __init__(self, db: sqlite3.Connection, path: Path):
        self.db, self.path = db, path

    @classmethod
    def open(cls, path: Path) -> ContentCache:
        """Open (creating if needed) the cache at ``path``; an unreadable file is replaced."""
        try:
            return cls(cls._connect(path), path)
        except sqlite3.DatabaseError as exc:
            log.warning("content cache %s is unreadable (%s); starting a new one", path, exc)
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            return cls(cls._connect(path), path)

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, isolation_level=None, timeout=60)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        schema = db.execute("SELECT value FROM state WHERE key = 'schema'").fetchone()
        if schema is not None and schema[0] != SCHEMA_VERSION:
            # Another layout: start over (cursor_for then asks for a full sync).
            db.executescript(
                "DROP TABLE IF EXISTS items; DROP TABLE IF EXISTS lazy; "
                "DROP TABLE IF EXISTS tombstones; DELETE FROM state;"
            )
        # The lazy fields (a page's body, ten times the rest) have a table of their
        # own: a sync stamping every row, a read of every head, move a tenth of the bytes.
        db.execute(
            """
            CREATE TABLE IF NOT EXISTS items (
                kind TEXT NOT NULL, id INTEGER NOT NULL, sort_key TEXT NOT NULL,
                hash TEXT NOT NULL, url TEXT, data TEXT NOT NULL,
                lazy_hashes TEXT NOT NULL DEFAULT '{}', seq INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (kind, id)
            )
            """
        )
        db.execute("CREATE TABLE IF NOT EXISTS lazy (id INTEGER PRIMARY KEY, fields TEXT NOT NULL)")
        db.execute(
            "CREATE TABLE IF NOT EXISTS tombstones (kind TEXT NOT NULL, id INTEGER NOT NULL, "
            "seq INTEGER NOT NULL, PRIMARY KEY (kind, id)) WITHOUT ROWID"
        )
        db.execute("CREATE INDEX IF NOT EXISTS items_seq ON items (seq)")
        # For patch builds: the pages at given URLs, the articles of a given date.
        db.execute("CREATE INDEX IF NOT EXISTS items_url ON items (url) WHERE kind = 'page'")
        db.execute(
            "CREATE INDEX IF NOT EXISTS items_date ON items (json_extract(data, '$.date')) "
            "WHERE kind = 'page'"
        )
        db.execute("SELECT count(*) FROM items").fetchone()  # fails now if the file is corrupt
        return db

    def close(self) -> None:
        self.db.close()

    def cursor_for(self, api_url: str) -> tuple[str | None, str]:
        """The stored cursor if it belongs to ``api_url``; else ``None`` and why not."""
        state = dict(self.db.execute("SELECT key, value FROM state").fetchall())
        if not state.get("cursor"):
            return None, "the content cache is empty"
        if state.get("schema") != SCHEMA_VERSION:
            return None, "the content cache was written by another version of Jamtail"
        if state.get("api_url") != api_url:
            return None, f"the content cache was filled from {state.get('api_url')}"
        return state["cursor"], ""

    def apply(self, envelopes: Iterable[dict[str, Any]], delta: Delta, api_url: str) -> None:
        """Store ``envelopes`` (all items when ``delta.full``) and ``delta.cursor``, atomically.

        ``envelopes`` is consumed as it comes (a generator of HTTP pages), in
        one transaction: an error while fetching or storing rolls it all back.
        Fills ``delta.changes``, ``delta.cache_id`` and ``delta.seq``: when
        anything changed, the sequence number goes up by one and every
        changed item (or its tombstone) is stamped with it.
        """
        db = self.db
        started = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        try:
            state = dict(db.execute("SELECT key, value FROM state").fetchall())
            fetched = delta.timings.get("fetch", 0.0)
            cache_id = state.get("cache_id") or uuid.uuid4().hex
            seq = int(state.get("seq") or 0)
            before = self._index() if delta.full else _Before(db)
            if delta.full:
                db.execute("DELETE FROM items")
                db.execute("DELETE FROM lazy")
            touched, paths = self._write(envelopes, delta.full, before)
            delta.changes = self._changes(touched, before, self._urls(paths))
            if delta.changes:
                seq += 1
                self._stamp(delta.changes, seq)
            db.executemany(
                "INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)",
                [
                    ("cursor", delta.cursor),
                    ("api_url", api_url),
                    ("schema", SCHEMA_VERSION),
                    ("cache_id", cache_id),
                    ("seq", str(seq)),
                ],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        delta.cache_id, delta.seq = cache_id, seq
        waited = delta.timings.get("fetch", 0.0) - fetched
        delta.timings["store"] = time.perf_counter() - started - waited

    def _stamp(self, changes: list[ItemChange], seq: int) -> None:
        """Mark changed items (and deleted ones' tombstones) with ``seq``; store new page URLs."""
        deleted = [c for c in changes if c.change == DELETED]
        kept = [c for c in changes if c.change != DELETED]
        self.db.executemany(
            "INSERT OR REPLACE INTO tombstones VALUES (?, ?, ?)",
            [(c.kind, c.id, seq) for c in deleted],
        )
        self.db.executemany(
            "DELETE FROM tombstones WHERE kind = ? AND id = ?", [(c.kind, c.id) for c in kept]
        )
        self.db.executemany(
            "UPDATE items SET seq = ?, url = coalesce(?, url) WHERE kind = ? AND id = ?",
            [(seq, c.new_url, c.kind, c.id) for c in kept],
        )

    def state(self) -> tuple[str, int]:
        """``(cache_id, seq)``: which cache this is and its change sequence number.

        ``cache_id`` is random, made when the cache is first filled: a cache
        started over (another schema, a corrupt file) has another one.
        """
        state = dict(self.db.execute("SELECT key, value FROM state").fetchall())
        return state.get("cache_id", ""), int(state.get("seq") or 0)

    def changed_since(
        self, seq: int, until: int | None = None
    ) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
        """``(changed, deleted)``: ``(kind, id)`` of items changed or deleted after ``seq``.

        Whatever happened in between (several syncs, a build that failed), an
        item that differs from what it was at ``seq`` is listed.
        """
        until = self.state()[1] if until is None else until
        query = "SELECT kind, id FROM {} WHERE seq > ? AND seq <= ?"
        changed = self.db.execute(query.format("items"), (seq, until)).fetchall()
        deleted = self.db.execute(query.format("tombstones"), (seq, until))
        return [tuple(r) for r in changed], [tuple(r) for r in deleted.fetchall()]

    def _index(self) -> dict[tuple[str, int], tuple]:
        """``(kind, id) -> (hash, url, seq)`` of every item."""
        rows = self.db.execute("SELECT kind, id, hash, url, seq FROM items")
        return {(kind, pk): (digest, url, seq) for kind, pk, digest, url, seq in rows}

    def _write(
        self, envelopes: Iterable[dict[str, Any]], full: bool, before: Mapping[tuple[str, int], Any]
    ) -> tuple[dict[tuple[str, int], str | None], dict[int, str | None]]:
        """Upsert or delete each item in order (a later copy wins).

        Returns ``key -> new hash`` and, for each page written, the path of its
        CMS URL (``None``: it has none), so its site URL needs no read back.
        """
        touched: dict[tuple[str, int], str | None] = {}
        paths: dict[int, str | None] = {}
        for envelope in envelopes:
            key = (envelope["kind"], envelope["id"])
            old = before.get(key, (None, None, 0))  # read before this sync writes it
            if envelope.get("deleted"):
                self.db.execute("DELETE FROM items WHERE kind = ? AND id = ?", key)
                self._store_lazy(key, None)
                touched[key] = None
                continue
            if key[0] == "page":
                data, head, lazy, hashes = page_json(envelope["data"])
            else:
                data = head = page_json(envelope["data"])[0]
                lazy, hashes = None, "{}"
            digest = _digest(envelope, data)
            touched[key] = digest
            if not full and old[0] == digest:
                continue
            if key[0] == "page":
                html_url = (envelope["data"].get("meta") or {}).get("html_url")
                paths[key[1]] = urlsplit(html_url).path if html_url else None
            self.db.execute(
                "INSERT OR REPLACE INTO items "
                "(kind, id, sort_key, hash, url, data, lazy_hashes, seq) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*key, envelope.get("order", ""), digest, old[1], head, hashes, old[2]),
            )
            if lazy is not None or not full:
                self._store_lazy(key, lazy)
        if full:
            for key in before:
                touched.setdefault(key, None)  # not listed any more: deleted
        return touched, paths

    def _urls(self, paths: Mapping[int, str | None]) -> dict[int, str]:
        """Site URLs (``Content.pages[i]["url"]``) of pages whose CMS URL paths are ``paths``.

        As :func:`~jamtail.content.gather.assemble` makes them: relative to the
        root page's URL, read from the cache as this sync left it.
        """
        row = self.db.execute(
            "SELECT json_extract(data, '$.meta.html_url') FROM items WHERE kind = 'page' AND "
            "id = (SELECT json_extract(data, '$.root_page_id') FROM items WHERE kind = 'settings')"
        ).fetchone()
        root_url = (urlsplit(row[0]).path or "/") if row and row[0] else "/"
        return {
            pk: relative_to_root({"url": path}, root_url)["url"]
            for pk, path in paths.items()
            if path is not None
        }

    def _store_lazy(self, key: tuple[str, int], fields: str | None) -> None:
        """Keep a page's lazy fields (JSON), or drop them (``None``: it has none, or is gone)."""
        if key[0] != "page":
            return
        if fields is None:
            self.db.execute("DELETE FROM lazy WHERE id = ?", (key[1],))
        else:
            self.db.execute("INSERT OR REPLACE INTO lazy VALUES (?, ?)", (key[1], fields))

    def read(self) -> Content:
        """The whole cache as :class:`Content` of :class:`~jamtail.content.lazy.LazyPage` heads."""
        redirects = [r for r, _ in self._items("redirect")]
        settings = self.settings()
        content = assemble(settings, [], self.authors(), redirects)
        pages, content.site_origin = self._pages(settings, self._items("page"))
        content.pages = list(pages)
        return content

    def settings(self) -> dict[str, Any]:
        """The site settings item (``{}`` when the cache has none)."""
        rows = self._items("settings")
        return rows[0][0] if rows else {}

    def authors(self) -> list[dict[str, Any]]:
        """Every author, by name then id (as :class:`Content` has them)."""
        authors = (a for a, _ in self._items("author"))
        return sorted(authors, key=lambda a: (a.get("name", ""), a["id"]))

    def site_origin(self, settings: dict[str, Any]) -> str:
        """``scheme://host`` of the CMS's page URLs, from the root page (``""`` if unknown)."""
        root = settings.get("root_page_id")
        row = self.db.execute(
            "SELECT data FROM items WHERE kind = 'page' AND id = ?", (root,)
        ).fetchone()
        return site_origin([json.loads(row[0])], root) if row else ""

    def ids_at(self, urls: Iterable[str]) -> list[int]:
        """Ids of the pages at site-relative ``urls`` (as last synced)."""
        urls = list(urls)
        marks = ",".join("?" * len(urls))
        # Named: SQLite's planner otherwise walks every page by the primary key
        # (46-200 ms at 50,000 pages, on every publish).
        query = (
            f"SELECT id FROM items INDEXED BY items_url WHERE kind = 'page' AND url IN ({marks})"
        )
        return [pid for (pid,) in self.db.execute(query, urls)]

    def articles_on(self, date: str) -> list[tuple[str, int, str]]:
        """``(tree sort key, id, title)`` of every article dated ``date`` (ISO), in tree order."""
        rows = self.db.execute(
            "SELECT sort_key, id, json_extract(data, '$.title') FROM items "
            "WHERE kind = 'page' AND json_extract(data, '$.date') = ? "
            "AND json_extract(data, '$.meta.type') LIKE '%.ArticlePage'",
            (date,),
        )
        return sorted(rows.fetchall())

    def pages(self, ids: Iterable[int]) -> list[LazyPage]:
        """The pages ``ids`` (heads, in tree order) exactly as :meth:`read` gives them.

        Ids the cache does not hold, or pages without a URL, are left out.
        """
        ids = sorted(set(ids))
        if not ids:
            return []
        settings_rows = self._items("settings")
        settings = settings_rows[0][0] if settings_rows else {}
        root = settings.get("root_page_id")
        wanted = set(ids)
        rows = []
        for chunk in range(0, len(ids), 500):
            part = [*ids[chunk : chunk + 500], root if chunk == 0 else None]
            marks = ",".join("?" * len(part))
            rows += self.db.execute(
                "SELECT sort_key, id, data, lazy_hashes FROM items "
                f"WHERE kind = 'page' AND id IN ({marks})",
                part,
            ).fetchall()
        items = self._decode(list(set(rows)))
        pages, _ = self._pages(settings, items)
        return [page for page in pages if page["id"] in wanted]

    def _pages(
        self, settings: dict[str, Any], items: list[tuple[dict, dict]]
    ) -> tuple[list[LazyPage], str]:
        """Page items as :class:`LazyPage` heads, as :func:`~jamtail.content.gather.assemble` has"""
        # Also returns the site origin (scheme and host of the CMS page URLs).
        content = assemble(settings, [p for p, _ in items], [], [])
        loader = BodyLoader(self.path)
        hashes = {item["id"]: h for item, h in items}
        return [
            LazyPage(page, loader, hashes[page["id"]]) for page in content.pages
        ], content.site_origin

    def _items(self, kind: str) -> list[tuple[dict[str, Any], dict[str, str]]]:
        """Every cached item of ``kind`` (heads), decoded, with its lazy fields' hashes.

        In tree order then id.
        """
        # A scan sorted here is faster than walking an index on (kind, sort_key).
        rows = self.db.execute(
            "SELECT sort_key, id, data, lazy_hashes FROM items WHERE kind = ?", (kind,)
        )
        return self._decode(rows.fetchall())

    @staticmethod
    def _decode(rows: list[tuple]) -> list[tuple[dict[str, Any], dict[str, str]]]:
        # One JSON document for all rows: the decoder then makes each key string
        # once, not once per page (70 MB less for the heads of 50,000 pages).
        rows = sorted(rows)
        items = json.loads("[" + ",".join(data for _, _, data, _ in rows) + "]")
        return [
            (item, json.loads(hashes) if hashes != "{}" else {})
            for item, (_, _, _, hashes) in zip(items, rows, strict=True)
        ]

    def _changes(
        self,
        touched: dict[tuple[str, int], str | None],
        before: Mapping[tuple[str, int], Any],
        urls: dict[int, str],
    ) -> list[ItemChange]:
        changes = []
        for (kind, pk), new_hash in touched.items():
            old_hash, old_url = before.get((kind, pk), (None, None, 0))[:2]
            if old_hash == new_hash:
                continue
            change = CREATED if old_hash is None else DELETED if new_hash is None else UPDATED
            new_url = urls.get(pk) if kind == "page" and new_hash is not None else None
            changes.append(ItemChange(kind, pk, change, old_hash, new_hash, old_url, new_url))
        return sorted(changes, key=lambda c: (KINDS.index(c.kind), c.id))
