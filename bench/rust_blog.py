"""Benchmark: import the Rust blog into a fresh CMS and build it; compare with Hugo.

Prints, for the corpus at ``../shared/corpora/rust-blog/content`` (or
``$JAMTAIL_CORPORA``):

- import seconds and peak memory (PSS) of ``manage.py import_markdown``;
- first build (renditions made by the CMS) and second build (unchanged
  content): seconds, pages per second, builder peak memory (PSS), CMS peak memory (PSS);
- issue 14's two figures, each the median of 5: a cold first build (an
  empty build cache, so a full sync, the CMS's renditions made already) and
  a full render (no previous build, the caches warm);
- Debian's ``hugo`` on the same Markdown with a minimal theme (median of 5), and
  the ratios to it (issue 14's targets: at most 1.5x and 1.0x). The three
  take turns, and are timed without watching memory (see :func:`timed`).

Usage: ``python bench/rust_blog.py [--keep DIR]``. Runs on loopback only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.cms_process import CMSProcess  # noqa: E402
from tests.corpora import missing_message, rust_blog_content  # noqa: E402

HUGO_LAYOUTS = {
    "_default/baseof.html": (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>{{ .Title }}</title>"
        "</head><body><nav>{{ range .Site.Sections }}<a href='{{ .RelPermalink }}'>"
        '{{ .Title }}</a> {{ end }}</nav><main>{{ block "main" . }}{{ end }}</main></body></html>'
    ),
    "_default/single.html": (
        '{{ define "main" }}<article><h1>{{ .Title }}</h1>'
        '<p>{{ with .Params.authors }}{{ delimit . ", " }}{{ end }}</p>'
        "{{ .Content }}</article>{{ end }}"
    ),
    "_default/list.html": (
        '{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}<ul>'
        "{{ range (.Paginate .Pages).Pages }}<li><a href='{{ .RelPermalink }}'>{{ .Title }}</a>"
        '</li>{{ end }}</ul>{{ template "_internal/pagination.html" . }}{{ end }}'
    ),
}


class PeakRSS:
    """Poll a process tree's memory every 20 ms; ``peak`` in bytes.

    Uses PSS (proportional set size) where the OS reports it, so pages that
    forked rendering workers share with their parent are counted once.
    """

    def __init__(self, pid: int):
        self.process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            try:
                procs = [self.process, *self.process.children(recursive=True)]
                self.peak = max(self.peak, sum(_footprint(p) for p in procs))
            except psutil.Error:
                pass
            time.sleep(0.02)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def _footprint(process: psutil.Process) -> int:
    try:
        return process.memory_full_info().pss
    except (psutil.AccessDenied, AttributeError):
        return process.memory_info().rss


def timed(command: list[str], env: dict[str, str], poll: bool = True) -> tuple[float, int, str]:
    """Run ``command``; return (seconds, peak memory in bytes, stdout) or exit on failure.

    Without ``poll``, memory is not watched (peak 0): reading every process's
    PSS each 20 ms takes CPU from the run, more from a build of three
    processes than from Hugo's one, so speed ratios are timed without it.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    rss = PeakRSS(proc.pid) if poll else None
    out, _ = proc.communicate()
    seconds = time.perf_counter() - start
    peak = rss.stop() if rss else 0
    if proc.returncode != 0:
        sys.exit(f"{' '.join(command)} failed with exit code {proc.returncode}:\n{out[-2000:]}")
    return seconds, peak, out


def hugo_site(workdir: Path, content: Path) -> Path:
    site = workdir / "hugo"
    for name, text in HUGO_LAYOUTS.items():
        path = site / "layouts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (site / "hugo.toml").write_text(
        'baseURL = "https://example.org/"\ntitle = "Rust Blog"\n'
        f'contentDir = "{content}"\npaginate = 10\n'
        "[markup.goldmark.renderer]\nunsafe = true\n"
        "[markup.highlight]\ncodeFences = true\nnoClasses = false\n"
    )
    return site


def interleaved(rounds: int, *runs: tuple[list[str], Callable[[], None]]) -> list[list[float]]:
    """Seconds of ``rounds`` runs of each ``(command, prepare)``, ``prepare()`` first,
    taking turns, so a busier moment of the shared machine weighs on all alike."""
    seconds: list[list[float]] = [[] for _ in runs]
    for _ in range(rounds):
        for mine, (command, prepare) in zip(seconds, runs, strict=True):
            prepare()
            mine.append(timed(command, os.environ.copy(), poll=False)[0])
    return seconds


def forget_build(workdir: Path, cache: bool = False) -> None:
    """Remove the last build and its link and dependency state (with ``cache``, the whole
    build cache): the next build is full."""
    for name in ("build", ".build.spare", *(["cache"] if cache else [])):
        shutil.rmtree(workdir / name, ignore_errors=True)
    for state in ("graph.sqlite3", "links.sqlite3"):
        (workdir / "cache" / state).unlink(missing_ok=True)


ROUNDS = 5  # of each timed build, taking turns with Hugo


def _secs(runs: list[float]) -> str:
    return f"median {statistics.median(runs):.2f} s of {', '.join(f'{r:.2f}' for r in runs)}"


def mb(n: int) -> str:
    return f"{n / 2**20:.0f} MB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", help="keep the data and builds in this directory")
    args = parser.parse_args()
    content = rust_blog_content()
    if not content.is_dir():
        sys.exit(missing_message(content))
    workdir = Path(args.keep or tempfile.mkdtemp(prefix="jamtail-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    cms = CMSProcess(workdir / "cms")
    cms.data_dir.mkdir(parents=True, exist_ok=True)
    cms.manage("migrate", "--no-input", "-v0")
    files = sum(1 for _ in content.rglob("*.md"))

    seconds, peak, _ = timed(
        [
            sys.executable,
            "manage.py",
            "import_markdown",
            str(content),
            "--parent",
            "/",
            "--slug",
            "blog",
        ],
        cms.env,
    )
    print(f"corpus: {files} Markdown files ({content})")
    print(f"import: {seconds:.1f} s, {files / seconds:.0f} files/s, peak memory (PSS) {mb(peak)}")

    cms.start()
    try:
        cms_rss = PeakRSS(cms.process.pid)
        build = [
            sys.executable,
            "-m",
            "jamtail.cli",
            "build",
            "--api",
            cms.api_url,
            "--out",
            str(workdir / "build"),
            "--cache",
            str(workdir / "cache"),
            "--timings",
        ]
        results = []
        for label in ("first build (renditions made)", "second build (unchanged content)"):
            seconds, peak, out = timed(build, os.environ.copy())
            pages = int(out.split()[1])
            results.append(seconds)
            print(
                f"{label}: {seconds:.2f} s, {pages / seconds:.0f} pages/s, "
                f"builder peak memory (PSS) {mb(peak)}"
            )
            print(f"  {out.strip().splitlines()[-1].strip()}")
        print(f"CMS peak memory (PSS) during builds: {mb(cms_rss.stop())}")
        hugo = shutil.which("hugo")
        turns = [
            (build, lambda: forget_build(workdir, cache=True)),
            (build, lambda: forget_build(workdir)),
        ]
        if hugo:
            site = hugo_site(workdir, content)
            public = site / "public"
            turns.append(([hugo, "--quiet", "-s", str(site)], lambda: shutil.rmtree(public, True)))
        cold, full, *hugo_runs = interleaved(ROUNDS, *turns)
        print(f"cold first build (empty build cache, full sync): {_secs(cold)}")
        print(f"full render (no previous build, caches warm): {_secs(full)}")
    finally:
        cms.stop()

    if not hugo:
        print("hugo: not installed (apt-get install hugo); no comparison")
        return 0
    hugo_median = statistics.median(hugo_runs[0])
    version = subprocess.run([hugo, "version"], capture_output=True, text=True).stdout
    print(f"hugo {version.split()[1]}: {_secs(hugo_runs[0])}")
    print(f"ratio, second build / hugo: {results[1] / hugo_median:.2f}x")
    for label, ours, target in (("cold first build", cold, 1.5), ("full render", full, 1.0)):
        ratio = statistics.median(ours) / hugo_median
        print(f"ratio, {label} / hugo: {ratio:.2f}x (target <= {target}x)")
    print(f"load average {os.getloadavg()[0]:.1f}")
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
