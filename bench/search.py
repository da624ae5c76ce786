"""Search benchmark: index size and build time, query latency, and a bounded load run.

    .venv/bin/python bench/search.py [--pages 10000] [--queries 1000] [--requests 2000]

1. The Rust blog (``../shared/corpora/rust-blog``, 754 Markdown files): page
   dicts through the importer's pure stages (``tests/search_corpus.py``), the
   index through the build's writer. Reports text size, index size (all
   shards) and its ratio to the text, shard count, build time and the peak
   memory the index build allocates in Python (``tracemalloc``, on top of
   the pages).
2. A generated site of ``--pages`` pages (default 10,000), made from the Rust
   blog's pages: each generated page takes one corpus page's body and
   summary, a numbered title, one of 12 sections and up to 3 of 40 tags.
   Also times ``update_index`` for a one-page edit (one shard rewritten,
   the others answered as unchanged files), median of 5, and the bytes a
   deploy uploads for it.
3. Latency over ``--queries`` mixed queries (default 1,000: common words, two
   words, prefixes as typed, release numbers, title phrases, filters, pages
   2-5, query syntax, words that match nothing) on both indexes: through
   ``search()`` on an open index, and through the whole function
   (``handler``: the kept-open index checked, query, JSON) as each request
   runs it (warm: the index kept open, as a warm function has it). Then how
   far the sharded ranking agrees with one shard holding every page: same
   first hit, same first page, share of the first page in common.
4. A bounded load run on loopback: ``jamtail serve`` on 127.0.0.1 with the
   Rust blog index, ``--requests`` requests (default 2,000) from 8 concurrent
   clients, stopped after 30 s. Reports throughput, latency and error rate
   (errors: connection failures and 5xx; hostile queries may answer 400).
5. The generated site's figures against issue 14's targets, with the load
   average.

Prints the figures; nothing is written outside a temporary folder.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from functions.adapter import make_event  # noqa: E402
from functions.search import make_handler  # noqa: E402
from jamtail.search import shards  # noqa: E402
from jamtail.search.index import documents  # noqa: E402
from jamtail.search.query import open_index, search  # noqa: E402
from jamtail.search.shards import INDEX_PATH, build_index, save_index, update_index  # noqa: E402
from tests.corpora import missing_message, rust_blog_content  # noqa: E402
from tests.search_corpus import SITE, markdown_pages  # noqa: E402

SECTIONS = 12
TAGS = 40
LOAD_CONCURRENCY = 8
LOAD_SECONDS = 30
PART = re.compile(r" \(part \d+\)$")
SYNTAX = ['"unbalanced', "NEAR(a b)", "title:async", "a OR b NOT c", "(((", "*", "rust^", "-x +y"]


def text_bytes(pages: list[dict[str, Any]]) -> int:
    """UTF-8 bytes of the indexed text (title, summary, body, section, tags, authors)."""
    total = 0
    for doc in documents(pages):
        fields = [doc["title"], doc["summary"], doc["body"], doc["section"]]
        fields += [t["name"] for t in doc["tags"]] + doc["authors"]
        total += sum(len(f.encode()) for f in fields)
    return total


def generated_site(corpus: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """``count`` pages in ``SECTIONS`` sections, bodies and summaries from ``corpus``."""
    rng = random.Random(7)
    articles = [p for p in corpus if p["type"] == "ArticlePage"]
    pages: list[dict[str, Any]] = [
        {"id": 1, "type": "HomePage", "title": "Home", "url": "/", "parent_url": None}
    ]
    for s in range(SECTIONS):
        pages.append({"id": 2 + s, "type": "SectionPage", "title": f"Section {s}",
                      "url": f"/s{s}/", "parent_url": "/", "description": ""})  # fmt: skip
    tags = [{"name": f"topic {t}", "slug": f"topic-{t}"} for t in range(TAGS)]
    for n in range(count - len(pages)):
        source = articles[n % len(articles)]
        section = n % SECTIONS
        pages.append(
            {
                **source,
                "id": 100 + n,
                "title": f"{source['title']} (part {n // len(articles) + 1})",
                "url": f"/s{section}/page-{n}/",
                "parent_url": f"/s{section}/",
                "tags": rng.sample(tags, rng.randint(0, 3)),
            }
        )
    return pages


def mixed_queries(pages: list[dict[str, Any]], count: int, sections: list[str]) -> list[dict]:
    """``count`` query parameter dicts, a fixed mix (seeded), from the pages' own words."""
    rng = random.Random(11)
    words = [w.lower() for p in pages for w in re.findall(r"[A-Za-z]{4,}", p["title"])]
    common = sorted(set(words), key=words.count, reverse=True)[:300]
    titles = [p["title"] for p in pages if p["type"] == "ArticlePage"]
    queries: list[dict] = []
    while len(queries) < count:
        kind = rng.randrange(10)
        if kind == 0:
            q = {"q": rng.choice(common)}
        elif kind == 1:
            q = {"q": f"{rng.choice(common)} {rng.choice(common)}"}
        elif kind == 2:
            word = rng.choice(common)
            q = {"q": word[: rng.randint(2, max(2, len(word) - 1))]}  # typed so far
        elif kind == 3:
            q = {"q": f"rust 1.{rng.randint(0, 94)}"}
        elif kind == 4:
            q = {"q": " ".join(rng.choice(titles).split()[:3])}
        elif kind == 5:
            q = {"q": rng.choice(common), "section": rng.choice(sections)}
        elif kind == 6:
            q = {"q": rng.choice(common), "page": str(rng.randint(2, 5))}
        elif kind == 7:
            q = {"q": rng.choice(SYNTAX)}
        elif kind == 8:
            q = {"q": f"zq{rng.randint(0, 10**6)}x"}  # matches nothing
        else:
            q = {"q": f"{rng.choice(common)} {rng.choice(common)[:3]}"}
        queries.append(q)
    return queries


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def latency(index: Path, queries: list[dict]) -> dict[str, float]:
    """Median and p99 (ms) of ``search()`` on one open connection, and of the whole handler."""
    opened = open_index(index)
    direct = []
    for q in queries:
        start = time.perf_counter()
        search(opened, q["q"], q.get("section", ""), q.get("tag", ""), int(q.get("page", 1)))
        direct.append((time.perf_counter() - start) * 1000)
    opened.close()
    handler = make_handler(index, ROOT / "site")
    whole = []
    for q in queries:
        event = make_event("GET", "/api/search", urlencode(q))
        start = time.perf_counter()
        result = handler(event, None)
        whole.append((time.perf_counter() - start) * 1000)
        assert result["statusCode"] in (200, 400), result
    return {
        "search_median": statistics.median(direct),
        "search_p99": percentile(direct, 0.99),
        "handler_median": statistics.median(whole),
        "handler_p99": percentile(whole, 0.99),
    }


def report_index(name: str, pages: list[dict[str, Any]], folder: Path) -> tuple[Path, float]:
    """Build the index of ``pages`` under ``folder / name`` as the build does; print figures.

    Returns the ``index.json`` and the index's size over the text's."""
    root = folder / name
    start = time.perf_counter()
    size = 0
    for rel, data in build_index(pages, SITE):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
        size += len(data)
    seconds = time.perf_counter() - start
    count = len(json.loads((root / INDEX_PATH).read_bytes())["shards"])
    tracemalloc.start()
    for _ in build_index(pages, SITE):
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    text = text_bytes(pages)
    print(
        f"{name}: {len(pages)} pages, text {text / 1e6:.1f} MB, index {size / 1e6:.1f} MB "
        f"in {count} shards ({size / text:.2f}x the text), built in {seconds:.1f} s, "
        f"peak {peak / 1e6:.0f} MB allocated while building"
    )
    return root / INDEX_PATH, size / text


def report_update(name: str, pages: list[dict[str, Any]], index: Path) -> tuple[float, int]:
    """Time ``update_index`` for one edited page (median of 5) and check it equals a full
    build; returns the median (ms) and the bytes written (what a deploy uploads)."""
    root = index.parents[1]
    previous = {p.relative_to(root).as_posix(): p for p in index.parent.iterdir()}
    times = []
    for round_ in range(5):
        edited = {**pages[len(pages) // 2], "title": f"Edited title {round_}"}
        after = [edited if p["id"] == edited["id"] else p for p in pages]
        start = time.perf_counter()
        files = list(update_index(previous, after, SITE, [edited], []))
        times.append((time.perf_counter() - start) * 1000)
    written = {rel: len(data) for rel, data in files if not isinstance(data, Path)}
    full = dict(build_index(after, SITE))
    same = {rel: data.read_bytes() if isinstance(data, Path) else data for rel, data in files}
    assert same == full, "the update differs from a full build"
    median = statistics.median(times)
    print(
        f"{name}: one-page edit: update_index median {median:.0f} ms (best "
        f"{min(times):.0f} ms), {len(written)} of {len(files)} files written, "
        f"{sum(written.values()) / 1e6:.2f} MB; equal to a full build"
    )
    return median, sum(written.values())


def report_agreement(name: str, pages: list[dict[str, Any]], index: Path, queries) -> None:
    """How the sharded ranking compares with one shard of every page, on ``queries``.

    Per kind of request: first pages and further pages. tantivy scores every
    segment with the whole index's statistics, so only ties may differ.
    """
    saved = shards.PAGES_PER_SHARD
    shards.PAGES_PER_SHARD = len(pages)
    try:
        whole = open_index(save_index(build_index(pages, SITE), index.parents[2] / f"{name}-one"))
    finally:
        shards.PAGES_PER_SHARD = saved
    sharded = open_index(index)
    figures = {"first pages": [0, 0, 0.0, 0], "further pages": [0, 0, 0.0, 0]}
    totals = 0
    for q in queries:
        args = (q["q"], q.get("section", ""), q.get("tag", ""), int(q.get("page", 1)))
        a, b = search(sharded, *args), search(whole, *args)
        totals += a.total == b.total
        if b.results:
            # Generated pages repeat the corpus's text under numbered titles: equal
            # scores, whose order is a matter of float rounding; compare the text.
            mine = [PART.sub("", h.title) for h in a.results]
            theirs = [PART.sub("", h.title) for h in b.results]
            kind = figures["first pages" if args[3] == 1 else "further pages"]
            kind[0] += mine[0] == theirs[0]
            kind[1] += mine == theirs
            kind[2] += sum(min(mine.count(t), theirs.count(t)) for t in set(theirs)) / len(theirs)
            kind[3] += 1
    sharded.close()
    whole.close()
    for kind, (first, page, shared, counted) in figures.items():
        print(
            f"{name}: against one shard, {counted} queries for {kind}: same first hit "
            f"{100 * first / counted:.0f} %, same page {100 * page / counted:.0f} %, "
            f"page in common {100 * shared / counted:.0f} %"
        )
    print(f"{name}: same totals for {totals} of {len(queries)} queries")


def report_latency(name: str, index: Path, queries: list[dict]) -> dict[str, float]:
    figures = latency(index, queries)
    print(
        f"{name}: {len(queries)} mixed queries: search() median {figures['search_median']:.2f} ms, "
        f"p99 {figures['search_p99']:.2f} ms; whole handler median "
        f"{figures['handler_median']:.2f} ms, p99 {figures['handler_p99']:.2f} ms"
    )
    return figures


def report_targets(ratio: float, update_ms: float, uploaded: int, figures: dict) -> None:
    """The generated site's figures against issue 14's search targets."""
    rows = [
        ("query p50 (function side, warm)", figures["handler_median"], 2.0, "ms"),
        ("query p99 (function side, warm)", figures["handler_p99"], 10.0, "ms"),
        ("index size / text", ratio, 1.0, "x"),
        ("one-page edit, index update", update_ms, 200.0, "ms"),
    ]
    print(f"targets (load average {os.getloadavg()[0]:.1f}):")
    for label, value, target, unit in rows:
        verdict = "met" if value <= target else "NOT met"
        print(f"  {label}: {value:.2f} {unit} (target <= {target:g} {unit}): {verdict}")
    print(f"  one-page edit uploads {uploaded / 1e6:.2f} MB (one shard, meta.json, index.json)")


def load_run(site: Path, queries: list[dict], requests: int) -> None:
    """``requests`` GETs of /api/search from 8 threads against ``jamtail serve``; 30 s at most."""
    (site / "index.html").write_text("<!doctype html><title>bench</title>")
    process = subprocess.Popen(
        [sys.executable, "-m", "jamtail.cli", "serve", "--dir", str(site), "--port", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "JAMTAIL_SEARCH_INDEX": ""},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        port = int(re.search(r":(\d+)/", process.stdout.readline()).group(1))  # type: ignore[union-attr]
        deadline = time.monotonic() + LOAD_SECONDS
        paths = [f"/api/search?{urlencode(queries[i % len(queries)])}" for i in range(requests)]

        def one(path: str) -> tuple[int, float]:
            if time.monotonic() > deadline:
                return -1, 0.0
            start = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", path, headers={"Accept": "application/json"})
                response = conn.getresponse()
                response.read()
                conn.close()
                return response.status, (time.perf_counter() - start) * 1000
            except OSError:
                return 0, (time.perf_counter() - start) * 1000

        started = time.perf_counter()
        with ThreadPoolExecutor(LOAD_CONCURRENCY) as pool:
            answers = list(pool.map(one, paths))
        elapsed = time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=10)
    done = [(s, ms) for s, ms in answers if s != -1]
    errors = [s for s, _ in done if s == 0 or s >= 500]
    times = [ms for _, ms in done]
    statuses = {s: sum(1 for x, _ in done if x == s) for s in sorted({s for s, _ in done})}
    print(
        f"load: {len(done)} of {requests} requests in {elapsed:.1f} s, {LOAD_CONCURRENCY} clients: "
        f"{len(done) / elapsed:.0f} req/s, median {statistics.median(times):.1f} ms, "
        f"p99 {percentile(times, 0.99):.1f} ms, errors {len(errors)} "
        f"({100 * len(errors) / max(1, len(done)):.2f} %), statuses {statuses}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=2_000)
    args = parser.parse_args()
    content = rust_blog_content()
    if not content.is_dir():
        print(missing_message(content), file=sys.stderr)
        return 1
    rust = markdown_pages(content)
    with tempfile.TemporaryDirectory(prefix="jamtail-search-bench-") as tmp:
        folder = Path(tmp)
        rust_index, _ = report_index("rust-blog", rust, folder)
        generated = generated_site(rust, args.pages)
        big_index, ratio = report_index("generated", generated, folder)
        update_ms, uploaded = report_update("generated", generated, big_index)
        rust_queries = mixed_queries(rust, args.queries, ["/blog/", "/blog/inside-rust/"])
        report_latency("rust-blog", rust_index, rust_queries)
        big_queries = mixed_queries(generated, args.queries, [f"/s{s}/" for s in range(3)])
        figures = report_latency("generated", big_index, big_queries)
        report_agreement("rust-blog", rust, rust_index, rust_queries)
        report_agreement("generated", generated, big_index, big_queries)
        load_run(rust_index.parents[1], rust_queries, args.requests)
        report_targets(ratio, update_ms, uploaded, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
