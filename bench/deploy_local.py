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

Usage: ``python bench/deploy_local.py [--files 13431] [--rounds 12] [--work DIR]``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jamtail.manifest import Manifest, digest_bytes  # noqa: E402

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


def generate(build: Path, files: int) -> dict[str, bytes]:
    shutil.rmtree(build, ignore_errors=True)
    contents = {p: page_text(p, 0) for p in site_paths(files)}
    for path, data in contents.items():
        target = build / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    write_manifest(build, contents, "bench-0")
    return contents


def write_manifest(build: Path, contents: dict[str, bytes], build_id: str) -> None:
    Manifest(build_id, {p: digest_bytes(d) for p, d in contents.items()}).write(build)


def change_one_page(build: Path, contents: dict[str, bytes], round_: int) -> None:
    """A publish: one article, its section listing and the feed change (new inodes, as a build)."""
    page = f"{SECTIONS[round_ * 7 % 8]}/post-{round_ * 7:05d}/index.html"
    for path in (page, "index.html", "atom.xml"):
        contents[path] = page_text(path, round_)
        tmp = build / (path + ".tmp")
        tmp.write_bytes(contents[path])
        os.replace(tmp, build / path)
    write_manifest(build, contents, f"bench-{round_}")


def deploy(build: Path, env: dict[str, str], *extra: str) -> tuple[float, float, str]:
    """(wall seconds, seconds the deploy reports, last output line)."""
    cmd = [sys.executable, "-m", "jamtail.cli", "deploy", "--target", "local", "--dir", str(build)]
    started = time.perf_counter()
    out = subprocess.run([*cmd, *extra], env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    last = out.stdout.strip().splitlines()[-1]
    inner = re.search(r"in ([\d.]+) s", last)
    return wall, float(inner[1]) if inner else float("nan"), last


def check_current(deploy_dir: Path, contents: dict[str, bytes]) -> None:
    current = deploy_dir / "current"
    found = {
        p.relative_to(current).as_posix()
        for p in current.rglob("*")
        if p.is_file() and p.name != ".jamtail-manifest.json"
    }
    assert found == set(contents), "deployed tree has other files than the build"
    for path in ("index.html", "atom.xml"):
        assert (current / path).read_bytes() == contents[path], f"{path} differs"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--files", type=int, default=13431)
    ap.add_argument("--rounds", type=int, default=12, help="one-page changes deployed")
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "out" / "deploy-local")
    args = ap.parse_args()
    build, deploy_dir = args.work / "build", args.work / "deploy"
    started = time.perf_counter()
    contents = generate(build, args.files)
    shutil.rmtree(deploy_dir, ignore_errors=True)
    print(f"{len(contents)} files generated in {time.perf_counter() - started:.1f} s")
    env = {**os.environ, "JAMTAIL_DEPLOY_DIR": str(deploy_dir), "JAMTAIL_DEPLOY_KEEP": "5"}
    wall, inner, _ = deploy(build, env)
    print(f"first deploy: {wall:.3f} s wall, {inner:.3f} s in the deploy")
    growing, steady = [], []
    for round_ in range(1, args.rounds + 1):
        change_one_page(build, contents, round_)
        releases_before = len(list((deploy_dir / "releases").iterdir()))
        wall, inner, _ = deploy(build, env)
        check_current(deploy_dir, contents)
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
