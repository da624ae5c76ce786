"""One shard of the search index: a SQLite FTS5 database of some of the site's pages.

The index is a set of shards plus a small JSON file naming them (see
:mod:`jamtail.search.shards`); this module makes and reads one shard.

Schema of a shard (``PRAGMA user_version`` = :data:`SCHEMA_VERSION`)::

    pages(id, url, title, summary, date, type, section)    one row per page, id = CMS page id
    fts(title, summary, body, section, tags, authors)      FTS5, rowid = pages.id,
                                      tokenizer "porter unicode61 remove_diacritics 2"
    page_sections(section_url, page_id)  every section a page is in (its ancestors, itself)
    page_tags(tag, page_id)           tag slugs
    sections(url, title), tags(slug, name)   titles and names of the sections and tags
                                      this shard's pages refer to (so that a shard
                                      alone gives back its documents)

Only what :func:`documents` is given goes in: the build passes the plan's
pages, which are the live, public pages the CMS API serves (Wagtail's API
excludes drafts and pages with view restrictions), so the index holds
nothing a reader cannot already read on the site.

The bytes are deterministic: documents are inserted in page id order, FTS5
segments are merged (``optimize``) and the database is ``VACUUM``-ed, so
the same documents give the same file with the same SQLite library.
:func:`read_documents` is the inverse of :func:`write_shard`, so a shard
rebuilt from documents read back from its previous version equals one
written from the pages.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from jamtail.content.lazy import BodyLoader, LazyPage
from jamtail.search.text import body_parts, clean, page_text

# Cached body texts are valid while the code that extracts them is unchanged.
TEXT_CODE = hashlib.blake2b(
    (Path(__file__).parent / "text.py").read_bytes(), digest_size=8
).hexdigest()

SCHEMA_VERSION = 2
SECTION_TYPE = "SectionPage"
TOKENIZER = "porter unicode61 remove_diacritics 2"
# Prefix indexes for 2 and 3 characters make as-you-type prefix queries fast.
PREFIXES = "2 3"
COLUMNS = ("title", "summary", "body", "section", "tags", "authors")

_SCHEMA = f"""
CREATE TABLE pages (
    id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE, title TEXT NOT NULL,
    summary TEXT NOT NULL, date TEXT NOT NULL, type TEXT NOT NULL, section TEXT NOT NULL
);
CREATE VIRTUAL TABLE fts USING fts5(
    {", ".join(COLUMNS)}, tokenize='{TOKENIZER}', prefix='{PREFIXES}'
);
CREATE TABLE page_sections (
    section_url TEXT NOT NULL, page_id INTEGER NOT NULL, PRIMARY KEY (section_url, page_id)
) WITHOUT ROWID;
CREATE TABLE page_tags (
    tag TEXT NOT NULL, page_id INTEGER NOT NULL, PRIMARY KEY (tag, page_id)
) WITHOUT ROWID;
CREATE TABLE sections (url TEXT PRIMARY KEY, title TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE tags (slug TEXT PRIMARY KEY, name TEXT NOT NULL) WITHOUT ROWID;
PRAGMA user_version = {SCHEMA_VERSION};
"""

Document = dict[str, Any]
"""One indexed page, plain data::

    {"id": int, "url": "/blog/hello/", "title": str, "summary": str, "body": str,
     "date": "2020-04-17" or "", "type": "ArticlePage", "section": "Blog",
     "sections": [("/blog/", "Blog")], "tags": [{"slug", "name"}], "authors": [str]}

``sections`` lists ``(url, title)`` of the page's section pages, nearest first.
"""

Chain = list[tuple[str, str]]


def _date(page: dict[str, Any]) -> str:
    value = page.get("date")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and value:
        return value[:10]
    return (page.get("first_published_at") or "")[:10]


def section_chain(page: dict[str, Any], by_url: Mapping[str, dict[str, Any]]) -> Chain:
    """``[(url, title)]`` of the section pages among ``page`` and its ancestors, nearest first.

    Ancestors are found by ``parent_url`` in ``by_url`` (every page of the
    site by URL); the walk stops at a URL that is not there.
    """
    chain: Chain = []
    node: dict[str, Any] | None = page
    while node is not None:
        if node.get("type") == SECTION_TYPE:
            chain.append((node["url"], clean(node["title"])))
        parent = node.get("parent_url")
        node = by_url.get(parent) if parent is not None else None
    return chain


def document(page: dict[str, Any], chain: Chain, body: list[str] | None = None) -> Document:
    """The document for ``page`` (a page dict as the plan has it) in sections ``chain``.

    Reads the page's body (``page_text``) unless its text is given as
    ``body`` (see :func:`body_texts`); the id must be an integer.
    """
    summary = page.get("summary") or page.get("description") or ""
    return {
        "id": int(page["id"]),
        "url": page["url"],
        "title": clean(page.get("title", "")),
        "summary": clean(summary or page.get("search_description") or ""),
        "body": page_text(page, body),
        "date": _date(page),
        "type": page.get("type", ""),
        "section": chain[0][1] if chain else "",
        "sections": chain,
        # By slug, the order the index stores them in (page_tags' key).
        "tags": sorted(
            ({"slug": t["slug"], "name": clean(t["name"])} for t in page.get("tags") or []),
            key=lambda t: t["slug"],
        ),
        "authors": [clean(a["name"]) for a in page.get("authors") or []],
    }


def body_texts(pages: Iterable[dict[str, Any]]) -> dict[int, list[str]]:
    """The :func:`~jamtail.search.text.body_parts` of lazy pages, by id, without reading bodies.

    Kept in the content cache per version of each body (see
    :meth:`jamtail.content.lazy.BodyLoader.derived`), so a full build reads only new
    or changed bodies; pages that are not lazy are left out (read as usual).
    """
    lazy = [p for p in pages if isinstance(p, LazyPage) and p.lazy_hashes]
    texts: dict[int, list[str]] = {}
    for loader in {id(p.loader): p.loader for p in lazy}.values():

        def parts(fields: dict[str, Any], loader: BodyLoader = loader) -> list[str]:
            # The text of the body as rendered: with its media URLs made local.
            shown = loader.transform(fields) if loader.transform else fields
            return body_parts(shown.get("body"))

        mine = [p for p in lazy if p.loader is loader]
        texts.update(loader.derived("search-body", TEXT_CODE, mine, parts))
    return texts


def documents(pages: Iterable[dict[str, Any]]) -> list[Document]:
    """Documents for ``pages``, a whole site (each page's ancestors among them)."""
    pages = list(pages)
    by_url = {p["url"]: p for p in pages}
    return [document(p, section_chain(p, by_url)) for p in pages]


def write_shard(docs: Iterable[Document]) -> bytes:
    """The shard database holding ``docs``, as bytes.

    Raises ``ValueError`` when two documents share an id or a URL.
    """
    ordered = sorted(docs, key=lambda d: d["id"])
    con = sqlite3.connect(":memory:")
    try:
        con.executescript(_SCHEMA)
        sections: dict[str, str] = {}
        tags: dict[str, str] = {}
        for doc in ordered:
            _insert(con, doc)
            sections.update(doc["sections"])
            tags.update((t["slug"], t["name"]) for t in doc["tags"])
        con.executemany("INSERT INTO sections VALUES (?, ?)", sorted(sections.items()))
        con.executemany("INSERT INTO tags VALUES (?, ?)", sorted(tags.items()))
        con.execute("INSERT INTO fts(fts) VALUES ('optimize')")
        con.commit()
        con.execute("VACUUM")
        return con.serialize()
    except sqlite3.IntegrityError as exc:
        raise ValueError(f"two pages share an id or a URL in the search index: {exc}") from exc
    finally:
        con.close()


def _insert(con: sqlite3.Connection, doc: Document) -> None:
    con.execute(
        "INSERT INTO pages VALUES (?, ?, ?, ?, ?, ?, ?)",
        (doc["id"], doc["url"], doc["title"], doc["summary"], doc["date"], doc["type"],
         doc["section"]),
    )  # fmt: skip
    con.execute(
        "INSERT INTO fts(rowid, title, summary, body, section, tags, authors)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (doc["id"], doc["title"], doc["summary"], doc["body"], doc["section"],
         "\n".join(t["name"] for t in doc["tags"]), "\n".join(doc["authors"])),
    )  # fmt: skip
    con.executemany(
        "INSERT OR IGNORE INTO page_sections VALUES (?, ?)",
        [(url, doc["id"]) for url, _ in doc["sections"]],
    )
    con.executemany(
        "INSERT OR IGNORE INTO page_tags VALUES (?, ?)",
        [(t["slug"], doc["id"]) for t in doc["tags"]],
    )


def read_documents(shard: Path | bytes) -> list[Document]:
    """The documents stored in a shard file or its bytes (the inverse of :func:`write_shard`).

    Raises ``sqlite3.Error`` when it is not a shard of this schema version.
    """
    if isinstance(shard, Path):
        con = sqlite3.connect(f"{shard.resolve().as_uri()}?mode=ro", uri=True)
    else:
        con = sqlite3.connect(":memory:")
        con.deserialize(shard)
    try:
        version = con.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"schema {version}, expected {SCHEMA_VERSION}")
        section_titles = dict(con.execute("SELECT url, title FROM sections"))
        tag_names = dict(con.execute("SELECT slug, name FROM tags"))
        sections_of: dict[int, list[str]] = {}
        for url, page_id in con.execute("SELECT section_url, page_id FROM page_sections"):
            sections_of.setdefault(page_id, []).append(url)
        tags_of: dict[int, list[str]] = {}
        for slug, page_id in con.execute("SELECT tag, page_id FROM page_tags"):
            tags_of.setdefault(page_id, []).append(slug)
        rows = con.execute(
            "SELECT p.id, p.url, p.title, p.summary, p.date, p.type, p.section, f.body, f.authors"
            " FROM pages p JOIN fts f ON f.rowid = p.id ORDER BY p.id"
        )
        docs = []
        for pid, url, title, summary, date, kind, section, body, authors in rows:
            # Nearest first: a section's URL is longer than its ancestors'.
            urls = sorted(sections_of.get(pid, []), key=len, reverse=True)
            docs.append(
                {
                    "id": pid, "url": url, "title": title, "summary": summary, "body": body,
                    "date": date, "type": kind, "section": section,
                    "sections": [(u, section_titles.get(u, "")) for u in urls],
                    "tags": [{"slug": s, "name": tag_names[s]} for s in tags_of.get(pid, [])],
                    "authors": authors.split("\n") if authors else [],
                }
            )  # fmt: skip
        return docs
    finally:
        con.close()
