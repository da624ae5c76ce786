"""The sharded search index: which page goes in which shard, full builds and updates.

The index is a folder ``_search/`` of the built site, a tantivy index whose
segments are the shards::

    _search/index.json            what the search function reads first (below)
    _search/meta.json             tantivy's list of the segments, in shard order
    _search/<segment id>.<ext>    one shard's files (jamtail/search/index.py), ~64-128 pages

A page's shard is a pure function of its id and the number of pages
(:func:`shard_count`, :func:`shard_of`): an edit to one page rewrites the one
shard holding it, and the other shards stay the same files. The shard count
is the smallest power of two that keeps at most :data:`PAGES_PER_SHARD`
pages per shard on average; when the site crosses such a size, every shard
is rebuilt. Empty shards are not written. A shard's file name carries the
digest of its bytes, so a name always means the same content, and a deploy
uploads only the shards that changed.

``index.json`` (sorted keys, UTF-8)::

    {"schema": 2, "site": {...the plan's site dict...},
     "sections": [{"url", "title"}] (by URL), "tags": [{"slug", "name"}] (by name),
     "shard_count": 128,
     "shards": [{"number": 42, "segment": "<32 hex digits>", "pages": 81,
                 "files": ["<segment>.fast", ...],
                 "members": digest of the shard's sorted page ids}]}

Both :func:`build_index` and :func:`update_index` yield files one at a time
(the shards, then ``meta.json`` and ``index.json``) and hold at most two
shards' documents at a time, so a 50,000-page site is indexed in the memory
of two shards. An update gives, byte for byte, the files a full build of
the same pages gives: a shard is always written whole from its documents,
the unchanged ones read back from its previous files.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jamtail.search.index import (
    SCHEMA_VERSION,
    SECTION_TYPE,
    Document,
    Segment,
    body_texts,
    document,
    meta_json,
    prepare_body_texts,
    read_stored,
    section_chain,
    write_segment,
)
from jamtail.search.text import clean

if TYPE_CHECKING:  # the search function imports this module: not the build's planner
    from jamtail.search.segments import SegmentCache

log = logging.getLogger(__name__)

INDEX_DIR = "_search"
INDEX_PATH = f"{INDEX_DIR}/index.json"
TANTIVY_META_PATH = f"{INDEX_DIR}/meta.json"
PAGES_PER_SHARD = 512
_GOLDEN = 0x9E3779B97F4A7C15  # 2**64 / the golden ratio: Fibonacci hashing
_MASK64 = (1 << 64) - 1

Page = dict[str, Any]


def shard_count(pages: int) -> int:
    """The number of shards for a site of ``pages`` pages: a power of two, at least 1.

    The smallest with at most :data:`PAGES_PER_SHARD` pages per shard on
    average, so shards hold 256 to 512 pages each on a site of more than 512.
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


def _entry(number: int, pages: list[Page], segment: Segment) -> dict[str, Any]:
    return {
        "number": number,
        "segment": segment.id,
        "files": sorted(segment.files),
        "pages": len(pages),
        "members": _members(pages),
    }


def _written(entry: dict[str, Any], segment: Segment) -> Iterator[tuple[str, bytes]]:
    for name in entry["files"]:
        yield f"{INDEX_DIR}/{name}", segment.files[name]


def _tantivy_meta(entries: list[dict[str, Any]]) -> bytes:
    return meta_json((e["segment"], e["pages"]) for e in sorted(entries, key=lambda e: e["number"]))


def _previous_files(
    entry: dict[str, Any] | None, previous: Mapping[str, Path]
) -> dict[str, Path] | None:
    """``{file name: previous Path}`` of a shard's files; ``None`` unless every one is there."""
    if entry is None:
        return None
    files = {name: previous.get(f"{INDEX_DIR}/{name}") for name in entry["files"]}
    return None if None in files.values() else files  # type: ignore[return-value]


def build_index(
    pages: Iterable[Page], site: dict[str, Any], cache: SegmentCache | None = None
) -> Iterator[tuple[str, bytes]]:
    """Every file of the index for ``pages`` (a whole site): ``(site path, bytes)``, lazily.

    The shards' files in shard number order, then ``meta.json`` and
    ``index.json``. Raises ``ValueError``
    (while iterating) when two pages share an id or a URL. ``cache``: where
    segments made from the same pages before are kept
    (:mod:`jamtail.search.segments`); it is left holding this index's.
    """
    pages = list(pages)
    count = shard_count(len(pages))
    groups = _group(pages, count)
    by_url = {p["url"]: p for p in pages}
    chains = {number: [section_chain(p, by_url) for p in groups[number]] for number in groups}
    keys = {n: cache.key(groups[n], chains[n]) for n in groups} if cache else {}
    entries: list[dict[str, Any]] = []
    # A first build has no body text cached: make it on every core first (before
    # this process has threads to fork with), for the shards to index.
    todo = [p for n in groups if not (cache and cache.has(keys[n])) for p in groups[n]]
    prepare_body_texts(todo, len(os.sched_getaffinity(0)))
    # The next shard's segment is written on a thread while this one's files are
    # yielded (tantivy and zlib let go of the GIL): two shards in memory at most.
    # Documents are made here: a page's body comes from the content cache,
    # whose connection belongs to this thread.
    with ThreadPoolExecutor(1, thread_name_prefix="jamtail-search") as pool:
        # Each shard's number, pages, segment, and the key to keep a new segment under.
        ahead: deque[tuple[int, list[Page], Future[Segment], str | None]] = deque()
        for number in sorted(groups):
            members = groups[number]
            # Read at its turn, as a new one is made: two shards in memory at most.
            segment = cache.get(keys[number]) if cache else None
            if segment is None:
                texts = body_texts(members)
                docs = [
                    document(p, chain, texts.get(p["id"]))
                    for p, chain in zip(members, chains[number], strict=True)
                ]
                ahead.append((number, members, pool.submit(write_segment, docs), keys.get(number)))
            else:
                kept: Future[Segment] = Future()
                kept.set_result(segment)
                ahead.append((number, members, kept, None))
            if len(ahead) > 1:
                yield from _finished(ahead.popleft(), entries, cache)
        while ahead:
            yield from _finished(ahead.popleft(), entries, cache)
    if cache:
        cache.keep(keys.values())
    yield TANTIVY_META_PATH, _tantivy_meta(entries)
    yield INDEX_PATH, _meta(site, pages, count, entries)


def _finished(
    pending: tuple[int, list[Page], Future[Segment], str | None],
    entries: list[dict[str, Any]],
    cache: SegmentCache | None,
) -> Iterator[tuple[str, bytes]]:
    """The files of a shard whose segment is (being) made; a new one is kept in ``cache``
    under the key it came with."""
    number, members, writing, key = pending
    segment = writing.result()
    if cache and key:
        cache.put(key, segment)
    entry = _entry(number, members, segment)
    entries.append(entry)
    yield from _written(entry, segment)


def update_index(
    previous: Mapping[str, Path],
    pages: Iterable[Page],
    site: dict[str, Any],
    changed: Iterable[Page],
    removed_urls: Iterable[str] = (),
    cache: SegmentCache | None = None,
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
    everything is built afresh (through ``cache``, as :func:`build_index`).
    The files equal, byte for byte, those :func:`build_index` gives for ``pages``.
    """
    pages = list(pages)
    count = shard_count(len(pages))
    old_path = previous.get(INDEX_PATH)
    old_meta = _previous_meta(old_path)
    if old_path is None or old_meta is None or old_meta.get("shard_count") != count:
        yield from build_index(pages, site, cache)
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
        files = _previous_files(entry, previous)
        if (
            number not in dirty
            and entry is not None
            and files is not None
            and entry["members"] == _members(members)
        ):
            entries.append(entry)
            for name, path in files.items():
                yield f"{INDEX_DIR}/{name}", path
            continue
        if by_url is None:
            by_url = {p["url"]: p for p in pages}
        kept = entry["pages"] if entry else 0
        segment = write_segment(*_shard_documents(members, files, kept, fresh, by_url))
        entry = _entry(number, members, segment)
        entries.append(entry)
        yield from _written(entry, segment)
    meta_path = previous.get(TANTIVY_META_PATH)
    tantivy_meta = _tantivy_meta(entries)
    if meta_path is not None and _holds(meta_path, tantivy_meta):
        yield TANTIVY_META_PATH, meta_path
    else:
        yield TANTIVY_META_PATH, tantivy_meta
    meta = _meta(site, pages, count, entries)
    yield INDEX_PATH, old_path if meta == old_meta["raw"] else meta


def _holds(path: Path, data: bytes) -> bool:
    """Whether the file at ``path`` holds ``data``."""
    try:
        return path.read_bytes() == data
    except OSError:
        return False


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
    members: list[Page],
    files: dict[str, Path] | None,
    stored: int,
    fresh: set[int],
    by_url: Mapping[str, Page],
) -> tuple[list[Document], dict[int, bytes]]:
    """Documents of one shard: unchanged pages read back from its previous ``files``
    (a segment of ``stored`` documents), the others made anew; and the stored form
    of those read back, by page id.

    Only pages whose document is not in the previous files (new or changed)
    have their bodies read.
    """
    kept: dict[int, tuple[Document, bytes]] = {}
    if files is not None:
        try:
            kept = {
                d["id"]: (d, raw) for d, raw in read_stored(files, stored) if d["id"] not in fresh
            }
        except (OSError, ValueError) as exc:
            log.info("search index: %s is unreadable (%s); rebuilding it from pages", files, exc)
    docs = []
    for page in members:
        pid = int(page["id"])
        doc = kept[pid][0] if pid in kept else document(page, section_chain(page, by_url))
        docs.append(doc)
    return docs, {pid: raw for pid, (_, raw) in kept.items()}


def patch_documents(changed: Iterable[Page], by_url: Mapping[str, Page]) -> list[Document]:
    """The documents of ``changed`` pages for :func:`read_patch`; ``by_url`` holds their
    ancestors (:func:`section_chain`). Reads the pages' bodies."""
    return [document(page, section_chain(page, by_url)) for page in changed]


@dataclass
class IndexPatch:
    """A patch of the index, read and ready to write (:func:`read_patch`).

    ``shards``: the previous index's shards in order, each as its entry in
    ``index.json``, its files, and the documents of its new segment when it
    holds a changed page (with the stored form of those read back, by page
    id), else ``None``: the shard is kept as it is.
    """

    meta: dict[str, Any]
    shards: list[tuple[dict[str, Any], dict[str, Path], list[Document] | None, dict[int, bytes]]]

    def write(self) -> list[tuple[str, bytes | Path]]:
        """The index's files: the changed shards' new segments, the others' previous files.

        Mostly tantivy indexing, which lets go of the GIL: fit for a thread.
        """
        files: list[tuple[str, bytes | Path]] = []
        entries = []
        for entry, old, docs, stored in self.shards:
            if docs is None:
                files.extend((f"{INDEX_DIR}/{name}", path) for name, path in old.items())
                entries.append(entry)
                continue
            segment = write_segment(docs, stored)
            entry = {**entry, "segment": segment.id, "files": sorted(segment.files)}
            files.extend(_written(entry, segment))
            entries.append(entry)
        body = {k: v for k, v in self.meta.items() if k != "raw"}
        files.append((TANTIVY_META_PATH, _tantivy_meta(entries)))
        files.append((INDEX_PATH, _encode_meta({**body, "shards": entries})))
        return files


def read_patch(previous: Mapping[str, Path], changed: Iterable[Document]) -> IndexPatch | None:
    """Read what a patch of the index needs; ``None`` when the previous index cannot take it.

    For a patch build (:mod:`jamtail.build.patch`): the site has the same pages
    at the same URLs with the same sections and tags, so only the shards
    holding a changed page are rewritten, its document (from
    :func:`patch_documents`) anew, the others read back from the shard's
    files. ``None`` when the previous index does not hold the pages as
    expected (update or build it instead).

    Reading a shard back is a tantivy call per document, each letting go of
    the GIL and waiting to take it again: on a thread beside a busy one, the
    20 ms of a 300-page shard took 100 ms. Call it where the GIL is free to
    take, and :meth:`IndexPatch.write` on a thread.
    """
    meta = _previous_meta(previous.get(INDEX_PATH))
    if meta is None:
        return None
    count = meta["shard_count"]
    fresh = {doc["id"]: doc for doc in changed}
    dirty = {shard_of(pid, count) for pid in fresh}
    shards: list[tuple[dict[str, Any], dict[str, Path], list[Document] | None, dict[int, bytes]]]
    shards = []
    for entry in meta["shards"]:
        old = _previous_files(entry, previous)
        if old is None:
            return None
        if entry["number"] not in dirty:
            shards.append((entry, old, None, {}))
            continue
        try:
            stored = read_stored(old, entry["pages"])
        except (OSError, ValueError):
            return None
        wanted = {pid for pid in fresh if shard_of(pid, count) == entry["number"]}
        if not wanted <= {d["id"] for d, _ in stored}:
            return None
        docs = [fresh.get(d["id"], d) for d, _ in stored]
        kept = {d["id"]: raw for d, raw in stored if d["id"] not in fresh}
        shards.append((entry, old, docs, kept))
    if len({entry["number"] for entry, _, docs, _ in shards if docs is not None}) != len(dirty):
        return None
    return IndexPatch(meta, shards)


def save_index(files: Iterable[tuple[str, bytes | Path]], root: Path) -> Path:
    """Write ``files`` (from :func:`build_index`) under the site folder ``root``; ``index.json``.

    For tests and benchmarks; the build writes through its own writer.
    """
    for rel, data in files:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data.read_bytes() if isinstance(data, Path) else data)
    return root / INDEX_PATH
