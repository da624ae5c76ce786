"""The sharded search index: which page goes in which shard, full builds and updates.

The index is a folder ``_search/`` of the built site::

    _search/index.json                    what the search function reads first (below)
    _search/shard-0042-<digest>.sqlite3   one shard (jamtail/search/index.py), ~64-128 pages

A page's shard is a pure function of its id and the number of pages
(:func:`shard_count`, :func:`shard_of`): an edit to one page rewrites the one
shard holding it, and the other shards stay the same files. The shard count
is the smallest power of two that keeps at most :data:`PAGES_PER_SHARD`
pages per shard on average; when the site crosses such a size, every shard
is rebuilt. Empty shards are not written. A shard's file name carries the
digest of its bytes, so a name always means the same content: the search
function can keep shards open between requests and reopen only new names.

``index.json`` (sorted keys, UTF-8)::

    {"schema": 2, "site": {...the plan's site dict...},
     "sections": [{"url", "title"}] (by URL), "tags": [{"slug", "name"}] (by name),
     "shard_count": 128,
     "shards": [{"number": 42, "file": "shard-0042-....sqlite3", "pages": 81,
                 "members": digest of the shard's sorted page ids}]}

Both :func:`build_index` and :func:`update_index` yield files one at a time
(the shards, then ``index.json``) and hold one shard's documents at a time,
so a 50,000-page site is indexed in the memory of one shard. An update
gives, byte for byte, the files a full build of the same pages gives: a
shard is always written whole from its documents, the unchanged ones read
back from its previous file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from jamtail.search.index import (
    SCHEMA_VERSION,
    SECTION_TYPE,
    Document,
    body_texts,
    document,
    read_documents,
    section_chain,
    write_shard,
)
from jamtail.search.text import clean

log = logging.getLogger(__name__)

INDEX_DIR = "_search"
INDEX_PATH = f"{INDEX_DIR}/index.json"
PAGES_PER_SHARD = 128
_GOLDEN = 0x9E3779B97F4A7C15  # 2**64 / the golden ratio: Fibonacci hashing
_MASK64 = (1 << 64) - 1

Page = dict[str, Any]


def shard_count(pages: int) -> int:
    """The number of shards for a site of ``pages`` pages: a power of two, at least 1.

    The smallest with at most :data:`PAGES_PER_SHARD` pages per shard on
    average, so shards hold 64 to 128 pages each on a site of more than 128.
    """
    count = 1
    while count * PAGES_PER_SHARD < pages:
        count *= 2
    return count


def shard_of(page_id: int, count: int) -> int:
    """The shard (0 to ``count - 1``) of page ``page_id``; ``count`` a power of two.

    The top bits of the id times a 64-bit odd constant (Fibonacci hashing):
    CMS ids are mostly consecutive, and this spreads consecutive ids evenly.
    """
    bits = count.bit_length() - 1
    if bits == 0:
        return 0
    return ((page_id * _GOLDEN) & _MASK64) >> (64 - bits)


def shard_file(number: int, data: bytes) -> str:
    """The file name of shard ``number`` holding ``data``: number and digest of the bytes."""
    return f"shard-{number:04d}-{hashlib.blake2b(data, digest_size=8).hexdigest()}.sqlite3"


def _members(pages: list[Page]) -> str:
    ids = ",".join(str(int(p["id"])) for p in pages)
    return hashlib.blake2b(ids.encode(), digest_size=12).hexdigest()


def _group(pages: list[Page], count: int) -> dict[int, list[Page]]:
    """Non-empty shards: ``{number: pages in id order}``; ``ValueError`` on a shared id or URL."""
    groups: dict[int, list[Page]] = {}
    for page in sorted(pages, key=lambda p: int(p["id"])):
        groups.setdefault(shard_of(int(page["id"]), count), []).append(page)
    if len({int(p["id"]) for p in pages}) != len(pages) or len({p["url"] for p in pages}) != len(
        pages
    ):
        raise ValueError("two pages share an id or a URL in the search index")
    return groups


def _meta(site: dict[str, Any], pages: list[Page], count: int, shards: list[dict]) -> bytes:
    """``index.json``: the site, the filter choices (from the pages' titles and tags), shards."""
    sections = sorted(
        {p["url"]: clean(p["title"]) for p in pages if p.get("type") == SECTION_TYPE}.items()
    )
    names: dict[str, str] = {}
    tags: dict[str, str] = {}
    for page in sorted(pages, key=lambda p: int(p["id"])):
        for tag in page.get("tags") or []:
            raw = tag["name"]
            tags[tag["slug"]] = names[raw] if raw in names else names.setdefault(raw, clean(raw))
    meta = {
        "schema": SCHEMA_VERSION,
        "site": site,
        "sections": [{"url": u, "title": t} for u, t in sections],
        # As SQLite's ORDER BY name COLLATE NOCASE, slug: ASCII letters fold.
        "tags": [
            {"slug": s, "name": n}
            for s, n in sorted(tags.items(), key=lambda item: (_nocase(item[1]), item[0]))
        ],
        "shard_count": count,
        "shards": shards,
    }
    return _encode_meta(meta)


def _encode_meta(meta: dict[str, Any]) -> bytes:
    text = json.dumps(meta, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


_ASCII_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _nocase(text: str) -> str:
    return text.translate(_ASCII_FOLD)


def read_meta(source: Path | bytes) -> dict[str, Any]:
    """The parsed ``index.json`` (file or bytes); ``ValueError`` or ``OSError`` if unusable."""
    meta = json.loads(source.read_bytes() if isinstance(source, Path) else source)
    if not isinstance(meta, dict) or meta.get("schema") != SCHEMA_VERSION:
        found = meta.get("schema") if isinstance(meta, dict) else None
        raise ValueError(f"schema {found}, expected {SCHEMA_VERSION}")
    return meta


def _entry(number: int, pages: list[Page], data: bytes) -> dict[str, Any]:
    return {
        "number": number,
        "file": shard_file(number, data),
        "pages": len(pages),
        "members": _members(pages),
    }


def build_index(pages: Iterable[Page], site: dict[str, Any]) -> Iterator[tuple[str, bytes]]:
    """Every file of the index for ``pages`` (a whole site): ``(site path, bytes)``, lazily.

    The shards in number order, then ``index.json``. Raises ``ValueError``
    (while iterating) when two pages share an id or a URL.
    """
    pages = list(pages)
    count = shard_count(len(pages))
    groups = _group(pages, count)
    by_url = {p["url"]: p for p in pages}
    entries = []
    for number in sorted(groups):
        members = groups[number]
        texts = body_texts(members)
        data = write_shard(
            document(p, section_chain(p, by_url), texts.get(p["id"])) for p in members
        )
        entry = _entry(number, members, data)
        entries.append(entry)
        yield f"{INDEX_DIR}/{entry['file']}", data
    yield INDEX_PATH, _meta(site, pages, count, entries)


def update_index(
    previous: Mapping[str, Path],
    pages: Iterable[Page],
    site: dict[str, Any],
    changed: Iterable[Page],
    removed_urls: Iterable[str] = (),
) -> Iterator[tuple[str, bytes | Path]]:
    """The index for ``pages`` given the one built before: ``(site path, bytes or Path)``.

    ``previous`` maps the paths the last build wrote to those files;
    ``changed`` are the pages new or changed since (their ancestors' section
    titles included: a renamed section means its pages are passed too).
    A shard is rewritten when it holds a changed page or its set of pages
    differs from last time (a page added or removed: so ``removed_urls`` is
    only informative); any other shard is answered with its previous
    ``Path``, unchanged, and so is ``index.json`` when its bytes are the
    same. With no usable previous ``index.json``, or another shard count,
    everything is built afresh. The files equal, byte for
    byte, those :func:`build_index` gives for ``pages``.
    """
    pages = list(pages)
    count = shard_count(len(pages))
    old_path = previous.get(INDEX_PATH)
    old_meta = _previous_meta(old_path)
    if old_path is None or old_meta is None or old_meta.get("shard_count") != count:
        yield from build_index(pages, site)
        return
    groups = _group(pages, count)
    fresh = {int(p["id"]) for p in changed}
    dirty = {shard_of(pid, count) for pid in fresh}
    old = {e["number"]: e for e in old_meta["shards"]}
    by_url: dict[str, Page] | None = None
    entries = []
    for number in sorted(groups):
        members = groups[number]
        entry = old.get(number)
        path = previous.get(f"{INDEX_DIR}/{entry['file']}") if entry else None
        if (
            number not in dirty
            and entry is not None
            and path is not None
            and entry["members"] == _members(members)
        ):
            entries.append(entry)
            yield f"{INDEX_DIR}/{entry['file']}", path
            continue
        if by_url is None:
            by_url = {p["url"]: p for p in pages}
        data = write_shard(_shard_documents(members, path, fresh, by_url))
        entry = _entry(number, members, data)
        entries.append(entry)
        yield f"{INDEX_DIR}/{entry['file']}", data
    meta = _meta(site, pages, count, entries)
    yield INDEX_PATH, old_path if meta == old_meta["raw"] else meta


def _previous_meta(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        raw = path.read_bytes()
        return {**read_meta(raw), "raw": raw}
    except (OSError, ValueError) as exc:
        log.info("search index: the previous %s is unusable (%s); building afresh", path, exc)
        return None


def _shard_documents(
    members: list[Page], path: Path | None, fresh: set[int], by_url: Mapping[str, Page]
) -> list[Document]:
    """Documents of one shard: unchanged pages read back from ``path``, the others made anew.

    Only pages whose document is not in the previous file (new or changed)
    have their bodies read.
    """
    kept: dict[int, Document] = {}
    if path is not None:
        try:
            kept = {d["id"]: d for d in read_documents(path) if d["id"] not in fresh}
        except sqlite3.Error as exc:
            log.info("search index: %s is unreadable (%s); rebuilding it from pages", path, exc)
    docs = []
    for page in members:
        pid = int(page["id"])
        doc = kept.get(pid)
        if doc is None:
            doc = document(page, section_chain(page, by_url))
        docs.append(doc)
    return docs


def patch_index(
    previous: Mapping[str, Path], changed: Iterable[Page], by_url: Mapping[str, Page]
) -> list[tuple[str, bytes | Path]] | None:
    """The index after ``changed`` pages changed only in what they say, or ``None``.

    For a patch build (:mod:`jamtail.build.patch`): the site has the same pages
    at the same URLs with the same sections and tags, so only the shards
    holding a changed page are rewritten (its document made anew, the
    others read back) and ``index.json`` names their new files. ``by_url``
    holds the changed pages' ancestors (:func:`section_chain`). Gives the
    files :func:`update_index` gives; ``None`` when the previous index does
    not hold the pages as expected (update or build it instead).
    """
    meta = _previous_meta(previous.get(INDEX_PATH))
    if meta is None:
        return None
    count = meta["shard_count"]
    fresh = {int(p["id"]): p for p in changed}
    dirty = {shard_of(pid, count) for pid in fresh}
    files: list[tuple[str, bytes | Path]] = []
    entries = []
    for entry in meta["shards"]:
        name = f"{INDEX_DIR}/{entry['file']}"
        path = previous.get(name)
        if path is None:
            return None
        if entry["number"] not in dirty:
            files.append((name, path))
            entries.append(entry)
            continue
        docs = sorted(read_documents(path), key=lambda d: d["id"])
        wanted = {pid for pid in fresh if shard_of(pid, count) == entry["number"]}
        if not wanted <= {d["id"] for d in docs}:
            return None
        docs = [
            document(fresh[d["id"]], section_chain(fresh[d["id"]], by_url))
            if d["id"] in fresh
            else d
            for d in docs
        ]
        data = write_shard(docs)
        entry = {**entry, "file": shard_file(entry["number"], data)}
        files.append((f"{INDEX_DIR}/{entry['file']}", data))
        entries.append(entry)
    if len({e["number"] for e in entries} & dirty) != len(dirty):
        return None
    body = {k: v for k, v in meta.items() if k != "raw"}
    files.append((INDEX_PATH, _encode_meta({**body, "shards": entries})))
    return files


def save_index(files: Iterable[tuple[str, bytes | Path]], root: Path) -> Path:
    """Write ``files`` (from :func:`build_index`) under the site folder ``root``; ``index.json``.

    For tests and benchmarks; the build writes through its own writer.
    """
    for rel, data in files:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data.read_bytes() if isinstance(data, Path) else data)
    return root / INDEX_PATH
