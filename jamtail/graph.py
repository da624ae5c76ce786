"""The dependency graph of the last build, stored in SQLite under the build cache.

For every output file of the last successful build the graph records what it
was made from: the input key that summarises all of its inputs, the CMS pages
its context referenced, and the templates its rendering loaded (including the
ones it extends, imports and includes, recorded at render time so dynamic
includes count). For every page it records a hash of the page and of each of
its fields, so the next build can say *what* changed; for each non-HTML
output generator (sitemap, feeds, search index, ...) the key it was produced
under and the files it wrote. See :mod:`jamtail.incremental` for how keys are
computed and compared.

The graph describes the site in one output directory: it remembers that
directory and the id of the build that filled it, and :meth:`Graph.load`
returns ``None`` (meaning: build everything) when the directory's manifest
names another build, so a graph and a site that do not belong together are
never combined.

Schema (one file, ``graph.sqlite3``)::

    meta(key PRIMARY KEY, value)            build, out_dir, format, globals, templates
    outputs(path PRIMARY KEY, key, template, pages, templates)   pages/templates: JSON lists
    pages(id PRIMARY KEY, hash, title, fields, url)              fields: JSON {name: hash}
    generators(name PRIMARY KEY, key, paths)                     paths: JSON list
    files(ino, size, mtime_ns, sha1, md5, PRIMARY KEY (ino, size, mtime_ns))
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .manifest import FileEntry

FORMAT = "2"


@dataclass(slots=True)
class OutputRecord:
    """How one HTML output was made: its input ``key``, pages and templates used."""

    path: str
    key: str
    template: str
    pages: list[int]
    templates: list[str]


@dataclass(slots=True)
class PageRecord:
    """A page as the last build saw it: whole-page hash, title, URL and per-field hashes."""

    hash: str
    title: str
    fields: dict[str, str]
    url: str = ""


@dataclass
class BuildGraph:
    """Everything recorded about one build (see the module docstring)."""

    build: str
    out_dir: str
    globals: dict[str, str] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, OutputRecord] = field(default_factory=dict)
    pages: dict[int, PageRecord] = field(default_factory=dict)
    generators: dict[str, tuple[str, list[str]]] = field(default_factory=dict)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outputs (
    path TEXT PRIMARY KEY, key TEXT NOT NULL, template TEXT NOT NULL,
    pages TEXT NOT NULL, templates TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pages (
    id INTEGER PRIMARY KEY, hash TEXT NOT NULL, title TEXT NOT NULL, fields TEXT NOT NULL,
    url TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS generators (name TEXT PRIMARY KEY, key TEXT NOT NULL, paths TEXT);
CREATE TABLE IF NOT EXISTS files (
    ino INTEGER, size INTEGER, mtime_ns INTEGER, sha1 TEXT, md5 TEXT,
    PRIMARY KEY (ino, size, mtime_ns));
"""


class GraphStore:
    """The SQLite file at ``path`` (created on first save)."""

    def __init__(self, path: Path):
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path)
        (version,) = db.execute("PRAGMA user_version").fetchone()
        if version != int(FORMAT):  # another layout: start over (a full build)
            for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
                db.execute(f'DROP TABLE "{table}"')
            db.execute(f"PRAGMA user_version = {int(FORMAT)}")
        db.executescript(_SCHEMA)
        return db

    def load(self, out_dir: Path, build: str | None) -> BuildGraph | None:
        """The graph of build ``build`` into ``out_dir``; ``None`` if the store has another.

        ``build`` is the id in the output directory's manifest (``None`` when
        it has none): a graph is only usable for the very tree it describes.
        """
        if build is None or not self.path.exists():
            return None
        try:
            with self._connect() as db:
                meta = dict(db.execute("SELECT key, value FROM meta"))
                if (
                    meta.get("format") != FORMAT
                    or meta.get("build") != build
                    or meta.get("out_dir") != str(out_dir.resolve())
                ):
                    return None
                graph = BuildGraph(
                    build,
                    meta["out_dir"],
                    json.loads(meta.get("globals", "{}")),
                    json.loads(meta.get("templates", "{}")),
                )
                for path, key, template, pages, templates in db.execute("SELECT * FROM outputs"):
                    graph.outputs[path] = OutputRecord(
                        path, key, template, json.loads(pages), json.loads(templates)
                    )
                for pid, digest, title, fields, url in db.execute(
                    "SELECT id, hash, title, fields, url FROM pages"
                ):
                    graph.pages[pid] = PageRecord(digest, title, json.loads(fields), url)
                for name, key, paths in db.execute("SELECT * FROM generators"):
                    graph.generators[name] = (key, json.loads(paths))
                return graph
        except (sqlite3.DatabaseError, ValueError, KeyError):
            return None  # a damaged graph only costs a full build

    def save(self, graph: BuildGraph, changed_pages: Iterable[int] | None = None) -> None:
        """Replace the stored graph with ``graph`` in one transaction.

        ``changed_pages``: ids whose :class:`PageRecord` differs from the
        stored one (``None``: rewrite every page row). Rows of pages that are
        no longer in ``graph.pages`` are deleted.
        """
        with self._connect() as db:
            db.execute("DELETE FROM meta")
            db.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [
                    ("format", FORMAT),
                    ("build", graph.build),
                    ("out_dir", graph.out_dir),
                    ("globals", json.dumps(graph.globals, sort_keys=True)),
                    ("templates", json.dumps(graph.templates, sort_keys=True)),
                ],
            )
            db.execute("DELETE FROM outputs")
            db.executemany(
                "INSERT INTO outputs VALUES (?, ?, ?, ?, ?)",
                (
                    (r.path, r.key, r.template, json.dumps(r.pages), json.dumps(r.templates))
                    for r in graph.outputs.values()
                ),
            )
            if changed_pages is None:
                db.execute("DELETE FROM pages")
                ids: Iterable[int] = graph.pages
            else:
                stored = {pid for (pid,) in db.execute("SELECT id FROM pages")}
                gone = stored - graph.pages.keys()
                db.executemany("DELETE FROM pages WHERE id = ?", ((pid,) for pid in gone))
                ids = [pid for pid in changed_pages if pid in graph.pages]
            db.executemany(
                "INSERT OR REPLACE INTO pages (id, hash, title, fields, url) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    (
                        pid,
                        graph.pages[pid].hash,
                        graph.pages[pid].title,
                        json.dumps(graph.pages[pid].fields),
                        graph.pages[pid].url,
                    )
                    for pid in ids
                ),
            )
            db.execute("DELETE FROM generators")
            db.executemany(
                "INSERT INTO generators VALUES (?, ?, ?)",
                ((name, key, json.dumps(paths)) for name, (key, paths) in graph.generators.items()),
            )

    def forget(self) -> None:
        """Drop the recorded build, so the next build is a full one."""
        if self.path.exists():
            with self._connect() as db:
                db.execute("DELETE FROM meta WHERE key = 'build'")

    # -- digests of files the build did not write itself (media, hard links) --

    def known_digests(self) -> dict[tuple[int, int, int], FileEntry]:
        """Digests by file identity ``(inode, size, mtime_ns)``, as remembered."""
        if not self.path.exists():
            return {}
        with self._connect() as db:
            return {
                (ino, size, mtime): FileEntry(size, sha1, md5)
                for ino, size, mtime, sha1, md5 in db.execute("SELECT * FROM files")
            }

    def remember_digests(self, digests: dict[tuple[int, int, int], FileEntry]) -> None:
        """Replace the remembered file digests with ``digests``."""
        with self._connect() as db:
            db.execute("DELETE FROM files")
            db.executemany(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
                ((*key, e.sha1, e.md5) for key, e in digests.items()),
            )
