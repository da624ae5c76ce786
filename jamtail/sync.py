"""Sync: keep a local content cache up to date through the CMS sync API, and read it as Content.

``sync_content(client, cache_dir)`` asks ``/api/v2/sync/`` for what changed
since the cursor stored in ``cache_dir/content.sqlite3`` (everything, the first
time), applies it to the cache in one SQLite transaction together with the new
cursor, and returns the same :class:`~jamtail.gather.Content` that
:func:`~jamtail.gather.gather` reads from the CMS, plus a :class:`Delta`
naming the items whose content changed. See docs/sync.md for the endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CREATED, UPDATED, DELETED = "created", "updated", "deleted"
KINDS = ("settings", "author", "redirect", "page")


@dataclass(frozen=True)
class ItemChange:
    """One item whose content differs from the cache's previous copy.

    ``kind``: ``"page"``, ``"author"``, ``"redirect"`` or ``"settings"`` (id 1).
    ``id``: the CMS id (page id, author id...). ``change``: ``"created"``,
    ``"updated"`` or ``"deleted"``. ``old_hash``/``new_hash``: SHA-256 (hex) of
    the item's API representation before/after (``None`` when it did not
    exist). ``old_url``/``new_url``: for pages, the site-relative URL as in
    ``Content.pages[i]["url"]`` (``"/blog/hello/"``) before/after; ``None``
    for other kinds and for a missing side.
    """

    kind: str
    id: int
    change: str
    old_hash: str | None = None
    new_hash: str | None = None
    old_url: str | None = None
    new_url: str | None = None


@dataclass
class Delta:
    """What one sync changed in the content cache (plain data).

    ``full``: the sync listed everything (first sync, ``full=True``, or the
    cursor was refused); the changes are still computed against the previous
    cache, so a full re-sync of unchanged content has no changes. ``reason``:
    why it was full (``""`` for a delta sync). ``changes``: one
    :class:`ItemChange` per item whose hash changed, created or deleted,
    sorted by kind (settings, author, redirect, page) then id; an item
    re-sent unchanged is not listed. ``requests``: HTTP requests made.
    """

    full: bool = False
    reason: str = ""
    changes: list[ItemChange] = field(default_factory=list)
    requests: int = 0

    def of_kind(self, kind: str) -> list[ItemChange]:
        """The changes to items of ``kind``."""
        return [c for c in self.changes if c.kind == kind]

    def ids(self, kind: str, *changes: str) -> set[int]:
        """Ids of changed items of ``kind``, optionally only ``created``/``updated``/``deleted``."""
        wanted = set(changes) or {CREATED, UPDATED, DELETED}
        return {c.id for c in self.changes if c.kind == kind and c.change in wanted}

    @property
    def empty(self) -> bool:
        """True when no item changed."""
        return not self.changes
