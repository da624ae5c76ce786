"""Patch builds: redo only the outputs that show the changed pages, without planning the site.

An incremental build (:mod:`jamtail.plan.incremental`) reads every page, plans the
whole site and fingerprints every output: on a site of 10,000 pages that is
about a second of work even when one title changed. When the change is of the
common kind (editors changing what pages say, not where they are), most of it
can be skipped, because the plan would come out the same shape: the same
outputs, each showing the same pages in the same order. A patch build then:

1. asks the content cache what changed since the build in the output
   directory (:meth:`~jamtail.content.cache.ContentCache.changed_since`), and reads
   only those pages;
2. checks that the change leaves the plan's shape alone: only pages were
   updated (none created, deleted or moved; no settings, author or redirect
   changed); the code, templates, static assets and environment are as
   before; and no changed page differs in a field the planner reads
   (:data:`~jamtail.plan.planner.STRUCTURAL_FIELDS`) or in the media files it uses,
   except an article's title where it reorders no listing;
3. re-renders the outputs whose context shows a changed page (found through
   the dependency graph's page index), each from its recorded context
   skeleton with the pages read anew (:func:`~jamtail.plan.incremental.flesh_out`);
4. patches the non-HTML outputs: the sitemap's ``<lastmod>`` of the changed
   pages, the feeds that list one, the search shards that hold one; the rest
   are kept;
5. links every other file from the live site and swaps the new tree in
   atomically, as any build does.

When any check fails, :func:`patch_build` returns why, and the caller builds
incrementally instead: a patch build is an optimisation that produces, byte
for byte, what an incremental or full build produces (the Hypothesis test
in ``tests/test_incremental_random.py`` builds both ways and compares).
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jamtail.content.cache import CACHE_NAME, ContentCache
from jamtail.content.media import MediaLocaliser, localise_pages
from jamtail.exceptions import OutputError
from jamtail.outputs import OUTPUTS
from jamtail.outputs.feeds import build_feeds
from jamtail.outputs.sitemap import patch_sitemaps
from jamtail.plan import planner
from jamtail.plan.graph import BuildGraph, GraphStore, OutputRecord, PageRecord
from jamtail.plan.incremental import (
    Inputs,
    code_globals,
    explain,
    flesh_out,
    page_hash,
    page_record,
    repaged_key,
    template_hashes,
)
from jamtail.plan.planner import Output, SitePlan
from jamtail.render.assets import AssetManifest
from jamtail.render.highlight import HighlightCache
from jamtail.render.parallel import Progress, render_to_paths
from jamtail.render.renderer import Renderer, bytecode_dir
from jamtail.search.shards import patch_documents, read_patch
from jamtail.settings import Settings
from jamtail.write.manifest import Manifest, read_manifest
from jamtail.write.writer import Writer

log = logging.getLogger(__name__)

PATCHED = ("sitemap", "feeds", "search")  # generators whose files a patch build rewrites
Files = list[tuple[str, bytes | Path]]
PageLoader = Callable[[list[int]], tuple[list[dict[str, Any]], dict[int, list[str]]]]


class NotPatchable(Exception):
    """The change needs an incremental build; the message says why."""


@dataclass
class Patch:
    """What a patch build will do, decided before anything is written.

    ``graph``: the new dependency graph, holding only the rows that change
    (changed pages, re-rendered outputs). ``outputs``: the HTML outputs to
    render, with their previous record and context digest. ``files``: the
    new files of the generators in :data:`PATCHED` (bytes, or a previous
    file kept); ``pending``: those of generators still being made on a
    thread of their own (the search index's shards, while the pages render),
    until :func:`resolve`. ``reasons``: path -> why it is rebuilt. ``count``:
    HTML outputs in the site.
    """

    previous: BuildGraph
    manifest: Manifest
    graph: BuildGraph
    inputs: Inputs
    site: dict[str, Any]
    outputs: list[tuple[Output, OutputRecord, str]] = field(default_factory=list)
    files: dict[str, Files] = field(default_factory=dict)
    pending: dict[str, Future[Files]] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    count: int = 0


def prepare(
    api_url: str, out_dir: Path, site_dir: Path, cache_dir: Path, settings: Settings | None = None
) -> Patch:
    """Decide a patch build of ``out_dir``; raise :class:`NotPatchable` saying why there is none.

    Reads the content cache and the dependency graph under ``cache_dir``,
    the manifest and the few files it patches in ``out_dir``; writes nothing.
    ``settings``: the build's (default: :class:`~jamtail.settings.Settings`' defaults).
    """
    store = GraphStore(cache_dir / "graph.sqlite3")
    manifest = read_manifest(out_dir)
    previous = store.load_head(out_dir, manifest.build) if manifest else None
    if manifest is None or previous is None or "site" not in previous.skeletons:
        raise NotPatchable("there is no previous build with its dependency graph")
    _check_code(previous, site_dir, Settings() if settings is None else settings)
    cache = ContentCache.open(cache_dir / CACHE_NAME)
    try:
        state = cache.state()  # read once: a sync landing later is the next build's
        ids = _changed_page_ids(cache, previous, state)
        load, media_key = _page_loader(cache, api_url)
        if media_key != previous.globals.get("media"):
            raise NotPatchable("the media location or the CMS origin changed")
        pages, media = load(ids)
        if len(pages) != len(ids):
            raise NotPatchable("a changed page has no URL any more")
        search = _start_search(previous, out_dir, pages, cache, load)
        old = store.page_records(ids)
        missing = sorted(set(ids) - old.keys())
        if missing:
            raise NotPatchable(f"page {missing[0]} is new to the dependency graph")
        old_titles = {pid: record.title for pid, record in old.items()}
        changed: dict[int, dict[str, Any]] = {}
        records: dict[int, PageRecord] = {}
        for page in pages:
            record = page_record(page, page_hash(page), media[page["id"]])
            if old[page["id"]].hash != record.hash:
                _check_fields(cache, page, old[page["id"]], record, old_titles)
                changed[page["id"]], records[page["id"]] = page, record
        globals_ = dict(previous.globals)
        hashes = {pid: (old[pid].hash, r.hash) for pid, r in records.items()}
        try:
            globals_["pages"] = repaged_key(previous.globals["pages"], previous.order, hashes)
        except (KeyError, ValueError) as exc:  # an older graph, or one at odds with itself
            raise NotPatchable(f"the pages key cannot be updated: {exc}") from exc
        inputs = Inputs(globals_, previous.templates, dict(records)).with_content_key()
        graph = BuildGraph(
            "",
            previous.out_dir,
            inputs.globals,
            previous.templates,
            pages=records,
            order=previous.order,
            cache=state,
            skeletons=previous.skeletons,
        )
        site = pickle.loads(previous.skeletons["site"])
        patch = Patch(previous, manifest, graph, inputs, site, count=store.output_count())
        shown = _plan_outputs(patch, store, changed, old, load)
        _plan_files(patch, store, out_dir, changed, shown, load, search)
    finally:
        cache.close()
    return patch


def _check_code(previous: BuildGraph, site_dir: Path, settings: Settings) -> None:
    templates_dir = site_dir / "templates"
    for name, value in code_globals(settings).items():
        if previous.globals.get(name) != value:
            raise NotPatchable(f"the {name} fingerprint changed")
    if template_hashes(templates_dir) != previous.templates:
        raise NotPatchable("a template changed")
    assets = AssetManifest(site_dir / "static")
    if Inputs.assets_key(name for name, _ in assets) != previous.globals.get("assets"):
        raise NotPatchable("the static assets changed")


def _changed_page_ids(
    cache: ContentCache, previous: BuildGraph, state: tuple[str, int]
) -> list[int]:
    cache_id, seq = state
    if not cache_id or cache_id != previous.cache[0]:
        raise NotPatchable("the content cache is not the one the last build read")
    changed, deleted = cache.changed_since(previous.cache[1], seq)
    if deleted:
        raise NotPatchable(f"{len(deleted)} item(s) were deleted or unpublished")
    others = sorted({kind for kind, _ in changed if kind != "page"})
    if others:
        raise NotPatchable(f"the {', '.join(others)} changed")
    return sorted(pid for _, pid in changed)


def _page_loader(cache: ContentCache, api_url: str) -> tuple[PageLoader, str]:
    """Read pages from the cache and plan them as a whole build does: localised, decorated.

    Also returns the localiser's key (what its URL rewriting depends on).
    """
    settings = cache.settings()
    localiser = MediaLocaliser(
        api_url, settings.get("media_url", "/media/"), cache.site_origin(settings)
    )
    authors = localiser.localise(cache.authors())

    def load(ids: list[int]) -> tuple[list[dict[str, Any]], dict[int, list[str]]]:
        pages, media = localise_pages(list(cache.pages(ids)), localiser)
        planner.decorate(pages, authors)
        return pages, media

    return load, localiser.key


def _check_fields(
    cache: ContentCache,
    page: dict[str, Any],
    before: PageRecord,
    now: PageRecord,
    old_titles: dict[int, str],
) -> None:
    """Raise :class:`NotPatchable` when the page changed in a way that reshapes the plan.

    ``old_titles``: the last build's titles of every changed page.
    """
    old, new = before.fields, now.fields
    fields = {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}
    if "_media" in fields:
        raise NotPatchable(f"page {page['id']} uses other media files")
    structural = fields & planner.STRUCTURAL_FIELDS
    if structural == {"title"} and _title_keeps_order(cache, page, old_titles):
        return
    if structural:
        raise NotPatchable(f"page {page['id']} changed {', '.join(sorted(structural))}")


def _title_keeps_order(
    cache: ContentCache, page: dict[str, Any], old_titles: dict[int, str]
) -> bool:
    """Whether an article's new title leaves every listing in the same order.

    Articles are ordered by date, then title (:func:`~jamtail.plan.planner.newest_first`),
    then tree order, so only articles of the same date can change places: their
    order by the last build's titles (``old_titles`` for the changed ones) and
    by today's must agree. A title is also copied into the navigation when the
    page is at the top level.
    """
    if page["type"] != planner.ARTICLE or page["parent_url"] == "/" or not page.get("date"):
        return False
    same_day = cache.articles_on(page["date"].isoformat())

    def order(titles: dict[int, str]) -> list[int]:
        group = [(titles.get(pid, title).lower(), key, pid) for key, pid, title in same_day]
        return [pid for *_, pid in sorted(group)]

    return order(old_titles) == order({})


def _plan_outputs(
    patch: Patch,
    store: GraphStore,
    changed: dict[int, dict[str, Any]],
    old: dict[int, PageRecord],
    load: PageLoader,
) -> dict[int, dict[str, Any]]:
    """Find and flesh out the outputs showing a changed page; return every page read, by id."""
    if not changed:
        return {}
    affected = store.outputs_showing(changed)
    others = sorted({pid for r in affected.values() for pid in r.pages} - changed.keys())
    shown, records = _unchanged_pages(store, others, load)
    shown.update(changed)
    inputs = patch.inputs
    inputs.pages.update(records)
    before = BuildGraph("", "", patch.previous.globals, patch.previous.templates)
    before.pages = {**inputs.pages, **old}
    for path, record in sorted(affected.items()):
        output = Output(path, record.template, flesh_out(record.context, shown), f"output {path}")
        digest = inputs.digest_of(record.context, record.pages)
        if inputs.output_key(output, digest, record.templates) != record.key:
            patch.outputs.append((output, record, digest))
            patch.reasons[path] = explain(output, record.pages, record, inputs, before)
    return shown


def _unchanged_pages(
    store: GraphStore, ids: list[int], load: PageLoader
) -> tuple[dict[int, dict[str, Any]], dict[int, PageRecord]]:
    """Pages read from the cache that must be as the last build saw them, and their records."""
    pages, _ = load(ids)
    recorded = store.page_records(ids)
    for page in pages:
        if page_hash(page) != recorded[page["id"]].hash:
            raise NotPatchable(f"page {page['id']} is not as the dependency graph recorded it")
    if len(pages) != len(ids):
        raise NotPatchable("a page shown by a changed output is gone")
    return {page["id"]: page for page in pages}, recorded


def _plan_files(
    patch: Patch,
    store: GraphStore,
    out_dir: Path,
    changed: dict[int, dict[str, Any]],
    shown: dict[int, dict[str, Any]],
    load: PageLoader,
    search: Future[Files] | None,
) -> None:
    """The new files of the sitemap, feeds and search index (``search``, being made, see
    :func:`_start_search`); the other generators' are kept."""
    previous = patch.previous
    live = {name: {p: out_dir / p for p in rec[1]} for name, rec in previous.generators.items()}
    for name in (generator.name for generator in OUTPUTS):
        if name not in previous.generators:
            raise NotPatchable(f"the last build did not record the {name} output")
    base = patch.site["base_url"]
    files: dict[str, Files]
    if not changed:
        files = {name: list(live[name].items()) for name in PATCHED}
    else:
        sitemap = patch_sitemaps(live["sitemap"], base, changed.values())
        if sitemap is None:
            raise NotPatchable("a changed page's sitemap entry was not found")
        if search is None:
            raise NotPatchable("the last build did not record the search output")
        patch.pending["search"] = search
        files = {
            "sitemap": sitemap,
            "feeds": _feeds(patch, store, live["feeds"], changed, shown, load),
        }
    patch.files = files
    for name in (generator.name for generator in OUTPUTS):
        if name not in patch.pending:
            _record_files(patch, name)


def _start_search(
    previous: BuildGraph,
    out_dir: Path,
    pages: list[dict[str, Any]],
    cache: ContentCache,
    load: PageLoader,
) -> Future[Files] | None:
    """Start rewriting the search shards that hold ``pages`` (the pages read for the patch).

    The documents are made and the shards read here, while the content cache
    is open and before the rest of the patch keeps the GIL busy
    (:func:`~jamtail.search.shards.read_patch`); the new segments are written on a
    thread of their own from here on, while the rest is planned and the pages
    render. ``None`` when there is nothing to do or the last build has no index;
    raises :class:`NotPatchable` when the index does not hold the pages as expected.
    """
    if not pages or "search" not in previous.generators:
        return None
    live = {path: out_dir / path for path in previous.generators["search"][1]}
    index = read_patch(live, patch_documents(pages, _ancestors(pages, cache, load)))
    if index is None:
        raise NotPatchable("the search index does not hold the changed pages as expected")
    pool = ThreadPoolExecutor(1, thread_name_prefix="jamtail-search")
    pending = pool.submit(index.write)
    pool.shutdown(wait=False)  # its one thread ends with the task
    return pending


def _record_files(patch: Patch, name: str) -> None:
    """Put generator ``name``'s files (new, or the previous build's) in the new graph."""
    files = patch.files.get(name)
    paths = [p for p, _ in files] if files is not None else patch.previous.generators[name][1]
    patch.graph.generators[name] = (patch.inputs.generator_key(name), paths)


def resolve(patch: Patch) -> None:
    """Wait for the generators still making their files (:attr:`Patch.pending`).

    Raises what a generator raised if it failed.
    """
    for name, pending in list(patch.pending.items()):
        patch.files[name] = pending.result()
        _record_files(patch, name)
        del patch.pending[name]


def _ancestors(pages, cache: ContentCache, load: PageLoader) -> dict[str, dict[str, Any]]:
    """The pages above ``pages``, by URL, read from the cache."""
    wanted = set()
    for page in pages:
        url = page["url"]
        while url != "/":
            url = url.rstrip("/").rsplit("/", 1)[0] + "/"
            wanted.add(url)
    if not wanted:
        return {}
    return {p["url"]: p for p in load(cache.ids_at(sorted(wanted)))[0]}


def _feeds(
    patch: Patch,
    store: GraphStore,
    live: dict[str, Path],
    changed: dict[int, dict[str, Any]],
    shown: dict[int, dict[str, Any]],
    load: PageLoader,
) -> Files:
    """Feeds listing a changed page made anew; the others kept."""
    feeds = pickle.loads(patch.previous.skeletons["feeds"])
    files: Files = []
    for path, data, refs in feeds:
        if not changed.keys() & set(refs):
            files.append((path, live[path]))
            continue
        missing = [pid for pid in refs if pid not in shown]
        if missing:
            shown.update(_unchanged_pages(store, missing, load)[0])
        feed = flesh_out(data, shown)
        files.extend(build_feeds(SitePlan(patch.site, [], [], feeds=[feed])))
    return files


def apply(
    patch: Patch,
    out_dir: Path,
    site_dir: Path,
    cache_dir: Path,
    jobs: int,
    progress: Progress | None = None,
) -> Writer:
    """Write the new site for ``patch`` beside ``out_dir``; return the writer, not yet committed.

    Every file of the live site that the patch does not rewrite is kept.
    The caller checks the staged site and then calls :func:`finish` (or
    ``writer.abort()``); on an error here the staging directory is discarded.
    """
    rewritten = {o.path for o, _, _ in patch.outputs}
    for name in PATCHED:
        rewritten.update(patch.previous.generators[name][1])
    keep = {p: e for p, e in patch.manifest.files.items() if p not in rewritten}
    writer = Writer(out_dir)
    try:
        writer.keep(keep, "the last build")
        _render(patch, writer, site_dir, cache_dir, jobs, progress)
        resolve(patch)
        for name in PATCHED:
            for path, data in patch.files[name]:
                if isinstance(data, Path):
                    entry = patch.manifest.files[writer.key(path)]
                    if not writer.link(path, data, entry, name):
                        raise OutputError(
                            f"{name}: {path} vanished from {out_dir} during the build"
                        )
                else:
                    writer.write(path, data, name)
    except BaseException:
        writer.abort()
        raise
    return writer


def finish(
    patch: Patch,
    writer: Writer,
    cache_dir: Path,
    broken_links: list[tuple[str, str]],
    broken_before: list[tuple[str, str]] | None,
) -> None:
    """Swap the site :func:`apply` wrote into place and record the new graph.

    ``broken_links``, ``broken_before``: the link check's findings, kept in
    the manifest (see :meth:`~jamtail.write.writer.Writer.commit`).
    """
    writer.commit(broken_links, broken_before)
    HighlightCache(cache_dir / "highlight.sqlite3").save()
    patch.graph.build = writer.build_id
    store = GraphStore(cache_dir / "graph.sqlite3")
    # A patch build keeps the site's pages (a page gone is not patchable).
    store.save(patch.graph, list(patch.graph.pages), list(patch.graph.outputs), removed_pages=())


def _render(
    patch: Patch,
    writer: Writer,
    site_dir: Path,
    cache_dir: Path,
    jobs: int,
    progress: Progress | None,
) -> None:
    if not patch.outputs:
        return
    assets = AssetManifest(site_dir / "static")
    jinja = bytecode_dir(cache_dir, patch.previous.globals["builder"])
    renderer = Renderer(site_dir / "templates", patch.site, assets.url, jinja)
    outputs = [output for output, _, _ in patch.outputs]
    paths = writer.claim_all([(o.path, o.source) for o in outputs])
    current = [writer.current(writer.key(o.path)) for o in outputs]
    done = render_to_paths(renderer, outputs, paths, jobs, progress, current)
    for (output, record, digest), rendered in zip(patch.outputs, done, strict=True):
        writer.record(writer.key(output.path), rendered.entry)
        key = patch.inputs.output_key(output, digest, rendered.templates)
        templates = list(rendered.templates)
        patch.graph.outputs[record.path] = OutputRecord(
            record.path, key, record.template, record.pages, templates, record.context
        )
