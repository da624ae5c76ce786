"""The build manifest: every file of a built site with its size and digests.

``jamtail build`` writes ``.jamtail-manifest.json`` at the root of the site it
builds, inside the staging directory, so the manifest is swapped in with the
files it describes and can never disagree with them. Deploy backends read it
instead of hashing the whole tree (:class:`~jamtail.deploy.files.SiteFiles`),
so a deploy and its dry run see which files changed at the cost of reading
one file.

Format 3 (UTF-8): seven lines, each one JSON value, the files as columns of
one length, sorted by path::

    {"format": 3, "build": "<build id>", "files": <count>}
    ["blog/hello/index.html", ...]          paths
    [size, ...]                             sizes in bytes
    "<sha1 hex><sha1 hex>..."               40 hex digits per file
    "<md5 hex><md5 hex>..."                 32 hex digits per file
    [["/blog/hello/", "/blog/gone/"], ...]  broken_links, or null
    [...]                                   broken_links_before, or null

A one-page publish reads three manifests (the output's, the spare's and the
recycled release's) and writes one; at 50,000 pages (67,199 files, 14 MB)
format 2 (one JSON object of four lists) took 60-190 ms to read each time.
One value a line lets a reader decode only what it needs: a line equal, byte
for byte, to a kept manifest's is taken from it undecoded (the paths, when
no file came or went), the broken links are decoded when asked for, and a
digest column is one string, not 67,199. Formats 1 (an
object of ``path: [size, sha1, md5]``) and 2 are still read (a release
deployed by an older Jamtail); only format 3 is written.

``broken_links`` (``[source page URL, link target]``, sorted) are the site's
broken internal links as the build's link check found them
(:mod:`jamtail.links`); a deploy compares them with the live site's.
``broken_links_before`` are those of the site the build replaced in its
output directory, what a deploy compares with when the target cannot say
what is live. A manifest written before the check existed has neither.

Paths are ``/``-separated and relative to the site root; the manifest does
not list itself. SHA-1 is what Netlify's file digest API and the local
backend compare; MD5 is an S3 ETag for single-part uploads.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple

from jamtail.collector import collector_paused

MANIFEST_NAME = ".jamtail-manifest.json"
FORMAT = 3
_CHUNK = 1 << 20
_BLOCK = 256  # entries compared at once when a manifest is read beside a kept one
_SHA1, _MD5 = 40, 32  # hex digits
_LINES = 7

log = logging.getLogger(__name__)


class FileEntry(NamedTuple):
    """One file: ``size`` in bytes, ``sha1`` and ``md5`` as lowercase hex.

    A named tuple rather than a frozen dataclass: reading a manifest makes one
    per file (13,000 for a 10,000-page site, several times per deploy), and a
    tuple is made about five times faster.
    """

    size: int
    sha1: str
    md5: str


class Columns(NamedTuple):
    """Files as format 3 holds them: ``paths`` sorted, ``sizes``, and the digests
    concatenated (:data:`_SHA1` and :data:`_MD5` hex digits a file)."""

    paths: list[str]
    sizes: list[int]
    sha1: str
    md5: str


#: ``FileEntry(*fields)`` for ``(size, sha1, md5)``, without a Python-level call per file.
_as_entry = partial(tuple.__new__, FileEntry)


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


Links = list[tuple[str, str]]


class Manifest:
    """The files of one build: ``files`` maps site path to :class:`FileEntry` (in no
    particular order).

    ``raw``: the bytes it was read from (:func:`read_manifest`), so a copy can
    be written without serialising it again; ``None`` for a new manifest.
    ``broken_links``: ``(source, target)`` pairs; ``None`` when not recorded;
    ``broken_links_before``: the same for the site this build replaced (both
    decoded from ``raw`` when first asked for).
    """

    def __init__(
        self,
        build: str,
        files: dict[str, FileEntry],
        raw: bytes | None = None,
        broken_links: Links | None = None,
        broken_links_before: Links | None = None,
    ):
        self.build = build
        self.files = files
        self.raw = raw
        self._links: list[Links | None] = [broken_links, broken_links_before]
        # Format 3's columns and lines (offsets in raw), when read or written as such.
        self._columns: Columns | None = None
        self._lines: list[tuple[int, int]] = []
        self._encoded: list[bytes | None] = [None, None]  # the links' lines, not yet decoded

    def __repr__(self) -> str:
        return f"Manifest(build={self.build!r}, files={len(self.files)})"

    def _raw_line(self, index: int) -> memoryview:
        """Line ``index`` of ``raw`` (format 3, read or written), undecoded."""
        assert self.raw is not None
        return memoryview(self.raw)[slice(*self._lines[index])]

    @property
    def broken_links(self) -> Links | None:
        return self._decoded(0)

    @property
    def broken_links_before(self) -> Links | None:
        return self._decoded(1)

    def _decoded(self, which: int) -> Links | None:
        encoded = self._encoded[which]
        if encoded is not None:
            self._encoded[which] = None
            try:
                self._links[which] = _links(json.loads(encoded))
            except (ValueError, TypeError, RecursionError):
                log.warning(
                    "the broken links recorded in build %s's manifest are damaged", self.build
                )
        return self._links[which]

    def write(self, site_dir: Path) -> None:
        """Write ``site_dir/.jamtail-manifest.json`` (paths sorted, so builds diff cleanly).

        Raises ``ValueError`` when an entry's digests are not SHA-1 and MD5 hex.
        """
        paths = sorted(self.files)
        entries = list(map(self.files.__getitem__, paths))
        columns = Columns(
            paths,
            list(map(itemgetter(0), entries)),
            "".join(map(itemgetter(1), entries)),
            "".join(map(itemgetter(2), entries)),
        )
        if len(columns.sha1) != _SHA1 * len(paths) or len(columns.md5) != _MD5 * len(paths):
            raise ValueError("a manifest entry's digests are not SHA-1 and MD5 hex")
        recorded = (self.broken_links, self.broken_links_before)
        links = [None if pairs is None else sorted(pairs) for pairs in recorded]
        header = {"format": FORMAT, "build": self.build, "files": len(paths)}
        values = [header, *columns, *links]
        lines = [_kept_line(index, value) or _encoded(value) for index, value in enumerate(values)]
        raw = b"\n".join(lines)
        target = site_dir / MANIFEST_NAME
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(raw)
        os.replace(tmp, target)
        # The deploy that follows a build reads this manifest back: it is parsed already.
        written = Manifest(self.build, dict(zip(paths, entries, strict=True)), raw, *links)
        written._columns, written._lines = columns, _offsets(raw)
        _remember(raw, written)


def _encoded(value: Any) -> bytes:
    """``value`` as one line of JSON (a digest column, all hex, without scanning it for escapes)."""
    if isinstance(value, str) and value.isascii() and value.isalnum():
        return b'"' + value.encode("ascii") + b'"'
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


def _kept_line(index: int, value: Any) -> bytes | None:
    """A kept manifest's line holding ``value`` as line ``index``, if there is one.

    What a publish's manifest shares with the one before it, not encoded again:
    the paths (when no file came or went) and the broken links, both before
    and after the build (the last build's are this one's ``broken_links_before``).
    """
    for manifest in reversed(_parsed.values()):
        if manifest.raw is None or manifest._columns is None:
            continue
        if index in (1, 2) and manifest._columns[index - 1] == value:
            return bytes(manifest._raw_line(index))
        if index in (5, 6) and value is not None:
            for which in (0, 1):
                if manifest._encoded[which] is None and manifest._links[which] == value:
                    return bytes(manifest._raw_line(5 + which))
    return None


def read_manifest(site_dir: Path) -> Manifest | None:
    """The manifest of the site in ``site_dir``; ``None`` when it has none or it is unreadable.

    A missing or damaged manifest is not an error: callers fall back to
    hashing the files (deploy) or to a full build (the incremental builder).

    One build and deploy reads up to six manifests (the build output, its
    spare, the live and the recycled releases). The last :data:`_PARSED_KEEP`
    manifests read or written are kept: equal bytes are parsed once, and a
    manifest read after one of them (a release a few publishes old) is that
    one's copy with the entries that differ changed (:func:`_files`). The
    result is shared between callers and must be treated as read-only.
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
        if raw.startswith(b'{"format":3,'):
            return _parse_lines(raw)
        data = json.loads(raw.decode("utf-8"))
        if data.get("format") == 2:
            files = _format_2(data)
        elif data.get("format") == 1:
            # FileEntry(*entry) raises TypeError unless entry is [size, sha1, md5].
            files = {path: FileEntry(*entry) for path, entry in data["files"].items()}
        else:
            return None
        links = _links(data.get("broken_links"))
        before = _links(data.get("broken_links_before"))
    return Manifest(str(data["build"]), files, raw, links, before)


def _format_2(data: dict[str, Any]) -> dict[str, FileEntry]:
    """Format 2's four lists as ``path -> FileEntry``; ``ValueError`` unless they are lists
    of one length, the paths strings."""
    columns = (data["paths"], data["sizes"], data["sha1"], data["md5"])
    if not all(isinstance(column, list) for column in columns):
        raise ValueError("a manifest column is not a list")
    paths, *entries = columns
    if not all(isinstance(path, str) for path in paths):  # format 1's were object keys
        raise ValueError("a manifest path is not a string")
    # strict: columns of different lengths raise ValueError, never pair wrongly.
    return dict(zip(paths, map(FileEntry._make, zip(*entries, strict=True)), strict=True))


def _parse_lines(raw: bytes) -> Manifest:
    """Format 3; raises ``ValueError`` (and the others :func:`read_manifest` catches) when
    it is malformed."""
    lines = _offsets(raw)
    if len(lines) != _LINES:
        raise ValueError(f"a manifest has {len(lines)} lines, not {_LINES}")
    view = memoryview(raw)
    header = json.loads(bytes(view[slice(*lines[0])]))
    count = header["files"]
    kept = _sibling()
    columns = Columns(
        _line(view, lines, 1, kept, 0),
        _line(view, lines, 2, kept, 1),
        _line(view, lines, 3, None, 2),
        _line(view, lines, 4, None, 3),
    )
    paths, sizes, sha1, md5 = columns
    if not (isinstance(paths, list) and isinstance(sizes, list)):
        raise ValueError("a manifest column is not a list")
    if not (isinstance(sha1, str) and isinstance(md5, str)):
        raise ValueError("a manifest digest column is not a string")
    if not (len(paths) == len(sizes) == count == len(sha1) / _SHA1 == len(md5) / _MD5):
        raise ValueError("the manifest's columns differ in length")
    if kept is None or kept._columns is None or paths is not kept._columns.paths:
        if not set(map(type, paths)) <= {str}:
            raise ValueError("a manifest path is not a string")
        if paths != sorted(paths):
            raise ValueError("a manifest's paths are not sorted")
    manifest = Manifest(str(header["build"]), _files(columns, kept), raw)
    manifest._columns, manifest._lines = columns, lines
    manifest._encoded = [bytes(view[slice(*lines[5])]), bytes(view[slice(*lines[6])])]
    return manifest


def _offsets(raw: bytes) -> list[tuple[int, int]]:
    """``(start, end)`` of each line of ``raw``."""
    offsets, start = [], 0
    while (end := raw.find(b"\n", start)) != -1:
        offsets.append((start, end))
        start = end + 1
    offsets.append((start, len(raw)))
    return offsets


def _sibling() -> Manifest | None:
    """The newest kept format 3 manifest, if any."""
    return next((m for m in reversed(_parsed.values()) if m._columns is not None), None)


def _line(
    view: memoryview, lines: list[tuple[int, int]], index: int, kept: Manifest | None, column: int
) -> Any:
    """Line ``index`` decoded, or ``kept``'s column ``column`` when the line is equal."""
    mine = view[slice(*lines[index])]
    if kept is not None and kept._columns is not None:
        theirs = kept._raw_line(index)
        if len(theirs) == len(mine) and theirs == mine:
            return kept._columns[column]
    return json.loads(bytes(mine))


def _files(columns: Columns, kept: Manifest | None) -> dict[str, FileEntry]:
    """``path -> FileEntry`` for ``columns``, in no particular order: a copy of ``kept``'s
    with what differs changed.

    Both lists of paths are sorted, so they are walked side by side like a
    merge, :data:`_BLOCK` entries at a time while they agree.
    """
    paths, sizes, sha1, md5 = columns
    if kept is None or kept._columns is None:
        with_sha1 = [sha1[i : i + _SHA1] for i in range(0, len(sha1), _SHA1)]
        with_md5 = [md5[i : i + _MD5] for i in range(0, len(md5), _MD5)]
        entries = map(_as_entry, zip(sizes, with_sha1, with_md5, strict=True))
        return dict(zip(paths, entries, strict=True))
    old = kept._columns
    files = dict(kept.files)

    def entry(i: int) -> FileEntry:
        return FileEntry(
            sizes[i], sha1[_SHA1 * i : _SHA1 * (i + 1)], md5[_MD5 * i : _MD5 * (i + 1)]
        )

    i = j = 0
    while i < len(paths) and j < len(old.paths):
        if _same_block(columns, i, old, j):
            i, j = i + _BLOCK, j + _BLOCK  # the usual case: all but a few blocks are equal
            continue
        for _ in range(_BLOCK):
            if i == len(paths) or j == len(old.paths):
                break
            new_path, old_path = paths[i], old.paths[j]
            if new_path <= old_path:
                files[new_path] = entry(i)  # changed (or the same), or new
                i += 1
                j += new_path == old_path
            else:
                del files[old_path]  # gone
                j += 1
    files.update((paths[k], entry(k)) for k in range(i, len(paths)))
    for gone in old.paths[j:]:
        del files[gone]
    return files


def _same_block(new: Columns, i: int, old: Columns, j: int) -> bool:
    """Whether the :data:`_BLOCK` entries from ``new``'s ``i`` and ``old``'s ``j`` are equal."""
    end, old_end = i + _BLOCK, j + _BLOCK
    return (
        new.paths[i:end] == old.paths[j:old_end]
        and new.sizes[i:end] == old.sizes[j:old_end]
        and new.sha1[_SHA1 * i : _SHA1 * end] == old.sha1[_SHA1 * j : _SHA1 * old_end]
        and new.md5[_MD5 * i : _MD5 * end] == old.md5[_MD5 * j : _MD5 * old_end]
    )


def _links(value: list | None) -> Links | None:
    """``[[source, target], ...]`` as pairs; raises ``ValueError``/``TypeError`` when malformed."""
    return None if value is None else [(str(source), str(target)) for source, target in value]
