"""Benchmark: Lighthouse scores of the Next front end beside the Jinja2 builder's site.

Starts a CMS with the demo content (``tests/demo_stack.py``, as the Next tests use it),
builds it with both front ends, serves each build with ``jamtail serve``'s server (the
search function mounted at ``/api/search``) and runs Lighthouse 12 in Debian's Chromium
on four pages of each: the home page, the newest blog article (with its comments and
form), the blog listing and the search page. Prints the four category scores
(performance, accessibility, best practices, SEO; 0-100) of each page, one row per
front end and page. Scores move by a point between runs (timing): one run each.

Lighthouse is not a project dependency: ``npm install --no-save lighthouse@12`` in the
repository (13.x needs Node 22), or ``--lighthouse PATH`` to its ``cli/index.js`` or
``.bin/lighthouse``. Chromium: ``$CHROME_PATH`` or ``/usr/bin/chromium``.

Usage: ``python bench/next_lighthouse.py [--keep DIR] [--lighthouse PATH]``. Loopback only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from functions import comments  # noqa: E402
from functions import search as search_function  # noqa: E402
from functions.devserver import make_server  # noqa: E402
from jamtail.search.shards import INDEX_PATH  # noqa: E402
from tests.comments_helpers import SERVICE_TOKEN  # noqa: E402
from tests.demo_stack import build_both, start_demo_cms  # noqa: E402

CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --disable-sync --no-first-run --disable-quic"
)


def newest_article(site: Path) -> str:
    """The site path of the built blog article with the comment form (the newest one)."""
    for page in sorted(site.glob("blog/*/index.html")):
        if "comment-form" in page.read_text():
            return "/" + page.relative_to(site).parent.as_posix() + "/"
    raise SystemExit(f"no blog article with a comment form in {site}")


def scores(lighthouse: list[str], url: str, report: Path) -> dict[str, int]:
    """``{category: 0-100}`` of one Lighthouse run on ``url`` (its JSON kept at ``report``)."""
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    subprocess.run(
        [
            *lighthouse,
            url,
            f"--chrome-flags={CHROME_FLAGS}",
            "--output=json",
            f"--output-path={report}",
            "--quiet",
        ],
        check=True,
        env=env,
        timeout=300,
    )
    data = json.loads(report.read_text())
    return {c: round(100 * (data["categories"][c]["score"] or 0)) for c in CATEGORIES}


def lighthouse_command(given: str | None) -> list[str]:
    path = Path(given) if given else ROOT / "node_modules" / ".bin" / "lighthouse"
    if not path.exists():
        raise SystemExit(
            f"{path} is missing: `npm install --no-save lighthouse@12` in the repository"
        )
    return ["node", str(path)] if path.suffix == ".js" else [str(path)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", help="keep the CMS data, builds and reports here")
    parser.add_argument("--lighthouse", help="the Lighthouse CLI (default node_modules/.bin)")
    args = parser.parse_args()
    lighthouse = lighthouse_command(args.lighthouse)
    workdir = Path(args.keep or tempfile.mkdtemp(prefix="jamtail-lighthouse-"))
    (workdir / "cms").mkdir(parents=True, exist_ok=True)
    cms = start_demo_cms(workdir / "cms")
    try:
        builds = build_both(cms, workdir)
        article = run(builds, cms.api_url, lighthouse, workdir)
    finally:
        cms.stop()
    print(f"article: {article}; reports in {workdir}")
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def run(builds: dict[str, Path], api_url: str, lighthouse: list[str], workdir: Path) -> str:
    """Print the scores of each build's four pages; return the article's path."""
    article = newest_article(builds["jinja"])
    pages = {"home": "/", "article": article, "listing": "/blog/", "search": "/search/"}
    print(f"{'front end':<10} {'page':<8} " + " ".join(f"{c:>14}" for c in CATEGORIES))
    for name, site in builds.items():
        # The functions the article's form and the search page call, as `jamtail serve` has them.
        config = comments.Config(api_url=api_url, service_token=SERVICE_TOKEN, form_secret=b"bench")
        routes = {
            "/api/search": search_function.make_handler(site / INDEX_PATH, ROOT / "site"),
            "/api/comments": comments.make_handler(config),
        }
        server = make_server(site, port=0, routes=routes)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            for page, path in pages.items():
                got = scores(lighthouse, base + path, workdir / f"{name}-{page}.json")
                print(f"{name:<10} {page:<8} " + " ".join(f"{got[c]:>14}" for c in CATEGORIES))
        finally:
            server.shutdown()
            server.server_close()
    return article


if __name__ == "__main__":
    sys.exit(main())
