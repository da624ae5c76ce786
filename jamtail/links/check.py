"""The link check stage: every internal link of the new site must lead somewhere.

A link (read by :mod:`jamtail.render.links`) is fine when its path is

- a file of the site (``/static/site.css``, ``/feed.xml``, a media file),
  or a folder with an ``index.html`` (``/blog/``, and ``/blog``, which the
  CDN redirects to ``/blog/``);
- the source of a rule in the site's ``_redirects`` (Wagtail redirects, the
  rewrites to the functions): the CDN answers it;
- served by a function (:data:`FUNCTION_PATHS`: search, comments, preview);

and, when it has a fragment and leads to an HTML file, that file has an
element with that id (or an ``a`` with that name). ``#top`` and an empty
fragment always work (HTML Living Standard, "scroll to the fragment").
Links to other sites are not checked.

The check is incremental. The store (:mod:`jamtail.links.store`) keeps
each HTML file's links by the file's SHA-1, so only files whose content
changed are read; and when the site replaced in the output directory is the
one whose broken links the store holds, only what the changes can affect is
checked again: the links of the files read, the links that were broken
(a new file may mend them), and the fragment links into a page whose ids
changed. When a file that a page links to was removed (the store keeps
every path linked to), the ``_redirects`` rules changed or the store
describes another build, every stored link is checked again (from the
store, without reading the files). Either way the answer is the same list
a check of every link would give (``tests/test_linkcheck.py``,
``tests/test_incremental_random.py``).
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from jamtail.links.store import CheckState, LinkStore
from jamtail.render.links import PageLinks, extract, page_url
from jamtail.rules import RedirectRule, parse_redirects
from jamtail.write.manifest import FileEntry, Manifest

log = logging.getLogger(__name__)

#: Paths the functions answer (``netlify.toml`` rewrites them; ``jamtail serve`` mounts them).
FUNCTION_PATHS = ("/api/search", "/api/comments", "/preview")
#: Files to read before the reading is shared between processes.
PARALLEL_THRESHOLD = 400


class BrokenLink(NamedTuple):
    """A link that leads nowhere: ``source`` is the URL path of the page that has it
    (``/blog/hello/``), ``target`` the link resolved against it (``/blog/gone/``,
    ``/docs/#no-such-id``).

    A named tuple (equal to, and ordered as, the pair ``(source, target)``)
    rather than a frozen dataclass: a site's check makes one per broken link,
    thousands on a large site, on every build, and a tuple is made about five
    times faster.
    """

    source: str
    target: str

    def as_dict(self) -> dict[str, str]:
        """``{"source": ..., "target": ...}`` (the build report's JSON shape)."""
        return {"source": self.source, "target": self.target}

    def __str__(self) -> str:
        return f"{self.source} -> {self.target}"


@dataclass
class LinkReport:
    """What the check found.

    ``broken``: every broken internal link of the site, sorted. ``new``: those
    the site it replaces did not have (all of them when that site recorded
    none); ``before``: that site's list, as ``(source, target)`` pairs
    (``None`` when there was no site or it recorded none).
    ``pages``: HTML files in the site; ``read``: how many of them had their
    links read this time (from the file, or as they were rendered);
    ``incremental``: only what changed was checked again.
    """

    broken: list[BrokenLink] = field(default_factory=list)
    new: list[BrokenLink] = field(default_factory=list)
    before: list[tuple[str, str]] | None = None
    pages: int = 0
    read: int = 0
    incremental: bool = False


def check_links(
    site_dir: Path,
    files: dict[str, FileEntry],
    origin: str,
    previous: Manifest | None,
    store: LinkStore,
    jobs: int = 1,
    full: bool = False,
    known: Mapping[str, PageLinks] | None = None,
) -> tuple[LinkReport, Callable[[str], None]]:
    """Check the links of the site in ``site_dir`` whose files are ``files`` (path -> entry).

    ``origin``: the site's ``scheme://host`` (absolute links to it count as
    internal). ``previous``: the manifest of the site being replaced (``None``
    when there is none). ``full``: read every file, use nothing stored
    (``jamtail build --full``). ``jobs``: processes that read files when
    there are many. ``known``: the links of files as they are in ``site_dir``
    now, by path (the render stage reads them from the HTML it writes):
    those files are not read. Returns the report and a function that records the
    check in ``store`` under the new build's id: call it once the new site is
    in place, so the store never describes a site that was not committed.
    """
    pages = [key for key in files if key.endswith(".html")]
    state = store.state()
    complete = full or state.origin != origin
    removed: list[str] = []  # files of the replaced site that are gone, when it is compared
    if not complete and previous is not None and state.build == previous.build:
        # The store was saved for the site being replaced, so its digests are that
        # site's manifest's: compare the two manifests, and only the pages that differ.
        was = previous.files
        changed = [key for key in pages if was.get(key) != files[key]]
        removed = [key for key in was if key not in files]
        gone = [key for key in removed if key.endswith(".html")]
        stored = {key: was[key].sha1 for key in changed if key in was}
    else:
        stored = {} if complete else store.digests()
        changed = [key for key in pages if stored.get(key) != files[key].sha1]
        gone = [key for key in stored if key not in files]
    given = known or {}
    read_now = _read(site_dir, [key for key in changed if key not in given], origin, jobs)
    fresh = {key: given[key] if key in given else read_now[key] for key in changed}
    rules_entry = files.get("_redirects")
    rules = parse_redirects((site_dir / "_redirects").read_text()) if rules_entry else []
    rules_key = rules_entry.sha1 if rules_entry else ""
    incremental = (
        not complete
        and previous is not None
        and state.build == previous.build
        and state.origin == origin
        and state.rules == rules_key
        and previous.broken_links is not None
        and not store.linked(url for key in removed for url in _urls_of(key))
    )
    targets = _Targets(files.keys(), rules, fresh, store)
    if incremental:
        assert previous is not None
        assert previous.broken_links is not None
        added = files.keys() - previous.files.keys()
        broken = _recheck(targets, fresh, store, stored, added, previous.broken_links)
    else:
        everything = store.pages(key for key in pages if key not in fresh)
        everything.update(fresh)
        targets.known.update(everything)
        broken = sorted(
            {
                BrokenLink(page_url(key), link)
                for key, page in everything.items()
                for link in page.links
                if not targets.resolves(key, link)
            }
        )
    recorded = previous.broken_links if previous is not None else None
    before = sorted(recorded) if recorded is not None else None
    broken_before = set(before or ())  # (source, target) pairs, equal to the BrokenLinks
    report = LinkReport(
        broken=broken,
        new=[link for link in broken if link not in broken_before],
        before=before,
        pages=len(pages),
        read=len(fresh),
        incremental=incremental,
    )
    read = {key: (files[key].sha1, fresh[key]) for key in fresh}

    def record(build: str) -> None:
        store.save(
            CheckState(build, origin, rules_key),
            read,
            gone,
            everything=complete,
        )
        store.close()

    return report, record


def _recheck(
    targets: _Targets,
    fresh: dict[str, PageLinks],
    store: LinkStore,
    stored: dict[str, str],
    added: Collection[str],
    was_broken: list[tuple[str, str]],
) -> list[BrokenLink]:
    """The broken links after a change, checking only what the change can affect.

    ``added``: the files the previous site did not have; ``was_broken``: its
    broken links (sorted, as its manifest records them).
    """
    # Pages whose ids changed: links with a fragment into them may be mended or broken.
    before = store.pages(key for key in fresh if key in stored)
    reshaped = [key for key, page in fresh.items() if key in before and before[key].ids != page.ids]
    linking = store.linking_with_fragments(url for key in reshaped for url in _urls_of(key))
    again = store.pages(key for key in linking if key not in fresh)
    targets.known.update(again)
    broken: set[BrokenLink] = set()
    for key, page in [*fresh.items(), *again.items()]:
        broken.update(
            BrokenLink(page_url(key), link)
            for link in page.links
            if not targets.resolves(key, link)
        )
    checked = {page_url(key) for key in fresh} | {page_url(key) for key in again}
    # A link broken before, from a page not read again, is mended only by a new file
    # at its path: the rules are the same (else the check is not incremental), and a
    # fragment into a page whose ids changed was checked again above, with its page.
    # One pass over what may be thousands of links, most of them broken still.
    mended_by = {url for key in added for url in _urls_of(key)}  # what new files answer
    files = targets.files
    kept: list[tuple[str, str]] = []
    mendable = []
    for source, target in was_broken:
        if source in checked:
            continue  # read again above
        owner = source[1:] + "index.html" if source.endswith("/") else source[1:]
        if owner not in files:
            continue  # its file is gone
        if target.partition("#")[0] in mended_by:
            mendable.append((owner, source, target))
        else:
            kept.append((source, target))
    targets.preload(target for _, _, target in mendable)
    broken.update(
        BrokenLink(source, target)
        for owner, source, target in mendable
        if not targets.resolves(owner, target)
    )
    # ``kept`` is in order already: sorting it with the few others is one merge.
    return sorted([*map(_as_broken_link, kept), *broken])


#: ``BrokenLink(*pair)`` for a pair, without a Python-level call per link.
_as_broken_link = partial(tuple.__new__, BrokenLink)


def _urls_of(key: str) -> list[str]:
    """The link paths that lead to the file ``key`` (``/x/index.html``, ``/x/``, ``/x``)."""
    url = page_url(key)
    forms = [url, "/" + key]
    if url.endswith("/") and url != "/":
        forms.append(url.rstrip("/"))
    return forms


def site_origin(base_url: str) -> str:
    """``scheme://host[:port]`` of the site's base URL (empty when it has none)."""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


class _Targets:
    """Answers whether a link leads somewhere (see the module docstring)."""

    def __init__(
        self,
        files: Collection[str],
        rules: list[RedirectRule],
        known: dict[str, PageLinks],
        store: LinkStore,
    ):
        self.files = files
        self.rules = rules
        self.known = dict(known)
        self.store = store
        self.answers: dict[str, bool] = {}

    def resolves(self, source: str, link: str) -> bool:
        """Whether ``link``, found in the file ``source``, leads somewhere.

        The answer depends on the link alone (a same-page fragment is a link
        to the page's own path), so each distinct link is looked at once.
        """
        known = self.answers.get(link)
        if known is None:
            known = self.answers[link] = self._resolves(link)
        return known

    def _resolves(self, link: str) -> bool:
        path, _, fragment = link.partition("#")
        found = next((c for c in _candidates(path) if c in self.files), "")
        if not found:
            return _served_by_function(path) or any(r.match(path) for r in self.rules)
        if not fragment or fragment.lower() == "top" or not found.endswith(".html"):
            return True
        return fragment in self._ids(found)

    def preload(self, links: Iterable[str]) -> None:
        """Read at once the ids of the pages the fragment links among ``links`` lead to."""
        wanted = set()
        for link in links:
            path, _, fragment = link.partition("#")
            if fragment:
                key = path.lstrip("/")
                wanted.update([key + "index.html"] if not key or key.endswith("/") else [key])
                wanted.add(key.rstrip("/") + "/index.html")
        wanted = {key for key in wanted if key in self.files and key not in self.known}
        if wanted:
            self.known.update(self.store.pages(wanted))

    def _ids(self, key: str) -> frozenset[str]:
        if key not in self.known:
            self.known.update(self.store.pages([key]))
        page = self.known.get(key)
        return page.ids if page else frozenset()


def _candidates(path: str) -> list[str]:
    """The files a link's ``path`` may lead to (``/x/``: ``x/index.html``; ``/x``: ``x``
    or ``x/index.html``)."""
    key = path.lstrip("/")
    if not key or key.endswith("/"):
        return [key + "index.html"]
    return [key, key + "/index.html"]


def _served_by_function(path: str) -> bool:
    return any(path == f or path.startswith(f + "/") for f in FUNCTION_PATHS)


# -- reading files, on every core when there are many --------------------------

_JOB: tuple[Path, list[str], str] | None = None  # set before forking, read by workers


def _read(site_dir: Path, keys: list[str], origin: str, jobs: int) -> dict[str, PageLinks]:
    """Extract the links of the HTML files ``keys`` under ``site_dir``."""
    global _JOB
    chunks = [(start, min(start + 200, len(keys))) for start in range(0, len(keys), 200)]
    _JOB = (site_dir, keys, origin)
    try:
        can_fork = "fork" in multiprocessing.get_all_start_methods()
        if jobs <= 1 or len(keys) < PARALLEL_THRESHOLD or not can_fork:
            results: Iterable[list[PageLinks]] = map(_read_chunk, chunks)
        else:
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                results = pool.map(_read_chunk, chunks)
        return dict(zip(keys, (page for chunk in results for page in chunk), strict=True))
    finally:
        _JOB = None


def _read_chunk(bounds: tuple[int, int]) -> list[PageLinks]:
    assert _JOB is not None
    site_dir, keys, origin = _JOB
    found = []
    for key in keys[bounds[0] : bounds[1]]:
        text = (site_dir / key).read_bytes().decode("utf-8", errors="replace")
        found.append(extract(text, page_url(key), origin))
    return found
