"""Search engines compared at one site size: p50/p99, index size, one-edit update, upload.

Used by ``bench/search.py --engines`` (and its full run). Three engines, on the
same pages and the same mixed queries:

* ``fts5-sharded``: the index Jamtail ships (``jamtail/search``), 64-128 pages
  a shard; queried with ``search()`` on an index kept open, as a warm
  function does; one edit through ``update_index``.
* ``fts5-single``: the same code and schema with every page in one shard
  (what the sharded ranking is compared with); one edit rewrites the one file.
* ``tantivy``: tantivy (Python binding, ``pip install tantivy``; the row is
  skipped without it) with the same fields: English-stemmed text, stored
  title/summary/body for snippets, section URLs and tag slugs as raw terms for
  the filters; every term required, the last also as a prefix; field boosts as
  the FTS5 column weights. One edit: delete by id, add, commit, and the files
  that differ from before are what an upload sends.

"Files uploaded" counts the index files whose bytes differ after a one-page
edit (new or changed), with their size. Figures are wall-clock medians on a
shared machine: the caller prints the load average with them.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jamtail.search import shards
from jamtail.search.index import documents
from jamtail.search.query import WEIGHTS, open_index, parse_terms, search
from jamtail.search.shards import INDEX_PATH, build_index, save_index, update_index

Row = dict[str, Any]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _timed(run: Callable[[dict], Any], queries: list[dict]) -> tuple[float, float]:
    times = []
    for q in queries:
        start = time.perf_counter()
        run(q)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), _percentile(times, 0.99)


def _digests(folder: Path) -> dict[str, tuple[str, int]]:
    out = {}
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            out[path.relative_to(folder).as_posix()] = (
                hashlib.blake2b(data, digest_size=8).hexdigest(),
                len(data),
            )
    return out


def _fts5(name: str, pages: list[Row], site: dict, queries: list[dict], root: Path, one: bool):
    saved = shards.PAGES_PER_SHARD
    if one:
        shards.PAGES_PER_SHARD = len(pages)
    try:
        start = time.perf_counter()
        index = save_index(build_index(pages, site), root)
        build = time.perf_counter() - start
        folder = index.parent
        size = sum(p.stat().st_size for p in folder.iterdir())
        opened = open_index(index)
        for q in queries[:50]:  # warm: as a function instance that has answered before
            search(opened, q["q"], q.get("section", ""), q.get("tag", ""), int(q.get("page", 1)))
        p50, p99 = _timed(
            lambda q: search(
                opened, q["q"], q.get("section", ""), q.get("tag", ""), int(q.get("page", 1))
            ),
            queries,
        )
        titles = [
            [
                _PART.sub("", r.title)
                for r in search(
                    opened, q["q"], q.get("section", ""), q.get("tag", ""), int(q.get("page", 1))
                ).results
            ]
            for q in queries
        ]
        opened.close()
        previous = {p.relative_to(root).as_posix(): p for p in folder.iterdir()}
        times, written = [], []
        for round_ in range(3):
            edited = {**pages[len(pages) // 2], "title": f"Edited title {round_}"}
            after = [edited if p["id"] == edited["id"] else p for p in pages]
            start = time.perf_counter()
            files = list(update_index(previous, after, site, [edited], []))
            times.append((time.perf_counter() - start) * 1000)
            written = [(rel, len(d)) for rel, d in files if not isinstance(d, Path)]
    finally:
        shards.PAGES_PER_SHARD = saved
    return {
        "engine": name,
        "p50": p50,
        "p99": p99,
        "size": size,
        "files": len(previous),
        "build": build,
        "update_ms": statistics.median(times),
        "uploaded": len(written),
        "uploaded_bytes": sum(n for _, n in written),
        "titles": titles,
    }


_WORD = re.compile(r"[^\w]+")
_PART = re.compile(r" \(part \d+\)$")  # generated pages: the corpus title, numbered


def _marker(terms: list[str]) -> tuple[list[str], re.Pattern[str]]:
    """Words starting like a term (its first letters, for stemmed forms) or the last as typed."""
    stems = [t[: max(3, len(t) - 2)] for t in terms]
    pattern = r"\b(?:" + "|".join(re.escape(s) for s in stems) + r")\w*"
    return stems, re.compile(pattern, re.IGNORECASE)


def _first(text: str, stems: list[str]) -> int:
    """Where the first word starting with one of ``stems`` starts in ``text``; -1.

    As written, capitalised or in capitals (``str.find`` on each; lower-casing a
    long body costs more than the searches).
    """
    best = -1
    for stem in stems:
        for form in {stem, stem.capitalize(), stem.upper()}:
            at = text.find(form)
            while at > 0 and text[at - 1].isalnum():
                at = text.find(form, at + 1)
            if at >= 0 and (best < 0 or at < best):
                best = at
    return best


def _snippet(body: str, marks: tuple[list[str], re.Pattern[str]], words: int = 24) -> str:
    """About ``words`` words of ``body`` around its first match, HTML, matches in ``<mark>``.

    tantivy's own ``SnippetGenerator`` tokenizes the whole stored body on
    every hit (about 0.8 ms a hit here), so the bench cuts its window in
    Python: plain substring searches find the first match (a regular
    expression over a long body that does not hold the word costs 1-2 ms).
    """
    stems, pattern = marks
    found = _first(body, stems)
    start = max(0, body.rfind(" ", 0, max(0, found - 60)) + 1) if found > 0 else 0
    window = " ".join(body[start : start + 4000].split(" ", words)[:words])
    out, last = [], 0
    for match in pattern.finditer(window):
        out.append(html.escape(window[last : match.start()]))
        out.append(f"<mark>{html.escape(match.group())}</mark>")
        last = match.end()
    out.append(html.escape(window[last:]))
    return "".join(out)


def _tantivy(pages: list[Row], queries: list[dict], root: Path) -> Row | None:
    try:
        import tantivy  # type: ignore[import-not-found]
    except ImportError:
        print("tantivy: not installed (pip install tantivy); row skipped")
        return None
    text_fields = ("title", "summary", "body", "section", "tags", "authors")
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    builder.add_text_field("url", stored=True, tokenizer_name="raw")
    builder.add_text_field("date", stored=True, tokenizer_name="raw")
    for field in text_fields:
        stored = field in ("title", "summary", "body", "section")
        builder.add_text_field(
            field, stored=stored, tokenizer_name="en_stem", index_option="position"
        )
    builder.add_text_field("section_urls", stored=False, tokenizer_name="raw")
    builder.add_text_field("tag_slugs", stored=False, tokenizer_name="raw")
    schema = builder.build()
    folder = root / "tantivy"
    folder.mkdir(parents=True)

    def make(doc: Row) -> Any:
        return tantivy.Document(
            id=doc["id"], url=doc["url"], date=doc["date"], title=doc["title"],
            summary=doc["summary"], body=doc["body"], section=doc["section"],
            tags="\n".join(t["name"] for t in doc["tags"]), authors="\n".join(doc["authors"]),
            section_urls=[u for u, _ in doc["sections"]] or [""],
            tag_slugs=[t["slug"] for t in doc["tags"]] or [""],
        )  # fmt: skip

    start = time.perf_counter()  # the text taken from the pages included, as in FTS5's build
    docs = documents(pages)
    index = tantivy.Index(schema, path=str(folder))
    writer = index.writer(heap_size=100_000_000, num_threads=1)
    for doc in docs:
        writer.add_document(make(doc))
    writer.commit()
    writer.wait_merging_threads()
    build = time.perf_counter() - start
    before = _digests(folder)
    size = sum(n for _, n in before.values())
    index.reload()
    searcher = index.searcher()

    def run(q: dict) -> list[tuple[str, str, str]]:
        terms = [t for t in (_WORD.sub(" ", t).strip() for t in parse_terms(q["q"])) if t]
        if not terms:
            return []
        Q, must, should = tantivy.Query, tantivy.Occur.Must, tantivy.Occur.Should
        clauses, in_title = [], []
        titled: list[tuple[Any, Any]] = []
        for i, term in enumerate(terms):
            exact = index.parse_query(f'"{term}"', list(text_fields), field_boosts=WEIGHTS)
            if i == len(terms) - 1 and len(term) >= 2 and " " not in term:
                # As you type: the last word also as a prefix of an indexed term
                # (constant score, as tantivy's automaton queries are).
                prefixed = []
                for f in text_fields:
                    words = [w for w, _ in searcher.terms_with_prefix(f, term)]
                    if words:
                        prefixed.append(
                            (should, Q.boost_query(Q.term_set_query(schema, f, words), WEIGHTS[f]))
                        )
                starts = [w for w, _ in searcher.terms_with_prefix("title", term)]
                titled = [(should, Q.term_set_query(schema, "title", starts))] if starts else []
                exact = Q.boolean_query([(should, exact), *prefixed])
            clauses.append((must, exact))
            title_exact = index.parse_query(f'"{term}"', ["title"])
            in_title.append(
                (must, Q.boolean_query([(should, title_exact), *titled]) if titled
                 and i == len(terms) - 1 else title_exact)
            )  # fmt: skip
        # The title tier: pages whose title holds every word first (a boost far
        # above any BM25 score, as FTS5's ranking sorts on it before BM25).
        clauses.append((should, Q.boost_query(Q.boolean_query(in_title), 1000.0)))
        query = Q.boolean_query(clauses)
        filters = []
        if q.get("section"):
            filters.append(index.parse_query(f'section_urls:"{q["section"]}"'))
        if filters:
            query = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, query)] + [(tantivy.Occur.Must, f) for f in filters]
            )
        page = int(q.get("page", 1))
        found = searcher.search(query, 10, offset=(page - 1) * 10)
        marks = _marker(terms)
        out = []
        for _, address in found.hits:
            stored = searcher.doc(address)
            out.append((stored["url"][0], stored["title"][0], _snippet(stored["body"][0], marks)))
        return out

    for q in queries[:50]:
        run(q)
    p50, p99 = _timed(run, queries)
    titles = [[_PART.sub("", hit[1]) for hit in run(q)] for q in queries]
    times = []
    edited_doc = docs[len(docs) // 2]
    changed: dict[str, tuple[str, int]] = {}
    for round_ in range(3):
        start = time.perf_counter()
        # As a build would: open the index's writer, replace the page, commit.
        writer = index.writer(heap_size=15_000_000, num_threads=1)
        writer.delete_documents("id", edited_doc["id"])
        writer.add_document(make({**edited_doc, "title": f"Edited title {round_}"}))
        writer.commit()
        writer.wait_merging_threads()
        times.append((time.perf_counter() - start) * 1000)
        after = _digests(folder)
        if round_ == 0:
            changed = {k: v for k, v in after.items() if before.get(k) != v}
    return {
        "engine": "tantivy",
        "p50": p50,
        "p99": p99,
        "size": size,
        "files": len(before),
        "build": build,
        "update_ms": statistics.median(times),
        "uploaded": len(changed),
        "uploaded_bytes": sum(n for _, n in changed.values()),
        "titles": titles,
    }


def compare(pages: list[Row], site: dict, queries: list[dict], text: int) -> list[Row]:
    """Build every engine's index of ``pages``, run ``queries``, print and return the rows.

    ``text`` is the UTF-8 size of the indexed text (bytes), for the ratio.
    """
    rows = []
    with tempfile.TemporaryDirectory(prefix="jamtail-search-engines-") as tmp:
        folder = Path(tmp)
        rows.append(_fts5("fts5-sharded", pages, site, queries, folder / "sharded", one=False))
        rows.append(_fts5("fts5-single", pages, site, queries, folder / "single", one=True))
        row = _tantivy(pages, queries, folder)
        if row is not None:
            rows.append(row)
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"engines at {len(pages)} pages, {len(queries)} queries, load average {load}:")
    print(
        "| engine | p50 ms | p99 ms | index MB (files) | x text | full build s "
        "| one-edit update ms | files uploaded (MB) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['engine']} | {r['p50']:.2f} | {r['p99']:.2f} | {r['size'] / 1e6:.1f} "
            f"({r['files']}) | {r['size'] / text:.2f} | {r['build']:.1f} | {r['update_ms']:.0f} "
            f"| {r['uploaded']} ({r['uploaded_bytes'] / 1e6:.2f}) |"
        )
    reference = next(r for r in rows if r["engine"] == "fts5-single")["titles"]
    for r in rows:
        if r is not rows[1]:
            first = page = counted = 0
            shared = 0.0
            for mine, theirs in zip(r["titles"], reference, strict=True):
                if theirs:
                    counted += 1
                    first += bool(mine) and mine[0] == theirs[0]
                    page += mine == theirs
                    shared += sum(min(mine.count(t), theirs.count(t)) for t in set(theirs)) / len(
                        theirs
                    )
            print(
                f"{r['engine']} against one FTS5 index, {counted} queries with hits: same first "
                f"hit {100 * first / counted:.0f} %, same page {100 * page / counted:.0f} %, "
                f"page in common {100 * shared / counted:.0f} %"
            )
    return rows


__all__ = ["INDEX_PATH", "compare"]
