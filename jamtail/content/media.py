"""Media: make every media URL in the content local to the built site.

Images and documents live in the CMS's storage (``/media/...`` on the CMS, or
an S3 bucket). The static site must not depend on the CMS being up, so every
media URL found in the content (image dicts, ``src``/``href`` attributes in
rich text) is rewritten to a root-relative ``/media/...`` path and the file
is copied into the build. Downloads go through a persistent cache so a second
build of unchanged content downloads no image again
(files without a content hash are revalidated with a conditional GET).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import sqlite3
import tarfile
from collections import deque
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import IO, Any, cast
from urllib.parse import unquote, urljoin, urlsplit

import requests

from jamtail.content.client import CMSClient
from jamtail.content.lazy import LazyPage
from jamtail.exceptions import CMSError

log = logging.getLogger(__name__)

_ATTR_RE = re.compile(r'(\s(?:src|href|poster)=")([^"]+)(")')
LOCAL_PREFIX = "/media/"
Identity = tuple[int, int, int]  # a file's (inode, size, mtime_ns)
Digests = tuple[int, str, str]  # its (size, sha1 hex, md5 hex), as a manifest FileEntry
VERSIONS_BATCH = 1000  # paths a request: cms.content.media_versions.MAX_PATHS
ARCHIVE_BATCH = 1000  # the same limit, for cms.content.media_archive
STREAM_BUFFER = 1 << 20  # bytes read from an archive at a time (tarfile reads 10 KiB)
WRITES_AHEAD = 8  # files of an archive read and waiting to be written (16 MiB at most each)


class MediaLocaliser:
    """Rewrite media URLs to local paths and remember which files to fetch.

    ``api_url`` is the CMS API root; ``media_url`` the CMS's ``MEDIA_URL``
    (absolute, as the site-settings endpoint gives it); ``site_origin`` the
    scheme and host of the CMS's page URLs, stripped from internal links.
    :attr:`files` maps local path (``/media/images/x.png``) to
    ``(absolute source URL, version)`` where version is the image's file hash
    when known (a changed file has a new hash and is fetched again).
    """

    def __init__(self, api_url: str, media_url: str, site_origin: str = ""):
        self.media_base = urljoin(api_url, media_url or "/media/")
        self.api_url = api_url
        self.site_origin = site_origin.rstrip("/")
        self.files: dict[str, tuple[str, str]] = {}
        # The same rendition recurs on many pages: url, version -> (local, file or None).
        self._seen: dict[tuple[str, str], tuple[str, tuple[str, str] | None]] = {}

    @property
    def key(self) -> str:
        """What the rewriting depends on, as one string (a different key, different URLs)."""
        return f"{self.media_base}\0{self.api_url}\0{self.site_origin}"

    @property
    def markers(self) -> tuple[str, ...]:
        """Strings that every URL this localiser rewrites contains: the media path, the origin.

        ``("",)`` (found in anything) when the media files are at the root of a host.
        """
        path = urlsplit(self.media_base).path
        if path in ("", "/"):
            return ("",)
        return (path, self.site_origin) if self.site_origin else (path,)

    def local_url(self, url: str, version: str = "") -> str:
        """Return the site path for ``url``; URLs outside the media storage are unchanged."""
        key = (url, version)
        seen = self._seen.get(key)
        if seen is None:
            seen = self._seen[key] = self._local_url(url, version)
        if seen[1] is not None:
            self.files.setdefault(seen[0], seen[1])
        return seen[0]

    def _local_url(self, url: str, version: str) -> tuple[str, tuple[str, str] | None]:
        absolute = urljoin(self.api_url, url)
        if absolute.startswith(self.media_base):
            local = LOCAL_PREFIX + absolute[len(self.media_base) :].split("?", 1)[0]
            return local, (absolute, version)
        if self.site_origin and url.startswith(self.site_origin + "/"):
            return url[len(self.site_origin) :], None
        return url, None

    def files_of(self, value: Any) -> dict[str, tuple[str, str]]:
        """The media files ``value`` refers to (also added to :attr:`files`)."""
        return self.localise_with_files(value)[1]

    def localise_with_files(self, value: Any) -> tuple[Any, dict[str, tuple[str, str]]]:
        """:meth:`localise` ``value``; also return the media files it refers to."""
        outer, self.files = self.files, {}
        try:
            return self.localise(value), self.files
        finally:
            mine, self.files = self.files, outer
            for local, source in mine.items():
                outer.setdefault(local, source)

    def localise(self, value: Any) -> Any:
        """Return ``value`` (any JSON-like data) with every media URL made local."""
        if isinstance(value, dict):
            if "renditions" in value and "url" in value:
                return self._image(value)
            return {key: self.localise(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.localise(item) for item in value]
        if isinstance(value, str) and "<" in value and "=" in value:
            return _ATTR_RE.sub(lambda m: m[1] + self.local_url(m[2]) + m[3], value)
        return value

    def _image(self, image: dict[str, Any]) -> dict[str, Any]:
        version = image.get("file_hash") or ""
        renditions = [
            {**r, "url": self.local_url(r["url"], version)} for r in image.get("renditions", [])
        ]
        return {**image, "url": self.local_url(image["url"], version), "renditions": renditions}


def localise_pages(
    pages: list[dict[str, Any]], localiser: MediaLocaliser, jobs: int = 1
) -> tuple[list[dict[str, Any]], dict[int, list[str]]]:
    """``pages`` with media URLs made local, and the media files each page uses, by id.

    Every file is also added to ``localiser.files``. A
    :class:`~jamtail.content.lazy.LazyPage` keeps its lazy fields (the body) unread:
    its loader localises them when they are read, and the files they refer
    to come from the content cache's per-page record (computed once per
    version of the body), so a build reads only the bodies it renders.
    ``jobs``: processes that make a first build's many missing records
    (:meth:`~jamtail.content.lazy.BodyLoader.fill`).
    """
    lazy = [p for p in pages if isinstance(p, LazyPage) and p.lazy_hashes]
    body_files: dict[int, dict[str, list[str]]] = {}
    for loader in {id(p.loader): p.loader for p in lazy}.values():
        loader.transform, loader.transform_key = localiser.localise, localiser.key
        loader.transform_markers = localiser.markers
        loader.forget()
        mine = [p for p in lazy if p.loader is loader]
        loader.fill("media", localiser.key, mine, localiser.files_of, jobs)  # a first build
        body_files.update(loader.derived("media", localiser.key, mine, localiser.files_of))
    result = []
    media: dict[int, list[str]] = {}
    for page in pages:
        head, files = localiser.localise_with_files(page)
        for local, (source, version) in body_files.get(page["id"], {}).items():
            files.setdefault(local, (source, version))
            localiser.files.setdefault(local, (source, version))
        media[page["id"]] = sorted(files)
        result.append(page.with_head(head) if isinstance(page, LazyPage) else head)
    return result, media


class _NoArchives(Exception):
    """The CMS has no media-archive endpoint."""


class MediaStore:
    """Copy media files into a build directory through a download cache.

    ``cache_dir`` keeps one file per (source URL, version); files are
    hard-linked into the build when the file system allows, else copied.
    It also keeps the digests of the files it placed (``digests.sqlite3``), so
    a build without its dependency graph (a new output folder, a cleared
    graph) does not hash the media again. ``cache_dir`` is shared by builds
    of the same CMS.
    """

    def __init__(self, client: CMSClient, cache_dir: Path, workers: int = 8):
        self.client = client
        self.cache_dir = cache_dir
        self.workers = workers

    def with_versions(
        self, files: dict[Path, tuple[str, str]], media_base: str
    ) -> dict[Path, tuple[str, str]]:
        """``files`` (target: (source URL, version)) with a version for each unversioned
        file the CMS can version (``POST media-versions/``, :data:`VERSIONS_BATCH` paths
        a request; ``cms/content/media_versions.py``).

        A versioned file is downloaded once per version; one left unversioned
        is revalidated with a conditional GET on every build. A CMS without
        the endpoint (403, 404 or 405) versions none. Raises :class:`CMSError` for another
        error answer or a malformed one, :class:`CMSUnavailableError` as the
        client does.
        """
        # The unversioned files' paths under the media storage ("": elsewhere).
        paths = {s: _media_path(s, media_base) for s, version in files.values() if not version}
        wanted = sorted(set(paths.values()) - {""})
        versions: dict[str, str] = {}
        for start in range(0, len(wanted), VERSIONS_BATCH):
            try:
                answer = self.client.post_json(
                    "media-versions/", {"paths": wanted[start : start + VERSIONS_BATCH]}
                )
            except CMSError as exc:
                # A CMS from before the endpoint: its page view answers 404, or 403 when
                # Django's CSRF check sees a POST first; 405 from a proxy.
                if exc.status in (403, 404, 405):
                    log.info("the CMS versions no media (%s): files are revalidated", exc.status)
                    return files
                raise
            found = answer.get("versions") if isinstance(answer, dict) else None
            if not isinstance(found, dict) or not all(isinstance(v, str) for v in found.values()):
                raise CMSError(f"media-versions/ answered {str(answer)[:200]!r}, not versions")
            versions.update(found)
        return {
            target: (source, version or versions.get(paths[source], ""))
            for target, (source, version) in files.items()
        }

    def place(self, files: dict[Path, tuple[str, str]], media_base: str = "") -> int:
        """Put each ``target: (source URL, version)`` in place; return bytes downloaded.

        The versioned files under ``media_base`` (the CMS's media URL) that the
        cache lacks are asked for in archives first (:meth:`fetch_archives`) when
        the CMS serves them itself (the same origin as its API); every other
        file, and any an archive did not deliver, one GET each. Media on a CDN
        or S3 is fetched that way, in parallel from where it lives, never
        through the CMS.
        """
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        served_here = _origin(media_base) == _origin(self.client.api_url)
        size = self.fetch_archives(files.values(), media_base) if served_here else 0
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            return size + sum(pool.map(self._place, sorted(files.items())))

    def fetch_archives(self, sources: Iterable[tuple[str, str]], media_base: str) -> int:
        """Download into the cache, :data:`ARCHIVE_BATCH` a request (``POST media-archive/``,
        ``cms/content/media_archive.py``), the versioned ``(source URL, version)`` files under
        ``media_base`` it lacks; return bytes written.

        Only complete files are kept: an archive cut short, malformed or refused
        (a CMS without the endpoint) is logged and what it lacked is left for
        :meth:`place` to fetch one by one. Never raises for the CMS's answer.
        """
        wanted: dict[str, Path] = {}
        for source, version in sources:
            path = _media_path(source, media_base) if version else ""
            cached = self.cached_path(source, version)
            if path and not cached.exists():
                wanted[path] = cached
        paths, written = sorted(wanted), {}
        try:
            for start in range(0, len(paths), ARCHIVE_BATCH):
                batch = {path: wanted[path] for path in paths[start : start + ARCHIVE_BATCH]}
                written.update(self._fetch_archive(batch))
        except _NoArchives:
            pass
        if written:  # hashed as they were written: _record_media need not read them again
            self.remember_digests(written)
        return sum(size for size, _, _ in written.values())

    def _fetch_archive(self, batch: dict[str, Path]) -> dict[Identity, Digests]:
        """One archive's files written to the cache (see :meth:`fetch_archives`), and their
        digests; raises :class:`_NoArchives` when the CMS has no such endpoint."""
        written: dict[Identity, Digests] = {}
        try:
            with (
                self.client.post_stream("media-archive/", {"paths": list(batch)}) as answer,
                ThreadPoolExecutor(self.workers) as pool,
            ):
                answer.raw.decode_content = True
                _extract(cast(IO[bytes], answer.raw), batch, pool, written)
        except CMSError as exc:
            if exc.status in (403, 404, 405):  # a CMS from before the endpoint
                log.info("the CMS has no media archive (%s): files are fetched singly", exc)
                raise _NoArchives from exc
            log.warning("media archive refused (%s): files are fetched singly", exc)
        except (OSError, EOFError, tarfile.TarError, requests.RequestException) as exc:
            log.warning("media archive cut short (%s): the rest are fetched singly", exc)
        return written

    def cached_path(self, source: str, version: str) -> Path:
        """Where the cache keeps the file for ``(source URL, version)``."""
        key = hashlib.sha256(f"{source}\0{version}".encode()).hexdigest()
        return self.cache_dir / key[:2] / key

    def _place(self, job: tuple[Path, tuple[str, str]]) -> int:
        target, (source, version) = job
        cached = self.cached_path(source, version)
        size = 0
        if not cached.exists():
            size = self.client.download(source, cached)
        elif not version:
            # No content hash to key on (a file the CMS cannot version): revalidate.
            size = self.client.download(source, cached, revalidate=True)
        try:
            os.link(cached, target)
        except OSError:
            shutil.copyfile(cached, target)
        return size

    def _connect(self) -> sqlite3.Connection:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.cache_dir / "digests.sqlite3", timeout=30)
        db.execute(
            "CREATE TABLE IF NOT EXISTS files (ino INTEGER, size INTEGER, mtime_ns INTEGER,"
            " sha1 TEXT, md5 TEXT, PRIMARY KEY (ino, size, mtime_ns)) WITHOUT ROWID"
        )
        return db

    def known_digests(self) -> dict[Identity, Digests]:
        """``(size, sha1 hex, md5 hex)`` of the files this cache placed before, by their
        identity ``(inode, size, mtime_ns)`` (a hard link to a cached file is that file).

        Remembered in ``cache_dir/digests.sqlite3``; a damaged or locked one is
        logged and reads as empty (the files are hashed again).
        """
        try:
            with closing(self._connect()) as db:
                rows = db.execute("SELECT ino, size, mtime_ns, sha1, md5 FROM files").fetchall()
        except sqlite3.Error as exc:
            log.warning("media digests not read (%s): hashing the media files", exc)
            return {}
        return {(ino, size, mtime): (size, sha1, md5) for ino, size, mtime, sha1, md5 in rows}

    def remember_digests(self, digests: Mapping[Identity, Digests]) -> None:
        """Add ``digests`` (as :meth:`known_digests` returns them); errors are logged."""
        try:
            with closing(self._connect()) as db, db:
                db.executemany(
                    "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
                    ((*key, sha1, md5) for key, (_, sha1, md5) in digests.items()),
                )
        except sqlite3.Error as exc:
            log.warning("media digests not saved (%s): the next build hashes them again", exc)


def _extract(
    stream: IO[bytes],
    wanted: dict[str, Path],
    pool: ThreadPoolExecutor,
    written: dict[Identity, Digests],
) -> None:
    """Write the regular files of the tar ``stream`` that ``wanted`` names (media path ->
    cache path) to their cache paths, on ``pool``'s threads; add each written file's
    digests to ``written`` (by identity), also when reading fails later.

    A member's name is only looked up in ``wanted``, never used as a path. Files
    are written and hashed on threads: creating a file costs a quarter of a
    millisecond of system time, more than reading it (760 files: 0.2 s), and
    hashing lets go of the GIL; at most :data:`WRITES_AHEAD` wait in memory.
    Each is written beside its place and moved there once complete, so a
    stream that breaks off leaves no partial file. Raises what reading or
    writing raises.
    """
    writes: deque[Future[tuple[Identity, Digests]]] = deque()

    def collect(write: Future[tuple[Identity, Digests]]) -> None:
        identity, digests = write.result()
        written[identity] = digests

    try:
        with tarfile.open(fileobj=stream, mode="r|", bufsize=STREAM_BUFFER) as archive:
            for member in archive:
                target = wanted.get(member.name)
                source = archive.extractfile(member) if member.isfile() and target else None
                if source is None or target is None:
                    continue
                data = source.read()
                if len(data) != member.size:
                    raise EOFError(f"{member.name} ended short")
                writes.append(pool.submit(_write_file, target, data))
                while len(writes) > WRITES_AHEAD:
                    collect(writes.popleft())
    finally:
        for write in writes:
            collect(write)


def _write_file(target: Path, data: bytes) -> tuple[Identity, Digests]:
    """Write ``data`` to ``target`` (through a ``.part`` file); its identity and digests."""
    part = target.with_name(target.name + ".part")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        part.write_bytes(data)
        part.replace(target)
    finally:
        part.unlink(missing_ok=True)
    st = target.stat()
    digests = (len(data), hashlib.sha1(data).hexdigest(), hashlib.md5(data).hexdigest())
    return (st.st_ino, st.st_size, st.st_mtime_ns), digests


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def _media_path(source: str, media_base: str) -> str:
    """``source``'s path under the media storage (decoded, as Wagtail stores file names),
    or ``""`` for a URL outside it."""
    if not source.startswith(media_base):
        return ""
    return unquote(urlsplit(source[len(media_base) :]).path)


def safe_relative(url_path: str) -> Path:
    """A relative file path for a URL path, refusing ``..`` and absolute escapes."""
    parts = [p for p in urlsplit(url_path).path.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise ValueError(f"path escapes the site: {url_path!r}")
    return Path(*parts) if parts else Path()
