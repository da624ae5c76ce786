"""Writer: the only code that writes the site to disk.

Every output goes into a fresh staging directory next to the destination;
two outputs claiming one path is an :class:`OutputError`, never a silent
overwrite. :meth:`Writer.commit` swaps the staging directory into place
atomically (``renameat2(RENAME_EXCHANGE)`` on Linux), so readers of the
destination see the old site or the new one, never a mix; :meth:`Writer.abort`
throws the staging directory away and leaves the destination untouched.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import shutil
import tempfile
from pathlib import Path

from .exceptions import OutputError
from .media import safe_relative

log = logging.getLogger(__name__)

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class Writer:
    """Write files under a staging directory for ``out_dir``.

    ``files`` and ``bytes`` count what has been written so far.
    """

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir.resolve()
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        self.staging = Path(
            tempfile.mkdtemp(prefix=f".{self.out_dir.name}.staging-", dir=self.out_dir.parent)
        )
        self.claimed: dict[str, str] = {}
        self.files = 0
        self.bytes = 0

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
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def write(self, rel: str, data: bytes | str, owner: str) -> None:
        """Write ``data`` (text is UTF-8 encoded) to ``rel``."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        self.path_for(rel, owner).write_bytes(raw)
        self.files += 1
        self.bytes += len(raw)

    def count(self, files: int, nbytes: int) -> None:
        """Add files that another component wrote to claimed paths to the counters."""
        self.files += files
        self.bytes += nbytes

    def count_placed(self, paths: list[Path]) -> None:
        """Add files placed at claimed paths (media) to the counters, by their size on disk."""
        self.count(len(paths), sum(path.stat().st_size for path in paths))

    def commit(self) -> None:
        """Make the staging directory the destination, atomically where the OS allows."""
        if self.out_dir.exists():
            if not _exchange(self.staging, self.out_dir):
                old = self.out_dir.with_name(f".{self.out_dir.name}.old-{os.getpid()}")
                os.rename(self.out_dir, old)
                os.rename(self.staging, self.out_dir)
                self.staging = old
            shutil.rmtree(self.staging, ignore_errors=True)
        else:
            os.rename(self.staging, self.out_dir)
        os.chmod(self.out_dir, 0o755)

    def abort(self) -> None:
        """Discard everything written; the destination is untouched."""
        shutil.rmtree(self.staging, ignore_errors=True)


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
