"""Benchmark: a bounded load run against the comments function under ``jamtail serve``.

Starts a fresh CMS (gunicorn on SQLite, the demo blog imported, the rate limit
raised with ``JAMTAIL_COMMENTS_RATE_LIMIT``) and ``jamtail serve`` as a real
process with the comments function at ``/api/comments``, all on 127.0.0.1.
Then sends ``--requests`` requests (default 1,000) from ``--concurrency``
threads (default 8), stopping early at ``--seconds`` (default 30): a mix of
``GET /api/comments?page=<id>`` and ``POST /api/comments`` (``--post-share``,
default 0.3), each POST a new comment that the CMS stores.

Prints, for all requests and for GETs and POSTs apart: the count, throughput
(requests per second over the wall time), latency median / 95th / 99th
percentile in milliseconds, and the error rate. A 429 (the CMS's per-client
rate limit; every request here comes from one address) is counted apart from
errors; raise ``--rate-limit`` to keep it out of the run, or lower it to
watch the limit work. Exits 1 if the error rate is above ``--max-error-rate``
(default 0.01).

Usage: ``python bench/comments_load.py [--requests 1000] [--concurrency 8]
[--seconds 30] [--post-share 0.3] [--rate-limit 100000]``. Loopback only.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.cms_process import free_port  # noqa: E402
from tests.comments_helpers import SERVICE_TOKEN, article_ids, comments_cms  # noqa: E402


@dataclass
class Result:
    method: str
    status: int  # 0: no answer (connection error, timeout)
    seconds: float


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by the nearest-rank method."""
    ordered = sorted(values)
    rank = max(1, round(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def start_serve(site_dir: Path, api_url: str) -> tuple[subprocess.Popen, str]:
    """``jamtail serve`` on a free port with the comments function configured by env."""
    site_dir.mkdir(parents=True, exist_ok=True)
    (site_dir / "index.html").write_text("<!doctype html><title>load</title>")
    port = free_port()
    env = {
        **os.environ,
        "JAMTAIL_API_URL": api_url,
        "JAMTAIL_COMMENTS_TOKEN": SERVICE_TOKEN,
        "JAMTAIL_COMMENTS_MIN_SECONDS": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "jamtail.cli", "serve", "--dir", str(site_dir), "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/api/comments"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/token", timeout=2).ok:
                return process, url
        except requests.RequestException:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit("jamtail serve did not answer in 30 s")


def run_load(url: str, pages: list[int], args: argparse.Namespace) -> tuple[list[Result], float]:
    token = requests.get(url + "/token", timeout=5).json()["token"]
    time.sleep(1.1)  # the token must be older than JAMTAIL_COMMENTS_MIN_SECONDS
    local = threading.local()
    deadline = time.monotonic() + args.seconds
    rng = random.Random(6)
    plan = [
        ("POST" if rng.random() < args.post_share else "GET", rng.choice(pages))
        for _ in range(args.requests)
    ]

    def one(n: int) -> Result | None:
        if time.monotonic() > deadline:
            return None
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        method, page = plan[n]
        started = time.perf_counter()
        try:
            if method == "GET":
                response = session.get(url, params={"page": page}, timeout=10)
            else:
                body = {
                    "page": page,
                    "author_name": f"Load {n}",
                    "body": f"Comment {n} from the *load* run.",
                    "form_token": token,
                }
                response = session.post(url, json=body, timeout=10)
            status = response.status_code
        except requests.RequestException:
            status = 0
        return Result(method, status, time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        results = [r for r in pool.map(one, range(args.requests)) if r is not None]
    return results, time.perf_counter() - started


def report(label: str, results: list[Result], wall: float) -> float:
    if not results:
        print(f"{label:5} none")
        return 0.0
    ok = {200, 202}
    limited = sum(r.status == 429 for r in results)
    errors = [r for r in results if r.status not in ok and r.status != 429]
    ms = [r.seconds * 1000 for r in results]
    rate = len(errors) / len(results)
    print(
        f"{label:5} {len(results):5d} requests  {len(results) / wall:7.1f} req/s  "
        f"median {statistics.median(ms):6.1f} ms  p95 {percentile(ms, 95):6.1f} ms  "
        f"p99 {percentile(ms, 99):6.1f} ms  errors {len(errors)} ({rate:.2%})  429s {limited}"
    )
    if errors:
        print(f"      error statuses: {dict(Counter(r.status for r in errors))}")
    return rate


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--seconds", type=float, default=30.0, help="stop sending after this long")
    p.add_argument("--post-share", type=float, default=0.3)
    p.add_argument("--rate-limit", type=int, default=100_000, help="the CMS's per-client limit")
    p.add_argument("--max-error-rate", type=float, default=0.01)
    args = p.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="jamtail-comments-load-"))
    cms = serve = None
    try:
        print("Starting the CMS (migrate, import demo/blog) ...", flush=True)
        cms = comments_cms(root / "cms", JAMTAIL_COMMENTS_RATE_LIMIT=str(args.rate_limit))
        pages = sorted(article_ids(cms).values())
        serve, url = start_serve(root / "site", cms.api_url)
        print(
            f"Load: {args.requests} requests, {args.concurrency} concurrent, cap {args.seconds} s, "
            f"{args.post_share:.0%} POST, rate limit {args.rate_limit}/window, "
            f"{len(pages)} articles, {os.cpu_count()} CPUs",
            flush=True,
        )
        results, wall = run_load(url, pages, args)
        print(f"Wall time {wall:.2f} s")
        rate = report("all", results, wall)
        report("GET", [r for r in results if r.method == "GET"], wall)
        report("POST", [r for r in results if r.method == "POST"], wall)
        return 1 if rate > args.max_error_rate else 0
    finally:
        if serve is not None:
            serve.terminate()
            serve.wait(timeout=10)
        if cms is not None:
            cms.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
