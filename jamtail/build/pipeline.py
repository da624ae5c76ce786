"""``build()``: the whole static build as a straight line of named stages.

Each stage is a function taking the :class:`Run` (configuration, CMS client,
result, timings) and the typed results of the stages before it:

    sync_stage     bring the content cache up to date through the CMS sync API
                   (jamtail/content/sync.py)                                  -> Delta
    patch_stage    if the change allows it, a patch build's plan (jamtail/build/patch.py);
                   the patch build then renders, checks links and commits -> Patch
    plan_stage     read the cache, localise media URLs, plan every output, fingerprint
                   its inputs, decide what to render                  -> Planned
    render_stage   link unchanged HTML from the live site, highlight code, render the
                   rest with Jinja2 into a staging directory          -> Rendered
    outputs_stage  sitemap, feeds, robots.txt, _redirects, _headers, search index
                                                                      -> GeneratorRun by name
    files_stage    fingerprinted static assets; media through the download cache
    links_stage    check every internal link of the staged site (jamtail/links/)
                                                                      -> LinkCheck
    write_stage    swap the staging directory into place (atomic), record the graph

Deploying is the CLI's (jamtail/cli.py). Each stage's time is in
``BuildResult.timings`` under the names the stage documents.

Any failure before the swap discards the staging directory, so the previous
site in ``out_dir`` stays exactly as it was.

Builds are incremental (see :mod:`jamtail.plan.incremental`): after planning, each
output's inputs are fingerprinted and compared with the dependency graph of
the build that produced ``out_dir`` (:mod:`jamtail.plan.graph`, under the cache
directory). Unchanged outputs are hard-linked from the live site into the
staging directory, only the rest is rendered, and the swap stays atomic.
``BuildConfig.full`` (``jamtail build --full``) ignores the graph. When
editors only changed what pages say, a patch build skips reading and
planning the whole site: it re-renders the outputs the graph says show the
changed pages (see :mod:`jamtail.build.patch`).
"""

from __future__ import annotations

import logging
import os
import pickle
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from jamtail.build.patch import PATCHED, NotPatchable, Patch, prepare
from jamtail.build.patch import apply as apply_patch
from jamtail.build.patch import finish as finish_patch
from jamtail.content.cache import Delta
from jamtail.content.client import CMSClient
from jamtail.content.gather import Content
from jamtail.content.lazy import LazyPage
from jamtail.content.media import MediaLocaliser, MediaStore, localise_pages
from jamtail.content.sync import read_content, sync
from jamtail.exceptions import OutputError
from jamtail.links import BrokenLink, LinkReport, LinkStore, check_links, site_origin
from jamtail.outputs import OUTPUTS, Generator
from jamtail.plan import planner
from jamtail.plan.graph import BuildGraph, GraphStore, OutputRecord
from jamtail.plan.incremental import (
    Decision,
    Inputs,
    builder_fingerprint,
    content_changes,
    plan_rebuild,
    skeleton,
)
from jamtail.plan.planner import Output, SitePlan
from jamtail.render.assets import AssetManifest
from jamtail.render.highlight import HighlightCache, code_blocks
from jamtail.render.links import PageLinks, page_url
from jamtail.render.parallel import LinkScan, default_jobs, render_to_paths
from jamtail.render.renderer import Renderer, bytecode_dir
from jamtail.report import FULL, INCREMENTAL, PATCH, BuildReport
from jamtail.settings import Settings
from jamtail.write.manifest import FileEntry, Manifest, digest_file, read_manifest
from jamtail.write.writer import Writer

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
T = TypeVar("T")
PRIME_THRESHOLD = 200  # outputs to render before the highlight cache is loaded up front


@dataclass
class BuildConfig:
    """What to build and where.

    ``api_url``: the CMS API root. ``out_dir``: the site directory to replace.
    ``site_dir``: holds ``templates/`` and ``static/``. ``cache_dir``: the
    media download cache and the dependency graph, kept between builds.
    ``jobs``: rendering processes. ``full``: ignore the graph, render everything.
    ``settings``: the rest of the configuration (:class:`~jamtail.settings.Settings`;
    its defaults unless the entry point read the environment into it).
    """

    api_url: str
    out_dir: Path
    site_dir: Path
    cache_dir: Path
    jobs: int = field(default_factory=default_jobs)
    full: bool = False
    settings: Settings = field(default_factory=Settings)


@dataclass
class BuildResult:
    """Counts and timings of a finished build (seconds per stage in ``timings``).

    ``rendered``: HTML outputs rendered this time (the rest were unchanged).
    ``rebuilt``: ``(path, reason)`` for every file written anew, in output
    order; ``removed``: paths of the previous build that are gone.
    ``patched``: it was a patch build (:mod:`jamtail.build.patch`); else
    ``why_not_patch`` says why not (empty for a full build). ``kind`` is
    ``full``, ``incremental`` or ``patch`` and ``reason`` says why.
    ``warnings``: what the builder logged as a warning during the build.
    ``broken_links``: every broken internal link of the new site, sorted;
    ``new_broken_links``: those the site it replaced did not have
    (:mod:`jamtail.links`). The build succeeds with them: a deploy refuses
    new ones (see :func:`jamtail.links.gate.refuse_new_broken_links`).
    :meth:`report` is the form other programs read (:mod:`jamtail.report`).
    """

    pages: int = 0
    files: int = 0
    bytes: int = 0
    downloaded: int = 0
    rendered: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    rebuilt: list[tuple[str, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    patched: bool = False
    why_not_patch: str = ""
    kind: str = INCREMENTAL
    reason: str = ""
    warnings: list[str] = field(default_factory=list)
    broken_links: list[BrokenLink] = field(default_factory=list)
    new_broken_links: list[BrokenLink] = field(default_factory=list)

    def summary(self) -> str:
        """One line: ``Built 812 pages (3 rendered), 1190 files, 23.4 MB in 5.21 s``."""
        return (
            f"Built {self.pages} pages ({self.rendered} rendered), {self.files} files, "
            f"{self.bytes / 1e6:.1f} MB in {self.seconds:.2f} s"
        )

    def report(self) -> BuildReport:
        """The build's :class:`~jamtail.report.BuildReport` (no deploy yet: the CLI adds it)."""
        return BuildReport(
            kind=self.kind,
            reason=self.reason,
            pages=self.pages,
            pages_rebuilt=self.rendered,
            outputs_written=len(self.rebuilt),
            outputs_kept=max(0, self.pages - self.rendered),
            outputs_deleted=len(self.removed),
            files=self.files,
            bytes=self.bytes,
            media_downloaded=self.downloaded,
            seconds=round(self.seconds, 3),
            durations={stage: round(s, 4) for stage, s in self.timings.items()},
            warnings=list(self.warnings),
            broken_links=[link.as_dict() for link in self.broken_links],
            new_broken_links=[link.as_dict() for link in self.new_broken_links],
        )

    def explanation(self) -> list[str]:
        """``path: reason`` for each rebuilt file, then ``path: removed`` lines."""
        return [f"{path}: {why}" for path, why in self.rebuilt] + [
            f"{path}: removed (no output produces it any more)" for path in self.removed
        ]


def build(
    config: BuildConfig,
    progress: Progress | None = None,
    sync_progress: Callable[[int], None] | None = None,
) -> BuildResult:
    """Build the site from the CMS into ``config.out_dir``; raise ``JamtailError`` on failure.

    ``progress(done, total)`` follows the render; ``sync_progress(items)`` the
    sync (items received so far).

    Syncs the content cache, then makes a patch build (:mod:`jamtail.build.patch`)
    when the change allows one, else an incremental (or full) build. The
    stages, in order, are the functions named ``*_stage`` below; each takes
    the :class:`Run` and the typed results of the stages before it.
    """
    client = CMSClient(config.api_url)
    run = Run(config, client, BuildResult(), progress, time.perf_counter(), sync_progress)
    with _warnings_into(run.result.warnings):
        delta = run.timed("sync", lambda: sync_stage(run))
        patch = patch_stage(run, delta)
        if patch is not None:
            try:
                return _patch_build(run, patch)
            except NotPatchable as exc:  # found while writing; nothing was committed
                log.info("an incremental build after all, not a patch build: %s", exc)
                run.result.why_not_patch = run.result.reason = str(exc)
        return _incremental_build(run, delta)


@dataclass
class Run:
    """What every stage of one build shares: the configuration, the CMS client,
    the result being filled in, the render's progress callback, the start time
    (``time.perf_counter()`` seconds) and the sync's progress callback."""

    config: BuildConfig
    client: CMSClient
    result: BuildResult
    progress: Progress | None
    started: float
    sync_progress: Callable[[int], None] | None = None

    def timed(self, stage: str, func: Callable[[], T]) -> T:
        """Run ``func``; record its duration (seconds) as ``result.timings[stage]``."""
        start = time.perf_counter()
        try:
            return func()
        finally:
            self.result.timings[stage] = time.perf_counter() - start
            log.debug("stage %s: %.3f s", stage, self.result.timings[stage])


@dataclass
class Previous:
    """The build this one builds on: its dependency ``graph`` and ``manifest``,
    both ``None`` with ``why_full`` saying why when there is none (a full build)."""

    graph: BuildGraph | None
    manifest: Manifest | None
    why_full: str


@dataclass
class Planned:
    """The plan stage's result: the localised content's :class:`~jamtail.plan.planner.SitePlan`,
    what renders it, the previous build, every output's inputs and the decision
    of what to render and what to reuse."""

    content: Content
    site_plan: SitePlan
    localiser: MediaLocaliser
    assets: AssetManifest
    renderer: Renderer
    store: GraphStore
    previous: Previous
    inputs: Inputs
    decision: Decision


@dataclass
class Rendered:
    """The render stage's result: the HTML outputs rendered (``outputs``), the graph
    records of every HTML output in the new site, the highlight cache to save, and
    the links of the HTML files rendered, by site path (for the links stage)."""

    outputs: list[Output]
    records: list[OutputRecord]
    highlights: HighlightCache
    links: dict[str, PageLinks] = field(default_factory=dict)


@dataclass
class GeneratorRun:
    """What one non-HTML output (:mod:`jamtail.outputs`) did: its inputs' ``key``,
    the site ``paths`` of its files and why it ran (``""``: reused unchanged)."""

    key: str
    paths: list[str]
    reason: str


@dataclass
class LinkCheck:
    """The links stage's result: the :class:`~jamtail.links.LinkReport` and the
    function that records it under the new build's id once the site is committed."""

    report: LinkReport
    record: Callable[[str], None]


def sync_stage(run: Run) -> Delta:
    """Bring the content cache under ``cache_dir`` up to date (see :mod:`jamtail.content.sync`)."""
    return sync(run.client, run.config.cache_dir, run.config.full, run.sync_progress)


def patch_stage(run: Run, delta: Delta) -> Patch | None:
    """A patch build's plan when the change allows one (:func:`jamtail.build.patch.prepare`), else
    ``None`` with ``result.why_not_patch`` and ``result.reason`` saying why (if not full)."""
    config = run.config
    if delta.gathered is not None or config.full:
        return None
    try:
        return run.timed(
            "patch",
            lambda: prepare(
                run.client.api_url,
                config.out_dir,
                config.site_dir,
                config.cache_dir,
                config.settings,
            ),
        )
    except NotPatchable as exc:
        log.info("an incremental build, not a patch build: %s", exc)
        run.result.why_not_patch = run.result.reason = str(exc)
        return None


def _patch_build(run: Run, patch: Patch) -> BuildResult:
    """The patch build: re-render what shows the changed pages, check links, commit."""
    config = run.config
    writer = run.timed(
        "render",
        lambda: apply_patch(
            patch, config.out_dir, config.site_dir, config.cache_dir, config.jobs, run.progress
        ),
    )
    try:
        origin = site_origin(patch.site.get("base_url", ""))
        links = links_stage(run, writer, origin, patch.manifest)
        finish_patch(patch, writer, config.cache_dir, *_pairs(links.report))
    except BaseException:
        writer.abort()
        raise
    links.record(writer.build_id)
    _report_links(run.result, links.report)
    result = run.result
    result.pages = patch.count
    result.rendered = len(patch.outputs)
    result.rebuilt = [(o.path, patch.reasons[o.path]) for o, _, _ in patch.outputs]
    result.rebuilt += [
        (path, "a changed page is in it")
        for name in PATCHED
        for path, data in patch.files[name]
        if not isinstance(data, Path)
    ]
    result.patched = True
    result.kind, result.reason = PATCH, "only what pages say changed"
    result.files, result.bytes = writer.files, writer.bytes
    result.seconds = time.perf_counter() - run.started
    return result


def _incremental_build(run: Run, delta: Delta) -> BuildResult:
    """The incremental (or full) build: plan the whole site, render what changed."""
    if delta.gathered is not None:
        content = delta.gathered
    else:
        content = run.timed("read", lambda: read_content(run.config.cache_dir))
    planned = plan_stage(run, content)
    writer = Writer(run.config.out_dir)
    try:
        rendered = render_stage(run, planned, writer)
        generated = outputs_stage(run, planned, writer)
        files_stage(run, planned, writer)
        manifest = planned.previous.manifest or read_manifest(run.config.out_dir)
        links = links_stage(
            run, writer, _origin(planned), manifest, full=run.config.full, known=rendered.links
        )
    except BaseException:
        writer.abort()
        raise
    write_stage(run, planned, rendered, generated, links, delta, writer)
    return _incremental_result(run, planned, rendered, generated, writer)


def plan_stage(run: Run, content: Content) -> Planned:
    """Localise media URLs, plan every output, fingerprint its inputs and decide
    what to render against the previous build (timed as ``localise``, ``plan``,
    ``fingerprint`` and ``decide``)."""
    config = run.config
    localiser = MediaLocaliser(
        run.client.api_url, content.settings.get("media_url", "/media/"), content.site_origin
    )
    content.pages, media_of = run.timed(
        "localise", lambda: localise_pages(content.pages, localiser, run.config.jobs)
    )
    content.authors = localiser.localise(content.authors)
    site_plan = run.timed(
        "plan", lambda: planner.plan(content, functions_url=config.settings.functions_url)
    )
    assets = AssetManifest(config.site_dir / "static")
    templates_dir = config.site_dir / "templates"
    jinja = bytecode_dir(config.cache_dir, builder_fingerprint())
    renderer = Renderer(templates_dir, site_plan.site, assets.url, jinja)

    store = GraphStore(config.cache_dir / "graph.sqlite3")
    previous = _previous(config, store)
    inputs = run.timed(
        "fingerprint",
        lambda: Inputs.of(
            site_plan,
            templates_dir,
            (n for n, _ in assets),
            previous.graph,
            media_of,
            config.settings,
        ),
    )
    inputs.globals["media"] = localiser.key  # a patch build localises as this one did
    renderer.fragments.page_keys = {pid: rec.hash for pid, rec in inputs.pages.items()}
    decision = run.timed(
        "decide",
        lambda: plan_rebuild(site_plan.outputs, inputs, previous.graph, previous.why_full),
    )
    return Planned(
        content, site_plan, localiser, assets, renderer, store, previous, inputs, decision
    )


def render_stage(run: Run, planned: Planned, writer: Writer) -> Rendered:
    """Link unchanged HTML outputs from the live site and render the rest into
    the staging directory (timed as ``reuse``, ``highlight`` and ``render``)."""
    site_plan, decision = planned.site_plan, planned.decision
    records = run.timed(
        "reuse", lambda: _reuse(site_plan, decision, planned.previous.manifest, writer)
    )
    to_render = [site_plan.outputs[i] for i in decision.render]
    highlights = HighlightCache(run.config.cache_dir / "highlight.sqlite3")
    run.timed("highlight", lambda: _prime(highlights, to_render, run.config.jobs))
    rendered = Rendered(to_render, records, highlights)
    run.timed("render", lambda: _render(run, planned, rendered, writer))
    return rendered


def outputs_stage(run: Run, planned: Planned, writer: Writer) -> dict[str, GeneratorRun]:
    """Run or reuse each generator of :data:`jamtail.outputs.OUTPUTS`, by name.

    A generator that declares an ``update`` form is given the files it wrote
    last time and may answer a file unchanged by yielding its previous path,
    which is linked instead of written. Generators may yield lazily: each
    file is written as it comes. Timed as ``outputs``, and the generators
    that run as ``outputs.<name>``.
    """
    return run.timed("outputs", lambda: _outputs(run, planned, writer))


def _outputs(run: Run, planned: Planned, writer: Writer) -> dict[str, GeneratorRun]:
    inputs, previous = planned.inputs, planned.previous
    manifest = previous.manifest
    done = {}
    for generator in OUTPUTS:
        name = generator.name
        key = inputs.generator_key(name)
        old = previous.graph.generators.get(name) if previous.graph else None
        if old and old[0] == key and _link_all(old[1], manifest, writer, name):
            done[name] = GeneratorRun(key, old[1], "")
            continue
        produced = _produce(generator, planned, writer, old[1] if old else None)
        paths = run.timed(f"outputs.{name}", lambda: _place(produced, manifest, writer, name))  # noqa: B023
        if previous.why_full:
            reason = previous.why_full
        elif old and previous.graph is not None:
            reason = content_changes(inputs, previous.graph)
        else:
            reason = "new output"
        done[name] = GeneratorRun(key, paths, reason)
    return done


def files_stage(run: Run, planned: Planned, writer: Writer) -> None:
    """Write the fingerprinted static assets, then place the media files through
    the download cache (timed as ``media``; the count downloaded in ``result``)."""
    for path, data in planned.assets:
        writer.write(path, data, "static assets")
    media = {
        writer.path_for(unquote(urlsplit(local).path), f"media file {local}"): source
        for local, source in planned.localiser.files.items()
    }
    media_store = MediaStore(run.client, run.config.cache_dir / "media")

    def place() -> int:
        versioned = media_store.with_versions(media, planned.localiser.media_base)
        kept, to_place = _media_in_spare(writer, media_store, versioned)
        downloaded = media_store.place(to_place, planned.localiser.media_base)
        _record_media(writer, media_store, list(to_place), kept)
        return downloaded

    run.result.downloaded = run.timed("media", place)


def links_stage(
    run: Run,
    writer: Writer,
    origin: str,
    previous: Manifest | None,
    full: bool = False,
    known: Mapping[str, PageLinks] | None = None,
) -> LinkCheck:
    """Check every internal link of the staged site (:mod:`jamtail.links`; timed as
    ``links``). ``origin``: the site's ``scheme://host``; ``previous``: the manifest
    of the site being replaced; ``full``: recheck every page, not only changed ones;
    ``known``: links already read from files as rendered, by site path."""
    store = LinkStore(run.config.cache_dir / "links.sqlite3")
    report, record = run.timed(
        "links",
        lambda: check_links(
            writer.staging,
            writer.entries,
            origin,
            previous,
            store,
            run.config.jobs,
            full=full,
            known=known,
        ),
    )
    return LinkCheck(report, record)


def write_stage(
    run: Run,
    planned: Planned,
    rendered: Rendered,
    generated: dict[str, GeneratorRun],
    links: LinkCheck,
    delta: Delta,
    writer: Writer,
) -> None:
    """Swap the staged site into place (atomic; on failure the staging directory is
    discarded), then record its links, the highlight cache and the build's dependency
    graph (timed as ``graph``), which the next build reads."""
    try:
        writer.commit(*_pairs(links.report))
    except BaseException:
        writer.abort()
        raise
    links.record(writer.build_id)
    _report_links(run.result, links.report)
    site_plan, inputs, decision = planned.site_plan, planned.inputs, planned.decision
    previous = planned.previous.graph
    rendered.highlights.save()
    graph = BuildGraph(
        writer.build_id,
        str(run.config.out_dir.resolve()),
        inputs.globals,
        inputs.templates,
        {r.path: r for r in rendered.records},
        inputs.pages,
        {name: (g.key, g.paths) for name, g in generated.items()},
        order=[page["id"] for page in site_plan.pages],
        cache=(delta.cache_id, delta.seq) if delta.gathered is None else ("", 0),
        skeletons=_skeletons(site_plan, inputs),
    )
    changed_pages = changed_outputs = None
    if previous is not None:
        changed_pages = [
            pid
            for pid, rec in inputs.pages.items()
            if pid not in previous.pages or previous.pages[pid].hash != rec.hash
        ]
        changed_outputs = [site_plan.outputs[i].path for i in decision.render]
    run.timed(
        "graph",
        lambda: planned.store.save(graph, changed_pages, changed_outputs, decision.removed),
    )


def _incremental_result(
    run: Run,
    planned: Planned,
    rendered: Rendered,
    generated: dict[str, GeneratorRun],
    writer: Writer,
) -> BuildResult:
    site_plan, decision = planned.site_plan, planned.decision
    result = run.result
    result.pages = len(site_plan.outputs)
    result.rendered = len(rendered.outputs)
    if planned.previous.graph is None:
        result.kind, result.reason = FULL, planned.previous.why_full
    result.rebuilt = [(site_plan.outputs[i].path, decision.reasons[i]) for i in decision.render]
    for g in generated.values():
        result.rebuilt.extend((p, g.reason) for p in g.paths if g.reason)
    result.removed = decision.removed
    result.files, result.bytes = writer.files, writer.bytes
    result.seconds = time.perf_counter() - run.started
    return result


def _origin(planned: Planned) -> str:
    """The site's ``scheme://host``: absolute links to it are internal."""
    return site_origin(planned.site_plan.site.get("base_url", ""))


def _pairs(links: LinkReport) -> tuple[list[tuple[str, str]], list[tuple[str, str]] | None]:
    """The manifest's ``broken_links`` and ``broken_links_before``."""
    return list(links.broken), links.before  # BrokenLinks are (source, target) pairs


def _report_links(result: BuildResult, links: LinkReport) -> None:
    result.broken_links, result.new_broken_links = links.broken, links.new
    if links.new:
        log.warning("%d new broken internal link(s), e.g. %s", len(links.new), links.new[0])


def _skeletons(site_plan: SitePlan, inputs: Inputs) -> dict[str, bytes]:
    """What a patch build needs of the plan: the site dict, and the feeds with page ids."""
    feeds = []
    for feed in site_plan.feeds:
        data, refs = skeleton(feed, inputs.page_of)
        feeds.append((feed["path"], data, refs))
    return {"site": pickle.dumps(site_plan.site, protocol=5), "feeds": pickle.dumps(feeds)}


def _previous(config: BuildConfig, store: GraphStore) -> Previous:
    """The graph and manifest of the site in ``out_dir``, or why there is none to build on."""
    if config.full:
        return Previous(None, None, "full build (--full)")
    manifest = read_manifest(config.out_dir)
    if manifest is None:
        return Previous(None, None, f"no previous build in {config.out_dir}")
    graph = store.load(config.out_dir, manifest.build)
    if graph is None:
        return Previous(
            None, None, "the cache has no dependency graph for the site in the output directory"
        )
    return Previous(graph, manifest, "")


def _reuse(site_plan: SitePlan, decision: Decision, manifest: Manifest | None, writer: Writer):
    """Link unchanged outputs from the live site; anything missing there is rendered instead."""
    records: list[OutputRecord] = []
    for index, before in decision.reuse.items():
        output = site_plan.outputs[index]
        entry = manifest.files.get(output.path) if manifest else None
        source = writer.out_dir / output.path
        if entry is not None and writer.link(output.path, source, entry, output.source):
            records.append(before)
        else:
            decision.render.append(index)
            decision.reasons[index] = "missing from the previous build"
    decision.render.sort()
    return records


def _render(run: Run, planned: Planned, rendered: Rendered, writer: Writer) -> None:
    """Render the outputs to rebuild; record their manifest entries and graph records."""
    to_render, decision, inputs = rendered.outputs, planned.decision, planned.inputs
    paths = writer.claim_all([(o.path, o.source) for o in to_render])
    keys = [writer.key(o.path) for o in to_render]
    current = [writer.current(key) for key in keys]
    urls = [page_url(key) if key.endswith(".html") else None for key in keys]
    done_all = render_to_paths(
        planned.renderer,
        to_render,
        paths,
        run.config.jobs,
        run.progress,
        current,
        LinkScan(_origin(planned), urls),
    )
    for index, output, path, done in zip(decision.render, to_render, keys, done_all, strict=True):
        writer.record(path, done.entry)
        if done.links is not None:
            rendered.links[path] = done.links
        digest, refs, data = decision.digests[index]
        key = inputs.output_key(output, digest, done.templates)
        templates = list(done.templates)
        rendered.records.append(
            OutputRecord(output.path, key, output.template, refs, templates, data)
        )


def _prime(highlights: HighlightCache, outputs: list[Output], jobs: int) -> None:
    """Highlight the code of the pages about to be rendered before workers fork.

    Small incremental builds render in-process and highlight lazily: loading
    the whole cache would cost more than the few blocks they need.
    """
    if len(outputs) < PRIME_THRESHOLD:
        return
    highlights.load()
    pages = [o.context["page"] for o in outputs if o.context.get("page", {}).get("id")]
    lazy = [p for p in pages if isinstance(p, LazyPage)]
    # Lazy pages' code blocks are kept per body version: their bodies stay unread.
    blocks = [
        (c, lang) for p in pages if not isinstance(p, LazyPage) for c, lang in code_blocks([p])
    ]
    for loader in {id(p.loader): p.loader for p in lazy}.values():
        mine = [p for p in lazy if p.loader is loader]
        loader.fill("code", "", mine, _code_of, jobs)  # a first build: on every core
        found = loader.derived("code", "", mine, _code_of)
        blocks.extend((c, lang) for page_blocks in found.values() for c, lang in page_blocks)
    highlights.prime(blocks, jobs)


def _code_of(fields: dict[str, Any]) -> list[tuple[str, str]]:
    return list(code_blocks([fields]))


def _produce(
    generator: Generator, planned: Planned, writer: Writer, old_paths: list[str] | None
) -> Iterable[tuple[str, bytes | Path]]:
    """The generator's files: its ``update`` form when it declares one and updating is
    sound (same code, every old file in the live site), else its full ``build``."""
    previous, inputs, manifest = planned.previous.graph, planned.inputs, planned.previous.manifest
    if (
        old_paths
        and generator.update is not None
        and previous is not None
        and _same_code(previous, inputs)
        and _link_ready(old_paths, manifest, writer)
    ):
        changed, removed = _page_changes(planned.site_plan, inputs, previous)
        files = {p: writer.out_dir / p for p in old_paths}
        return generator.update(files, planned.site_plan, changed, removed)
    return generator.build(planned.site_plan)


def _place(produced, manifest: Manifest | None, writer: Writer, owner: str) -> list[str]:
    """Write each ``(path, bytes)``; link each ``(path, previous file)``; return the keys."""
    paths = []
    for path, data in produced:
        if isinstance(data, Path):
            key = writer.key(path)
            assert manifest is not None  # only update forms yield previous files
            if not writer.link(path, data, manifest.files[key], owner):
                raise OutputError(f"{owner}: the previous {key} vanished during the build")
        else:
            writer.write(path, data, owner)
        paths.append(writer.key(path))
    return paths


def _same_code(previous: BuildGraph, inputs: Inputs) -> bool:
    """Whether generators and their environment are as last time (so updating is sound)."""
    return all(previous.globals.get(k) == inputs.globals[k] for k in ("generators", "environment"))


def _link_ready(paths: list[str], manifest: Manifest | None, writer: Writer) -> bool:
    """Whether every file a generator wrote last time is in the live site, as built."""
    return manifest is not None and all(
        p in manifest.files and os.path.isfile(writer.out_dir / p) for p in paths
    )


def _link_all(paths: list[str], manifest: Manifest | None, writer: Writer, owner: str) -> bool:
    """Link every file a generator wrote last time, if all are still there."""
    if manifest is None or not _link_ready(paths, manifest, writer):
        return False
    return all(writer.link(p, writer.out_dir / p, manifest.files[p], owner) for p in paths)


def _page_changes(
    site_plan: SitePlan, inputs: Inputs, previous: BuildGraph
) -> tuple[list[dict[str, Any]], list[str]]:
    """Pages new or changed since ``previous``, and URLs that no page has any more.

    For generators with an ``update`` (an incremental form, e.g. the search
    index). When a section or the home page changed, everything below it may
    show it (section titles), so every page counts as changed.
    """
    changed = [
        page
        for page in site_plan.pages
        if (before := previous.pages.get(page["id"])) is None
        or before.hash != inputs.pages[page["id"]].hash
    ]
    if any(page["type"] != planner.ARTICLE for page in changed):
        changed = list(site_plan.pages)
    urls = {page["url"] for page in site_plan.pages}
    removed = sorted({r.url for r in previous.pages.values() if r.url and r.url not in urls})
    return changed, removed


def _media_in_spare(
    writer: Writer, media_store: MediaStore, media: dict[Path, tuple[str, str]]
) -> tuple[dict[str, FileEntry], dict[Path, tuple[str, str]]]:
    """Split media into files the staging tree already holds and files to place.

    A staged file is kept when it is the cache's file for the same source and
    content hash (the same inode); anything else is unlinked first, so that
    placing it links a new file and never writes into one the live site shares.
    """
    kept: dict[str, FileEntry] = {}
    to_place: dict[Path, tuple[str, str]] = {}
    for target, (source, version) in media.items():
        key = target.relative_to(writer.staging).as_posix()
        entry = writer.current(key)
        if entry is not None:
            cached = media_store.cached_path(source, version)
            if version and _same_file(target, cached):
                kept[key] = entry
                continue
            target.unlink(missing_ok=True)
        to_place[target] = (source, version)
    return kept, to_place


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _record_media(
    writer: Writer, media_store: MediaStore, placed: list[Path], kept: dict[str, FileEntry]
) -> None:
    """Manifest entries of media, hashing only files not seen before (by inode)."""
    for key, entry in kept.items():
        writer.record(key, entry)
    if not placed:
        return
    known = media_store.known_digests()
    seen: dict[tuple[int, int, int], FileEntry] = {}
    for target in placed:
        st = target.stat()
        identity = (st.st_ino, st.st_size, st.st_mtime_ns)
        digests = known.get(identity)
        entry = FileEntry(*digests) if digests else digest_file(target)
        seen[identity] = entry
        writer.record(target.relative_to(writer.staging).as_posix(), entry)
    if new := {identity: e for identity, e in seen.items() if identity not in known}:
        media_store.remember_digests(new)


@contextmanager
def _warnings_into(warnings: list[str]) -> Iterator[None]:
    """Collect the messages of warnings logged under ``jamtail`` while the block runs."""
    handler = _ListHandler(warnings)
    logger = logging.getLogger("jamtail")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


class _ListHandler(logging.Handler):
    def __init__(self, messages: list[str]):
        super().__init__(logging.WARNING)
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
