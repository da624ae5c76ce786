"""The index as the search function reads it: ``index.json`` and the tantivy index beside it.

:func:`open_index` reads ``_search/index.json`` (:mod:`jamtail.search.shards`)
and opens the tantivy index of the same folder (its ``meta.json`` names the
segments, one per shard). tantivy memory-maps the segments' files and only
reads them; a searcher answers from any number of threads at once.

tantivy also creates a lock file in the folder it opens, which fails on a
read-only file system (AWS Lambda's ``/var/task``) and would leave a file in
a deployed site. So the index is opened through a folder of symbolic links
to its files in the temporary directory, removed when the index is let go.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any

import tantivy

from jamtail.search.index import open_folder
from jamtail.search.shards import read_meta


class IndexUnavailable(RuntimeError):
    """The index is missing, unreadable or of another schema version (HTTP 503)."""


class SearchIndex:
    """An open index: ``index.json``'s contents and a tantivy searcher over every shard.

    ``site``, ``sections`` and ``tags`` come from ``index.json``; ``index``
    and ``searcher`` are tantivy's (the searcher sees the segments as they
    were when it was opened, whatever a later build does to the folder).
    """

    def __init__(self, path: Path, meta: dict[str, Any], index: tantivy.Index, links: Path):
        self.path = path
        self.site: dict[str, Any] = meta.get("site") or {}
        self.sections: list[dict[str, str]] = meta.get("sections") or []
        self.tags: list[dict[str, str]] = meta.get("tags") or []
        self.index = index
        self.searcher = index.searcher()
        weakref.finalize(self, shutil.rmtree, links, True)

    def close(self) -> None:
        """Let go of the searcher (tantivy unmaps the files when nothing holds them)."""
        del self.searcher, self.index


def open_index(path: Path) -> SearchIndex:
    """The index whose ``index.json`` is at ``path``, opened for reading.

    The folder is resolved first, so a deploy that switches a symlink later
    does not move the open index. Raises :class:`IndexUnavailable` when a
    file is missing, unreadable or of another schema version.
    """
    try:
        meta = read_meta(path)
    except FileNotFoundError as exc:
        raise IndexUnavailable(f"no search index at {path}: build the site first") from exc
    except (OSError, ValueError) as exc:
        raise IndexUnavailable(
            f"the search index at {path} cannot be read ({exc}): "
            "rebuild the site with this version of Jamtail"
        ) from exc
    folder = path.parent.resolve()
    missing = [n for e in meta["shards"] for n in e["files"] if not (folder / n).is_file()]
    if missing:
        raise IndexUnavailable(
            f"the search index at {path} is incomplete ({len(missing)} files missing, e.g. "
            f"{missing[0]}): build the site again"
        )
    links = Path(tempfile.mkdtemp(prefix="jamtail-search-"))
    try:
        for name in ["meta.json", *(n for e in meta["shards"] for n in e["files"])]:
            (links / name).symlink_to(folder / name)
        return SearchIndex(path, meta, open_folder(links), links)
    except (OSError, ValueError) as exc:
        shutil.rmtree(links, ignore_errors=True)
        raise IndexUnavailable(f"the search index at {path} cannot be read: {exc}") from exc
