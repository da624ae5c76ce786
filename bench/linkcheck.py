"""Benchmark: the link check stage (jamtail/links/) on a built site, cold and incremental.

Runs the stage as a build does, on a copy of a built site made of hard links
(nothing in the original is written): a cold check (nothing stored, every
HTML file read), on one process and on every core; the check after a build
that changed nothing; after a patch build that rewrote one page, adding a
broken link; after one that removed a file no page links to; and after a
build that removed a page (every stored link
checked again, no file read). Each incremental answer is compared with a
cold check of the same files. Prints wall and CPU seconds per case (on a
busy machine the CPU seconds are the steadier figure).

Usage: ``python bench/linkcheck.py [SITE_DIR]``; by default the 10,000-page
site that ``bench/large_site.py`` leaves in ``bench/out/site-10000/build``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jamtail.links import LinkStore, check_links, site_origin  # noqa: E402
from jamtail.render.parallel import default_jobs  # noqa: E402
from jamtail.write.manifest import Manifest, digest_file, read_manifest  # noqa: E402
from jamtail.write.writer import replace_file  # noqa: E402

DEFAULT = ROOT / "bench" / "out" / "site-10000" / "build"


def timed(label: str, func):
    """Run ``func``; print wall seconds and CPU seconds (this process and its workers)."""
    start, cpu = time.perf_counter(), _cpu()
    result = func()
    wall, used = time.perf_counter() - start, _cpu() - cpu
    print(f"  {label}: {wall:.2f} s ({used:.2f} s CPU)", flush=True)
    return result


def _cpu() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def main() -> int:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    manifest = read_manifest(source)
    if manifest is None:
        sys.exit(f"{source} is not a site built by jamtail (no manifest): run bench/large_site.py")
    work = Path(tempfile.mkdtemp(prefix="linkcheck-bench-"))
    try:
        site = work / "site"
        subprocess.run(["cp", "-al", str(source), str(site)], check=True)
        html = sum(1 for p in manifest.files if p.endswith(".html"))
        print(f"{source}: {len(manifest.files)} files, {html} HTML")
        origin = site_origin(_base_url(site))
        files = dict(manifest.files)

        def cold(jobs: int, files=files):
            store = LinkStore(work / f"cold-{jobs}.sqlite3")
            store.path.unlink(missing_ok=True)
            report, record = check_links(site, files, origin, None, store, jobs)
            record("cold")
            return report

        one = timed("cold check, 1 process", lambda: cold(1))
        jobs = default_jobs()
        timed(f"cold check, {jobs} processes", lambda: cold(jobs))
        print(f"    {len(one.broken)} broken links")

        store = LinkStore(work / "links.sqlite3")
        report, record = check_links(site, files, origin, None, store, jobs)
        record(manifest.build)
        previous = Manifest(manifest.build, files, broken_links=_pairs(report))

        again, _ = timed(
            "unchanged site, incremental",
            lambda: check_links(site, files, origin, previous, store, 1),
        )
        assert again.incremental and again.read == 0 and again.broken == report.broken

        page = next(p for p in sorted(files) if p.count("/") >= 2 and p.endswith("index.html"))
        text = (site / page).read_text().replace("</main>", '<a href="/no/such/page/">x</a></main>')
        replace_file(site / page, text.encode())
        edited = {**files, page: digest_file(site / page)}
        patched, record = timed(
            f"one page rewritten ({page}), incremental",
            lambda: check_links(site, edited, origin, previous, store, 1),
        )
        assert patched.incremental and patched.read == 1 and len(patched.new) == 1
        assert patched.broken == cold(1, edited).broken
        record("patched")

        previous = Manifest("patched", edited, broken_links=_pairs(patched))
        shard = next((p for p in sorted(edited) if p.startswith("_search/")), None)
        if shard:  # no page links to a search shard: the check stays incremental
            fewer = {p: e for p, e in edited.items() if p != shard}
            unlinked, _ = timed(
                f"one file no page links to removed ({shard}), incremental",
                lambda: check_links(site, fewer, origin, previous, store, 1),
            )
            assert unlinked.incremental and unlinked.broken == patched.broken
        gone = next(p for p in sorted(edited) if p.startswith("tags/") and p.endswith(".html"))
        (site / gone).unlink()
        fewer = {p: e for p, e in edited.items() if p != gone}
        removed, _ = timed(
            f"one page removed ({gone}), every stored link checked again",
            lambda: check_links(site, fewer, origin, previous, store, 1),
        )
        assert not removed.incremental and removed.read == 0
        assert removed.broken == cold(1, fewer).broken
        print(f"    {len(removed.new)} new broken links after the removal")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _pairs(report) -> list[tuple[str, str]]:
    return [(link.source, link.target) for link in report.broken]


def _base_url(site: Path) -> str:
    """The site's base URL, from the canonical link of its home page."""
    text = (site / "index.html").read_text()
    start = text.find('rel="canonical" href="')
    if start < 0:
        return ""
    start += len('rel="canonical" href="')
    return text[start : text.find('"', start)]


if __name__ == "__main__":
    sys.exit(main())
