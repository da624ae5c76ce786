"""The search index: a SQLite FTS5 database the build writes and the search function reads.

Schema (``PRAGMA user_version`` = :data:`SCHEMA_VERSION`)::

    meta(key, value)                  "site": the plan's site dict as JSON (name, nav...)
    pages(id, url, title, summary, date, type, section)    one row per page, id = CMS page id
    fts(title, summary, body, section, tags, authors)      FTS5, rowid = pages.id,
                                      tokenizer "porter unicode61 remove_diacritics 2"
    page_sections(section_url, page_id)  every section a page is in (its ancestors, itself)
    page_tags(tag, page_id)           tag slugs
    sections(url, title), tags(slug, name)   the filter choices

Only what :func:`documents` is given goes in: the build passes the plan's
pages, which are the live, public pages the CMS API serves (Wagtail's API
excludes drafts and pages with view restrictions), so the index holds
nothing a reader cannot already read on the site.

The bytes are deterministic: documents are inserted in page id order, FTS5
segments are merged (``optimize``) and the database is ``VACUUM``-ed, so
the same content gives the same file with the same SQLite library.
:func:`update_index` applies changes to an existing index and rewrites it
the same way, so an incremental build gives the bytes a full build gives.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from .text import clean, page_text

INDEX_PATH = "_search/index.sqlite3"
SCHEMA_VERSION = 1
SECTION_TYPE = "SectionPage"
TOKENIZER = "porter unicode61 remove_diacritics 2"
# Prefix indexes for 2 and 3 characters make as-you-type prefix queries fast.
PREFIXES = "2 3"
COLUMNS = ("title", "summary", "body", "section", "tags", "authors")

_SCHEMA = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
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


def _date(page: dict[str, Any]) -> str:
    value = page.get("date")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and value:
        return value[:10]
    return (page.get("first_published_at") or "")[:10]


def documents(
    pages: Iterable[dict[str, Any]], known: dict[str, Document] | None = None
) -> list[Document]:
    """Documents for ``pages`` (page dicts as the plan has them, with ``url``/``parent_url``).

    A page's sections are the section pages among itself and its ancestors;
    ``section`` is the title of the nearest. An ancestor missing from
    ``pages`` is looked up by URL in ``known`` (documents already indexed),
    whose sections are then inherited. Ids must be unique integers.
    """
    pages = list(pages)
    by_url = {p["url"]: p for p in pages}
    known = known or {}
    result = []
    for page in pages:
        chain: list[tuple[str, str]] = []
        url = page["url"]
        while url is not None:
            if url in by_url:
                ancestor = by_url[url]
                if ancestor.get("type") == SECTION_TYPE:
                    chain.append((ancestor["url"], clean(ancestor["title"])))
                url = ancestor.get("parent_url")
            else:
                stored = known.get(url)
                if stored is not None:
                    chain.extend(stored["sections"])
                break
        summary = page.get("summary") or page.get("description") or ""
        result.append(
            {
                "id": int(page["id"]),
                "url": page["url"],
                "title": clean(page.get("title", "")),
                "summary": clean(summary or page.get("search_description") or ""),
                "body": page_text(page),
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
        )
    return result


def write_index(docs: Iterable[Document], site: dict[str, Any]) -> bytes:
    """The index database holding ``docs``, as bytes; ``site`` is stored for the results page.

    Raises ``ValueError`` when two documents share an id or a URL.
    """
    ordered = sorted(docs, key=lambda d: d["id"])
    con = sqlite3.connect(":memory:")
    try:
        con.executescript(_SCHEMA)
        con.execute("INSERT INTO meta VALUES ('site', ?)", (json.dumps(site, sort_keys=True),))
        sections: dict[str, str] = {}
        tags: dict[str, str] = {}
        for doc in ordered:
            _insert(con, doc)
            if doc["type"] == SECTION_TYPE:
                sections[doc["url"]] = doc["title"]
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


def build_index(pages: Iterable[dict[str, Any]], site: dict[str, Any]) -> bytes:
    """The whole index for ``pages`` (see :func:`documents`), as bytes."""
    return write_index(documents(pages), site)


def read_documents(data: bytes) -> tuple[list[Document], dict[str, Any]]:
    """The documents and the site dict stored in an index (the inverse of :func:`write_index`)."""
    con = sqlite3.connect(":memory:")
    try:
        con.deserialize(data)
        site = json.loads(con.execute("SELECT value FROM meta WHERE key = 'site'").fetchone()[0])
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
        return docs, site
    finally:
        con.close()


def update_index(
    data: bytes,
    changed_pages: Iterable[dict[str, Any]],
    deleted_urls: Iterable[str] = (),
    site: dict[str, Any] | None = None,
) -> bytes:
    """Apply a change set to the index ``data``; return the new index bytes.

    ``changed_pages`` are new or changed page dicts; their section ancestors
    are found among them or, by ``parent_url``, in the index. A renamed or
    moved section changes the documents under it: pass those pages too.
    ``deleted_urls`` are the URLs of pages that are gone (deleted,
    unpublished, moved away). ``site`` replaces the stored
    site dict when given. The result equals, byte for byte, a full
    :func:`build_index` of the same content.
    """
    docs, stored_site = read_documents(data)
    gone = set(deleted_urls)
    kept = {d["url"]: d for d in docs if d["url"] not in gone}
    changed = documents(changed_pages, known=kept)
    for doc in changed:
        kept.pop(doc["url"], None)
    by_id = {d["id"]: d for d in kept.values()}
    by_id.update((d["id"], d) for d in changed)
    return write_index(by_id.values(), site if site is not None else stored_site)
