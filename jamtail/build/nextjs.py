"""The Next.js front end (``next/``) as a build: ``JAMTAIL_FRONTEND=next jamtail build``.

Stages, each timed in :attr:`BuildResult.timings`:

    sync     the content cache up to date through the sync API, as the Jinja2 build does
             (the search index is made from it, whichever front end renders)
    install  ``npm ci`` in ``next/`` when ``node_modules`` is missing or older than the lockfile
    next     ``npm run build``: API types, the content read from the sync endpoint in one
             paged pass, ``next build`` (a static export in ``next/out/``), feeds, ``_redirects``
    outputs  the search index (``_search/``) and ``_headers`` from the CMS content
    commit   every file through :class:`~jamtail.write.writer.Writer`: a manifest, and the new
             site swapped in for ``out_dir`` in one step (the old one kept as the spare)

So the deploy backends (``jamtail/deploy/``) see a site directory like any other: the same
manifest, atomic swap and changed-files-only uploads. Any failure before ``commit`` leaves
``out_dir`` as it was. Raises :class:`NextBuildError` (a ``JamtailError``) with the tail of
npm's output when node or npm is missing or the Next build fails.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

from jamtail.build.pipeline import BuildConfig, BuildResult
from jamtail.content.client import CMSClient
from jamtail.content.sync import sync_content
from jamtail.exceptions import JamtailError
from jamtail.outputs import headers as headers_output
from jamtail.outputs import search as search_output
from jamtail.outputs.redirects import build_redirects
from jamtail.plan import planner
from jamtail.report import FULL
from jamtail.settings import FRONTENDS, Settings
from jamtail.write.writer import Writer

log = logging.getLogger(__name__)

__all__ = ["FRONTENDS", "NextBuildError", "build_next"]
NEXT_DIR = Path(__file__).resolve().parents[2] / "next"  # the repository's next/
OUTPUT_TAIL = 4000  # characters of npm's output kept in an error


def preview_csp(cms_origin: str, frame_ancestors: str = "") -> str:
    """The policy of ``/preview/``: the one page that runs React in the browser.

    Next's runtime bootstraps it with inline scripts, which the site-wide policy forbids;
    and Wagtail's live preview panel frames it, from the CMS's origin (or
    ``frame_ancestors``, ``JAMTAIL_PREVIEW_FRAME_ANCESTORS``, as for the Jinja2 preview
    function).
    """
    ancestors = frame_ancestors or cms_origin
    return headers_output.CSP.replace(
        "script-src 'self'", "script-src 'self' 'unsafe-inline'"
    ).replace("frame-ancestors 'none'", f"frame-ancestors 'self' {ancestors}".strip())


class NextBuildError(JamtailError):
    """The Next front end could not be built (npm missing, ``npm ci`` or ``next build`` failed)."""


def next_dir(settings: Settings) -> Path:
    """The Next project: ``JAMTAIL_NEXT_DIR`` or ``next/`` beside ``jamtail/``."""
    return settings.next_dir or NEXT_DIR


def npm() -> str:
    """The ``npm`` executable; raise :class:`NextBuildError` when npm or node is missing."""
    found = shutil.which("npm")
    if not found or not shutil.which("node"):
        raise NextBuildError(
            "JAMTAIL_FRONTEND=next needs Node.js 18.18+ and npm on PATH: install them, "
            "or build the Jinja2 site (unset JAMTAIL_FRONTEND)"
        )
    return found


def _run(args: list[str], cwd: Path, env: dict[str, str], what: str) -> str:
    """Run ``args``; its combined output, or :class:`NextBuildError` with the tail of it."""
    result = subprocess.run(
        args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    if result.returncode != 0:
        raise NextBuildError(
            f"{what} failed (exit {result.returncode}) in {cwd}:\n{result.stdout[-OUTPUT_TAIL:]}"
        )
    return result.stdout


def check_project(project: Path) -> None:
    """Raise :class:`NextBuildError` unless ``project`` has a package.json and its lockfile."""
    for name in ("package.json", "package-lock.json"):
        if not (project / name).is_file():
            raise NextBuildError(
                f"{project / name} is missing: JAMTAIL_NEXT_DIR must name the Next front end "
                "(next/), which installs from its lockfile"
            )


def ensure_installed(project: Path) -> bool:
    """``npm ci`` (from the lockfile only) unless ``node_modules`` is newer; True if it ran."""
    marker = project / "node_modules" / ".package-lock.json"
    lock = project / "package-lock.json"
    if marker.exists() and marker.stat().st_mtime >= lock.stat().st_mtime:
        return False
    _run([npm(), "ci", "--no-audit", "--no-fund"], project, dict(os.environ), "npm ci")
    return True


def run_next_build(project: Path, api_url: str) -> Path:
    """``npm run build`` against the CMS at ``api_url``; the exported site (``out/``).

    Builds of one project take turns (:func:`build_next` holds an exclusive lock on
    ``.build.lock``): they share ``node_modules/``, ``.next/``, ``.content/`` and
    ``out/``, and the export is copied while the lock is held.
    """
    env = {**os.environ, "JAMTAIL_API_URL": api_url, "NEXT_TELEMETRY_DISABLED": "1"}
    output = _run([npm(), "run", "build"], project, env, "the Next build (npm run build)")
    log.info("next build: %s", output[-OUTPUT_TAIL:])
    out = project / "out"
    if not (out / "index.html").exists():
        raise NextBuildError(f"the Next build wrote no {out / 'index.html'}")
    return out


def build_headers(cms_origin: str, frame_ancestors: str = "") -> bytes:
    """``_headers``: the Jinja2 site's rules, then the Next site's own."""
    own = [
        ("/_next/static/*", [("Cache-Control", "public, max-age=31536000, immutable")]),
        (
            "/preview/*",
            [
                ("Content-Security-Policy", preview_csp(cms_origin, frame_ancestors)),
                ("X-Robots-Tag", "noindex"),
            ],
        ),
    ]
    lines = ["# Generated by Jamtail (Next.js front end)."]
    for path, rules in [*headers_output.RULES, *own]:
        lines.append(path)
        lines.extend(f"  {name}: {value}" for name, value in rules)
    return ("\n".join(lines) + "\n").encode()


def build_next(config: BuildConfig) -> BuildResult:
    """Build the Next front end into ``config.out_dir``; see the module docstring."""
    result = BuildResult(kind=FULL, reason="the Next front end exports every page")
    started = time.perf_counter()

    def timed(stage: str, func):
        begun = time.perf_counter()
        try:
            return func()
        finally:
            result.timings[stage] = time.perf_counter() - begun

    settings = config.settings
    project = next_dir(settings)
    check_project(project)  # fail before syncing: a misconfiguration costs no CMS requests
    npm()
    client = CMSClient(config.api_url)
    content, _ = timed("sync", lambda: sync_content(client, config.cache_dir, full=config.full))
    site_plan = timed("plan", lambda: planner.plan(content, functions_url=settings.functions_url))
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(client.api_url))
    with open(project / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        timed("install", lambda: ensure_installed(project))
        out = timed("next", lambda: run_next_build(project, client.api_url))
        writer = Writer(config.out_dir)
        try:
            files = timed(
                "commit",
                lambda: _write(writer, out, site_plan, origin, settings.preview_frame_ancestors),
            )
            writer.commit()
        except BaseException:
            writer.abort()
            raise
    result.pages = files
    result.rendered = files
    result.files, result.bytes = writer.files, writer.bytes
    result.seconds = time.perf_counter() - started
    return result


def _write(
    writer: Writer,
    out: Path,
    site_plan: planner.SitePlan,
    cms_origin: str,
    frame_ancestors: str = "",
) -> int:
    """Every file of the export, the search index, ``_headers`` and ``_redirects`` (the
    Jinja2 build's own generators: one set of CDN rules whatever renders the pages);
    the number of HTML pages."""
    pages = 0
    for path in sorted(out.rglob("*")):
        if path.is_file():
            rel = path.relative_to(out).as_posix()
            writer.write(rel, path.read_bytes(), "next export")
            pages += rel.endswith(".html")
    for rel, data in search_output.build_search_index(site_plan):
        writer.write(rel, data, "search index")
    writer.write("_headers", build_headers(cms_origin, frame_ancestors), "headers")
    for rel, data in build_redirects(site_plan):
        writer.write(rel, data, "redirects")
    return pages
