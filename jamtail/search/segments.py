"""Search index segments kept in the build cache, by what they were made from.

A full build indexes every shard again. When the pages are those of an
earlier build (``--full``, a template change that falls back to a full
build, an output folder that is new while the cache is kept, as on a CI
runner that restores only its cache folder), that is tantivy writing the
same bytes again: 4-5 s of CPU at 10,000 pages. Each shard's segment is
kept here under a key made of what decides its bytes (:meth:`SegmentCache.key`):
its pages' hashes (:func:`~jamtail.plan.incremental.page_hash`, which covers a
body through its stored hash), the sections each page is in, the search code
and tantivy's version. A hit costs reading the files back; a page's text is
not even read.

Layout: ``<folder>/<key>/<segment id>.<ext>``, one folder per segment,
written beside and renamed into place, so a reader never sees half of one.
A segment read back must hash to its id (the digest of its files), so a
damaged entry is made again, never served. The folder keeps the segments of
the last full build only (:meth:`SegmentCache.keep`). Failing to read or
write the cache never fails a build: it only costs the indexing.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import logging
import os
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jamtail.content.lazy import LazyPage
from jamtail.plan.incremental import page_hash
from jamtail.search.index import SCHEMA_VERSION, Chain, Segment, segment_id

log = logging.getLogger(__name__)

FOLDER = "search-segments"


@functools.cache
def code_key() -> str:
    """What the bytes of a segment depend on besides its pages: the code that makes
    documents and writes them, and the library that indexes them (worked out on
    first use, not when a build imports this module)."""
    digest = hashlib.blake2b(digest_size=12)
    for name in ("index.py", "text.py", "segments.py"):
        digest.update((Path(__file__).parent / name).read_bytes())
    tantivy = importlib.metadata.version("tantivy")
    digest.update(f"schema {SCHEMA_VERSION} tantivy {tantivy}".encode())
    return digest.hexdigest()


class SegmentCache:
    """Segments under ``folder`` (created on first write), by :meth:`key`."""

    def __init__(self, folder: Path):
        self.folder = folder

    @classmethod
    def beside(cls, pages: Iterable[dict[str, Any]]) -> SegmentCache | None:
        """The cache in the build cache folder the pages were read from; ``None`` for pages
        that are not :class:`~jamtail.content.lazy.LazyPage` (no cache folder to keep it in)."""
        for page in pages:
            if isinstance(page, LazyPage):
                return cls(page.loader.path.parent / FOLDER)
        return None

    @staticmethod
    def key(pages: list[dict[str, Any]], chains: list[Chain]) -> str:
        """The key of the segment of ``pages`` (in any order), each in sections ``chains[i]``."""
        digest = hashlib.blake2b(code_key().encode(), digest_size=16)
        rows = zip(pages, chains, strict=True)
        for pid, hashed, chain in sorted((int(p["id"]), page_hash(p), c) for p, c in rows):
            digest.update(f"\x1e{pid}\x1f{hashed}".encode())
            for url, title in chain:
                digest.update(f"\x1f{url}\x1f{title}".encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def has(self, key: str) -> bool:
        """Whether a segment is kept under ``key`` (not read: :meth:`get` checks it)."""
        return (self.folder / key).is_dir()

    def get(self, key: str) -> Segment | None:
        """The segment kept under ``key``, or ``None`` (missing, unreadable or damaged:
        a damaged one is removed, so that the segment made again takes its place)."""
        folder = self.folder / key
        try:
            files = {path.name: path.read_bytes() for path in sorted(folder.iterdir())}
            docs = int(files.pop(".docs", b"0"))
        except (OSError, ValueError):
            files, docs = {}, 0
        names = {name.split(".", 1)[0] for name in files}
        if len(names) == 1 and docs > 0:
            (seg,) = names
            if segment_id({name.split(".", 1)[1]: data for name, data in files.items()}) == seg:
                return Segment(seg, docs, files)
        if folder.exists():
            log.warning("search index: the kept segment %s is damaged; indexing it again", key)
            shutil.rmtree(folder, ignore_errors=True)
        return None

    def put(self, key: str, segment: Segment) -> None:
        """Keep ``segment`` under ``key`` (a failure is logged, not raised)."""
        target = self.folder / key
        tmp = self.folder / f".{key}.{uuid.uuid4().hex}"
        try:
            tmp.mkdir(parents=True)
            for name, data in segment.files.items():
                (tmp / name).write_bytes(data)
            (tmp / ".docs").write_text(str(segment.docs))
            os.rename(tmp, target)
        except OSError as exc:
            if not target.is_dir():
                log.warning("search index: cannot keep a segment in %s: %s", self.folder, exc)
            shutil.rmtree(tmp, ignore_errors=True)

    def keep(self, keys: Iterable[str]) -> None:
        """Remove every kept segment but those under ``keys``."""
        wanted = set(keys)
        try:
            entries = list(self.folder.iterdir())
        except OSError:
            return
        for entry in entries:
            if entry.name not in wanted:
                shutil.rmtree(entry, ignore_errors=True)
