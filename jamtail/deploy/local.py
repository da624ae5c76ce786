"""Deploy to a local directory: ``releases/<id>/`` and an atomically switched ``current`` link.

Layout under the deploy root (``JAMTAIL_DEPLOY_DIR``, default ``deploy``)::

    releases/20261121T101500123456Z/   one complete site per deploy
    current -> releases/<id>           what a web server (or ``jamtail serve``) serves

A deploy copies the build into a new release, hard-linking every file that
is unchanged since the live release (same size and SHA-1), then replaces
``current`` with ``os.replace`` on a fresh symlink, which is atomic: readers
see the old release or the new one. The newest ``JAMTAIL_DEPLOY_KEEP``
releases (default 5) are kept; the live one is never removed.

When the build has a manifest (``jamtail build`` writes one), the release
keeps a copy, so the next plan compares two manifests and reads no file:
a one-page change on a large site is planned and deployed in the time it
takes to link the unchanged files.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

from ..exceptions import ConfigError
from ..manifest import MANIFEST_NAME, FileEntry, Manifest, read_manifest
from .base import DeployBackend, DeployError, DeployPlan, DeployResult
from .files import SiteFiles

log = logging.getLogger(__name__)


class LocalBackend(DeployBackend):
    """Params: ``dir`` (deploy root), ``keep`` (releases kept, at least 1)."""

    name = "local"

    def __init__(self, params):
        super().__init__(params)
        self.root = Path(self.params.get("dir") or "deploy").resolve()
        try:
            self.keep = max(1, int(self.params.get("keep") or 5))
        except ValueError:
            raise ConfigError("JAMTAIL_DEPLOY_KEEP must be a whole number") from None
        self.releases = self.root / "releases"
        self.current = self.root / "current"

    @classmethod
    def from_environ(cls) -> LocalBackend:
        return cls(
            {
                "dir": os.environ.get("JAMTAIL_DEPLOY_DIR"),
                "keep": os.environ.get("JAMTAIL_DEPLOY_KEEP"),
            }
        )

    def live_release(self) -> str | None:
        """The id ``current`` points at, or ``None`` before the first deploy."""
        if not self.current.is_symlink():
            return None
        return Path(os.readlink(self.current)).name

    def release_ids(self) -> list[str]:
        """Complete releases, oldest first."""
        if not self.releases.is_dir():
            return []
        return sorted(p.name for p in self.releases.iterdir() if p.is_dir() and "." not in p.name)

    def _live_files(self) -> dict[str, tuple[Path, str | None]]:
        """Site path -> (file in the live release, its SHA-1 from the release manifest)."""
        live = self.live_release()
        if live is None:
            return {}
        base = self.releases / live
        manifest = read_manifest(base)
        if manifest is not None:
            return {path: (base / path, e.sha1) for path, e in manifest.files.items()}
        return {
            p.relative_to(base).as_posix(): (p, None)
            for p in base.rglob("*")
            if p.is_file() and p.name != MANIFEST_NAME
        }

    def _unchanged(self, site: SiteFiles, path: str, old: tuple[Path, str | None] | None) -> bool:
        if old is None:
            return False
        file, sha1 = old
        if sha1 is not None:  # from the live release's manifest: nothing to read
            return sha1 == site.sha1(path)
        return file.stat().st_size == site.size(path) and SiteFiles.sha1_of(file) == site.sha1(path)

    def plan(self, site: SiteFiles, force_delete: bool = False) -> DeployPlan:
        live = self._live_files()
        plan = DeployPlan(self.name)
        for path in site.paths:
            if not self._unchanged(site, path, live.get(path)):
                plan.uploads.append(path)
                plan.upload_bytes += site.size(path)
        plan.deletes = sorted(set(live) - set(site.paths))
        return plan

    def deploy(self, site: SiteFiles, plan: DeployPlan) -> DeployResult:
        started = time.monotonic()
        release = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        live = self._live_files()
        staging = self.releases / f"{release}.partial"
        recycled = self._recycle(staging) if site.manifest is not None else None
        if recycled is None:
            staging.mkdir(parents=True)
        held = recycled or {}
        changed = set(plan.uploads)
        made: set[Path] = {staging} | {(staging / p).parent for p in held}
        try:
            for path in site.paths:
                target = staging / path
                if path in held and held[path] == site.entry(path):
                    continue  # the recycled release already has this content
                if target.parent not in made:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    made.add(target.parent)
                # Never write into a recycled file: other releases share it.
                tmp = target.with_name(target.name + ".jamtail-tmp")
                if path not in changed and path in live:
                    os.link(live[path][0], tmp)
                else:
                    shutil.copy2(site.file(path), tmp)
                os.replace(tmp, target)
            _remove_except(staging, held, set(site.paths))
            if site.manifest is not None:
                entries = {path: site.entry(path) for path in site.paths}
                Manifest(site.manifest.build, entries).write(staging)
            staging.rename(self.releases / release)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise DeployError(f"could not write release {release} in {self.root}: {exc}") from exc
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
        """Reuse the release the next prune would delete as ``staging``; its manifest's files.

        Renaming the oldest surplus release and changing the files that
        differ costs a few operations per changed file, where a new release
        costs a directory and a link per page. ``None`` when no release is
        due for pruning or it has no manifest to say what it holds.
        """
        live = self.live_release()
        releases = self.release_ids()
        candidates = [r for r in releases if r != live]
        if len(releases) < self.keep or not candidates:
            return None
        old = self.releases / candidates[0]
        manifest = read_manifest(old)
        if manifest is None:
            return None
        os.rename(old, staging)
        os.unlink(staging / MANIFEST_NAME)  # dirty until renamed into place
        return manifest.files

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

    def rollback(self, to: str | None = None) -> str:
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
            raise DeployError(f"no release {to!r} in {self.releases}; have: {', '.join(releases)}")
        self._switch(to)
        return to


def _remove_except(root: Path, held: dict[str, FileEntry], wanted: set[str]) -> None:
    """Delete the files of a recycled release that the new site does not have."""
    for path in held:
        if path in wanted:
            continue
        target = root / path
        target.unlink(missing_ok=True)
        parent = target.parent
        while parent != root:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent
