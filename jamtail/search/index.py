"""One shard of the search index: a tantivy segment holding some of the site's pages.

The index is a tantivy index (https://github.com/quickwit-oss/tantivy, through
its Python binding) whose segments are the shards: :mod:`jamtail.search.shards`
decides which pages go in which shard and writes tantivy's ``meta.json``
naming them; this module makes and reads one segment.

A segment is written by a one-thread tantivy writer from documents in page
id order and committed once, so the same documents give the same bytes
(checked by the tests). tantivy names a segment's files
``<segment id>.<extension>`` (``.term``, ``.idx``, ``.pos``, ``.store``,
``.fieldnorm``, ``.fast``); the id it draws at random is replaced by the
digest of the files, so a file name always means the same content.

Fields (:func:`schema`)::

    title, summary, body, section, tags, authors   text, tokenizer "jamtail"
                                     (simple words, lower case, accents folded,
                                     English stems), positions (phrases), not stored
    section_urls   every section a page is in (its ancestors, itself), raw, not stored
    tag_slugs      the page's tag slugs, raw, not stored
    doc            the whole :data:`Document`, zlib-compressed (tantivy's own store
                   compression, LZ4, halves text; zlib thirds it), stored, not indexed:
                   its fields but the body as JSON, a NUL byte, then the body in
                   UTF-8, so a query's snippet decompresses only as much of the body
                   as it shows (:func:`stored_parts`)

Only what :func:`write_segment` is given goes in: the build passes the plan's
pages, which are the live, public pages the CMS API serves (Wagtail's API
excludes drafts and pages with view restrictions), so the index holds
nothing a reader cannot already read on the site. :func:`read_documents` is
the inverse of :func:`write_segment`, so a shard rebuilt from documents read
back from its previous version equals one written from the pages.
"""

from __future__ import annotations

import codecs
import ctypes
import datetime as dt
import functools
import hashlib
import json
import os
import tempfile
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tantivy

from jamtail.content.lazy import BodyLoader, LazyPage
from jamtail.search.text import body_parts, clean, page_text

# Cached body texts are valid while the code that extracts them is unchanged.
TEXT_CODE = hashlib.blake2b(
    (Path(__file__).parent / "text.py").read_bytes(), digest_size=8
).hexdigest()

SCHEMA_VERSION = 4
SECTION_TYPE = "SectionPage"
TOKENIZER = "jamtail"
TEXT_FIELDS = ("title", "summary", "body", "section", "tags", "authors")
FILTER_FIELDS = ("section_urls", "tag_slugs")
_MIN_HEAP = 50_000_000  # bytes: tantivy's writer flushes a segment when its heap is full
_M_ARENA_MAX = -8  # mallopt's parameter number (glibc's malloc.h)
_MAX_HEAP = 4_000_000_000  # tantivy's limit; allocated as it fills, not up front

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
    texts: dict[int, list[str]] = {}
    for loader, mine in _by_loader(pages).items():
        texts.update(loader.derived("search-body", TEXT_CODE, mine, _body_text_of(loader)))
    return texts


def prepare_body_texts(pages: Iterable[dict[str, Any]], jobs: int) -> int:
    """Compute the body texts :func:`body_texts` is missing, on ``jobs`` processes when
    there are many (:meth:`~jamtail.content.lazy.BodyLoader.fill`); how many were made."""
    return sum(
        loader.fill("search-body", TEXT_CODE, mine, _body_text_of(loader), jobs)
        for loader, mine in _by_loader(pages).items()
    )


def _by_loader(pages: Iterable[dict[str, Any]]) -> dict[BodyLoader, list[LazyPage]]:
    """The lazy pages with lazy fields, by the loader they read them from."""
    groups: dict[BodyLoader, list[LazyPage]] = {}
    for page in pages:
        if isinstance(page, LazyPage) and page.lazy_hashes:
            groups.setdefault(page.loader, []).append(page)
    return groups


def _body_text_of(loader: BodyLoader) -> Callable[[dict[str, Any]], list[str]]:
    def parts(fields: dict[str, Any]) -> list[str]:
        # The text of the body as rendered: with its media URLs made local.
        return body_parts(fields.get("body"), loader.transform)

    return parts


def documents(pages: Iterable[dict[str, Any]]) -> list[Document]:
    """Documents for ``pages``, a whole site (each page's ancestors among them)."""
    pages = list(pages)
    by_url = {p["url"]: p for p in pages}
    return [document(p, section_chain(p, by_url)) for p in pages]


def analyzer() -> tantivy.TextAnalyzer:
    """The ``jamtail`` tokenizer: words of letters and digits, lower case, accents folded
    to ASCII, English (Snowball) stems; words over 40 bytes dropped.

    ``1.52.0`` is the three words ``1``, ``52``, ``0``; ``Releases`` is ``releas``.
    """
    return _analyzer(stems=True)


def typed_analyzer() -> tantivy.TextAnalyzer:
    """:func:`analyzer` without the stemmer: words as typed (a half-typed word's stem is
    no prefix of its word's stem)."""
    return _analyzer(stems=False)


@functools.cache
def _analyzer(stems: bool) -> tantivy.TextAnalyzer:
    builder = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
    )
    if stems:
        builder = builder.filter(tantivy.Filter.stemmer("english"))
    return builder.build()


@functools.cache
def schema() -> tantivy.Schema:
    """The index's tantivy schema (fields above)."""
    builder = tantivy.SchemaBuilder()
    for name in TEXT_FIELDS:
        builder.add_text_field(
            name, stored=False, tokenizer_name=TOKENIZER, index_option="position"
        )
    for name in FILTER_FIELDS:
        builder.add_text_field(name, stored=False, tokenizer_name="raw", index_option="basic")
    builder.add_bytes_field("doc", stored=True, indexed=False, fast=False)
    return builder.build()


def open_folder(folder: Path) -> tantivy.Index:
    """The tantivy index in ``folder`` (its ``meta.json``), with the ``jamtail`` tokenizer.

    Raises ``ValueError`` when tantivy cannot open it (missing or damaged files).
    """
    index = tantivy.Index.open(str(folder))
    index.register_tokenizer(TOKENIZER, analyzer())
    return index


@dataclass(frozen=True)
class Segment:
    """One written segment: ``id`` (32 hex digits, the digest of the files), ``docs``
    (its number of documents) and ``files`` (``{"<id>.<extension>": bytes}``)."""

    id: str
    docs: int
    files: dict[str, bytes]


def _tantivy_doc(doc: Document, stored: bytes | None = None) -> tantivy.Document:
    if stored is None:
        head = json.dumps({**doc, "body": None}, ensure_ascii=False, sort_keys=True)
        # JSON escapes every control character, so the first NUL ends the head.
        stored = zlib.compress(head.encode() + b"\0" + doc["body"].encode(), 3)
    return tantivy.Document(
        title=doc["title"], summary=doc["summary"], body=doc["body"], section=doc["section"],
        tags="\n".join(t["name"] for t in doc["tags"]), authors="\n".join(doc["authors"]),
        section_urls=[url for url, _ in doc["sections"]],
        tag_slugs=[t["slug"] for t in doc["tags"]],
        doc=stored,
    )  # fmt: skip


def stored_document(raw: bytes) -> Document:
    """The :data:`Document` stored in a hit's ``doc`` field; ``zlib.error`` or
    ``ValueError`` if damaged."""
    head, _, body = zlib.decompress(raw).partition(b"\0")
    return _head(head) | {"body": body.decode()}


def stored_parts(raw: bytes, piece: int = 4096) -> tuple[Document, Iterator[str]]:
    """The stored :data:`Document` of ``raw`` but its body (``None``), and the body as
    pieces of text, each decompressed from about ``piece`` bytes when it is asked for.

    A query's snippet needs the body up to a little after its first match,
    often in the first kilobytes: decompressing the rest cost a third of a
    query's time. Raises ``zlib.error`` or ``ValueError`` for damaged bytes.
    """
    inflate = zlib.decompressobj()
    data, pending = b"", raw
    while (cut := data.find(b"\0")) < 0:
        more = b"" if inflate.eof else inflate.decompress(pending, piece)
        pending = inflate.unconsumed_tail
        if not more and not pending and not (more := inflate.flush()):
            raise ValueError("a stored search document without its body")
        data += more

    def body() -> Iterator[str]:
        nonlocal pending
        text = codecs.getincrementaldecoder("utf-8")()
        yield text.decode(data[cut + 1 :])
        while not inflate.eof:
            more = inflate.decompress(pending, piece)
            pending = inflate.unconsumed_tail
            if not more and not pending:
                more = inflate.flush()
                yield text.decode(more)
                break
            yield text.decode(more)
        yield text.decode(b"", final=True)

    return _head(data[:cut]), body()


def _head(data: bytes) -> Document:
    doc = json.loads(data)
    # JSON has no tuples: ``sections`` back to ``(url, title)`` pairs.
    return {**doc, "sections": [(url, title) for url, title in doc["sections"]]}


def _scratch() -> str | None:
    """Where segments are written before their bytes are read: memory (``/dev/shm``)
    when there is such a folder, since tantivy syncs every file to disk on commit
    (a third of a shard's time on a disk) and these are gone a moment later."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


@functools.cache
def _fewer_malloc_arenas() -> None:
    """Cap glibc's malloc arenas at two, once per process.

    Each tantivy writer indexes on threads of its own, and glibc gives each new
    thread a new arena and keeps what it held: a full build of 10,000 pages
    (32 writers) grew by 160 MB. With two arenas, freed memory is reused.
    A no-op where the C library is not glibc.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_ARENA_MAX, 2)
    except (OSError, AttributeError):
        pass


def write_segment(docs: Iterable[Document], stored: Mapping[int, bytes] | None = None) -> Segment:
    """The segment holding ``docs`` (at least one), written in page id order.

    ``stored`` may give, by page id, the ``doc`` field of documents read back
    unchanged (:func:`read_stored`), so they are not encoded again. Raises
    ``ValueError`` when two documents share an id or a URL or none is given,
    ``RuntimeError`` when tantivy split the documents into two segments.
    """
    ordered = sorted(docs, key=lambda d: d["id"])
    if not ordered:
        raise ValueError("a search index segment needs at least one page")
    if len({d["id"] for d in ordered}) != len(ordered) or len({d["url"] for d in ordered}) != len(
        ordered
    ):
        raise ValueError("two pages share an id or a URL in the search index")
    stored = stored or {}
    _fewer_malloc_arenas()
    with tempfile.TemporaryDirectory(prefix="jamtail-search-", dir=_scratch()) as tmp:
        index = tantivy.Index(schema(), path=tmp)
        index.register_tokenizer(TOKENIZER, analyzer())
        text = sum(len(d["body"]) + len(d["title"]) + len(d["summary"]) for d in ordered)
        # One thread and one commit: one segment, the same bytes for the same documents.
        writer = index.writer(heap_size=min(max(_MIN_HEAP, 32 * text), _MAX_HEAP), num_threads=1)
        for doc in ordered:
            writer.add_document(_tantivy_doc(doc, stored.get(doc["id"])))
        writer.commit()
        writer.wait_merging_threads()
        meta = json.loads((Path(tmp) / "meta.json").read_bytes())
        if len(meta["segments"]) != 1:
            raise RuntimeError(f"tantivy wrote {len(meta['segments'])} segments, expected one")
        drawn = meta["segments"][0]["segment_id"].replace("-", "")
        parts = {p.suffix[1:]: p.read_bytes() for p in Path(tmp).glob(f"{drawn}.*")}
    seg_id = segment_id(parts)
    return Segment(seg_id, len(ordered), {f"{seg_id}.{ext}": parts[ext] for ext in sorted(parts)})


def segment_id(parts: Mapping[str, bytes]) -> str:
    """A segment's id: 32 hex digits, the digest of its files' bytes by extension."""
    digest = hashlib.blake2b(digest_size=16)
    for ext in sorted(parts):
        digest.update(f"{ext}:{len(parts[ext])}:".encode())
        digest.update(parts[ext])
    return digest.hexdigest()


@functools.cache
def _index_settings() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """tantivy's ``index_settings`` and ``schema`` entries of ``meta.json`` for :func:`schema`."""
    with tempfile.TemporaryDirectory(prefix="jamtail-search-") as tmp:
        tantivy.Index(schema(), path=tmp)
        meta = json.loads((Path(tmp) / "meta.json").read_bytes())
    return meta["index_settings"], meta["schema"]


def meta_json(segments: Iterable[tuple[str, int]]) -> bytes:
    """tantivy's ``meta.json`` for an index of ``segments``: ``(id, number of documents)``.

    The format of tantivy's ``IndexMeta`` (``index/index_meta.rs``): the
    segments in the order given (the order ties are broken in), no deletes.
    """
    settings, fields = _index_settings()
    meta = {
        "index_settings": settings,
        "segments": [
            {"segment_id": str(uuid.UUID(seg_id)), "max_doc": docs, "deletes": None}
            for seg_id, docs in segments
        ],
        "schema": fields,
        "opstamp": 0,
    }
    return (json.dumps(meta, sort_keys=True, separators=(",", ":")) + "\n").encode()


def read_documents(files: Mapping[str, Path | bytes], docs: int) -> list[Document]:
    """The documents of the segment made of ``files`` (``{"<id>.<extension>": file or bytes}``)
    holding ``docs`` documents, in page id order: the inverse of :func:`write_segment`.

    Raises ``ValueError`` when tantivy cannot read them as such a segment.
    """
    return [doc for doc, _ in read_stored(files, docs)]


def read_stored(files: Mapping[str, Path | bytes], docs: int) -> list[tuple[Document, bytes]]:
    """:func:`read_documents`, each document with its stored ``doc`` field as it is."""
    names = list(files)
    seg_id = names[0].split(".", 1)[0] if names else ""
    if not names or any(n.split(".", 1)[0] != seg_id for n in names):
        raise ValueError(f"not the files of one segment: {names}")
    with tempfile.TemporaryDirectory(prefix="jamtail-search-", dir=_scratch()) as tmp:
        folder = Path(tmp)
        for name, data in files.items():
            if isinstance(data, Path):
                (folder / name).symlink_to(data.resolve())
            else:
                (folder / name).write_bytes(data)
        (folder / "meta.json").write_bytes(meta_json([(seg_id, docs)]))
        searcher = open_folder(folder).searcher()
        raw = [searcher.doc(tantivy.DocAddress(0, n))["doc"][0] for n in range(docs)]
    found = [(stored_document(data), data) for data in raw]
    return sorted(found, key=lambda item: item[0]["id"])
