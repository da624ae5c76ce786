"""Writer: the only code that writes the site to disk.

Every output goes into a staging directory next to the destination; two
outputs claiming one path is an :class:`OutputError`, never a silent
overwrite. :meth:`Writer.commit` swaps the staging directory into place
atomically (``renameat2(RENAME_EXCHANGE)`` on Linux), so readers of the
destination see the old site or the new one, never a mix; :meth:`Writer.abort`
throws the staging directory away and leaves the destination untouched.

The staging directory is not built from nothing each time. After a swap the
replaced site is kept beside the live one as the *spare*
(``.<name>.spare``), with its manifest; the next build adopts the spare as
its staging directory and changes only the files whose content differs from
what the new build wants there (the files that changed in the last two
builds), removes what the new build does not produce and creates only new
directories. On a site of 10,000 pages an incremental build therefore
touches tens of files and directories, not tens of thousands.

The spare and the live site share files through hard links, so nothing is
ever modified in place: a file is replaced by writing a new file (or linking
the live one) under a temporary name and renaming it over the old name,
which changes the spare's directory entry and never the shared inode. The
spare's manifest is deleted the moment it is adopted: a build that is killed
leaves a spare without a manifest, which the next build discards (deleting
it in the background) and replaces with a fresh staging directory.

The writer keeps each file's manifest entry and writes the manifest
(:mod:`jamtail.write.manifest`) into the staging directory just before the swap.
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

from jamtail.content.media import safe_relative
from jamtail.exceptions import OutputError
from jamtail.write.manifest import MANIFEST_NAME, FileEntry, Manifest, digest_bytes, read_manifest

log = logging.getLogger(__name__)

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_TMP = ".jamtail-tmp"


def replace_file(target: Path, data: bytes) -> None:
    """Make ``target`` hold ``data`` without writing into the existing file.

    Writes a new file beside it and renames it over ``target``: a hard link
    of the old file elsewhere (the live site) keeps its content. Creates
    ``target``'s missing folders (see :meth:`Writer.claim_all`).
    """
    tmp = target.with_name(target.name + _TMP)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    except FileNotFoundError:
        tmp.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    with open(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, target)


class Writer:
    """Write files under a staging directory for ``out_dir``.

    ``files`` and ``bytes`` count what has been placed so far; ``entries``
    maps each placed path to its manifest entry; ``existing`` what the
    adopted spare held (empty for a fresh staging directory); ``build_id``
    names this build in the manifest.
    """

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir.resolve()
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        self.spare = spare_of(self.out_dir)
        self.trash_prefix = f".{self.out_dir.name}.trash-"
        self.claimed: dict[str, str] = {}
        self.entries: dict[str, FileEntry] = {}
        self.existing: dict[str, FileEntry] = {}
        self.build_id = uuid.uuid4().hex
        self.files = 0
        self.bytes = 0
        self._dirs: set[str] = set()  # folders known to exist, as site paths ("" the root)
        self.staging = self._adopt_spare() or Path(
            tempfile.mkdtemp(prefix=f".{self.out_dir.name}.staging-", dir=self.out_dir.parent)
        )

    def _adopt_spare(self) -> Path | None:
        """Take the spare as the staging directory if its manifest vouches for it."""
        if not self.spare.is_dir():
            return None
        manifest = read_manifest(self.spare)
        if manifest is None:  # a killed build's leftovers: never trust them
            _discard(self.spare, self.trash_prefix)
            return None
        staging = self.out_dir.with_name(f".{self.out_dir.name}.staging-{self.build_id[:12]}")
        try:
            os.rename(self.spare, staging)
        except FileNotFoundError:  # another build took it first
            return None
        os.unlink(staging / MANIFEST_NAME)  # from now on the tree is dirty until commit
        self.existing = manifest.files
        self._dirs = {"", *(p.rpartition("/")[0] for p in manifest.files)}
        return staging

    def path_for(self, rel: str, owner: str) -> Path:
        """Claim ``rel`` (``/``-separated) for ``owner`` and return its staging path."""
        return self._claim(rel, owner)[1]

    def claim_all(self, items: list[tuple[str, str]]) -> list[Path]:
        """Claim each ``(rel, owner)`` as :meth:`path_for` does; return the staging paths.

        For outputs about to be written with :func:`replace_file`: in a fresh
        staging directory their folders are left for it to create, in the
        processes that write them, rather than one ``mkdir`` at a time here
        (a tenth of a Rust blog build on a busy disk). In an adopted spare,
        where a file may stand where a folder goes, they are made here.
        """
        return [self._claim(rel, owner, make_folder=bool(self.existing))[1] for rel, owner in items]

    def _claim(self, rel: str, owner: str, make_folder: bool = True) -> tuple[str, Path]:
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
        folder = key.rpartition("/")[0]
        if make_folder and folder not in self._dirs:
            if target.parent.is_file():  # a file of the spare where a directory goes now
                target.parent.unlink()
            target.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(folder)
        if self.existing and key not in self.existing and target.is_dir():
            # a directory of the spare where a file goes now
            shutil.rmtree(target)
        return key, target

    def key(self, rel: str) -> str:
        """The normalised site path (the manifest key) for ``rel``."""
        return safe_relative(rel).as_posix()

    def current(self, key: str) -> FileEntry | None:
        """What the staging directory holds at ``key`` now (from the adopted spare)."""
        return self.existing.get(key)

    def write(self, rel: str, data: bytes | str, owner: str) -> None:
        """Place ``data`` (text is UTF-8 encoded) at ``rel``, unless it is already there."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        key, target = self._claim(rel, owner)
        entry = digest_bytes(raw)
        if self.existing.get(key) != entry:
            replace_file(target, raw)
        self.record(key, entry)

    def link(self, rel: str, source: Path, entry: FileEntry, owner: str) -> bool:
        """Place the finished file ``source`` (unchanged since the last build) at ``rel``.

        Keeps the staged file when it already has ``entry``'s content; else
        hard-links ``source`` (a copy across file systems). Returns False,
        leaving ``rel`` unclaimed, when ``source`` is gone (the caller then
        renders it).
        """
        key, target = self._claim(rel, owner)
        if self.existing.get(key) != entry:
            tmp = target.with_name(target.name + _TMP)
            try:
                os.link(source, tmp)
            except FileNotFoundError:
                del self.claimed[key]
                return False
            except OSError:
                shutil.copy2(source, tmp)
            os.replace(tmp, target)
        self.record(key, entry)
        return True

    def keep(self, entries: dict[str, FileEntry], owner: str) -> None:
        """Place every file of the live site named in ``entries`` (site path -> entry), unchanged.

        For files the last build checked: the spare usually holds them
        already (nothing to do but count them), the rest are linked from the
        live site. Raises :class:`OutputError` if one has vanished from it.
        """
        claimed = self.claimed
        if clash := claimed.keys() & entries.keys():
            key = min(clash)
            raise OutputError(f"{owner} and {claimed[key]} both write {key}")
        # In bulk: a patch build keeps every file of the site but a few (67,199 at
        # 50,000 pages); a call per file took 121 ms there, this 52 ms.
        existing = self.existing
        to_link = [key for key, entry in entries.items() if existing.get(key) != entry]
        held = dict(entries)
        for key in to_link:
            del held[key]
        claimed.update(dict.fromkeys(held, owner))
        self.entries.update(held)
        self.files += len(held)
        self.bytes += sum(entry.size for entry in held.values())
        for key in to_link:
            if not self.link(key, self.out_dir / key, entries[key], owner):
                raise OutputError(f"{owner}: {key} vanished from {self.out_dir} during the build")

    def record(self, key: str, entry: FileEntry) -> None:
        """Count a file placed at the claimed path ``key`` and keep its manifest entry."""
        self.entries[key] = entry
        self.files += 1
        self.bytes += entry.size

    def remove_unclaimed(self) -> list[str]:
        """Delete the spare's files no output claimed, and directories left empty."""
        gone = [key for key in self.existing if key not in self.claimed]
        for key in gone:
            path = self.staging / key
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            parent = path.parent
            while parent != self.staging:
                try:
                    parent.rmdir()
                except OSError:
                    break
                parent = parent.parent
        return gone

    def commit(
        self,
        broken_links: list[tuple[str, str]] | None = None,
        broken_before: list[tuple[str, str]] | None = None,
    ) -> None:
        """Write the manifest, swap the staging directory in atomically, keep the old as spare.

        ``broken_links``, ``broken_before``: the link check's findings for
        this site and the one it replaces, kept in the manifest.
        """
        self.remove_unclaimed()
        manifest = Manifest(self.build_id, self.entries, None, broken_links, broken_before)
        manifest.write(self.staging)
        if self.out_dir.exists():
            if not _exchange(self.staging, self.out_dir):
                old = self.out_dir.with_name(f".{self.out_dir.name}.old-{os.getpid()}")
                os.rename(self.out_dir, old)
                os.rename(self.staging, self.out_dir)
                self.staging = old
            if self.spare.exists():
                _discard(self.spare, self.trash_prefix)
            os.rename(self.staging, self.spare)
        else:
            os.rename(self.staging, self.out_dir)
        os.chmod(self.out_dir, 0o755)

    def abort(self) -> None:
        """Discard everything written; the destination is untouched."""
        _discard(self.staging, self.trash_prefix)


def spare_of(out_dir: Path) -> Path:
    """The spare kept beside ``out_dir``: ``build`` -> ``.build.spare``."""
    return out_dir.with_name(f".{out_dir.name}.spare")


def refresh_spare(out_dir: Path, at_least: int = 1) -> int:
    """Bring the spare beside ``out_dir`` level with the live site; return the files it
    differed in (0: it was left as it was).

    A build adopts the spare as its staging directory and links from the live
    site every file the two differ in. After a patch build that is a few
    files, but after a full one (a template change rewrites every page) it
    is all of them: at 10,000 pages the first publish after it built in
    3.0-3.3 s, the next ones in 0.3-0.5 s. Called once the live site is
    deployed, this does that linking ahead of the next publish: it adopts the
    spare as a build would, links what differs (:meth:`Writer.keep`), removes
    what the live site lacks and puts it back with the live site's file list
    as its manifest. ``at_least``: do nothing when fewer files differ (the
    next build links a few files as fast as this would).

    Safe beside a build that starts meanwhile: that build finds no spare, or
    one without a manifest, and stages afresh (slower, never wrong); a spare
    it leaves is never replaced. Raises nothing: a failure is logged and leaves
    no spare.
    """
    out_dir = out_dir.resolve()
    live = read_manifest(out_dir)
    if live is None:
        return 0
    spare = spare_of(out_dir)
    held = read_manifest(spare) if spare.is_dir() else None
    old = held.files if held is not None else {}
    differing = sum(1 for key, entry in live.files.items() if old.get(key) != entry)
    differing += sum(1 for key in old if key not in live.files)
    if differing < at_least:
        return 0
    try:
        writer = Writer(out_dir)
    except OSError as exc:
        log.info("the spare was not refreshed (%s): the next build links what it needs", exc)
        return 0
    try:
        writer.keep(live.files, "the live site")
        writer.remove_unclaimed()
        Manifest(live.build, writer.entries).write(writer.staging)
        os.rename(writer.staging, spare)  # fails where a build has left a spare meanwhile
    except (OSError, OutputError) as exc:
        log.info("the spare was not refreshed (%s): the next build links what it needs", exc)
        writer.abort()
        return 0
    return differing


def _discard(tree: Path, prefix: str) -> None:
    """Delete a directory tree in the background: the build need not wait for it.

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
