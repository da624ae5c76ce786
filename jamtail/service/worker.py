"""Build workers: Huey consumers that build each site in turn, never one site twice at once.

The one task, ``jamtail.build_site(site)``, is enqueued by the receiver for
every hook it accepts (after the hook is in the site's inbox) and by each
worker's sweep. A worker that takes it:

1. takes the site's lease in the ledger (:mod:`.queue`); if another worker
   holds it, returns at once: that worker builds what waits when its build
   ends (changes that arrive during a build coalesce into one follow-up);
2. while the inbox has hooks: builds once for *all* of them
   (:class:`~.build.SiteBuild`), renewing the lease every third of its
   time-to-live, and removes exactly those hooks once the build is reported;
3. releases the lease, then looks at the inbox once more (a hook whose task
   found the lease taken just before the release is built now, not lost).

A first change after a quiet period is built at once: no debounce here, and
the consumer polls an empty SQLite queue every 0.1 s (Redis blocks on it).

Failures: a build that fails with a retryable exit status
(:data:`~jamtail.exceptions.RETRYABLE_EXITS` or a signal) keeps its hooks, and
is tried again ``JAMTAIL_BUILD_RETRIES`` times, after
``JAMTAIL_BUILD_RETRY_DELAY`` seconds, doubled each time. The count and the
time of the next try (``failures``, ``retry_at``) are the site's, in the
ledger, and a wake-up task is scheduled for that time: whichever starts the
next try, that task, the sweep (which waits for ``retry_at``) or a new hook
(which does not), the pauses keep growing and the last try is the last. A
content failure (any other exit status), or the last retry, is reported and
its hooks removed: the next change builds again.

Durability: Huey drops a task whose worker is SIGKILLed (it left the queue
when the worker took it), so each worker also sweeps every
``JAMTAIL_QUEUE_SWEEP_SECONDS``, and at start, for sites whose inbox waits
while no live lease exists (its holder died: the lease ran out after
``JAMTAIL_QUEUE_LEASE_SECONDS``) and enqueues them again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jamtail.service.build import SiteBuild, now_iso
from jamtail.service.queue import Ledger
from jamtail.service.sites import Site
from jamtail.settings import RunnerSettings

log = logging.getLogger(__name__)

TASK_NAME = "jamtail.build_site"


RETRY_EARLY_SECONDS = 1.5  # how early Huey's once-a-second scheduler may start a retry


@dataclass
class WorkerSettings:
    """How workers build and retry (seconds; see the module docstring)."""

    state_dir: Path
    token: str = ""
    name: str = ""
    cache_root: str = ""
    lease_seconds: float = 30.0
    sweep_seconds: float = 5.0
    retries: int = 3
    retry_delay: float = 10.0
    fork: bool = True

    @classmethod
    def from_settings(
        cls, settings: RunnerSettings, state_dir: Path, cache_root: str = ""
    ) -> WorkerSettings:
        """The workers' part of the runner's settings (``JAMTAIL_QUEUE_*``, ``JAMTAIL_BUILD_*``)."""
        return cls(
            state_dir=state_dir,
            token=settings.token,
            name=settings.worker_name,
            cache_root=cache_root,
            lease_seconds=settings.lease_seconds,
            sweep_seconds=settings.sweep_seconds,
            retries=settings.build_retries,
            retry_delay=settings.build_retry_delay,
            fork=settings.build_fork,
        )


class BuildService:
    """The task, the build loop and the sweep over one broker (``huey``, ``ledger``).

    Both sides make one: the receiver to enqueue (:meth:`submit`), the
    workers to build (:meth:`consumer`).
    """

    def __init__(self, huey: Any, ledger: Ledger, settings: WorkerSettings):
        self.huey = huey
        self.ledger = ledger
        self.settings = settings
        self.name = settings.name or f"{socket.gethostname()}:{os.getpid()}"
        self.task = huey.task(name=TASK_NAME)(self.build_site)
        self.stopping = threading.Event()

    # -- the receiver's side -------------------------------------------------

    def submit(self, site: Site, payload: dict[str, Any]) -> int:
        """Put a hook in ``site``'s inbox, then wake a worker; the number of hooks waiting."""
        self.ledger.record(site.name, {"site": site.to_dict()})
        count = self.ledger.add(site.name, payload)
        self.task(site.name)
        return count

    def status(self) -> dict[str, Any]:
        """``{"queued", "building", "builds", "sites": {name: {...}}}`` across all workers."""
        sites: dict[str, dict[str, Any]] = {}
        for name in self.ledger.sites():
            state = self.ledger.state(name)
            holder = self.ledger.holder(name)
            if holder and dead_here(holder):
                holder = None  # its worker died: the next sweep builds the site again
            sites[name] = {
                "queued": len(self.ledger.pending(name)),
                "building": holder is not None,
                "worker": holder or "",
                "builds": int(state.get("builds", 0)),
                **{k: state[k] for k in ("last_status", "started_at", "finished_at") if k in state},
            }
        return {
            "queued": sum(s["queued"] for s in sites.values()),
            "building": any(s["building"] for s in sites.values()),
            "builds": sum(s["builds"] for s in sites.values()),
            "sites": sites,
        }

    # -- the worker's side ---------------------------------------------------

    def build_site(self, site: str, retry_at: float = 0.0) -> int:
        """The task: build ``site`` while its inbox has hooks; the number of builds made.

        ``retry_at`` (Unix seconds) marks the wake-up scheduled after a failure:
        when a later failure (of a try a new hook started) has put the site's
        next try later still, this one is stale and builds nothing.
        """
        due = float(self.ledger.state(site).get("retry_at") or 0)
        if retry_at and due > retry_at:
            return 0
        # Huey's scheduler looks once a second and may start a scheduled retry up to
        # a second before its time; the failed try's retry_at is the promise: wait it out.
        early = due - time.time()
        if 0 < early <= RETRY_EARLY_SECONDS:
            self.stopping.wait(early)
        made = 0
        owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        while self.ledger.pending(site):
            if not self.ledger.acquire(site, owner, self.settings.lease_seconds):
                return made  # the holder builds what waits when its build ends
            try:
                while batch := self.ledger.pending(site):
                    made += 1
                    if not self.build_batch(site, owner, batch):
                        return made
            finally:
                self.ledger.release(site, owner)
        return made

    def build_batch(
        self,
        site: str,
        owner: str,
        batch: list[tuple[Any, dict[str, Any]]],
    ) -> bool:
        """One build for ``batch``; True when its hooks are done with (built or given up).

        False when the hooks wait: the lease was lost, or the build failed for
        a reason that may pass and retries remain (a wake-up is scheduled for
        ``retry_at``, ``JAMTAIL_BUILD_RETRY_DELAY`` doubled per failure so far).
        """
        state = self.ledger.state(site)
        definition = state.get("site") or {"name": site}
        failures = int(state.get("failures") or 0)
        final = failures >= self.settings.retries
        builder = SiteBuild(
            Site.from_dict(definition),
            self.settings.state_dir / "sites" / site,
            token=self.settings.token,
            name=self.name,
            cache_dir=str(Path(root) / site) if (root := self.settings.cache_root) else "",
            fork=self.settings.fork,
        )
        self.ledger.record(site, {"started_at": now_iso(), "last_status": "running"})
        lost, finished = threading.Event(), threading.Event()
        beat = threading.Thread(
            target=self._keep_lease, args=(site, owner, builder, lost, finished), daemon=True
        )
        beat.start()
        try:
            outcome = builder.run([payload for _, payload in batch], final=final)
        finally:
            finished.set()
            beat.join()
        if lost.is_set():
            log.error("site %s: lease lost during a build; its hooks wait for the next", site)
            return False
        status = "succeeded" if outcome.ok else "failed"
        if not outcome.ok and outcome.retryable and not final:
            delay = self.settings.retry_delay * 2**failures
            retry_at = time.time() + delay
            self.ledger.record(
                site,
                {
                    "finished_at": now_iso(),
                    "last_status": status,
                    "retry_at": retry_at,
                    "failures": failures + 1,
                },
                count=True,
            )
            log.warning(
                "site %s: build failed (%s); try %d of %d in %.1f s",
                site,
                outcome.error,
                failures + 2,
                self.settings.retries + 1,
                delay,
            )
            self.task.schedule(args=(site, retry_at), delay=delay)
            return False
        self.ledger.record(
            site,
            {"finished_at": now_iso(), "last_status": status, "retry_at": 0.0, "failures": 0},
            count=True,
        )
        self.ledger.done(site, [key for key, _ in batch])
        return True

    def _keep_lease(
        self,
        site: str,
        owner: str,
        builder: SiteBuild,
        lost: threading.Event,
        finished: threading.Event,
    ) -> None:
        while not finished.wait(self.settings.lease_seconds / 3):
            if not self.ledger.renew(site, owner, self.settings.lease_seconds):
                lost.set()
                builder.stop()  # another worker may build the site now: never overlap
                return

    def sweep(self) -> list[str]:
        """Enqueue each site whose inbox waits with no live lease and no retry pending."""
        woken = []
        for site in self.ledger.sites():
            holder = self.ledger.holder(site)
            if holder and dead_here(holder):
                log.warning("site %s: its builder %s died; building again", site, holder)
                self.ledger.release(site, holder)
                holder = None
            if holder or not self.ledger.pending(site):
                continue
            if float(self.ledger.state(site).get("retry_at") or 0) > time.time():
                continue
            self.task(site)
            woken.append(site)
        return woken

    def sweep_forever(self) -> None:
        """:meth:`sweep` now and every ``sweep_seconds`` until :attr:`stopping` is set."""
        while True:
            try:
                woken = self.sweep()
                if woken:
                    log.info("sweep: re-enqueued %s", ", ".join(woken))
            except Exception:  # a broker hiccup: try again next time
                log.exception("sweep failed")
            if self.stopping.wait(self.settings.sweep_seconds):
                return

    def consumer(self, workers: int) -> Any:
        """A Huey consumer of ``workers`` threads that polls an idle queue every 0.1 s."""
        from huey.consumer import Consumer

        return Consumer(
            self.huey,
            workers=max(1, workers),
            worker_type="thread",
            periodic=False,
            initial_delay=0.05,
            backoff=1.15,
            max_delay=0.1,
            check_worker_health=True,
        )


def dead_here(owner: str) -> bool:
    """Whether a lease ``host:pid:nonce`` belongs to a process of this machine that is gone.

    Such a lease need not run out first; another machine's is never judged.
    """
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
