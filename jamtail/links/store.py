"""What the link check remembers between builds (``links.sqlite3`` in the cache directory).

Each HTML file's links and ids are kept with the SHA-1 of the file they were
read from, so a later build reads again only the files whose content
changed; the check is kept with the id of the build it describes, so a
build that follows it can recheck only what its changes can have affected
(see :mod:`jamtail.links.check`). The broken links found are kept in that
build's manifest (:mod:`jamtail.write.manifest`), not here: a publish reads
that manifest anyway.

Schema::

    meta(key PRIMARY KEY, value)        format, build, origin, rules
    sources(path PRIMARY KEY, sha1, links, ids)
                                        links, ids: JSON lists (see PageLinks)
    fragment_refs(target, source)       links with a fragment to another page:
                                        target URL path -> the file linking to it
    linked(path)                        every URL path a stored file links to (and some
                                        it no longer does: a superset, reset by a full check)

A damaged or older store is emptied and costs one full check, never an error.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from jamtail.render.links import PageLinks, page_url

FORMAT = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    path TEXT PRIMARY KEY, sha1 TEXT NOT NULL, links TEXT NOT NULL, ids TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fragment_refs (
    target TEXT NOT NULL, source TEXT NOT NULL, PRIMARY KEY (target, source)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS fragment_refs_source ON fragment_refs (source);
DROP TABLE IF EXISTS broken;
CREATE TABLE IF NOT EXISTS linked (path TEXT PRIMARY KEY) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class CheckState:
    """The build the stored check describes, the site origin and ``_redirects`` digest."""

    build: str = ""
    origin: str = ""
    rules: str = ""


class LinkStore:
    """The SQLite file at ``path`` (created on first use)."""

    def __init__(self, path: Path):
        self.path = path
        self._connection: sqlite3.Connection | None = None

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """The store's connection (opened once), in a transaction."""
        if self._connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path)
            (version,) = db.execute("PRAGMA user_version").fetchone()
            if version != FORMAT:
                for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'"):
                    db.execute(f'DROP TABLE "{table}"')
                db.execute(f"PRAGMA user_version = {FORMAT}")
            db.executescript(_SCHEMA)
            self._connection = db
        with self._connection:
            yield self._connection

    def close(self) -> None:
        """Close the connection (a later call opens it again)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def state(self) -> CheckState:
        """What the stored broken links describe (empty fields when nothing is stored)."""
        try:
            with self._db() as db:
                meta = dict(db.execute("SELECT key, value FROM meta"))
        except sqlite3.DatabaseError:
            self.close()
            self.path.unlink(missing_ok=True)
            return CheckState()
        return CheckState(meta.get("build", ""), meta.get("origin", ""), meta.get("rules", ""))

    def digests(self) -> dict[str, str]:
        """``{site path: SHA-1}`` of every file whose links are stored."""
        with self._db() as db:
            return dict(db.execute("SELECT path, sha1 FROM sources"))

    def pages(self, paths: Iterable[str] | None = None) -> dict[str, PageLinks]:
        """The stored links and ids of ``paths`` (of every file when ``None``)."""
        with self._db() as db:
            if paths is None:
                rows = db.execute("SELECT path, links, ids FROM sources").fetchall()
            else:
                wanted = sorted(set(paths))
                rows = []
                for start in range(0, len(wanted), 500):
                    part = wanted[start : start + 500]
                    marks = ",".join("?" * len(part))
                    rows += db.execute(
                        f"SELECT path, links, ids FROM sources WHERE path IN ({marks})", part
                    ).fetchall()
        return {
            path: PageLinks(tuple(json.loads(links)), frozenset(json.loads(ids)))
            for path, links, ids in rows
        }

    def linking_with_fragments(self, targets: Iterable[str]) -> set[str]:
        """Files with a link carrying a fragment to any of the URL paths ``targets``."""
        wanted = sorted(set(targets))
        found: set[str] = set()
        with self._db() as db:
            for start in range(0, len(wanted), 500):
                part = wanted[start : start + 500]
                marks = ",".join("?" * len(part))
                found.update(
                    source
                    for (source,) in db.execute(
                        f"SELECT source FROM fragment_refs WHERE target IN ({marks})", part
                    )
                )
        return found

    def linked(self, paths: Iterable[str]) -> bool:
        """Whether a stored file may link to any of the URL paths ``paths``."""
        wanted = sorted(set(paths))
        with self._db() as db:
            for start in range(0, len(wanted), 500):
                part = wanted[start : start + 500]
                marks = ",".join("?" * len(part))
                query = f"SELECT 1 FROM linked WHERE path IN ({marks}) LIMIT 1"
                if db.execute(query, part).fetchone():
                    return True
        return False

    def save(
        self,
        state: CheckState,
        read: dict[str, tuple[str, PageLinks]],
        gone: Iterable[str],
        everything: bool = False,
    ) -> None:
        """Record a finished check in one transaction.

        ``read``: site path -> (SHA-1, links) of the files read this time;
        ``gone``: files no longer in the site.
        ``everything``: ``read`` holds every file (the stored ones are replaced).
        """
        gone_rows = [(path,) for path in gone]
        with self._db() as db:
            if everything:
                for table in ("sources", "fragment_refs", "linked"):
                    db.execute(f"DELETE FROM {table}")
            else:
                db.executemany("DELETE FROM sources WHERE path = ?", gone_rows)
                stale = gone_rows + [(path,) for path in read]
                db.executemany("DELETE FROM fragment_refs WHERE source = ?", stale)
            db.executemany(
                "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?)",
                (
                    (path, sha1, json.dumps(page.links), json.dumps(sorted(page.ids)))
                    for path, (sha1, page) in read.items()
                ),
            )
            db.executemany(
                "INSERT OR IGNORE INTO fragment_refs VALUES (?, ?)",
                (
                    (link.partition("#")[0], path)
                    for path, (_, page) in read.items()
                    for link in page.links
                    if "#" in link and not link.startswith(page_url(path) + "#")
                ),
            )
            db.executemany(
                "INSERT OR IGNORE INTO linked VALUES (?)",
                (
                    (path,)
                    for path in {
                        link.partition("#")[0] for _, page in read.values() for link in page.links
                    }
                ),
            )
            db.execute("DELETE FROM meta")
            db.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [("build", state.build), ("origin", state.origin), ("rules", state.rules)],
            )
