"""The serialised-page cache of the sync endpoint (:class:`cms.sync.models.SerialisedPage`).

Serialising a page (Wagtail's API serializer: StreamField blocks, image
renditions, page links) is what a full sync spends its time on. Each page's
serialised ``data`` is kept as JSON text and reused while it is valid:

- the row's ``key`` (:func:`page_key`) equals the key of the page as read now:
  same :data:`SERIALISER_VERSION` and serialising code (:func:`code_fingerprint`:
  the CMS's own modules and the versions of the libraries that serialise),
  same API base URL, same latest revision and publication time;
- every change-log entry for the page deletes the row in the entry's own
  transaction (:func:`invalidate`, called by :func:`cms.sync.capture.append`).
  The change log already widens each change to every item whose API output it
  may alter (see :mod:`cms.sync.capture`), so the cache is exactly as fresh as
  a delta sync;
- a row is stored only when no change-log entry for the page was committed
  after the clock value read before the page was read (:func:`store`), under
  the clock row's lock: a change committed while the page was being
  serialised cannot leave a stale row behind.

A deploy of new code therefore serialises pages afresh by itself (their
rows are under the old key); :data:`SERIALISER_VERSION` is for a change the
fingerprint cannot see. A ``migrate`` that applies migrations empties the
cache (``post_migrate``: a data migration writes no change log), one with
nothing to apply keeps it, since deploy scripts run it every time and the
next full sync would otherwise serialise every page again (19-27 s at 10,000
pages). ``manage.py clear_sync_cache`` empties it too.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import F
from rest_framework.utils.encoders import JSONEncoder

from .models import ChangeLogEntry, SerialisedPage, SyncClock

SERIALISER_VERSION = 1


class RawJSON(str):
    """JSON text to be spliced into a response as it is (already encoded)."""


def encode(data: Any) -> RawJSON:
    """``data`` as compact JSON, as DRF's JSON renderer writes it (UTF-8, no NaN)."""
    return RawJSON(
        json.dumps(
            data, cls=JSONEncoder, ensure_ascii=False, allow_nan=False, separators=(",", ":")
        )
    )


def page_key(base_url: str, revision_id: int | None, published: dt.datetime | None) -> str:
    """The key a page's row must carry to be served: version and code, base URL, revision,
    publication."""
    stamp = published.isoformat() if published else "-"
    version = f"{SERIALISER_VERSION}.{code_fingerprint()}"
    if len(base_url) > 150:  # the column holds 255: a digest, never a cut that drops the rest
        base_url = "#" + hashlib.blake2b(base_url.encode(), digest_size=16).hexdigest()
    return f"{version}|{base_url}|{revision_id or '-'}|{stamp}"


#: Folders of ``cms/`` that nothing serving the API imports (tests/test_sync_serialised.py
#: reads every other module's imports to hold this true): the importers, the management
#: commands and the migrations (a migrate that applies any empties the cache anyway). A
#: deploy that changes only these keeps the cache: 27 of the 75 commits that changed the
#: CMS's Python did, and each would have had the next full sync serialise every page
#: again (19-27 s at 10,000 pages).
NOT_SERVING = frozenset({"importer", "management", "migrations"})


@functools.cache
def code_fingerprint() -> str:
    """A digest of what serialises pages: the CMS's Python modules (``cms/``, but for
    :data:`NOT_SERVING`) and the versions of Django, DRF and Wagtail; read once per
    process (about 5 ms)."""
    return fingerprint_of(Path(__file__).resolve().parents[1])


def fingerprint_of(root: Path) -> str:
    """:func:`code_fingerprint` of the CMS package at ``root`` (its ``cms/`` folder)."""
    digest = hashlib.blake2b(digest_size=8)
    for package in ("django", "djangorestframework", "wagtail"):
        digest.update(f"{package}={metadata.version(package)};".encode())
    for path in sorted(serving_modules(root)):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def serving_modules(root: Path) -> list[Path]:
    """The Python files of the CMS package at ``root`` outside :data:`NOT_SERVING`."""
    return [
        path
        for path in root.rglob("*.py")
        if not NOT_SERVING.intersection(path.relative_to(root).parts)
    ]


def load(keys: dict[int, str]) -> dict[int, RawJSON]:
    """The cached data of the pages in ``keys`` (page id -> current key) whose key matches."""
    found: dict[int, RawJSON] = {}
    ids = list(keys)
    for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
        rows = SerialisedPage.objects.filter(page_id__in=ids[start : start + 900])
        for page_id, key, data in rows.values_list("page_id", "key", "data"):
            if keys.get(page_id) == key:
                found[page_id] = RawJSON(data)
    return found


def store(rows: dict[int, tuple[str, str]], as_of: int) -> int:
    """Save ``rows`` (page id -> (key, JSON text)) read after clock value ``as_of``.

    Takes the clock row's lock (as an editor's transaction does), so every
    change committed before is visible here and every later one deletes what
    is stored; pages with a change-log entry after ``as_of`` are skipped.
    Returns the number of rows stored.
    """
    if not rows:
        return 0
    with transaction.atomic():
        SyncClock.objects.filter(pk=1).update(value=F("value"))  # lock, change nothing
        changed = set(
            ChangeLogEntry.objects.filter(
                seq__gt=as_of, kind=ChangeLogEntry.PAGE, item_id__in=list(rows)
            ).values_list("item_id", flat=True)
        )
        keep = {pk: row for pk, row in rows.items() if pk not in changed}
        SerialisedPage.objects.filter(page_id__in=list(keep)).delete()
        SerialisedPage.objects.bulk_create(
            [
                SerialisedPage(page_id=pk, key=key, data=data, as_of=as_of)
                for pk, (key, data) in keep.items()
            ],
            batch_size=200,
        )
    return len(keep)


def invalidate(page_ids: Iterable[int]) -> None:
    """Forget the serialised data of ``page_ids`` (in the caller's transaction)."""
    ids = list(page_ids)
    for start in range(0, len(ids), 900):
        SerialisedPage.objects.filter(page_id__in=ids[start : start + 900]).delete()


def clear() -> int:
    """Empty the cache; return the number of rows deleted."""
    count, _ = SerialisedPage.objects.all().delete()
    return count
