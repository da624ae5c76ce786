"""Writer: the only code that writes the site to disk.

Every output goes into a fresh staging directory next to the destination;
two outputs claiming one path is an :class:`OutputError`, never a silent
overwrite. :meth:`Writer.commit` swaps the staging directory into place
atomically (``renameat2(RENAME_EXCHANGE)`` on Linux), so readers of the
destination see the old site or the new one, never a mix; :meth:`Writer.abort`
throws the staging directory away and leaves the destination untouched.

Incremental builds fill the staging directory from the live site with hard
links (:meth:`Writer.link`) and render only what changed. That is safe
because nothing ever writes into a staged file: every file is created new
(a rendered page, an asset) or linked whole, so a file shared with the live
site is never modified. The writer keeps each file's manifest entry and
writes the manifest (:mod:`jamtail.manifest`) into the staging directory
before the swap, so the manifest always describes the tree next to it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import logging
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from .exceptions import OutputError
from .manifest import FileEntry, Manifest, digest_bytes
from .media import safe_relative

log = logging.getLogger(__name__)

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class Writer:
    """Write files under a staging directory for ``out_dir``.

    ``files`` and ``bytes`` count what has been written so far; ``entries``
    maps each recorded path to its manifest entry; ``build_id`` names this
    build in the manifest.
    """

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir.resolve()
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        self.staging = Path(
            tempfile.mkdtemp(prefix=f".{self.out_dir.name}.staging-", dir=self.out_dir.parent)
        )
        self.claimed: dict[str, str] = {}
        self.entries: dict[str, FileEntry] = {}
        self.build_id = uuid.uuid4().hex
        self.files = 0
        self.bytes = 0
        self._dirs: set[Path] = set()

    def path_for(self, rel: str, owner: str) -> Path:
        """Claim ``rel`` (``/``-separated) for ``owner`` and return its staging path."""
        try:
            key = safe_relative(rel).as_posix()
        except ValueError as exc:
            raise OutputError(f"{owner}: {exc}") from exc
        if key in ("", "."):
            raise OutputError(f"{owner}: empty output path")
        if key in self.claimed:
            raise OutputError(
                f"{owner} and {self.claimed[key]} both write {key}: "
                "change a slug or remove one of them"
            )
        self.claimed[key] = owner
        target = self.staging / key
        if target.parent not in self._dirs:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(target.parent)
        return target

    def key(self, rel: str) -> str:
        """The normalised site path (the manifest key) for ``rel``."""
        return safe_relative(rel).as_posix()

    def write(self, rel: str, data: bytes | str, owner: str) -> None:
        """Write ``data`` (text is UTF-8 encoded) to ``rel``, a new file."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        with open(self.path_for(rel, owner), "xb") as f:
            f.write(raw)
        self.record(self.key(rel), digest_bytes(raw))

    def link(self, rel: str, source: Path, entry: FileEntry, owner: str) -> bool:
        """Hard-link the finished file ``source`` (unchanged since the last build) to ``rel``.

        Returns False, leaving ``rel`` unclaimed, when ``source`` is gone (the
        caller then renders it). Falls back to a copy across file systems.
        """
        target = self.path_for(rel, owner)
        try:
            os.link(source, target)
        except FileNotFoundError:
            del self.claimed[self.key(rel)]
            return False
        except OSError:
            shutil.copy2(source, target)
        self.record(self.key(rel), entry)
        return True

    def record(self, key: str, entry: FileEntry) -> None:
        """Count a file placed at the claimed path ``key`` and keep its manifest entry."""
        self.entries[key] = entry
        self.files += 1
        self.bytes += entry.size

    def commit(self) -> None:
        """Write the manifest, then make the staging directory the destination atomically."""
        Manifest(self.build_id, self.entries).write(self.staging)
        if self.out_dir.exists():
            if not _exchange(self.staging, self.out_dir):
                old = self.out_dir.with_name(f".{self.out_dir.name}.old-{os.getpid()}")
                os.rename(self.out_dir, old)
                os.rename(self.staging, self.out_dir)
                self.staging = old
            _discard(self.staging, f".{self.out_dir.name}.trash-")
        else:
            os.rename(self.staging, self.out_dir)
        os.chmod(self.out_dir, 0o755)

    def abort(self) -> None:
        """Discard everything written; the destination is untouched."""
        shutil.rmtree(self.staging, ignore_errors=True)


def _discard(tree: Path, prefix: str) -> None:
    """Delete the replaced site in the background: the build need not wait for it.

    Removing tens of thousands of files takes longer than an incremental
    build; ``rm`` runs detached, and a tree it leaves behind (machine
    stopped) is a hidden sibling of the site that the next discard removes.
    """
    trash = tree.with_name(prefix + uuid.uuid4().hex[:12])
    try:
        os.rename(tree, trash)
        subprocess.Popen(
            ["rm", "-rf", "--", *map(str, trash.parent.glob(glob.escape(prefix) + "*"))],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        shutil.rmtree(tree, ignore_errors=True)
        shutil.rmtree(trash, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two directories with Linux ``renameat2``; False if unsupported."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result != 0:
        log.debug("renameat2 failed: %s", os.strerror(ctypes.get_errno()))
        return False
    return True
