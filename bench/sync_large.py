"""Benchmark: the content sync (jamtail/sync.py, /api/v2/sync/) on a large site.

Uses the site generator of ``bench/large_site.py`` (N articles from the Rust
blog corpus, default 10,000; its own copy under ``bench/out/sync-N/``), serves
it with gunicorn on 127.0.0.1, and reports:

- the first (full) sync: seconds, requests, pages;
- ``gather()``, the full read the build made before, for comparison;
- a sync with no change (median of 7): total, and its parts: ``fetch`` (the
  HTTP request), ``store`` (the cache transaction), ``read`` (``Content`` from
  the cache);
- a sync after one page edited in Wagtail (title, a published revision; median of 5).

Usage: ``python bench/sync_large.py [--pages N]``. Loopback only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import large_site  # noqa: E402

from jamtail.client import CMSClient  # noqa: E402
from jamtail.gather import gather  # noqa: E402
from jamtail.sync import Delta, sync_content  # noqa: E402


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def timed_sync(client: CMSClient, cache: Path) -> tuple[float, Delta]:
    start = time.perf_counter()
    _, delta = sync_content(client, cache)
    return time.perf_counter() - start, delta


def median_parts(runs: list[tuple[float, Delta]]) -> str:
    parts = {
        k: statistics.median(d.timings.get(k, 0.0) for _, d in runs) for k in runs[0][1].timings
    }
    total = statistics.median(t for t, _ in runs)
    detail = ", ".join(f"{k} {ms(v)}" for k, v in parts.items())
    return f"{ms(total)} ({detail})"


def bench(n: int) -> None:
    cms, _ = large_site.ensure_database(large_site.OUT / f"sync-{n}", n)
    cms.start()
    try:
        client = CMSClient(cms.api_url)
        with tempfile.TemporaryDirectory(prefix="jamtail-sync-bench-") as tmp:
            cache = Path(tmp)
            seconds, delta = timed_sync(client, cache)
            pages = len(delta.of_kind("page"))
            print(
                f"first sync (full): {seconds:.2f} s, {delta.requests} requests, {pages} pages "
                f"(fetch {delta.timings['fetch']:.2f} s, store {delta.timings['store']:.2f} s, "
                f"read {delta.timings['read']:.2f} s)"
            )
            start = time.perf_counter()
            gathered = gather(client)
            print(f"gather() (full read, for comparison): {time.perf_counter() - start:.2f} s")
            content, _ = sync_content(client, cache)
            assert content == gathered, "the cache and gather() disagree"
            idle = [timed_sync(client, cache) for _ in range(7)]
            assert all(d.empty and d.requests == 1 for _, d in idle)
            print(f"no-change sync: {median_parts(idle)}, 1 request")
            edits = []
            for _ in range(5):
                large_site.child(cms, "--edit", "title")
                time.sleep(1.1)  # the generator's titles carry a timestamp in seconds
                edits.append(timed_sync(client, cache))
            changed = {len(d.changes) for _, d in edits}
            print(f"one-page edit sync: {median_parts(edits)}, changes per sync {sorted(changed)}")
    finally:
        cms.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000)
    args = parser.parse_args()
    if not large_site.corpus_dir().is_dir():
        print(f"corpus not found at {large_site.corpus_dir()}: set JAMTAIL_CORPORA")
        return 0
    print(f"== content sync, {args.pages} pages ==")
    bench(args.pages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
