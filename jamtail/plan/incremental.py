"""Incremental builds: which outputs must be rebuilt, and why.

Rendering an output is a pure function of four things, so the builder
fingerprints each of them and rebuilds an output only when one changed:

1. its **context** from the plan. Pages inside a context (the page itself,
   listing entries, previous/next, the section, a tag's articles) are
   summarised by the page's id and content hash, so the digest changes when
   any page it shows changes, enters or leaves it (pagination shifts);
2. the **templates** its last rendering loaded (recorded at render time by
   :class:`~jamtail.render.renderer.TrackingLoader`, so ``extends``, imports and
   computed includes count), each by a hash of its source;
3. the **globals** every template sees: the site settings (name, navigation,
   base URL...), the fingerprinted asset names, and the builder itself (its
   source code and the versions of Jinja2, MarkupSafe, Pygments and feedgen),
   so upgrading a library or editing a filter never leaves stale pages;
4. the output's template name.

Page hashes are computed from the content the build gathered, never taken
from the sync's delta, so the result is right whatever the source reported.
Non-HTML generators (``jamtail.outputs``: sitemap, feeds, redirects, search
index...) read the whole plan, so they are re-run when any page, setting,
redirect or ``JAMTAIL_*`` environment variable changed, and reused otherwise;
a generator with an ``update`` form is given its previous files and rewrites
only those that change.

Each output's context is also recorded as a *skeleton* (:func:`skeleton`:
the context pickled with its pages replaced by their ids), which
:func:`flesh_out` turns back into the context with the pages read anew: a
patch build (:mod:`jamtail.build.patch`) re-renders the outputs showing a changed
page from their skeletons without planning the site. A patch build takes the
pages to look at from the content cache's change sequence numbers
(:meth:`~jamtail.content.cache.ContentCache.changed_since`), then compares their
hashes as above.

:func:`plan_rebuild` compares the fingerprints with the
:class:`~jamtail.plan.graph.BuildGraph` of the last build and returns, for every
output to rebuild, a reason such as ``page 123 'Hello' (title) moved into
this listing page``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import io
import json
import pickle
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jamtail.content.lazy import LazyPage
from jamtail.plan.graph import BuildGraph, OutputRecord, PageRecord
from jamtail.plan.planner import Output, SitePlan
from jamtail.settings import Settings

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # jamtail/
LIBRARIES = ("jinja2", "markupsafe", "pygments", "feedgen")
# The builder code whose changes alter output bytes without changing any data
# that is hashed anyway (pages, contexts, templates, asset names): how HTML is
# rendered (filters, globals, highlighting, asset fingerprints) and how the
# non-HTML outputs are produced. Gathering, planning and localising produce
# the data that is hashed, so their code need not be.
RENDER_CODE = ("render/renderer.py", "render/highlight.py", "render/assets.py")
GENERATOR_CODE = ("outputs", "search")
MAX_REASONS = 4


def _h(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def _json_default(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=_json_default, ensure_ascii=False)


def builder_fingerprint(parts: Iterable[str] = RENDER_CODE) -> str:
    """Hash of the builder's source files or packages ``parts`` and the libraries' versions."""
    digest = hashlib.blake2b(digest_size=12)
    for part in parts:
        target = PACKAGE_DIR / part
        paths = sorted(target.rglob("*.py")) if target.is_dir() else [target]
        for path in paths:
            digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    for name in LIBRARIES:
        try:
            digest.update(f"{name}={importlib.metadata.version(name)}".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{name}=?".encode())
    return digest.hexdigest()


def template_hashes(templates_dir: Path) -> dict[str, str]:
    """``{name: hash of source}`` for every file under ``templates_dir`` (names ``/``-separated)."""
    return {
        path.relative_to(templates_dir).as_posix(): hashlib.blake2b(
            path.read_bytes(), digest_size=12
        ).hexdigest()
        for path in sorted(templates_dir.rglob("*"))
        if path.is_file()
    }


def page_hash(page: Mapping[str, Any]) -> str:
    """Hash of a planned page dict and everything in it (authors, tags, images...).

    Pickle is a faithful serialisation (different content never gives the
    same bytes) and much faster than JSON; it is not canonical (dict order),
    which could only cost a spurious rebuild, never a missed one. A
    :class:`~jamtail.content.lazy.LazyPage` is hashed by its head and its lazy
    fields' stored hashes, without reading them.

    Pickled without its memo (:attr:`pickle.Pickler.fast`): with it, an object
    met twice is written once and then referred to, so equal pages whose dicts
    happen to share a key string (one JSON decode) or not (two) gave different
    bytes. A patch build then found an unchanged page "not as recorded" and
    fell back to an incremental build on some publishes (2.3 s instead of
    0.4 s at 10,000 pages). Page dicts are trees, which is all that mode needs.
    """
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True
    pickler.dump((dict(page), page.lazy_fingerprint()) if isinstance(page, LazyPage) else page)
    return hashlib.blake2b(buffer.getvalue(), digest_size=12).hexdigest()


def page_record(
    page: Mapping[str, Any], digest: str | None = None, media: Iterable[str] = ()
) -> PageRecord:
    """A page's hash, title and per-field hashes (what ``--explain`` names as changed).

    ``media``: the media files the page uses, hashed as the ``_media`` field.
    """
    fields = {name: _h(_dump(value)) for name, value in page.items()}
    if isinstance(page, LazyPage):
        fields.update(page.lazy_hashes)
    fields["_media"] = _h(_dump(sorted(media)))
    title, url = str(page.get("title", "")), str(page.get("url", ""))
    fields_json = json.dumps(fields, separators=(",", ":"))
    return PageRecord(digest or page_hash(page), title, fields_json, url)


def code_globals(settings: Settings) -> dict[str, str]:
    """The fingerprints that do not depend on content: builder code and the settings."""
    return {
        "builder": builder_fingerprint(),
        "generators": builder_fingerprint((*RENDER_CODE, *GENERATOR_CODE)),
        "environment": environment_fingerprint(settings),
    }


_TERM_BITS = 128


def pages_key(hashes: Iterable[tuple[int, str]]) -> str:
    """One key for every page's ``(id, hash)`` in plan (tree) order: 32 hex digits.

    The sum, modulo 2**128, of a 128-bit BLAKE2b of each page's position, id and
    hash: a change to some pages' hashes changes it by their terms alone
    (:func:`repaged_key`), so a one-page publish need not read 50,000 hashes.
    """
    total = sum(_page_term(i, pid, digest) for i, (pid, digest) in enumerate(hashes))
    return f"{total % (1 << _TERM_BITS):032x}"


def repaged_key(key: str, order: Sequence[int], changed: Mapping[int, tuple[str, str]]) -> str:
    """:func:`pages_key` of ``order`` after ``changed`` (id -> (old hash, new hash)) pages
    changed hash, from ``key``, the pages key before; the order is the same.

    Raises ``ValueError`` when a changed page is not in ``order`` or ``key`` is not
    such a key (32 hex digits: a graph written before this form had 24).
    """
    if len(key) != _TERM_BITS // 4:
        raise ValueError(f"{key!r} is not a pages key of this form")
    total = int(key, 16)
    positions = {pid: i for i, pid in enumerate(order)} if changed else {}
    for pid, (before, after) in changed.items():
        position = positions.get(pid)
        if position is None:
            raise ValueError(f"page {pid} is not in the order")
        total += _page_term(position, pid, after) - _page_term(position, pid, before)
    return f"{total % (1 << _TERM_BITS):032x}"


def _page_term(position: int, pid: int, digest: str) -> int:
    data = f"{position}\x1f{pid}\x1f{digest}".encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=_TERM_BITS // 8).digest(), "big")


class _Skeleton(pickle.Pickler):
    def __init__(self, buffer: io.BytesIO, page_of: Mapping[int, int]):
        super().__init__(buffer, protocol=5)
        self.page_of = page_of
        self.refs: set[int] = set()

    def persistent_id(self, obj: Any) -> int | None:
        if isinstance(obj, dict):
            pid = self.page_of.get(id(obj))
            if pid is not None:
                self.refs.add(pid)
                return pid
        return None


class _Flesh(pickle.Unpickler):
    def __init__(self, buffer: io.BytesIO, pages: Mapping[int, Any]):
        super().__init__(buffer)
        self.pages = pages

    def persistent_load(self, pid: Any) -> Any:
        return self.pages[pid]


def skeleton(context: Any, page_of: Mapping[int, int]) -> tuple[bytes, list[int]]:
    """``context`` pickled with each page (a dict whose ``id()`` is in ``page_of``) as its id.

    Returns the bytes and the page ids, sorted. The planner builds contexts
    deterministically, so the same structure gives the same bytes; pickle is
    not canonical (dict order), which could only cost a rebuild, never miss one.
    """
    buffer = io.BytesIO()
    pickler = _Skeleton(buffer, page_of)
    pickler.dump(context)
    return buffer.getvalue(), sorted(pickler.refs)


def flesh_out(data: bytes, pages: Mapping[int, Any]) -> Any:
    """The context :func:`skeleton` pickled, with each page id replaced by ``pages[id]``."""
    return _Flesh(io.BytesIO(data), pages).load()


def environment_fingerprint(settings: Settings) -> str:
    """Hash of the ``JAMTAIL_*`` settings, which outputs such as ``_redirects`` read."""
    return _h(_dump(settings.fingerprint()))


@dataclass
class Inputs:
    """The fingerprints of everything the current build renders from.

    ``globals``: ``builder``, ``site``, ``assets``, ``environment`` and
    ``content`` (all pages, settings and redirects together, for generators).
    ``templates``: name -> source hash. ``pages``: id -> :class:`PageRecord`.
    """

    globals: dict[str, str]
    templates: dict[str, str]
    pages: dict[int, PageRecord]
    _page_of: dict[int, int] = field(default_factory=dict, repr=False)

    @classmethod
    def of(
        cls,
        site_plan: SitePlan,
        templates_dir: Path,
        asset_names: Iterable[str],
        previous: BuildGraph | None = None,
        media: Mapping[int, Iterable[str]] | None = None,
        settings: Settings | None = None,
    ) -> Inputs:
        """Fingerprint a plan, the templates in ``templates_dir`` and the asset names.

        Field hashes are computed only for pages that are new or changed since
        ``previous`` (unchanged pages keep their stored record). ``media``:
        page id -> the media files (site paths) the page uses, recorded as
        the page's ``_media`` field. ``settings``: what the build was configured with
        (default: :class:`~jamtail.settings.Settings`' defaults).
        """
        pages: dict[int, PageRecord] = {}
        page_of: dict[int, int] = {}
        known = previous.pages if previous is not None else {}
        media = media or {}
        for page in site_plan.pages:
            digest = page_hash(page)
            before = known.get(page["id"])
            if before is not None and before.hash == digest:
                pages[page["id"]] = before
            else:
                pages[page["id"]] = page_record(page, digest, media.get(page["id"], ()))
            page_of[id(page)] = page["id"]
        site = _h(_dump(site_plan.site))
        return cls(
            globals={
                **code_globals(Settings() if settings is None else settings),
                "site": site,
                "assets": cls.assets_key(asset_names),
                "redirects": _h(_dump(site_plan.redirects)),
                "pages": pages_key([(p["id"], pages[p["id"]].hash) for p in site_plan.pages]),
            },
            templates=template_hashes(templates_dir),
            pages=pages,
            _page_of=page_of,
        ).with_content_key()

    @staticmethod
    def assets_key(asset_names: Iterable[str]) -> str:
        """The fingerprint of the static assets' (fingerprinted) names."""
        return _h(_dump(sorted(asset_names)))

    def with_content_key(self) -> Inputs:
        """Set ``globals["content"]`` from the site, pages and redirects keys; return self."""
        g = self.globals
        g["content"] = _h("\x1f".join([g["site"], g["pages"], g["redirects"]]))
        return self

    @property
    def page_of(self) -> Mapping[int, int]:
        """``id()`` of each page dict of the plan -> its page id (see :func:`skeleton`)."""
        return self._page_of

    def context_digest(self, context: Mapping[str, Any]) -> tuple[str, list[int], bytes]:
        """Digest of an output's context, the ids of the pages in it (sorted), and its skeleton.

        The skeleton is the context pickled with every page of the plan
        replaced by its id (see :func:`skeleton`); the digest covers it and
        the hash of each page it names, so it changes when any page shown
        changes, enters or leaves the context.
        """
        data, refs = skeleton(context, self._page_of)
        return self.digest_of(data, refs), refs, data

    def digest_of(self, data: bytes, refs: Iterable[int]) -> str:
        """The digest of skeleton ``data`` whose pages are ``refs`` (ids in ``self.pages``)."""
        digest = hashlib.blake2b(data, digest_size=12)
        for pid in refs:
            digest.update(f"|{pid}:{self.pages[pid].hash}".encode())
        return digest.hexdigest()

    def output_key(self, output: Output, context_digest: str, templates: Iterable[str]) -> str:
        """The key of an output rendered from ``context_digest`` with ``templates`` loaded."""
        used = sorted(set(templates) | {output.template})
        g = self.globals
        return _h(
            "\x1f".join(
                [
                    g["builder"],
                    g["site"],
                    g["assets"],
                    output.template,
                    context_digest,
                    *(f"{name}={self.templates.get(name, '-')}" for name in used),
                ]
            )
        )

    def generator_key(self, name: str) -> str:
        """The key of a non-HTML generator: it reads the whole plan and the environment."""
        g = self.globals
        return _h("\x1f".join([name, g["generators"], g["content"], g["environment"]]))


@dataclass
class Decision:
    """What to do with each HTML output of the current plan.

    ``render``: indexes into ``plan.outputs`` to render, with ``reasons[i]``.
    ``reuse``: index -> the previous record, for outputs to link unchanged.
    ``digests``: index -> (context digest, page ids, skeleton) for every output.
    ``removed``: paths the previous build wrote that no output claims now.
    """

    render: list[int] = field(default_factory=list)
    reasons: dict[int, str] = field(default_factory=dict)
    reuse: dict[int, OutputRecord] = field(default_factory=dict)
    digests: list[tuple[str, list[int], bytes]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def plan_rebuild(
    outputs: list[Output], inputs: Inputs, previous: BuildGraph | None, why_full: str = ""
) -> Decision:
    """Decide which outputs to render; ``previous`` ``None`` means render all (``why_full``)."""
    decision = Decision()
    for index, output in enumerate(outputs):
        digest, refs, data = inputs.context_digest(output.context)
        decision.digests.append((digest, refs, data))
        before = previous.outputs.get(output.path) if previous else None
        if before is None:
            decision.render.append(index)
            decision.reasons[index] = why_full if previous is None else "new output"
            continue
        if inputs.output_key(output, digest, before.templates) == before.key:
            decision.reuse[index] = before
        else:
            decision.render.append(index)
            decision.reasons[index] = explain(output, refs, before, inputs, previous)
    if previous is not None:
        current = {o.path for o in outputs}
        decision.removed = sorted(p for p in previous.outputs if p not in current)
    return decision


def explain(
    output: Output,
    refs: list[int],
    before: OutputRecord,
    inputs: Inputs,
    previous: BuildGraph | None,
) -> str:
    """Why ``output`` differs from the last build, in words (at most a few reasons)."""
    assert previous is not None
    reasons: list[str] = []
    old_globals = previous.globals
    if old_globals.get("builder") != inputs.globals["builder"]:
        reasons.append("the builder or its libraries changed")
    if old_globals.get("site") != inputs.globals["site"]:
        reasons.append("site settings changed")
    if old_globals.get("assets") != inputs.globals["assets"]:
        reasons.append("static assets changed")
    for name in sorted(set(before.templates) | {output.template}):
        if previous.templates.get(name) != inputs.templates.get(name):
            reasons.append(f"template {name} changed")
    what = "listing page" if "pagination" in output.context else "page"
    old_refs = set(before.pages)
    for pid in refs:
        now = inputs.pages[pid]
        was = previous.pages.get(pid)
        fields = _changed_fields(was, now)
        label = f"page {pid} {now.title!r}" + (f" ({fields})" if fields else "")
        if pid not in old_refs:
            reasons.append(f"{label} moved into this {what}")
        elif was is None or was.hash != now.hash:
            reasons.append(f"{label} changed")
    for pid in sorted(old_refs - set(refs)):
        was = previous.pages.get(pid)
        title = f" {was.title!r}" if was else ""
        gone = "" if pid in inputs.pages else ", which is no longer published"
        reasons.append(f"page {pid}{title} left this {what}{gone}")
    if not reasons:
        reasons.append("its order or pagination changed")
    if len(reasons) > MAX_REASONS:
        reasons[MAX_REASONS:] = [f"and {len(reasons) - MAX_REASONS} more changes"]
    return "; ".join(reasons)


def _changed_fields(was: PageRecord | None, now: PageRecord) -> str:
    if was is None or was.hash == now.hash:
        return ""
    before, after = was.fields, now.fields
    names = sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))
    return ", ".join(names)


def content_changes(inputs: Inputs, previous: BuildGraph) -> str:
    """A one-line summary of what changed in the content since ``previous`` (for generators)."""
    reasons = []
    if previous.globals.get("generators") != inputs.globals["generators"]:
        reasons.append("the builder or its libraries changed")
    if previous.globals.get("environment") != inputs.globals["environment"]:
        reasons.append("JAMTAIL_* environment changed")
    if previous.globals.get("site") != inputs.globals["site"]:
        reasons.append("site settings changed")
    added = [pid for pid in inputs.pages if pid not in previous.pages]
    gone = [pid for pid in previous.pages if pid not in inputs.pages]
    changed = [
        pid
        for pid, rec in inputs.pages.items()
        if pid in previous.pages and previous.pages[pid].hash != rec.hash
    ]
    for label, ids in (("published", added), ("removed", gone), ("changed", changed)):
        if ids:
            shown = ", ".join(str(i) for i in ids[:5]) + (" ..." if len(ids) > 5 else "")
            reasons.append(f"{len(ids)} page(s) {label}: {shown}")
    return "; ".join(reasons) or "redirects changed"
