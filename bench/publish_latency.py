"""Benchmark: publish-to-live latency on the imported Rust blog.

Imports ``../shared/corpora/rust-blog/content`` (or ``$JAMTAIL_CORPORA``) into
a fresh CMS data directory, starts the whole pipeline as real processes on
127.0.0.1 (``tests/publishing_stack.py``: the CMS under gunicorn, the
``pipeline_worker`` task worker (under ``supervise_worker``), ``jamtail
runner`` building and deploying to the local target, ``jamtail serve``'s
server on the live release), waits for the first build and deploy, then
publishes N times (default 20) as an editor does: Debian's Chromium, signed
in to the Wagtail admin, changes the newest
article's title in the page editor and clicks Publish. Each latency runs from
the publish request's response (Wagtail has committed the publish) until the
served page carries the new title, polled every 50 ms.

Prints the median and 95th percentile latency in seconds, the debounce quiet
period (``JAMTAIL_BUILD_QUIET_SECONDS``, the CMS default of 2 s unless
``--quiet`` is given), and how the time splits: publish to build start
(debounce, dispatch, hook), build + deploy (the runner's reported duration;
the build alone from its summary line) and the share of the latency that is
build + deploy.

Usage: ``python bench/publish_latency.py [--publishes 20] [--timeout 120]
[--quiet SECONDS] [--keep DIR]``. Loopback only; exits 1 if a publish did not
go live within the timeout or was refused.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.corpora import missing_message, rust_blog_content  # noqa: E402
from tests.publishing_stack import (  # noqa: E402
    Stack,
    admin_login,
    publish_title_in_admin,
    wait_for,
)

EDITOR = ("bench-editor", "bench-editor-passphrase")


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by the nearest-rank method."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def newest_article(stack: Stack) -> tuple[int, str]:
    """(page id, site-relative URL path) of the most recent live article."""
    out = stack.shell(
        "from cms.content.models import ArticlePage as A; "
        "p = A.objects.live().order_by('-date', '-pk').first(); "
        "print(p.pk, p.get_url_parts()[2])"
    )
    page_id, path = out.split()[-2:]
    return int(page_id), path


def initial_build(stack: Stack) -> None:
    """Build and deploy (local target) everything once, as the import's build.

    Run here rather than by the runner: the runner passes the hook body in
    the environment (``INCOMING_HOOK_BODY``), and the import's (every page id,
    path and request id of the corpus) exceeds Linux's 128 KiB limit on one
    environment string. The import's build requests are recorded as this build.
    """
    for step in (["build", "--api", stack.cms.api_url], ["deploy", "--target", "local"]):
        command = [sys.executable, "-m", "jamtail.cli", *step]
        result = subprocess.run(command, env=stack.cms.env, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"jamtail {step[0]} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    stack.shell(
        "from django.utils import timezone; from cms.publishing.tasks import claim_pending\n"
        "b = claim_pending('import')\n"
        "if b: b.status, b.started_at, b.finished_at = 'succeeded', b.requested_at, "
        "timezone.now(); b.runner = 'bench'; b.save()"
    )


def waiting_tasks(stack: Stack) -> int:
    """Background tasks still queued (the import's search and reference index updates)."""
    code = (
        "from django_tasks_db.models import DBTaskResult as T; "
        "print(T.objects.filter(status__in=['READY', 'RUNNING']).count())"
    )
    return int(stack.shell(code).split()[-1])


def served_html(url: str) -> str:
    try:
        return requests.get(url, timeout=5).text
    except requests.RequestException:
        return ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--publishes", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=120, help="seconds per publish")
    parser.add_argument("--quiet", type=float, help="JAMTAIL_BUILD_QUIET_SECONDS (default: 2)")
    parser.add_argument("--keep", help="keep the data, logs and deploys in this directory")
    args = parser.parse_args()
    content = rust_blog_content()
    if not content.is_dir():
        sys.exit(missing_message(content))
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        sys.exit("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the stack on SIGTERM
    workdir = Path(args.keep or tempfile.mkdtemp(prefix="jamtail-latency-"))
    workdir.mkdir(parents=True, exist_ok=True)
    stack = Stack(workdir, quiet_seconds=args.quiet)
    print(f"corpus: {sum(1 for _ in content.rglob('*.md'))} Markdown files ({content})")
    if (stack.cms.data_dir / "db.sqlite3").exists() and stack.site_dir.is_dir():
        print(f"import: reusing the CMS data in {stack.cms.data_dir}")
    else:
        started = time.perf_counter()
        stack.prepare([(content, "blog")])
        stack.create_user(*EDITOR, superuser=True)
        print(f"import: {time.perf_counter() - started:.1f} s")
    latencies: list[float] = []
    publishes: list[datetime] = []
    failures = 0
    try:
        stack.start(pipeline=False)
        started = time.perf_counter()
        initial_build(stack)
        print(f"first build + deploy: {time.perf_counter() - started:.1f} s")
        stack.start_runner()
        stack.start_worker()
        started = time.perf_counter()
        wait_for(lambda: waiting_tasks(stack) == 0, 1800, "the import's tasks", interval=5)
        print(f"import task backlog (search, references): {time.perf_counter() - started:.0f} s")
        article, path = newest_article(stack)
        page_url = stack.url + path
        if "<h1" not in served_html(page_url):
            sys.exit(f"the first deploy does not serve {page_url}")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page()
            admin_login(page, stack.cms.base_url, *EDITOR)
            for n in range(1, args.publishes + 1):
                title = f"Publish latency {n} of {args.publishes} {time.time_ns()}"
                # The build can be dispatched before the response reaches the browser:
                # its record is found from the click on, its wait counted from the response.
                clicked_at, clicked = datetime.now().astimezone(), time.monotonic()
                try:
                    returned = publish_title_in_admin(page, stack.cms.base_url, article, title)
                except AssertionError as refused:
                    failures += 1
                    print(f"  publish {n:2}: refused: {refused}", flush=True)
                    continue
                publishes.append((clicked_at, clicked_at + timedelta(seconds=returned - clicked)))
                deadline = returned + args.timeout
                while title not in served_html(page_url):
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.05)
                else:
                    latencies.append(time.monotonic() - returned)
                    print(f"  publish {n:2}: live after {latencies[-1]:.2f} s", flush=True)
                    continue
                failures += 1
                publishes.pop()  # pairs each publish with its latency
                print(f"  publish {n:2}: not live after {args.timeout:.0f} s", flush=True)
            browser.close()
        builds = stack.builds("requested_at", "started_at", "duration", "report")
    finally:
        stack.stop()

    report(stack, article, path, latencies, publishes, builds, failures, args.publishes)
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failures else 0


def report(stack, article, path, latencies, publishes, builds, failures, total) -> None:
    print(f"article: page {article}, {path}")
    print(
        f"debounce: JAMTAIL_BUILD_QUIET_SECONDS = {stack.quiet_seconds:g} s"
        + ("" if "JAMTAIL_BUILD_QUIET_SECONDS" in stack.cms.env else " (the default)")
    )
    print(
        f"publishes live: {len(latencies)} of {total}"
        + (f", {failures} refused or timed out" if failures else "")
    )
    if not latencies:
        return
    print(
        f"publish-to-live latency: median {statistics.median(latencies):.2f} s, "
        f"p95 {percentile(latencies, 95):.2f} s, "
        f"min {min(latencies):.2f} s, max {max(latencies):.2f} s"
    )
    # Each publish's build: the first record requested after its click (the dispatch
    # creates it).
    waits, runs, built, shares = [], [], [], []
    for (clicked_at, answered_at), latency in zip(publishes, latencies, strict=False):
        build = next(
            (
                b
                for b in builds
                if b["started_at"] and datetime.fromisoformat(b["requested_at"]) >= clicked_at
            ),
            None,
        )
        if build is None or build["duration"] is None:
            continue
        started = datetime.fromisoformat(build["started_at"])
        waits.append((started - answered_at).total_seconds())
        runs.append(build["duration"])
        shares.append(build["duration"] / latency)
        if isinstance(build["report"], dict) and build["report"].get("seconds") is not None:
            built.append(float(build["report"]["seconds"]))  # the build's own report
    if runs:
        print(
            f"publish to build start (debounce, dispatch, hook): median "
            f"{statistics.median(waits):.2f} s"
        )
        print(
            f"build + deploy (runner): median {statistics.median(runs):.2f} s"
            + (f"; the build alone {statistics.median(built):.2f} s" if built else "")
        )
        print(f"build + deploy share of the latency: median {statistics.median(shares):.0%}")
    print(
        f"machine: {os.cpu_count()} CPUs, loopback, SQLite; "
        "the editor's Chromium runs on the same machine"
    )


if __name__ == "__main__":
    sys.exit(main())
