"""Benchmark: the content sync (jamtail/content/sync.py, /api/v2/sync/) on a large site.

Uses the site generator of ``bench/large_site.py`` (N articles from the Rust
blog corpus, default 10,000; its own copy under ``bench/out/sync-N/``), serves
it with gunicorn on 127.0.0.1, and reports:

- a full sync with the CMS's serialised-page cache empty, then filled:
  seconds, requests, pages, load average;
- ``gather()``, the full read the build made before, for comparison;
- a sync with no change (median of 7): total, and its parts: ``fetch`` (the
  HTTP request), ``store`` (the cache transaction), ``read`` (``Content`` from
  the cache);
- a sync after one page edited in Wagtail (title, a published revision; median of 5).

Usage: ``python bench/sync_large.py [--pages N] [--port P]``. Loopback only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import large_site  # noqa: E402

from jamtail.content.cache import Delta  # noqa: E402
from jamtail.content.client import CMSClient  # noqa: E402
from jamtail.content.gather import gather  # noqa: E402
from jamtail.content.sync import sync_content  # noqa: E402


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


def bench(n: int, port: int | None) -> None:
    cms, _ = large_site.ensure_database(large_site.OUT / f"sync-{n}", n)
    if port:
        cms.port = port
    cms.start()
    try:
        client = CMSClient(cms.api_url)
        with tempfile.TemporaryDirectory(prefix="jamtail-sync-bench-") as tmp:
            cache = Path(tmp)
            # The CMS's serialised-page cache (cms/sync/serialised.py): first empty, then filled.
            cms.manage("clear_sync_cache")
            for label in ("CMS cache empty", "CMS cache filled"):
                shutil.rmtree(cache, ignore_errors=True)
                cache.mkdir()
                seconds, delta = timed_sync(client, cache)
                pages = len(delta.of_kind("page"))
                print(
                    f"full sync, {label}: {seconds:.2f} s, {delta.requests} requests, "
                    f"{pages} pages (fetch {delta.timings['fetch']:.2f} s, store "
                    f"{delta.timings['store']:.2f} s, read {delta.timings['read']:.2f} s; "
                    f"target < 5 s), load average {os.getloadavg()[0]:.1f}"
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
    parser.add_argument("--port", type=int, help="serve the CMS on this port of 127.0.0.1")
    args = parser.parse_args()
    if not large_site.rust_blog_content().is_dir():
        print(f"{large_site.missing_message(large_site.rust_blog_content())}; nothing to measure")
        return 0
    print(f"== content sync, {args.pages} pages ==")
    bench(args.pages, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
