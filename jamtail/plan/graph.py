"""The dependency graph of the last build, stored in SQLite under the build cache.

For every output file of the last successful build the graph records what it
was made from: the input key that summarises all of its inputs, the CMS pages
its context referenced, and the templates its rendering loaded (including the
ones it extends, imports and includes, recorded at render time so dynamic
includes count). For every page it records a hash of the page and of each of
its fields, so the next build can say *what* changed; for each non-HTML
output generator (sitemap, feeds, search index, ...) the key it was produced
under and the files it wrote. See :mod:`jamtail.plan.incremental` for how keys are
computed and compared.

The graph describes the site in one output directory: it remembers that
directory and the id of the build that filled it, and :meth:`GraphStore.load`
returns ``None`` (meaning: build everything) when the directory's manifest
names another build, so a graph and a site that do not belong together are
never combined.

It also keeps what a *patch build* (:mod:`jamtail.build.patch`) needs to redo a
few outputs without planning the whole site: each output's context skeleton
(:func:`~jamtail.plan.incremental.skeleton`), an index from each page to the
outputs that show it, the pages' order, and the content cache state
(``cache_id``, ``seq``) the build was made from. The store can be read in
part (:meth:`GraphStore.load_head`, :meth:`GraphStore.outputs_showing`...),
and saved in part (only the rows that changed).

Schema (one file, ``graph.sqlite3``)::

    meta(key PRIMARY KEY, value)   build, out_dir, format, globals, templates, order, cache,
                                   skeleton:<name> (pickles: the site dict, the feeds)
    outputs(path PRIMARY KEY, key, template, pages, templates, context)
                                   pages/templates: JSON lists; context: skeleton (pickle)
    refs(page_id, path)            the outputs each page appears in
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

FORMAT = "4"


@dataclass(slots=True)
class OutputRecord:
    """How one HTML output was made: its input ``key``, pages and templates used."""

    path: str
    key: str
    template: str
    pages: list[int]
    templates: list[str]
    context: bytes = b""


@dataclass(slots=True)
class PageRecord:
    """A page as the last build saw it: whole-page hash, title, URL and per-field hashes.

    ``fields_json``: ``{field: hash}`` as compact JSON, as stored (a dict per
    page of a 50,000-page site would cost ~100 MB); :attr:`fields` decodes it.
    """

    hash: str
    title: str
    fields_json: str
    url: str = ""

    @property
    def fields(self) -> dict[str, str]:
        """``{field name: hash of its value}``."""
        return json.loads(self.fields_json)


@dataclass
class BuildGraph:
    """Everything recorded about one build (see the module docstring).

    ``order``: page ids in plan order. ``cache``: ``(cache_id, seq)`` of the
    content cache the build read. ``skeletons``: name -> pickled
    data a patch build needs to run it again (e.g. the feeds and their
    entries' ids). A graph from :meth:`GraphStore.load_head` has no
    ``outputs`` and ``pages``.
    """

    build: str
    out_dir: str
    globals: dict[str, str] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, OutputRecord] = field(default_factory=dict)
    pages: dict[int, PageRecord] = field(default_factory=dict)
    generators: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    order: list[int] = field(default_factory=list)
    cache: tuple[str, int] = ("", 0)
    skeletons: dict[str, bytes] = field(default_factory=dict)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value NOT NULL);
CREATE TABLE IF NOT EXISTS outputs (
    path TEXT PRIMARY KEY, key TEXT NOT NULL, template TEXT NOT NULL,
    pages TEXT NOT NULL, templates TEXT NOT NULL, context BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS refs (
    page_id INTEGER NOT NULL, path TEXT NOT NULL, PRIMARY KEY (page_id, path)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS refs_path ON refs (path);
CREATE TABLE IF NOT EXISTS pages (
    id INTEGER PRIMARY KEY, hash TEXT NOT NULL, title TEXT NOT NULL, fields TEXT NOT NULL,
    url TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS generators (name TEXT PRIMARY KEY, key TEXT NOT NULL, paths TEXT);
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
        graph = self.load_head(out_dir, build)
        if graph is None:
            return None
        try:
            with self._connect() as db:
                for row in db.execute("SELECT * FROM outputs"):
                    graph.outputs[row[0]] = _output(row)
                graph.pages = _pages(db.execute("SELECT id, hash, title, fields, url FROM pages"))
            return graph
        except (sqlite3.DatabaseError, ValueError, KeyError):
            return None  # a damaged graph only costs a full build

    def load_head(self, out_dir: Path, build: str | None) -> BuildGraph | None:
        """Like :meth:`load` but without the outputs and pages (read them as needed)."""
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
                cache_id, seq = json.loads(meta.get("cache", '["", 0]'))
                graph = BuildGraph(
                    build,
                    meta["out_dir"],
                    json.loads(meta.get("globals", "{}")),
                    json.loads(meta.get("templates", "{}")),
                    order=json.loads(meta.get("order", "[]")),
                    cache=(cache_id, seq),
                )
                for name, key, paths in db.execute("SELECT * FROM generators"):
                    graph.generators[name] = (key, json.loads(paths))
                graph.skeletons = {
                    k.removeprefix("skeleton:"): v
                    for k, v in meta.items()
                    if k.startswith("skeleton:")
                }
                return graph
        except (sqlite3.DatabaseError, ValueError, KeyError):
            return None

    def outputs_showing(self, page_ids: Iterable[int]) -> dict[str, OutputRecord]:
        """The recorded outputs whose context holds any of ``page_ids``, by path."""
        ids = sorted(set(page_ids))
        found: dict[str, OutputRecord] = {}
        with self._connect() as db:
            for start in range(0, len(ids), 500):
                part = ids[start : start + 500]
                marks = ",".join("?" * len(part))
                rows = db.execute(
                    "SELECT * FROM outputs WHERE path IN "
                    f"(SELECT path FROM refs WHERE page_id IN ({marks}))",
                    part,
                )
                found.update((row[0], _output(row)) for row in rows)
        return found

    def page_records(self, page_ids: Iterable[int] | None = None) -> dict[int, PageRecord]:
        """The recorded pages ``page_ids`` (every page when ``None``), by id."""
        with self._connect() as db:
            if page_ids is None:
                return _pages(db.execute("SELECT id, hash, title, fields, url FROM pages"))
            ids = sorted(set(page_ids))
            marks = ",".join("?" * len(ids))
            return _pages(
                db.execute(
                    f"SELECT id, hash, title, fields, url FROM pages WHERE id IN ({marks})", ids
                )
            )

    def output_count(self) -> int:
        """How many HTML outputs the recorded build has."""
        with self._connect() as db:
            return db.execute("SELECT count(*) FROM outputs").fetchone()[0]

    def save(
        self,
        graph: BuildGraph,
        changed_pages: Iterable[int] | None = None,
        changed_outputs: Iterable[str] | None = None,
        removed_outputs: Iterable[str] = (),
        removed_pages: Iterable[int] | None = None,
    ) -> None:
        """Store ``graph`` in one transaction, replacing the stored one.

        ``changed_pages``: ids whose :class:`PageRecord` differs from the
        stored one (``None``: rewrite every page row); rows of pages no longer
        in ``graph.order`` are deleted (``removed_pages``: those ids, when the
        caller knows them; else the stored ids are read). ``changed_outputs``: paths whose
        :class:`OutputRecord` differs from the stored one, and
        ``removed_outputs`` those that are gone (``None``: rewrite every
        output). ``graph.pages``/``graph.outputs`` need only hold the rows
        written, when the changed ones are named.
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
                    ("order", json.dumps(graph.order)),
                    ("cache", json.dumps(list(graph.cache))),
                    *((f"skeleton:{name}", data) for name, data in graph.skeletons.items()),
                ],
            )
            if changed_outputs is None:
                db.execute("DELETE FROM outputs")
                db.execute("DELETE FROM refs")
                records: Iterable[OutputRecord] = graph.outputs.values()
            else:
                gone = [(path,) for path in removed_outputs]
                db.executemany("DELETE FROM outputs WHERE path = ?", gone)
                db.executemany("DELETE FROM refs WHERE path = ?", gone)
                records = [graph.outputs[path] for path in changed_outputs]
                db.executemany("DELETE FROM refs WHERE path = ?", ((r.path,) for r in records))
            records = list(records)
            db.executemany(
                "INSERT OR REPLACE INTO outputs VALUES (?, ?, ?, ?, ?, ?)",
                (_output_row(r) for r in records),
            )
            db.executemany(
                "INSERT OR IGNORE INTO refs VALUES (?, ?)",
                ((pid, r.path) for r in records for pid in r.pages),
            )
            if changed_pages is None:
                db.execute("DELETE FROM pages")
                ids: Iterable[int] = graph.pages
            else:
                if removed_pages is None:
                    removed_pages = set(self._ids(db)) - set(graph.order)
                gone_pages = [(pid,) for pid in removed_pages]
                db.executemany("DELETE FROM pages WHERE id = ?", gone_pages)
                ids = [pid for pid in changed_pages if pid in graph.pages]
            db.executemany(
                "INSERT OR REPLACE INTO pages (id, hash, title, fields, url) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    (
                        pid,
                        graph.pages[pid].hash,
                        graph.pages[pid].title,
                        graph.pages[pid].fields_json,
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

    @staticmethod
    def _ids(db: sqlite3.Connection) -> list[int]:
        return [pid for (pid,) in db.execute("SELECT id FROM pages")]

    def forget(self) -> None:
        """Drop the recorded build, so the next build is a full one."""
        if self.path.exists():
            with self._connect() as db:
                db.execute("DELETE FROM meta WHERE key = 'build'")


def _output_row(r: OutputRecord) -> tuple:
    return (r.path, r.key, r.template, json.dumps(r.pages), json.dumps(r.templates), r.context)


def _output(row: tuple) -> OutputRecord:
    path, key, template, pages, templates, context = row
    return OutputRecord(path, key, template, json.loads(pages), json.loads(templates), context)


def _pages(rows: Iterable[tuple]) -> dict[int, PageRecord]:
    return {pid: PageRecord(digest, title, fields, url) for pid, digest, title, fields, url in rows}
