"""The sharded search index: shard assignment, full builds, updates, queries across shards.

A shard is a tantivy segment (several files named by its digest). An update
must give, byte for byte, the files a full build gives (the incremental
build's promise), while rewriting only the shards that hold a changed,
added or removed page. Queries across shards must rank as one index of
every page does: checked on the Rust blog (8 shards; skipped when the
corpus is absent) against an index of one shard, and on a generated site
with small shards (filters, paging, totals).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from functions import search as search_function
from functions.adapter import make_event
from jamtail.search import shards
from jamtail.search.index import read_documents
from jamtail.search.query import open_index, search
from jamtail.search.segments import SegmentCache
from jamtail.search.shards import (
    INDEX_PATH,
    TANTIVY_META_PATH,
    build_index,
    patch_documents,
    read_patch,
    save_index,
    shard_count,
    shard_of,
    update_index,
)
from tests.search_corpus import SITE, markdown_pages

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PAGES_PER_SHARD = shards.PAGES_PER_SHARD
WORDS = [
    "lighthouse",
    "harbour",
    "ferris",
    "crab",
    "anchor",
    "tide",
    "compass",
    "beacon",
    "rust",
    "cargo",
    "borrow",
    "sail",
]


def site_pages(count: int, first_id: int = 10) -> list[dict[str, Any]]:
    """A home page, 3 sections and ``count - 4`` articles with words, tags and authors."""
    pages: list[dict[str, Any]] = [
        {"id": 1, "type": "HomePage", "title": "Home", "url": "/", "parent_url": None}
    ]
    for s in range(3):
        section = {"id": 2 + s, "type": "SectionPage", "title": f"Section {s}", "url": f"/s{s}/"}
        pages.append({**section, "parent_url": "/", "description": f"About {s}"})
    for n in range(count - 4):
        a, b = WORDS[n % len(WORDS)], WORDS[(n * 7 + 3) % len(WORDS)]
        pages.append(
            {
                "id": first_id + n,
                "type": "ArticlePage",
                "title": f"{a.title()} and {b} {n}",
                "url": f"/s{n % 3}/page-{n}/",
                "parent_url": f"/s{n % 3}/",
                "date": f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}",
                "summary": f"A page on {b}",
                "body": [{"type": "paragraph", "value": f"<p>{a} {b} " * (1 + n % 5) + "</p>"}],
                "tags": [{"slug": f"t{n % 4}", "name": f"Tag {n % 4}"}],
                "authors": [{"name": f"Author {n % 2}", "slug": f"a{n % 2}"}],
            }
        )
    return pages


def materialise(files: Iterable[tuple[str, bytes | Path]]) -> dict[str, bytes]:
    return {rel: data.read_bytes() if isinstance(data, Path) else data for rel, data in files}


def built(pages: list[dict[str, Any]], root: Path) -> dict[str, Path]:
    """Build the index of ``pages`` under ``root``: ``{site path: file}``, as ``previous``."""
    save_index(build_index(pages, SITE), root)
    return {f"_search/{p.name}": p for p in (root / "_search").iterdir()}


def update(previous, pages, changed, removed=()) -> list[tuple[str, bytes | Path]]:
    return list(update_index(previous, pages, SITE, changed, list(removed)))


def written(files: list[tuple[str, bytes | Path]]) -> list[str]:
    return [rel for rel, data in files if not isinstance(data, Path)]


def segments(rels: Iterable[str]) -> list[str]:
    """The segments (shards) the index files ``rels`` belong to, in order of appearance."""
    found: dict[str, None] = {}
    for rel in rels:
        if rel not in (INDEX_PATH, TANTIVY_META_PATH):
            found[rel.rsplit("/", 1)[1].split(".")[0]] = None
    return list(found)


def shard_numbers(files: dict[str, bytes], segment_ids: Iterable[str]) -> set[int]:
    """The numbers of the shards ``segment_ids`` hold, from ``index.json`` in ``files``."""
    entries = json.loads(files[INDEX_PATH])["shards"]
    wanted = set(segment_ids)
    return {e["number"] for e in entries if e["segment"] in wanted}


@pytest.fixture(autouse=True)
def shards_of_128(monkeypatch):
    """Shards of at most 128 pages on average: a site of 600 pages has 8."""
    monkeypatch.setattr(shards, "PAGES_PER_SHARD", 128)


# --- which page goes where ---


def test_the_shard_count_is_a_power_of_two_keeping_256_to_512_pages_a_shard(monkeypatch):
    assert DEFAULT_PAGES_PER_SHARD == 512
    monkeypatch.setattr(shards, "PAGES_PER_SHARD", DEFAULT_PAGES_PER_SHARD)
    assert [shard_count(n) for n in (0, 1, 512, 513, 1024, 1025, 10_000, 50_000)] == [
        1, 1, 1, 2, 2, 4, 32, 128,
    ]  # fmt: skip
    for pages in range(513, 60_000, 997):
        assert 256 < pages / shard_count(pages) <= 512


def test_consecutive_ids_spread_evenly_and_always_to_the_same_shard():
    sizes = [0] * 128
    for page_id in range(1, 10_001):
        sizes[shard_of(page_id, 128)] += 1
    assert min(sizes) >= 70 and max(sizes) <= 86, sizes
    assert [shard_of(4242, c) for c in (1, 2, 128)] == [0, shard_of(4242, 2), shard_of(4242, 128)]
    assert all(0 <= shard_of(i, 8) < 8 for i in range(1000))


def test_the_same_content_gives_the_same_files_in_any_order():
    pages = site_pages(300)
    files = materialise(build_index(pages, SITE))
    assert files == materialise(build_index(list(reversed(pages)), SITE))
    assert len(segments(files)) == 4  # 300 pages: 4 shards
    assert INDEX_PATH in files and TANTIVY_META_PATH in files
    meta = json.loads(files[INDEX_PATH])
    assert meta["shard_count"] == 4 and sum(s["pages"] for s in meta["shards"]) == 300
    assert [s["url"] for s in meta["sections"]] == ["/s0/", "/s1/", "/s2/"]
    assert [t["slug"] for t in meta["tags"]] == ["t0", "t1", "t2", "t3"]


def test_the_build_yields_shards_as_they_are_made_reading_only_their_pages():
    """The full build streams: a shard is made from its own pages when it is asked for,
    the next one on a thread meanwhile (two shards in memory at most)."""

    class Recording(dict):
        bodies_read: list[int] = []

        def get(self, key, default=None):
            if key == "body":
                Recording.bodies_read.append(self["id"])
            return super().get(key, default)

    pages = [Recording(p) for p in site_pages(600)]
    numbers = sorted({shard_of(p["id"], 8) for p in pages})
    shard = {n: {p["id"] for p in pages if shard_of(p["id"], 8) == n} for n in numbers}
    files = build_index(pages, SITE)
    rel, _ = next(files)
    assert set(Recording.bodies_read) == shard[numbers[0]] | shard[numbers[1]]
    assert len(shard[numbers[0]]) < 120
    rest = [r for r, _ in files]
    assert len(segments([rel, *rest])) == 8 and rest[-2:] == [TANTIVY_META_PATH, INDEX_PATH]


# --- updates: only the shards that change, and a full build's bytes ---


def test_a_one_page_edit_rewrites_its_shard_alone_and_equals_a_full_build(tmp_path):
    pages = site_pages(600)
    previous = built(pages, tmp_path)
    edited = {**pages[100], "title": "An edited title about lighthouses"}
    after = [edited if p is pages[100] else p for p in pages]
    files = update(previous, after, [edited])
    new = segments(written(files))
    assert len(new) == 1 and written(files)[-2:] == [TANTIVY_META_PATH, INDEX_PATH]
    assert shard_numbers(materialise(files), new) == {shard_of(edited["id"], 8)}
    assert len(segments(rel for rel, _ in files)) == 8
    assert all(previous[rel] == data for rel, data in files if isinstance(data, Path))
    assert materialise(files) == materialise(build_index(after, SITE))


def test_unchanged_pages_of_a_rewritten_shard_come_from_the_previous_file(tmp_path):
    """Their bodies are not needed: a plan whose unchanged pages have none gives the same bytes."""
    pages = site_pages(600)
    previous = built(pages, tmp_path)
    edited = {**pages[100], "summary": "A new summary"}
    after = [edited if p is pages[100] else p for p in pages]
    bodiless = [p if p is edited else {k: v for k, v in p.items() if k != "body"} for p in after]
    files = update(previous, bodiless, [edited])
    assert materialise(files) == materialise(build_index(after, SITE))


def test_a_patch_reads_its_shard_then_writes_what_an_update_writes(tmp_path):
    """A patch build reads the shard where the GIL is free and writes it on a thread."""
    pages = site_pages(600)
    previous = built(pages, tmp_path)
    edited = {**pages[100], "title": "An edited title about lighthouses"}
    after = [edited if p is pages[100] else p for p in pages]
    patch = read_patch(previous, patch_documents([edited], {p["url"]: p for p in after}))
    assert patch is not None
    assert [docs is not None for _, _, docs, _ in patch.shards].count(True) == 1
    with ThreadPoolExecutor(1) as pool:
        files = pool.submit(patch.write).result()
    assert materialise(files) == materialise(update(previous, after, [edited]))
    assert materialise(files) == materialise(build_index(after, SITE))


def test_a_patch_of_a_page_the_index_does_not_hold_is_refused(tmp_path):
    pages = site_pages(600)
    previous = built(pages, tmp_path)
    stranger = {**pages[100], "id": 99_999, "url": "/s1/stranger/"}
    assert read_patch(previous, patch_documents([stranger], {p["url"]: p for p in pages})) is None
    del previous[INDEX_PATH]
    assert read_patch(previous, patch_documents([pages[100]], {})) is None


# --- segments kept in the build cache ---


@pytest.fixture
def indexed(monkeypatch) -> list[int]:
    """The number of documents of each segment tantivy writes from here on."""
    counts: list[int] = []
    write = shards.write_segment

    def counting(docs, stored=None):
        docs = list(docs)
        counts.append(len(docs))
        return write(docs, stored)

    monkeypatch.setattr(shards, "write_segment", counting)
    return counts


def test_a_full_build_of_the_same_pages_takes_every_segment_from_the_cache(tmp_path, indexed):
    pages = site_pages(600)
    cache = SegmentCache(tmp_path / "kept")
    first = materialise(build_index(pages, SITE, cache))
    assert len(indexed) == 8 and len(list(cache.folder.iterdir())) == 8
    again = materialise(build_index(pages, SITE, cache))
    assert len(indexed) == 8  # nothing indexed again
    assert again == first == materialise(build_index(pages, SITE))


def test_a_changed_page_indexes_its_shard_again_and_the_cache_keeps_this_index_only(
    tmp_path, indexed
):
    pages = site_pages(600)
    cache = SegmentCache(tmp_path / "kept")
    before = set(segments(materialise(build_index(pages, SITE, cache))))
    edited = {**pages[100], "summary": "A new summary"}
    after = [edited if p is pages[100] else p for p in pages]
    indexed.clear()
    files = materialise(build_index(after, SITE, cache))
    assert len(indexed) == 1
    assert files == materialise(build_index(after, SITE))
    now = set(segments(files))
    assert len(before - now) == 1
    kept = {name for entry in cache.folder.iterdir() for name in os.listdir(entry)}
    assert {name.split(".")[0] for name in kept if not name.startswith(".")} == now


def test_a_section_renamed_changes_the_key_of_its_pages_segments(tmp_path, indexed):
    pages = site_pages(600)
    cache = SegmentCache(tmp_path / "kept")
    list(build_index(pages, SITE, cache))
    renamed = [{**p, "title": "Renamed"} if p["url"] == "/s1/" else p for p in pages]
    indexed.clear()
    files = materialise(build_index(renamed, SITE, cache))
    assert len(indexed) == 8  # every shard holds a page of that section
    assert files == materialise(build_index(renamed, SITE))


def test_kept_segments_are_read_one_at_a_time_as_the_files_are_taken(tmp_path, monkeypatch):
    pages = site_pages(600)
    cache = SegmentCache(tmp_path / "kept")
    list(build_index(pages, SITE, cache))
    read: list[str] = []
    get = cache.get
    monkeypatch.setattr(cache, "get", lambda key: read.append(key) or get(key))
    files = build_index(pages, SITE, cache)
    next(files)
    assert len(read) <= 2  # the shard yielded and the next one: two in memory at most
    list(files)
    assert len(read) == 8


def test_a_damaged_kept_segment_is_indexed_again_not_served(tmp_path, indexed):
    pages = site_pages(600)
    cache = SegmentCache(tmp_path / "kept")
    first = materialise(build_index(pages, SITE, cache))
    victim = next(p for p in sorted(cache.folder.rglob("*.store")))
    victim.write_bytes(victim.read_bytes()[:-1] + b"!")
    indexed.clear()
    assert materialise(build_index(pages, SITE, cache)) == first
    assert len(indexed) == 1
    assert materialise(build_index(pages, SITE, cache)) == first
    assert len(indexed) == 1  # the segment made again took the damaged one's place


def test_a_cache_that_cannot_be_written_costs_the_indexing_only(tmp_path, indexed):
    pages = site_pages(600)
    (tmp_path / "kept").write_text("a file where the folder should be")
    files = materialise(build_index(pages, SITE, SegmentCache(tmp_path / "kept")))
    assert files == materialise(build_index(pages, SITE))


@pytest.mark.parametrize("case", ["added", "removed", "moved", "section renamed", "nothing"])
def test_an_update_equals_a_full_build(tmp_path, case):
    pages = site_pages(600)
    previous = built(pages, tmp_path)
    after, changed, removed = list(pages), [], []
    if case == "added":
        new = {**pages[50], "id": 9000, "url": "/s1/brand-new/", "title": "Brand new"}
        after.append(new)
        changed = [new]
    elif case == "removed":
        after.remove(pages[50])
        removed = [pages[50]["url"]]
    elif case == "moved":
        moved = {**pages[50], "url": "/s2/moved/", "parent_url": "/s2/"}
        after[50] = moved
        changed, removed = [moved], [pages[50]["url"]]
    elif case == "section renamed":
        after[2] = {**pages[2], "title": "Renamed section"}
        changed = after  # a section changed: the builder passes every page
    files = update(previous, after, changed, removed)
    assert materialise(files) == materialise(build_index(after, SITE))
    expected = {"added": 1, "removed": 1, "moved": 1, "section renamed": 8, "nothing": 0}
    assert len(segments(written(files))) == expected[case]
    if case == "nothing":
        assert dict(files) == previous  # index.json too: every file linked, none written


def test_crossing_a_shard_count_rebuilds_every_shard(tmp_path):
    pages = site_pages(256)
    new = {**pages[-1], "id": 9000, "url": "/s1/one-more/"}
    grown = update(built(pages, tmp_path / "a"), [*pages, new], [new])
    assert shard_count(257) == 4 and len(segments(written(grown))) == 4
    assert materialise(grown) == materialise(build_index([*pages, new], SITE))
    shrunk = update(built([*pages, new], tmp_path / "b"), pages, [], [new["url"]])
    assert len(segments(written(shrunk))) == 2
    assert materialise(shrunk) == materialise(build_index(pages, SITE))


def test_a_missing_or_unreadable_previous_shard_is_rebuilt_from_the_pages(tmp_path):
    pages = site_pages(600)
    previous = built(pages, tmp_path)
    entries = {e["number"]: e for e in json.loads(previous[INDEX_PATH].read_bytes())["shards"]}
    unreadable, missing = entries[0]["files"], entries[1]["files"]
    previous[f"_search/{unreadable[0]}"].write_bytes(b"not a segment")
    del previous[f"_search/{missing[-1]}"]
    edited = next(p for p in pages if shard_of(p["id"], 8) == 0)  # in the unreadable shard
    after = [{**p, "title": "Edited"} if p is edited else p for p in pages]
    files = update(previous, after, [p for p in after if p["title"] == "Edited"])
    everything = materialise(files)
    rebuilt = segments(written(files))
    assert shard_numbers(everything, rebuilt) == {0, 1}
    assert rebuilt[1] == entries[1]["segment"]  # the same pages: the same files, written again
    assert everything == materialise(build_index(after, SITE))
    assert update({}, pages, []) == list(build_index(pages, SITE))


def test_a_shard_gives_back_the_documents_it_was_made_from(tmp_path):
    pages = site_pages(20)
    files = materialise(build_index(pages, SITE))
    [entry] = json.loads(files[INDEX_PATH])["shards"]
    shard = {name: files[f"_search/{name}"] for name in entry["files"]}
    docs = {d["url"]: d for d in read_documents(shard, entry["pages"])}
    article = docs["/s1/page-1/"]
    assert article["sections"] == [("/s1/", "Section 1")] and article["section"] == "Section 1"
    assert article["tags"] == [{"slug": "t1", "name": "Tag 1"}] and article["authors"] == [
        "Author 1"
    ]


# --- queries across shards ---


@pytest.fixture
def small_shards(monkeypatch):
    """Shards of at most 16 pages on average, so a small site has many."""
    monkeypatch.setattr(shards, "PAGES_PER_SHARD", 16)


def test_totals_filters_and_paging_work_across_shards(tmp_path, small_shards):
    pages = site_pages(300)
    index = open_index(save_index(build_index(pages, SITE), tmp_path))
    assert index.searcher.num_segments == 32
    everything = search(index, "lighthouse")
    expected = [p for p in pages if "lighthouse" in json.dumps(p).lower()]
    assert everything.total == len(expected) > 30
    seen = []
    for number in range(1, everything.pages + 1):
        seen += [hit.url for hit in search(index, "lighthouse", page=number).results]
    assert len(seen) == len(set(seen)) == everything.total
    inside = search(index, "lighthouse", section="/s1/", per_page=100)
    assert inside.total == len([p for p in expected if p["url"].startswith("/s1/")])
    assert all(hit.url.startswith("/s1/") for hit in inside.results)
    tagged = search(index, "lighthouse", tag="t2", per_page=100)
    assert {h.url for h in tagged.results} == {
        p["url"] for p in expected if p["tags"][0]["slug"] == "t2"
    }
    index.close()


@pytest.fixture(scope="module")
def rust_indexes(rust_blog, tmp_path_factory):
    """The Rust blog's index in 8 shards and in one shard of every page."""
    pages = markdown_pages(rust_blog)
    root = tmp_path_factory.mktemp("rust-shards")
    saved = shards.PAGES_PER_SHARD
    try:
        shards.PAGES_PER_SHARD = 128
        sharded = open_index(save_index(build_index(pages, SITE), root / "sharded"))
        shards.PAGES_PER_SHARD = len(pages)
        whole = open_index(save_index(build_index(pages, SITE), root / "whole"))
    finally:
        shards.PAGES_PER_SHARD = saved
    yield pages, sharded, whole
    sharded.close()
    whole.close()


@pytest.mark.corpus
def test_title_queries_rank_as_one_index_of_every_page(rust_indexes):
    pages, sharded, whole = rust_indexes
    assert sharded.searcher.num_segments == 8 and whole.searcher.num_segments == 1
    titles = [p["title"] for p in pages if p["type"] == "ArticlePage"][::15]
    queries = [*titles, "rust 1.52", "1.70", "borrow checker", "borrow chec", "cargo", "async"]
    for query in queries:
        mine, theirs = search(sharded, query), search(whole, query)
        assert mine.total == theirs.total, query
        assert [h.url for h in mine.results][:3] == [h.url for h in theirs.results][:3], query
        assert {h.url for h in mine.results} == {h.url for h in theirs.results}, query


@pytest.mark.corpus
def test_filtered_queries_and_further_pages_rank_as_one_index(rust_indexes):
    """tantivy scores every segment with the statistics of all of them."""
    _, sharded, whole = rust_indexes
    for args in [("async", "/blog/inside-rust/", "", 1), ("borrow", "", "", 2)]:
        mine, theirs = search(sharded, *args), search(whole, *args)
        assert mine.total == theirs.total
        assert [h.url for h in mine.results] == [h.url for h in theirs.results], args
    for page in (3, 4):
        mine, theirs = search(sharded, "cargo", page=page), search(whole, "cargo", page=page)
        assert len({h.url for h in mine.results} & {h.url for h in theirs.results}) >= 9


# --- the function keeps the index open and follows new builds ---


def test_the_function_follows_a_new_build(tmp_path, small_shards):
    pages = site_pages(300)
    site = tmp_path / "site"
    previous = built(pages, site)
    handler = search_function.make_handler(site / INDEX_PATH, REPO / "site")

    def ask(q: str) -> dict:
        answer = handler(make_event("GET", "/api/search", f"q={q}"), None)
        assert answer["statusCode"] == 200, answer
        return json.loads(answer["body"])

    assert ask("zeppelin")["total"] == 0
    before = search_function.current_index(site / INDEX_PATH)
    edited = {**pages[10], "title": "Zeppelin over the harbour"}
    after = [edited if p is pages[10] else p for p in pages]
    staging = tmp_path / "staging"
    for rel, data in update(previous, after, [edited]):
        (staging / rel).parent.mkdir(parents=True, exist_ok=True)
        target = staging / rel
        target.hardlink_to(data) if isinstance(data, Path) else target.write_bytes(data)
    old = tmp_path / "old"
    site.rename(old)  # the writer swaps whole trees
    staging.rename(site)
    assert [h["url"] for h in ask("zeppelin")["results"]] == [edited["url"]]
    assert search_function.current_index(site / INDEX_PATH) is not before
    assert search(before, "zeppelin").total == 0  # a request still on the old version


def test_requests_in_threads_while_builds_swap_the_site_answer_200_or_503(tmp_path, small_shards):
    """``jamtail serve`` answers from threads; a swap never makes a request fail otherwise."""
    import threading

    pages = site_pages(300)
    edited = [{**p, "title": f"Zeppelin {p['id']}"} if p["id"] % 7 == 0 else p for p in pages]
    site, spare = tmp_path / "site", tmp_path / "spare"
    built(pages, site)
    built(edited, spare)
    handler = search_function.make_handler(site / INDEX_PATH, REPO / "site")
    statuses: list[int] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def ask() -> None:
        while not done.is_set():
            try:
                answer = handler(make_event("GET", "/api/search", "q=zeppelin+har"), None)
                statuses.append(answer["statusCode"])
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for _ in range(20):
        site.rename(tmp_path / "swap")
        spare.rename(site)
        (tmp_path / "swap").rename(spare)
    done.set()
    for thread in threads:
        thread.join()
    assert errors == [] and statuses and set(statuses) <= {200, 503}
    assert handler(make_event("GET", "/api/search", "q=zeppelin"), None)["statusCode"] == 200
