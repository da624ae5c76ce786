"""Benchmark: ``import_markdown`` speed on the Rust blog and on generated posts, beside Hugo.

Each import runs as ``manage.py import_markdown`` into a fresh SQLite CMS.
Prints, per site: files, pages made, seconds, posts per second; then the same
import again (unchanged content: it must be a no-op) and, when a ``hugo``
binary is on the PATH, Hugo's full build of the same Markdown (best of 3) and
the ratio of the import to it. Targets (issue 11): the Rust blog with its
images in at most 10x Hugo's build; 10,000 generated posts at 200 posts/s.

Each figure is printed with the load average (the machine may be shared).

Usage: ``python bench/import.py [--posts N] [--no-rust]``. The Rust blog comes
from ``../shared/corpora`` (or ``$JAMTAIL_CORPORA``) and is skipped with a
message when absent. Loopback only; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from rust_blog import hugo_site  # noqa: E402

from tests.cms_process import CMSProcess  # noqa: E402
from tests.corpora import missing_message, rust_blog_content  # noqa: E402

WORDS = [
    "build",
    "deploy",
    "page",
    "section",
    "import",
    "markdown",
    "wagtail",
    "static",
    "site",
    "editor",
    "draft",
    "publish",
    "image",
    "link",
    "redirect",
    "template",
    "shortcode",
    "archive",
    "feed",
    "search",
    "tag",
    "author",
]


def generate_posts(folder: Path, count: int) -> Path:
    """``count`` dated posts in 10 sections, each a few paragraphs, a list and a code block."""
    for section in range(10):
        path = folder / f"section-{section}"
        path.mkdir(parents=True, exist_ok=True)
        (path / "_index.md").write_text(f"---\ntitle: Section {section}\n---\n")
    for i in range(count):
        words = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(60))
        text = (
            f"---\ntitle: Post {i}\ndate: 2024-{1 + i % 12:02d}-{1 + i % 28:02d}\n"
            f"tags: [{WORDS[i % len(WORDS)]}, {WORDS[(i * 7) % len(WORDS)]}]\n"
            f"author: Author {i % 40}\n---\n{words}.\n\n- {words[:80]}\n- two\n\n"
            f"```python\nprint({i})\n```\n\nSee [the first post](../section-0/post-0.md).\n"
        )
        (folder / f"section-{i % 10}" / f"post-{i}.md").write_text(text)
    return folder


def run_import(workdir: Path, source: Path, slug: str) -> tuple[float, dict]:
    cms = CMSProcess(workdir / "cms")
    # Measured as deployed: DEBUG off (Django keeps no query log), so a real secret key.
    cms.env.update(DJANGO_DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50))
    cms.data_dir.mkdir(parents=True, exist_ok=True)
    cms.manage("migrate", "--no-input", "-v0")
    report = workdir / "report.json"
    started = time.monotonic()
    cms.manage("import_markdown", str(source), "--slug", slug, "--report", str(report))
    seconds = time.monotonic() - started
    first = json.loads(report.read_text())
    started = time.monotonic()
    cms.manage("import_markdown", str(source), "--slug", slug, "--report", str(report))
    again = time.monotonic() - started
    second = json.loads(report.read_text())
    first["again_seconds"] = again
    first["again_changed"] = second["counts"]["created"] + second["counts"]["updated"]
    return seconds, first


def hugo_seconds(workdir: Path, content: Path) -> float | None:
    if shutil.which("hugo") is None:
        return None
    site = hugo_site(workdir, content)
    best = None
    for _ in range(3):
        started = time.monotonic()
        subprocess.run(
            ["hugo", "--quiet", "-s", str(site), "-d", str(workdir / "public")],
            check=True,
            capture_output=True,
        )
        elapsed = time.monotonic() - started
        best = elapsed if best is None else min(best, elapsed)
    return best


def report_line(name: str, seconds: float, report: dict, hugo: float | None) -> None:
    counts = report["counts"]
    pages = counts["pages"]
    print(
        f"{name}: files {counts['files']}, pages {pages}, skipped {counts['skipped']}, "
        f"failed {counts['failed']}, redirects {counts['redirects']}, images {counts['images']}"
    )
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"  import {seconds:.1f} s = {pages / seconds:.1f} posts/s (load average {load})")
    print(
        f"  re-import of unchanged content: {report['again_seconds']:.1f} s, "
        f"pages changed {report['again_changed']}"
    )
    if hugo is not None:
        print(f"  hugo build {hugo:.2f} s; import / hugo = {seconds / hugo:.1f}x")
    else:
        print("  hugo not installed (apt-get install hugo): no ratio")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000, help="generated posts (0: none)")
    parser.add_argument("--no-rust", action="store_true", help="skip the Rust blog")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jamtail-import-bench-") as tmp:
        work = Path(tmp)
        content = rust_blog_content()
        if args.no_rust:
            pass
        elif not content.is_dir():
            print(missing_message(content))
        else:
            seconds, report = run_import(work / "rust", content, "blog")
            report_line("Rust blog", seconds, report, hugo_seconds(work / "rust", content))
        if args.posts:
            generated = generate_posts(work / "generated" / "content", args.posts)
            seconds, report = run_import(work / "generated", generated, "posts")
            hugo = hugo_seconds(work / "generated", generated)
            report_line(f"{args.posts} generated posts", seconds, report, hugo)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
