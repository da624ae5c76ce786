"""``build()``: the whole static build as a straight line of named stages.

    gather   read settings, pages, authors, redirects from the CMS API
    localise rewrite media URLs to site paths, list the files to copy
    plan     decide every output and its context
    highlight  syntax-highlight code blocks (cached between builds)
    render   Jinja2 templates -> HTML, written to a staging directory
    outputs  sitemap, feeds, robots.txt, _redirects
    assets   fingerprinted static files
    media    images and documents, through the download cache
    commit   swap the staging directory into place (atomic)

Any failure before ``commit`` discards the staging directory, so the previous
site in ``out_dir`` stays exactly as it was.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from . import plan as planner
from .assets import AssetManifest
from .client import CMSClient
from .gather import gather
from .highlight import HighlightCache, code_blocks
from .media import MediaLocaliser, MediaStore
from .outputs import OUTPUTS
from .parallel import default_jobs, render_to_paths
from .render import Renderer
from .writer import Writer

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


@dataclass
class BuildConfig:
    """What to build and where.

    ``api_url``: the CMS API root. ``out_dir``: the site directory to replace.
    ``site_dir``: holds ``templates/`` and ``static/``. ``cache_dir``: the
    media download cache, kept between builds. ``jobs``: rendering processes.
    """

    api_url: str
    out_dir: Path
    site_dir: Path
    cache_dir: Path
    jobs: int = field(default_factory=default_jobs)


@dataclass
class BuildResult:
    """Counts and timings of a finished build (seconds per stage in ``timings``)."""

    pages: int = 0
    files: int = 0
    bytes: int = 0
    downloaded: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        """One line: ``Built 812 pages, 1190 files, 23.4 MB in 5.21 s``."""
        return (
            f"Built {self.pages} pages, {self.files} files, "
            f"{self.bytes / 1e6:.1f} MB in {self.seconds:.2f} s"
        )


def build(config: BuildConfig, progress: Progress | None = None) -> BuildResult:
    """Build the site from the CMS into ``config.out_dir``; raise ``JamtailError`` on failure."""
    result = BuildResult()
    started = time.perf_counter()
    client = CMSClient(config.api_url)
    clock = _Clock(result)

    content = clock("gather", lambda: gather(client))
    localiser = MediaLocaliser(
        client.api_url, content.settings.get("media_url", "/media/"), content.site_origin
    )
    content.pages = clock("localise", lambda: localiser.localise(content.pages))
    content.authors = localiser.localise(content.authors)
    site_plan = clock("plan", lambda: planner.plan(content))
    assets = AssetManifest(config.site_dir / "static")
    renderer = Renderer(config.site_dir / "templates", site_plan.site, assets.url)

    highlights = HighlightCache(config.cache_dir / "highlight.sqlite3")
    clock("highlight", lambda: _prime(highlights, site_plan))

    writer = Writer(config.out_dir)
    try:
        clock("render", lambda: _render_all(site_plan, renderer, writer, config.jobs, progress))
        clock("outputs", lambda: _write_outputs(site_plan, writer))
        for path, data in assets:
            writer.write(path, data, "static assets")
        media = {
            writer.path_for(unquote(urlsplit(local).path), f"media file {local}"): source
            for local, source in localiser.files.items()
        }
        store = MediaStore(client, config.cache_dir / "media")
        result.downloaded = clock("media", lambda: store.place(media))
        writer.count_placed(list(media))
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    highlights.save()
    result.pages = len(site_plan.outputs)
    result.files, result.bytes = writer.files, writer.bytes
    result.seconds = time.perf_counter() - started
    return result


def _render_all(site_plan, renderer: Renderer, writer: Writer, jobs: int, progress) -> None:
    paths = [writer.path_for(o.path, o.source) for o in site_plan.outputs]
    size = render_to_paths(renderer, site_plan.outputs, paths, jobs, progress)
    writer.count(len(paths), size)


def _prime(highlights: HighlightCache, site_plan) -> None:
    highlights.load()
    highlights.prime(code_blocks(site_plan.pages))


def _write_outputs(site_plan, writer: Writer) -> None:
    for name, produce in OUTPUTS:
        for path, data in produce(site_plan):
            writer.write(path, data, name)


class _Clock:
    """Run a stage and record its duration in ``result.timings``."""

    def __init__(self, result: BuildResult):
        self.result = result

    def __call__(self, stage: str, func: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        try:
            return func()
        finally:
            self.result.timings[stage] = time.perf_counter() - start
            log.debug("stage %s: %.3f s", stage, self.result.timings[stage])
