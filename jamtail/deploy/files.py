"""The built site as deployable files: paths, sizes, digests, content types, cache policies.

Digests are computed on first use and kept, so a backend that needs SHA-1
(Netlify) and one that needs MD5 (S3 ETags) each hash a file once. A site
built by ``jamtail build`` carries a manifest (:mod:`jamtail.write.manifest`) with
every file's size, SHA-1 and MD5: its digests are used instead of reading the
files, for every file whose size matches and that was not modified after the
manifest was written (a file edited by hand afterwards is hashed again).
A file is checked (one ``stat``) when its size or digests are first asked
for, so a backend that compares manifests looks only at the files it copies.
"""

from __future__ import annotations

import hashlib
import mimetypes
from functools import cached_property
from pathlib import Path

from jamtail.exceptions import ConfigError
from jamtail.rules import HeaderRule, headers_for, load_rules
from jamtail.write.manifest import MANIFEST_NAME, FileEntry, read_manifest

CHUNK = 1 << 20
#: Served by Netlify and ``jamtail serve`` as rules, never as files.
RULE_FILES = {"_headers", "_redirects"}
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=0, must-revalidate"
_TEXT_TYPES = {
    "application/javascript",
    "application/json",
    "application/xml",
    "application/atom+xml",
    "application/rss+xml",
    "image/svg+xml",
}
mimetypes.add_type("image/svg+xml", ".svg")
mimetypes.add_type("image/avif", ".avif")
mimetypes.add_type("image/webp", ".webp")
mimetypes.add_type("application/javascript", ".js")
mimetypes.add_type("text/css", ".css")


def _digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            h.update(block)
    return h.hexdigest()


def multipart_etag(path: Path, part_size: int) -> str:
    """The ETag S3 gives ``path`` when uploaded in ``part_size`` parts: ``md5(md5s)-N``."""
    md5s = []
    with path.open("rb") as f:
        while part := f.read(part_size):
            md5s.append(hashlib.md5(part).digest())
    return f"{hashlib.md5(b''.join(md5s)).hexdigest()}-{len(md5s)}"


def content_type(path: str) -> str:
    """The Content-Type for a site path; text types carry ``charset=utf-8``."""
    guessed = mimetypes.guess_type(path)[0] or "application/octet-stream"
    if guessed.startswith("text/") or guessed in _TEXT_TYPES:
        return f"{guessed}; charset=utf-8"
    return guessed


class SiteFiles:
    """The files of a built site directory, keyed by ``/``-separated relative path.

    Raises :class:`ConfigError` when ``root`` is not a built site (no ``index.html``).
    """

    def __init__(self, root: Path):
        self.root = Path(root)
        if not (self.root / "index.html").is_file():
            raise ConfigError(f"{self.root} has no index.html: run `jamtail build` first")
        self._sha1: dict[str, str] = {}
        self._md5: dict[str, str] = {}
        self._size: dict[str, int] = {}
        try:  # before reading: a manifest swapped in meanwhile makes files look newer, not older
            self._written = (self.root / MANIFEST_NAME).stat().st_mtime_ns
        except FileNotFoundError:
            self._written = 0
        self.manifest = read_manifest(self.root)

    @cached_property
    def paths(self) -> list[str]:
        """Every file of the site (the manifest itself excluded), sorted.

        From the manifest when there is one, without looking at the files:
        each file is checked when its size or digests are first asked for.
        """
        if self.manifest is None:
            return sorted(
                p.relative_to(self.root).as_posix()
                for p in self.root.rglob("*")
                if p.is_file() and p.name != MANIFEST_NAME
            )
        return sorted(self.manifest.files)

    def _check(self, path: str) -> None:
        """Stat ``path``; use the manifest's digests if the file is as the build left it.

        Raises :class:`ConfigError` when the manifest lists a file that is missing.
        """
        entry = self.manifest.files.get(path) if self.manifest is not None else None
        try:
            st = self.file(path).stat()
        except FileNotFoundError:
            if entry is None:
                raise
            raise ConfigError(
                f"{self.root} lists {path} in {MANIFEST_NAME} but the file is missing: "
                "run `jamtail build` again"
            ) from None
        self._size[path] = st.st_size
        if entry is not None and st.st_size == entry.size and st.st_mtime_ns <= self._written:
            self._sha1[path], self._md5[path] = entry.sha1, entry.md5

    @cached_property
    def header_rules(self) -> list[HeaderRule]:
        return load_rules(self.root)[1]

    def file(self, path: str) -> Path:
        return self.root / path

    def size(self, path: str) -> int:
        if path not in self._size:
            self._check(path)
        return self._size[path]

    def sha1(self, path: str) -> str:
        if path not in self._size:
            self._check(path)
        if path not in self._sha1:
            self._sha1[path] = _digest(self.file(path), "sha1")
        return self._sha1[path]

    @staticmethod
    def sha1_of(path: Path) -> str:
        """SHA-1 of any file (e.g. one already deployed)."""
        return _digest(path, "sha1")

    def md5(self, path: str) -> str:
        if path not in self._size:
            self._check(path)
        if path not in self._md5:
            self._md5[path] = _digest(self.file(path), "md5")
        return self._md5[path]

    def entry(self, path: str) -> FileEntry:
        """Size, SHA-1 and MD5 of ``path`` (from the manifest when it can be trusted)."""
        return FileEntry(self.size(path), self.sha1(path), self.md5(path))

    def cache_control(self, path: str) -> str:
        """Cache-Control from the site's ``_headers`` rules, so every CDN applies one policy.

        Without a matching rule: immutable under ``static/`` (fingerprinted), else revalidate.
        """
        for name, value in headers_for(self.header_rules, "/" + path):
            if name.lower() == "cache-control":
                return value
        return IMMUTABLE if path.startswith("static/") else REVALIDATE


def is_page(path: str) -> bool:
    """Documents readers navigate to (deployed after the assets they reference)."""
    return path.endswith((".html", ".xml", ".txt", ".json")) or path in RULE_FILES
