"""The build service with real processes: one ``jamtail receiver`` and two ``jamtail worker``
processes (two threads each) on the SQLite broker and on Redis at 127.0.0.1:6379.

Two sites, ``alpha`` and ``beta``, build with ``tests/fixtures/timed_build.py`` (a
build that takes a set time and records when it started and ended, and fails
on demand), so every claim below is measured from the times the builds
themselves recorded:

- the two sites build at the same time, on different workers;
- two builds of one site never overlap;
- hooks that arrive during a build become exactly one follow-up build;
- the first hook after a quiet period starts a build at once (no debounce);
- a worker SIGKILLed mid-build loses no request: the site is built again;
- a build that fails for a passing reason (exit 75) is retried with growing
  pauses; one that fails for a content reason (exit 1) is not.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from jamtail import webhooks
from jamtail.exceptions import EXIT_UNAVAILABLE
from tests.cms_process import REPO, free_port
from tests.publishing_stack import wait_for

pytestmark = pytest.mark.slow

SECRET = "build-service-secret"
REDIS_URL = "redis://127.0.0.1:6379/13"  # a database of its own: the test empties it
BUILD_SECONDS = 1.5
RETRY_DELAY = 2.0  # s, counted from the end of the failed try


def redis_reachable() -> str:
    """Why Redis cannot be used here, or ``""``."""
    try:
        import redis
    except ImportError:  # pragma: no cover - a dependency
        return "the redis package is not installed"
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        return f"Redis is not reachable at {REDIS_URL}: {exc}"
    return ""


class Service:
    """A receiver and two workers on one broker, two sites; the builds' own records."""

    def __init__(self, root: Path, broker: str):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.log = root / "builds.jsonl"
        self.log.touch()
        self.failures = {site: root / f"{site}-failures" for site in ("alpha", "beta")}
        sites = root / "sites.toml"
        command = json.dumps([sys.executable, str(REPO / "tests/fixtures/timed_build.py")])
        sites.write_text(
            "".join(
                f"[sites.{site}]\ncommand = {command}\n"
                f"[sites.{site}.env]\nTIMED_BUILD_FAILURES = {json.dumps(str(path))}\n"
                for site, path in self.failures.items()
            )
        )
        if broker == "redis":
            import redis

            redis.Redis.from_url(REDIS_URL).flushdb()
            self.url = REDIS_URL
        else:
            self.url = f"sqlite:///{root / 'queue.db'}"
        self.port = free_port()
        self.env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "JAMTAIL_WEBHOOK_SECRET": SECRET,
            "JAMTAIL_QUEUE_URL": self.url,
            "JAMTAIL_SITES_FILE": str(sites),
            "JAMTAIL_QUEUE_SWEEP_SECONDS": "0.5",
            "JAMTAIL_QUEUE_LEASE_SECONDS": "3",
            "JAMTAIL_BUILD_RETRIES": "3",
            "JAMTAIL_BUILD_RETRY_DELAY": str(RETRY_DELAY),
            "TIMED_BUILD_LOG": str(self.log),
            "TIMED_BUILD_SECONDS": str(BUILD_SECONDS),
        }
        self.env.pop("JAMTAIL_RUNNER_TOKEN", None)
        self.receiver = self.start("receiver", "--port", str(self.port))
        self.workers = [self.start("worker", "--workers", "2") for _ in range(2)]
        wait_for(self.status, 30, "the receiver to listen")
        self.sent = 0

    def start(self, command: str, *args: str) -> subprocess.Popen:
        out = open(self.root / f"{command}-{time.monotonic_ns()}.log", "wb")  # noqa: SIM115
        return subprocess.Popen(
            [sys.executable, "-m", "jamtail.cli", command, "--state-dir", str(self.root), *args],
            cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def status(self) -> dict[str, Any] | None:
        try:
            return requests.get(f"http://127.0.0.1:{self.port}/status", timeout=2).json()
        except requests.RequestException:
            return None

    def hook(self, site: str) -> int:
        """Send a signed hook for ``site``; its number (recorded by the build it joins)."""
        self.sent += 1
        body = webhooks.encode({"event": "page_published", "site": site, "n": self.sent})
        headers = {"Content-Type": "application/json", **webhooks.sign(body, SECRET)}
        answer = requests.post(f"http://127.0.0.1:{self.port}/", data=body, headers=headers)
        assert answer.status_code == 202, answer.text
        return self.sent

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]

    def builds(self, site: str) -> list[dict[str, Any]]:
        """``site``'s builds by start: ``start``, ``end`` (None: killed), ``n``, ``worker``."""
        builds: dict[int, dict[str, Any]] = {}
        for record in self.records():
            if record["site"] != site:
                continue
            build = builds.setdefault(
                record["pid"], {"n": record["hook"]["n"], "worker": record["worker"], "end": None}
            )
            build[record["event"]] = record["t"]
        return sorted(builds.values(), key=lambda b: b["start"])

    def idle(self) -> bool:
        status = self.status()
        return bool(status) and status["queued"] == 0 and not status["building"]

    def stop(self) -> None:
        for process in [self.receiver, *self.workers]:
            if process.poll() is None:
                process.terminate()
        for process in [self.receiver, *self.workers]:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def never_overlap(builds: list[dict[str, Any]], killed_at: float | None = None) -> None:
    for before, after in itertools.pairwise(builds):
        ended = before["end"] if before["end"] is not None else killed_at
        assert ended is not None, f"build {before} never ended"
        assert after["start"] >= ended, f"{after} started before {before} ended"


@pytest.fixture(params=["sqlite", "redis"])
def service(request, tmp_path) -> Iterator[Service]:
    if request.param == "redis" and (reason := redis_reachable()):
        pytest.skip(reason)
    service = Service(tmp_path / request.param, request.param)
    try:
        yield service
    finally:
        service.stop()


def test_two_sites_build_at_once_each_serialised_and_coalesced(service):
    first_alpha, first_beta = service.hook("alpha"), service.hook("beta")
    wait_for(lambda: len(service.builds("alpha")) == 1, 20, "alpha's build to start")
    # Five changes while alpha builds: one follow-up build, made for the last of them.
    during = [service.hook("alpha") for _ in range(5)]
    wait_for(service.idle, 60, "every build to finish")
    alpha, beta = service.builds("alpha"), service.builds("beta")
    assert [b["n"] for b in alpha] == [first_alpha, during[-1]]
    assert [b["n"] for b in beta] == [first_beta]
    never_overlap(alpha)
    assert alpha[1]["start"] >= alpha[0]["end"]
    # The sites did build at the same time (each build takes BUILD_SECONDS).
    assert beta[0]["start"] < alpha[0]["end"] and alpha[0]["start"] < beta[0]["end"]
    status = service.status()
    assert status["sites"]["alpha"]["builds"] == 2 and status["sites"]["beta"]["builds"] == 1


def test_the_first_change_after_a_quiet_period_builds_at_once(service):
    service.hook("beta")
    wait_for(service.idle, 30, "the first build to finish")
    time.sleep(2)  # quiet
    sent = time.time()
    n = service.hook("alpha")
    wait_for(lambda: any(b["n"] == n for b in service.builds("alpha")), 10, "the build")
    started = next(b["start"] for b in service.builds("alpha") if b["n"] == n)
    # A debounce would wait first; here the wait is the queue's poll and a process start.
    assert started - sent < 1.0, started - sent


def test_a_worker_killed_mid_build_loses_no_request(service):
    n = service.hook("alpha")
    [build] = wait_for(lambda: service.builds("alpha"), 20, "alpha's build to start")
    [victim] = [w for w in service.workers if w.pid == build["worker"]]
    victim.send_signal(signal.SIGKILL)
    killed_at = time.time()
    victim.wait()
    service.workers.remove(victim)
    service.workers.append(service.start("worker", "--workers", "2"))
    wait_for(
        lambda: any(b["end"] and b["n"] == n for b in service.builds("alpha")), 60, "the rebuild"
    )
    wait_for(service.idle, 30, "the service to be idle")
    builds = service.builds("alpha")
    assert builds[0]["end"] is None  # the killed build died with its worker
    assert [b["n"] for b in builds] == [n, n]
    never_overlap(builds, killed_at)


def test_a_try_a_new_hook_starts_during_the_pause_keeps_the_pauses_growing(service):
    service.failures["beta"].write_text(f"{EXIT_UNAVAILABLE} 2")  # fails twice, then passes
    service.hook("beta")
    wait_for(lambda: any(b["end"] for b in service.builds("beta")), 30, "the first try")
    service.hook("beta")  # a new task, with Huey's count of retries afresh
    wait_for(lambda: len([b for b in service.builds("beta") if b["end"]]) == 3, 60, "3 tries")
    _, second, third = service.builds("beta")
    assert third["start"] - second["end"] >= 2 * RETRY_DELAY * 0.95
    wait_for(service.idle, 20, "the service to be idle")
    assert service.status()["sites"]["beta"]["last_status"] == "succeeded"
    assert len(service.builds("beta")) == 3  # the first pause's wake-up built nothing


def test_a_passing_failure_is_retried_with_growing_pauses_and_a_content_failure_is_not(service):
    service.failures["beta"].write_text(f"{EXIT_UNAVAILABLE} 2")  # fails twice, then passes
    n = service.hook("beta")
    wait_for(lambda: len([b for b in service.builds("beta") if b["end"]]) == 3, 60, "3 tries")
    tries = service.builds("beta")
    assert [b["n"] for b in tries] == [n, n, n]
    gaps = [b["start"] - a["start"] for a, b in itertools.pairwise(tries)]
    assert gaps[0] >= RETRY_DELAY * 0.95 and gaps[1] >= 2 * RETRY_DELAY * 0.95, gaps
    wait_for(service.idle, 20, "the service to be idle")
    assert service.status()["sites"]["beta"]["last_status"] == "succeeded"

    service.failures["alpha"].write_text("1 5")  # a content error: fails the same way again
    service.hook("alpha")
    wait_for(lambda: service.builds("alpha") and service.idle(), 30, "the failed build")
    time.sleep(3 * RETRY_DELAY)  # time for retries that must not come
    assert len(service.builds("alpha")) == 1
    assert service.status()["sites"]["alpha"]["last_status"] == "failed"
    assert service.status()["sites"]["alpha"]["queued"] == 0  # given up: nothing waits
