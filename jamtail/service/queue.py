"""The broker: Huey for tasks, and the per-site ledger that makes builds durable.

``JAMTAIL_QUEUE_URL`` chooses the broker (:func:`open_broker`):

    sqlite:///path/to/queue.db    SqliteHuey: one machine (the default, under the state dir)
    redis://host:6379/0           RedisHuey: several machines

Huey carries the *wake-up* (a ``build_site(site)`` task; a worker takes it at
once, or at the time a failed build's retry is due). What must never be lost lives
in the :class:`Ledger`, in the same broker (tables of the SQLite file; keys
of the Redis database):

- each site's **inbox**: the received hooks, in order (``add`` / ``pending``);
  a hook leaves it only when the build that included it was reported
  (``done``), so a worker killed mid-build loses no request: its task is gone
  with it (Huey removes a task when a worker takes it), but the inbox is not,
  and every worker's sweep re-enqueues a site whose inbox waits and whose
  lease has run out;
- each site's **lease** (``acquire`` / ``renew`` / ``release``): the one
  worker that may build the site now, with an expiry that its holder renews
  while it builds, so two builds of one site never overlap and a dead
  holder's lease runs out by itself;
- each site's **state** (``record`` / ``status``): builds so far, the last
  build's status and times, ``failures`` (passing failures in a row) and
  ``retry_at`` (a sweep does not start a build of a site waiting out a
  retry's backoff; a new hook does).

Times are Unix seconds (``time.time()``).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from jamtail.exceptions import ConfigError

HUEY_NAME = "jamtail"


class Ledger(Protocol):
    """The durable per-site state (module docstring); every method is atomic."""

    def add(self, site: str, payload: dict[str, Any]) -> int:
        """Append a hook to ``site``'s inbox; the number of hooks now waiting."""

    def pending(self, site: str) -> list[tuple[Any, dict[str, Any]]]:
        """``(key, payload)`` of every hook waiting for ``site``, oldest first."""

    def done(self, site: str, keys: list[Any]) -> None:
        """Remove these hooks (the oldest ones, as :meth:`pending` gave them)."""

    def sites(self) -> list[str]:
        """Every site that ever received a hook."""

    def acquire(self, site: str, owner: str, ttl: float) -> bool:
        """Take ``site``'s lease for ``ttl`` s; False while another owner's lease is live."""

    def renew(self, site: str, owner: str, ttl: float) -> bool:
        """Extend ``owner``'s lease; False when it is no longer ``owner``'s."""

    def release(self, site: str, owner: str) -> None:
        """Give the lease up (only if ``owner`` still holds it)."""

    def holder(self, site: str) -> str | None:
        """The owner of ``site``'s live lease, or None."""

    def record(self, site: str, fields: dict[str, Any], count: bool = False) -> None:
        """Merge ``fields`` into ``site``'s state; ``count``: one more build."""

    def state(self, site: str) -> dict[str, Any]:
        """``site``'s state (``builds``, ``last_status``, ``retry_at``, ...)."""


class SqliteLedger:
    """:class:`Ledger` in three tables of the SQLite broker file (one connection per thread)."""

    SCHEMA = """
    create table if not exists jamtail_hooks (
        id integer primary key autoincrement, site text not null, body text not null);
    create table if not exists jamtail_leases (
        site text primary key, owner text not null, expires real not null);
    create table if not exists jamtail_sites (
        site text primary key, state text not null default '{}');
    """

    def __init__(self, path: Path):
        self.path = path
        self.local = threading.local()
        self.conn.executescript(self.SCHEMA)

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("pragma journal_mode=wal")
            self.local.conn = conn
        return conn

    def _write(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def add(self, site: str, payload: dict[str, Any]) -> int:
        conn = self.conn
        conn.execute("begin immediate")
        try:
            conn.execute(
                "insert into jamtail_hooks (site, body) values (?, ?)", (site, json.dumps(payload))
            )
            conn.execute("insert or ignore into jamtail_sites (site) values (?)", (site,))
            (count,) = conn.execute(
                "select count(*) from jamtail_hooks where site = ?", (site,)
            ).fetchone()
            conn.execute("commit")
        except BaseException:
            conn.execute("rollback")
            raise
        return int(count)

    def pending(self, site: str) -> list[tuple[Any, dict[str, Any]]]:
        rows = self.conn.execute(
            "select id, body from jamtail_hooks where site = ? order by id", (site,)
        ).fetchall()
        return [(key, json.loads(body)) for key, body in rows]

    def done(self, site: str, keys: list[Any]) -> None:
        if keys:
            self._write("delete from jamtail_hooks where site = ? and id <= ?", (site, max(keys)))

    def sites(self) -> list[str]:
        return [s for (s,) in self.conn.execute("select site from jamtail_sites order by site")]

    def acquire(self, site: str, owner: str, ttl: float) -> bool:
        now = time.time()
        conn = self.conn
        conn.execute("begin immediate")
        try:
            conn.execute("delete from jamtail_leases where site = ? and expires < ?", (site, now))
            conn.execute(
                "insert or ignore into jamtail_leases values (?, ?, ?)", (site, owner, now + ttl)
            )
            row = conn.execute("select owner from jamtail_leases where site = ?", (site,))
            held = row.fetchone()[0] == owner
            conn.execute("commit")
        except BaseException:
            conn.execute("rollback")
            raise
        return bool(held)

    def renew(self, site: str, owner: str, ttl: float) -> bool:
        cursor = self._write(
            "update jamtail_leases set expires = ? where site = ? and owner = ? and expires >= ?",
            (time.time() + ttl, site, owner, time.time()),
        )
        return cursor.rowcount == 1

    def release(self, site: str, owner: str) -> None:
        self._write("delete from jamtail_leases where site = ? and owner = ?", (site, owner))

    def holder(self, site: str) -> str | None:
        row = self.conn.execute(
            "select owner from jamtail_leases where site = ? and expires >= ?", (site, time.time())
        ).fetchone()
        return row[0] if row else None

    def record(self, site: str, fields: dict[str, Any], count: bool = False) -> None:
        conn = self.conn
        conn.execute("begin immediate")
        try:
            state = self._state(site)
            state.update(fields)
            if count:
                state["builds"] = int(state.get("builds", 0)) + 1
            conn.execute(
                "insert or replace into jamtail_sites (site, state) values (?, ?)",
                (site, json.dumps(state)),
            )
            conn.execute("commit")
        except BaseException:
            conn.execute("rollback")
            raise

    def _state(self, site: str) -> dict[str, Any]:
        row = self.conn.execute("select state from jamtail_sites where site = ?", (site,))
        found = row.fetchone()
        return dict(json.loads(found[0])) if found else {}

    def state(self, site: str) -> dict[str, Any]:
        return self._state(site)


# Compare-and-set scripts: only the lease's owner may extend or drop it.
RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"  # noqa: E501
RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"  # noqa: E501


class RedisLedger:
    """:class:`Ledger` in Redis keys ``jamtail:*`` (lists, ``SET NX PX`` leases, hashes)."""

    def __init__(self, conn: Any):
        self.conn = conn

    def add(self, site: str, payload: dict[str, Any]) -> int:
        pipe = self.conn.pipeline()
        pipe.rpush(f"jamtail:inbox:{site}", json.dumps(payload))
        pipe.sadd("jamtail:sites", site)
        count, _ = pipe.execute()
        return int(count)

    def pending(self, site: str) -> list[tuple[Any, dict[str, Any]]]:
        items = self.conn.lrange(f"jamtail:inbox:{site}", 0, -1)
        return [(n, json.loads(item)) for n, item in enumerate(items)]

    def done(self, site: str, keys: list[Any]) -> None:
        # Only the lease holder removes, others only append: the head is this batch.
        if keys:
            self.conn.ltrim(f"jamtail:inbox:{site}", len(keys), -1)

    def sites(self) -> list[str]:
        return sorted(s.decode() for s in self.conn.smembers("jamtail:sites"))

    def acquire(self, site: str, owner: str, ttl: float) -> bool:
        return bool(self.conn.set(f"jamtail:lease:{site}", owner, nx=True, px=int(ttl * 1000)))

    def renew(self, site: str, owner: str, ttl: float) -> bool:
        return bool(self.conn.eval(RENEW, 1, f"jamtail:lease:{site}", owner, int(ttl * 1000)))

    def release(self, site: str, owner: str) -> None:
        self.conn.eval(RELEASE, 1, f"jamtail:lease:{site}", owner)

    def holder(self, site: str) -> str | None:
        value = self.conn.get(f"jamtail:lease:{site}")
        return value.decode() if value else None

    def record(self, site: str, fields: dict[str, Any], count: bool = False) -> None:
        key = f"jamtail:state:{site}"
        pipe = self.conn.pipeline()
        if fields:
            pipe.hset(key, mapping={k: json.dumps(v) for k, v in fields.items()})
        if count:
            pipe.hincrby(key, "builds", 1)
        pipe.execute()

    def state(self, site: str) -> dict[str, Any]:
        raw = self.conn.hgetall(f"jamtail:state:{site}")
        return {k.decode(): json.loads(v) for k, v in raw.items()}


def default_url(state_dir: Path) -> str:
    """The default broker: ``sqlite:///<state dir>/queue.db``."""
    return f"sqlite:///{(state_dir / 'queue.db').resolve()}"


def open_broker(url: str) -> tuple[Any, Ledger]:
    """``(huey, ledger)`` for a ``sqlite:///path`` or ``redis://`` URL.

    Raises :class:`ConfigError` naming ``JAMTAIL_QUEUE_URL`` for another
    scheme or a SQLite URL without a path.
    """
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = Path(parts.path)
        if not parts.path or parts.path == "/":
            raise ConfigError(f"JAMTAIL_QUEUE_URL {url!r}: give a file, sqlite:///path/queue.db")
        from huey import SqliteHuey

        path.parent.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey(HUEY_NAME, filename=str(path), results=False)
        return huey, SqliteLedger(path)
    if parts.scheme in ("redis", "rediss", "unix"):
        from huey import RedisHuey

        huey = RedisHuey(HUEY_NAME, url=url, results=False, blocking=True, read_timeout=1)
        return huey, RedisLedger(huey.storage.conn)
    raise ConfigError(
        f"JAMTAIL_QUEUE_URL {url!r}: use sqlite:///path/queue.db or redis://host:6379/0"
    )
