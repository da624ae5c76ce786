"""The build manifest: every file of a built site with its size and digests.

``jamtail build`` writes ``.jamtail-manifest.json`` at the root of the site it
builds, inside the staging directory, so the manifest is swapped in with the
files it describes and can never disagree with them. Deploy backends read it
instead of hashing the whole tree (:class:`~jamtail.deploy.files.SiteFiles`),
so a deploy and its dry run see which files changed at the cost of reading
one file.

Format 2 (JSON, UTF-8), the files as four columns of one length, sorted by path::

    {"format": 2, "build": "<build id>",
     "paths": ["blog/hello/index.html", ...],
     "sizes": [size, ...], "sha1": ["<sha1 hex>", ...], "md5": ["<md5 hex>", ...],
     "broken_links": [["/blog/hello/", "/blog/gone/"], ...],
     "broken_links_before": [...]}

Columns rather than format 1's object of ``path: [size, sha1, md5]``: a
one-page publish reads three manifests and writes one, and at 50,000 pages
(67,199 files) the columns are read in about 60% of the time (no list per
file to decode and then copy into a tuple). Format 1 is still read (a release
deployed by an older Jamtail); only format 2 is written.

``broken_links`` (``[source page URL, link target]``, sorted) are the site's
broken internal links as the build's link check found them
(:mod:`jamtail.links`); a deploy compares them with the live site's.
``broken_links_before`` are those of the site the build replaced in its
output directory, what a deploy compares with when the target cannot say
what is live. A manifest written before the check existed has neither key.

Paths are ``/``-separated and relative to the site root; the manifest does
not list itself. SHA-1 is what Netlify's file digest API and the local
backend compare; MD5 is an S3 ETag for single-part uploads.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from jamtail.collector import collector_paused

MANIFEST_NAME = ".jamtail-manifest.json"
FORMAT = 2
_CHUNK = 1 << 20


class FileEntry(NamedTuple):
    """One file: ``size`` in bytes, ``sha1`` and ``md5`` as lowercase hex.

    A named tuple rather than a frozen dataclass: reading a manifest makes one
    per file (13,000 for a 10,000-page site, several times per deploy), and a
    tuple is made about five times faster.
    """

    size: int
    sha1: str
    md5: str


def digest_bytes(data: bytes) -> FileEntry:
    """The manifest entry for a file holding ``data``."""
    return FileEntry(len(data), hashlib.sha1(data).hexdigest(), hashlib.md5(data).hexdigest())


def digest_file(path: Path) -> FileEntry:
    """The manifest entry for the file at ``path`` (read in 1 MiB blocks)."""
    sha1, md5, size = hashlib.sha1(), hashlib.md5(), 0
    with path.open("rb") as f:
        while block := f.read(_CHUNK):
            sha1.update(block)
            md5.update(block)
            size += len(block)
    return FileEntry(size, sha1.hexdigest(), md5.hexdigest())


@dataclass
class Manifest:
    """The files of one build: ``files`` maps site path to :class:`FileEntry`.

    ``raw``: the bytes it was read from (:func:`read_manifest`), so a copy can
    be written without serialising it again; ``None`` for a new manifest.
    ``broken_links``: ``(source, target)`` pairs; ``None`` when not recorded;
    ``broken_links_before``: the same for the site this build replaced.
    """

    build: str
    files: dict[str, FileEntry]
    raw: bytes | None = field(default=None, repr=False, compare=False)
    broken_links: list[tuple[str, str]] | None = None
    broken_links_before: list[tuple[str, str]] | None = None

    def write(self, site_dir: Path) -> None:
        """Write ``site_dir/.jamtail-manifest.json`` (paths sorted, so builds diff cleanly)."""
        paths = sorted(self.files)
        entries = [self.files[path] for path in paths]
        files = dict(zip(paths, entries, strict=True))
        data: dict[str, object] = {
            "format": FORMAT,
            "build": self.build,
            "paths": paths,
            "sizes": [entry.size for entry in entries],
            "sha1": [entry.sha1 for entry in entries],
            "md5": [entry.md5 for entry in entries],
        }
        # Tuples encode as JSON arrays: [source, target].
        links = None if self.broken_links is None else sorted(self.broken_links)
        before = None if self.broken_links_before is None else sorted(self.broken_links_before)
        if links is not None:
            data["broken_links"] = links
        if before is not None:
            data["broken_links_before"] = before
        raw = json.dumps(data, separators=(",", ":")).encode("utf-8")
        target = site_dir / MANIFEST_NAME
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(raw)
        os.replace(tmp, target)
        # The deploy that follows a build reads this manifest back: it is parsed already.
        _remember(raw, Manifest(self.build, files, raw, links, before))


def read_manifest(site_dir: Path) -> Manifest | None:
    """The manifest of the site in ``site_dir``; ``None`` when it has none or it is unreadable.

    A missing or damaged manifest is not an error: callers fall back to
    hashing the files (deploy) or to a full build (the incremental builder).

    One build and deploy reads the same manifest up to six times (the build
    output, its spare, the live and the recycled releases), 15 ms each at
    10,000 pages: the last :data:`_PARSED_KEEP` manifests parsed or written are
    kept by their bytes, so equal bytes are parsed once. The result is shared between
    callers and must be treated as read-only.
    """
    try:
        raw = (site_dir / MANIFEST_NAME).read_bytes()
    except OSError:
        return None
    if (parsed := _parsed.get(raw)) is not None:
        return parsed
    try:
        manifest = _parse(raw)
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
    if manifest is not None:
        _remember(raw, manifest)
    return manifest


_PARSED_KEEP = 3
_parsed: dict[bytes, Manifest] = {}


def _remember(raw: bytes, manifest: Manifest) -> None:
    """Keep ``manifest`` as what ``raw`` parses to, forgetting the oldest beyond the limit."""
    _parsed.pop(raw, None)
    _parsed[raw] = manifest
    while len(_parsed) > _PARSED_KEEP:
        del _parsed[next(iter(_parsed))]


def _parse(raw: bytes) -> Manifest | None:
    """The manifest in ``raw``; ``None`` for an unknown format (errors as :func:`read_manifest`)."""
    with collector_paused():
        data = json.loads(raw.decode("utf-8"))
        if data.get("format") == FORMAT:
            files = _columns(data)
        elif data.get("format") == 1:
            # FileEntry(*entry) raises TypeError unless entry is [size, sha1, md5].
            files = {path: FileEntry(*entry) for path, entry in data["files"].items()}
        else:
            return None
        links = _links(data.get("broken_links"))
        before = _links(data.get("broken_links_before"))
    return Manifest(str(data["build"]), files, raw, links, before)


def _columns(data: dict[str, Any]) -> dict[str, FileEntry]:
    """Format 2's columns as ``path -> FileEntry``; ``ValueError`` unless four lists of one
    length, the paths strings."""
    columns = (data["paths"], data["sizes"], data["sha1"], data["md5"])
    if not all(isinstance(column, list) for column in columns):
        raise ValueError("a manifest column is not a list")
    paths, *entries = columns
    if not all(isinstance(path, str) for path in paths):  # format 1's were object keys
        raise ValueError("a manifest path is not a string")
    # strict: columns of different lengths raise ValueError, never pair wrongly.
    return dict(zip(paths, map(FileEntry._make, zip(*entries, strict=True)), strict=True))


def _links(value: list | None) -> list[tuple[str, str]] | None:
    """``[[source, target], ...]`` as pairs; raises ``ValueError``/``TypeError`` when malformed."""
    return None if value is None else [(str(source), str(target)) for source, target in value]
