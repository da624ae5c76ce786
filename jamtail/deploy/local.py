"""Deploy to a local directory: ``releases/<id>/`` and an atomically switched ``current`` link.

Layout under the deploy root (``JAMTAIL_DEPLOY_DIR``, default ``deploy``)::

    releases/20261121T101500123456Z/   one complete site per deploy, with its manifest
    releases/<id>.partial/             a release being written (never served, never kept)
    current -> releases/<id>           what a web server (or ``jamtail serve``) serves
    .lock                              held while a deploy or rollback runs

A deploy makes the new release in ``releases/<id>.partial/``, renames it to
``releases/<id>/`` once complete, and then replaces ``current`` with
``os.replace`` on a fresh symlink, which is atomic: readers see the old
release or the new one. The newest ``JAMTAIL_DEPLOY_KEEP`` releases (default
5) are kept; the live one is never removed or changed.

What a deploy costs:

- While fewer than ``keep`` releases exist, a new release is a new tree:
  every file unchanged since the live release is hard-linked from it, the
  others are copied from the build (one directory and one link per file).
- After that the oldest release that is not live is *recycled*: renamed to
  ``<id>.partial`` (so it is no longer a release: rollback cannot pick it),
  its manifest removed, and only the files that differ between its manifest
  and the build's are changed: removed files deleted, changed and new files
  linked from the live release or copied from the build under a temporary
  name and renamed over the old one (files are shared between releases by
  hard links, so none is ever written into). A one-page change on a
  10,000-page site is a handful of file operations.

Each release keeps a copy of the manifest (``.jamtail-manifest.json``, see
:mod:`jamtail.write.manifest`), written last, just before the release is renamed
into place: a plan compares the build's manifest with the live release's,
reading and checking only the files that changed (see
:class:`~jamtail.deploy.files.SiteFiles`). A deploy killed at any point
leaves ``current`` on a complete release and at most one ``.partial``
directory, which the next deploy deletes.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from jamtail.deploy.base import DeployBackend, DeployError, DeployPlan, DeployResult
from jamtail.deploy.files import SiteFiles
from jamtail.exceptions import ConfigError
from jamtail.settings import Settings
from jamtail.write.manifest import MANIFEST_NAME, FileEntry, Manifest, digest_file, read_manifest

log = logging.getLogger(__name__)

PARTIAL = ".partial"
TMP = ".jamtail-tmp"


class LocalBackend(DeployBackend):
    """Params: ``dir`` (deploy root), ``keep`` (releases kept, at least 1)."""

    name = "local"

    def __init__(self, params):
        super().__init__(params)
        self.root = Path(self.params.get("dir") or "deploy").resolve()
        try:
            self.keep = max(1, int(self.params.get("keep") or 5))
        except ValueError:
            raise ConfigError(
                f"JAMTAIL_DEPLOY_KEEP must be a whole number, not {self.params.get('keep')!r}"
            ) from None
        self.releases = self.root / "releases"
        self.current = self.root / "current"
        # release id -> its files: a complete release never changes under its id
        # (recycling renames it first), so plan and deploy read each manifest once.
        self._files: dict[str, dict[str, FileEntry]] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalBackend:
        return cls({"dir": str(settings.deploy.dir), "keep": str(settings.deploy.keep)})

    def live_release(self) -> str | None:
        """The id ``current`` points at, or ``None`` before the first deploy."""
        if not self.current.is_symlink():
            return None
        return Path(os.readlink(self.current)).name

    def release_ids(self) -> list[str]:
        """Complete releases, oldest first (``.partial`` directories excluded)."""
        if not self.releases.is_dir():
            return []
        return sorted(p.name for p in self.releases.iterdir() if p.is_dir() and "." not in p.name)

    def release_files(self, release: str) -> dict[str, FileEntry]:
        """Site path -> size and digests of every file of ``release``.

        From the release's manifest; a release written by an older Jamtail
        has none, and its files are hashed.
        """
        files = self._manifest_files(release)
        if files is None:
            base = self.releases / release
            files = self._files[release] = {
                p.relative_to(base).as_posix(): digest_file(p)
                for p in base.rglob("*")
                if p.is_file() and p.name != MANIFEST_NAME
            }
        return files

    def _manifest_files(self, release: str) -> dict[str, FileEntry] | None:
        """The files ``release``'s manifest lists; ``None`` when it has no (readable) manifest."""
        if release not in self._files:
            manifest = read_manifest(self.releases / release)
            if manifest is None:
                return None
            self._files[release] = manifest.files
        return self._files[release]

    def live_broken_links(self) -> list[tuple[str, str]] | None:
        """The broken links the live release's manifest records; ``None`` before the first
        deploy or when that manifest has none."""
        live = self.live_release()
        if live is None:
            return None
        manifest = read_manifest(self.releases / live)
        return manifest.broken_links if manifest is not None else None

    def plan(self, site: SiteFiles, force_delete: bool = False) -> DeployPlan:
        """Uploads: files whose size or digests differ from the live release's; reads no file."""
        live = self.live_release()
        old = self.release_files(live) if live else {}
        new = _site_entries(site)
        plan = DeployPlan(self.name)
        plan.uploads = [p for p in site.paths if old.get(p) != new[p]]
        plan.upload_bytes = sum(site.size(p) for p in plan.uploads)
        plan.deletes = sorted(old.keys() - new.keys())
        return plan

    def deploy(self, site: SiteFiles, plan: DeployPlan) -> DeployResult:
        """Write a release for ``site`` (recycling the oldest one when ``keep`` exist), switch.

        Raises :class:`DeployError` when a file cannot be written; ``current``
        is then unchanged.
        """
        started = time.monotonic()
        with self._locked():
            self._discard_partials()
            release = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            staging = self.releases / f"{release}{PARTIAL}"
            entries = dict(_site_entries(site))
            try:
                held = self._recycle(staging)
                if held is None:
                    staging.mkdir(parents=True)
                    held = {}
                as_built = self._patch(staging, held, entries, site)
                self._write_manifest(staging, site, entries, as_built, release)
                os.rename(staging, self.releases / release)
            except OSError as exc:
                shutil.rmtree(staging, ignore_errors=True)
                raise DeployError(
                    f"could not write release {release} in {self.root}: {exc}"
                ) from exc
            except Exception:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            self._switch(release)
            self._prune()
        return DeployResult(
            self.name,
            uploaded=len(plan.uploads),
            bytes=plan.upload_bytes,
            deleted=len(plan.deletes),
            invalidated=0,
            seconds=time.monotonic() - started,
            url=self.current.as_uri(),
            release=release,
        )

    def _recycle(self, staging: Path) -> dict[str, FileEntry] | None:
        """Turn the oldest release that is not live into ``staging``; return its files.

        ``None`` (nothing changed) while fewer than ``keep`` releases exist, or
        when the oldest has no manifest to say what it holds (it is then
        pruned instead).
        """
        live = self.live_release()
        releases = self.release_ids()
        candidates = [r for r in releases if r != live]
        if len(releases) < self.keep or not candidates:
            return None
        oldest = candidates[0]
        held = self._manifest_files(oldest)
        if held is None:
            return None
        # First out of the releases (rollback can no longer pick it), then its
        # manifest goes: from here it is a partial release the next deploy deletes.
        os.rename(self.releases / oldest, staging)
        del self._files[oldest]
        (staging / MANIFEST_NAME).unlink(missing_ok=True)
        log.info("recycling release %s", oldest)
        return held

    def _patch(
        self,
        staging: Path,
        held: dict[str, FileEntry],
        entries: dict[str, FileEntry],
        site: SiteFiles,
    ) -> bool:
        """Make ``staging`` (holding ``held``) hold ``entries``: O(files that differ).

        Files equal in the live release are hard-linked from it, the others
        copied from the build; a file copied from the build is checked
        (:meth:`SiteFiles.entry`) and ``entries`` gets what was really copied.
        True when every copied file was as ``entries`` said (nothing edited
        after the build).
        """
        as_built = True
        root = str(staging)
        # Deletions first: a removed file may stand where a new directory goes.
        for path in held.keys() - entries.keys():
            _remove(root, path)
        live = self.live_release()
        live_files = self.release_files(live) if live else {}
        live_root = str(self.releases / live) if live else ""
        made: set[str] = set()
        # Found in one pass first: the loop below is per file changed, not per file.
        differing = [path for path, entry in entries.items() if held.get(path) != entry]
        for path in differing:
            entry = entries[path]
            target = os.path.join(root, path)
            parent = os.path.dirname(target)
            if parent not in made:
                _mkdir(parent)
                made.add(parent)
            # A recycled file may be shared with other releases (hard links):
            # never write into it, put a new file in its place.
            tmp = target + TMP if path in held else target
            if live_files.get(path) == entry:
                os.link(os.path.join(live_root, path), tmp)
            else:
                copied = site.entry(path)
                if copied != entry:
                    entries[path], as_built = copied, False
                shutil.copy2(site.file(path), tmp)
            if tmp != target:
                os.replace(tmp, target)
        return as_built

    @staticmethod
    def _write_manifest(
        staging: Path, site: SiteFiles, entries: dict[str, FileEntry], as_built: bool, release: str
    ) -> None:
        """The release's manifest: the build's own bytes when it describes the release."""
        manifest = site.manifest
        if manifest is not None and as_built and manifest.raw is not None:
            (staging / MANIFEST_NAME).write_bytes(manifest.raw)
        else:
            if manifest is None:
                Manifest(release, entries).write(staging)
            else:
                links = (manifest.broken_links, manifest.broken_links_before)
                Manifest(manifest.build, entries, None, *links).write(staging)

    def _discard_partials(self) -> None:
        """Delete what a killed deploy left: ``.partial`` releases, temporary links."""
        if self.releases.is_dir():
            for partial in self.releases.iterdir():
                if partial.name.endswith(PARTIAL):
                    log.warning("deleting %s, left by an interrupted deploy", partial)
                    shutil.rmtree(partial, ignore_errors=True)
        for link in self.root.glob(".current-*"):
            link.unlink(missing_ok=True)

    @contextmanager
    def _locked(self, create: bool = True) -> Iterator[None]:
        """Hold ``<root>/.lock``: one deploy or rollback at a time (others wait).

        Without ``create``, a missing deploy root is left missing (nothing to lock).
        """
        if not create and not self.root.is_dir():
            yield
            return
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                log.warning("waiting for another deploy or rollback of %s", self.root)
                fcntl.flock(lock, fcntl.LOCK_EX)
            yield  # the lock goes with the file's closing

    def _switch(self, release: str) -> None:
        link = self.root / f".current-{release}"
        link.symlink_to(Path("releases") / release)
        os.replace(link, self.current)
        log.info("current -> releases/%s", release)

    def _prune(self) -> None:
        live = self.live_release()
        for old in self.release_ids()[: -self.keep]:
            if old != live:
                shutil.rmtree(self.releases / old)
                self._files.pop(old, None)

    def rollback(self, to: str | None = None) -> str:
        with self._locked(create=False):
            releases = self.release_ids()
            live = self.live_release()
            if to is None:
                older = [r for r in releases if live is None or r < live]
                if not older:
                    raise DeployError(
                        f"no release older than {live} in {self.releases} to roll back to"
                    )
                to = older[-1]
            elif to not in releases:
                raise DeployError(
                    f"no release {to!r} in {self.releases}; have: {', '.join(releases)}"
                )
            self._switch(to)
        return to


def _site_entries(site: SiteFiles) -> dict[str, FileEntry]:
    """The build's manifest, as written (nothing read); every file hashed when it has none."""
    if site.manifest is not None:
        return site.manifest.files
    return {path: site.entry(path) for path in site.paths}


def _mkdir(path: str) -> None:
    """``os.makedirs(path, exist_ok=True)`` in one system call when the parent exists."""
    try:
        os.mkdir(path)
    except FileExistsError:
        pass
    except FileNotFoundError:
        os.makedirs(path, exist_ok=True)


def _remove(root: str, path: str) -> None:
    """Delete ``root/path`` and the directories it leaves empty (up to ``root``)."""
    target = os.path.join(root, path)
    with suppress(FileNotFoundError):
        os.unlink(target)
    parent = os.path.dirname(target)
    while len(parent) > len(root):
        try:
            os.rmdir(parent)
        except OSError:
            break
        parent = os.path.dirname(parent)
