"""Benchmark: ``jamtail deploy --target local`` after one-page changes on a large site.

Generates a build-shaped directory (default 13,431 files in about as many
directories, like the 10,000-page benchmark site: 8 sections of article
pages, tag and author pages, images; with a ``.jamtail-manifest.json`` as
``jamtail build`` writes it), deploys it once, then repeatedly changes one
page (the page, its section listing and the feed, as a publish does),
rewrites the manifest and deploys again, each deploy a new ``python -m
jamtail.cli deploy`` process.

Reports the wall time of every deploy and the time the deploy itself reports
("in X s"), for the first deploy, the deploys that add releases until
``JAMTAIL_DEPLOY_KEEP`` (5) exist, and the steady state after that (median of
the remaining rounds). ``--build-deploy`` also times ``jamtail build
--deploy`` start-up against a separate ``jamtail deploy`` (no CMS needed: it
only measures imports, so it is skipped by default).

``--from DIR`` copies a real build (e.g. ``bench/out/site-10000/build``, made
by ``bench/large_site.py``) instead of generating one; the edits then append
a comment to real pages.

Usage: ``python bench/deploy_local.py [--files 13431] [--rounds 12] [--work DIR] [--from DIR]``.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jamtail.write.manifest import (  # noqa: E402
    MANIFEST_NAME,
    FileEntry,
    Manifest,
    digest_bytes,
    read_manifest,
)

SECTIONS = ["engineering", "releases", "community", "compiler", "cargo", "docs", "events", "teams"]
FILLER = ("<p>" + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 40 + "</p>\n") * 8


def site_paths(files: int) -> list[str]:
    """``files`` site paths shaped like the 10,000-page benchmark build."""
    pages = files * 10000 // 13431
    paths = ["index.html", "404.html", "sitemap.xml", "atom.xml", "_headers", "_redirects"]
    for i in range(pages):
        paths.append(f"{SECTIONS[i % 8]}/post-{i:05d}/index.html")
    rest = files - len(paths)
    for i in range(rest):
        kind = i % 3
        if kind == 0:
            paths.append(f"tags/tag-{i:04d}/index.html")
        elif kind == 1:
            paths.append(f"authors/author-{i:04d}/index.html")
        else:
            paths.append(f"media/images/photo-{i:04d}.width-800.jpg")
    return paths


def page_text(path: str, version: int) -> bytes:
    return f"<!doctype html><title>{path} v{version}</title>\n{FILLER}".encode()


def generate(build: Path, files: int) -> dict[str, FileEntry]:
    shutil.rmtree(build, ignore_errors=True)
    entries = {}
    for path in site_paths(files):
        data = page_text(path, 0)
        target = build / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        entries[path] = digest_bytes(data)
    Manifest("bench-0", entries).write(build)
    return entries


def copy_build(source: Path, build: Path) -> dict[str, FileEntry]:
    """A copy of a real build (``jamtail build`` output with its manifest)."""
    shutil.rmtree(build, ignore_errors=True)
    shutil.copytree(source, build)
    manifest = read_manifest(build)
    if manifest is None:
        sys.exit(f"{source} has no {MANIFEST_NAME}: build it with `jamtail build`")
    return manifest.files


def edited_paths(entries: dict[str, FileEntry], round_: int) -> list[str]:
    """A publish: one article, the home page and a feed change."""
    pages = sorted(p for p in entries if p.count("/") == 2 and p.endswith("/index.html"))
    feeds = sorted(p for p in entries if p.endswith(".xml") and "atom" in p) or ["sitemap.xml"]
    return [pages[round_ * 7919 % len(pages)], "index.html", feeds[0]]


def change_one_page(build: Path, entries: dict[str, FileEntry], round_: int) -> dict[str, bytes]:
    """Edit the files of one publish as a build would (new inodes); rewrite the manifest."""
    changed = {}
    for path in edited_paths(entries, round_):
        data = (build / path).read_bytes() + f"<!-- edit {round_} -->".encode()
        tmp = build / (path + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, build / path)
        entries[path] = digest_bytes(data)
        changed[path] = data
    Manifest(f"bench-{round_}", entries).write(build)
    return changed


def deploy(build: Path, env: dict[str, str], *extra: str) -> tuple[float, float, str]:
    """(wall seconds, seconds the deploy reports, last output line)."""
    cmd = [sys.executable, "-m", "jamtail.cli", "deploy", "--target", "local", "--dir", str(build)]
    started = time.perf_counter()
    out = subprocess.run([*cmd, *extra], env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    last = out.stdout.strip().splitlines()[-1]
    inner = re.search(r"in ([\d.]+) s", last)
    return wall, float(inner[1]) if inner else float("nan"), last


def check_current(
    deploy_dir: Path, build: Path, entries: dict[str, FileEntry], changed: dict[str, bytes]
) -> None:
    """The live release has the build's files: the same paths, the changed ones byte for byte."""
    current = deploy_dir / "current"
    found = {
        p.relative_to(current).as_posix()
        for p in current.rglob("*")
        if p.is_file() and p.name != MANIFEST_NAME
    }
    assert found == set(entries), "deployed tree has other files than the build"
    for path, data in changed.items():
        assert (current / path).read_bytes() == data, f"{path} differs"
    for path in random.Random(len(changed)).sample(sorted(entries), 50):
        assert (current / path).read_bytes() == (build / path).read_bytes(), f"{path} differs"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--files", type=int, default=13431)
    ap.add_argument("--rounds", type=int, default=12, help="one-page changes deployed")
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "out" / "deploy-local")
    ap.add_argument(
        "--from", dest="source", type=Path, help="copy this built site instead of generating one"
    )
    args = ap.parse_args()
    build, deploy_dir = args.work / "build", args.work / "deploy"
    started = time.perf_counter()
    entries = copy_build(args.source, build) if args.source else generate(build, args.files)
    shutil.rmtree(deploy_dir, ignore_errors=True)
    print(f"{len(entries)} files ready in {time.perf_counter() - started:.1f} s")
    env = {**os.environ, "JAMTAIL_DEPLOY_DIR": str(deploy_dir), "JAMTAIL_DEPLOY_KEEP": "5"}
    wall, inner, _ = deploy(build, env)
    print(f"first deploy: {wall:.3f} s wall, {inner:.3f} s in the deploy")
    growing, steady = [], []
    for round_ in range(1, args.rounds + 1):
        changed = change_one_page(build, entries, round_)
        releases_before = len(list((deploy_dir / "releases").iterdir()))
        wall, inner, _ = deploy(build, env)
        check_current(deploy_dir, build, entries, changed)
        (steady if releases_before >= 5 else growing).append((wall, inner))
        print(
            f"  round {round_:2d} ({releases_before} releases before): {wall:.3f} s wall, "
            f"{inner:.3f} s in the deploy"
        )
    for label, rows in (("until 5 releases", growing), ("steady state", steady)):
        if rows:
            print(
                f"{label}: median {statistics.median(r[0] for r in rows):.3f} s wall, "
                f"{statistics.median(r[1] for r in rows):.3f} s in the deploy ({len(rows)} deploys)"
            )
    wall, inner, _ = deploy(build, env, "--dry-run")
    print(f"dry run: {wall:.3f} s wall")


if __name__ == "__main__":
    main()
