"""Reliability probes (issue 13), repeated on a running stack, with figures.

Starts the whole pipeline as real processes on 127.0.0.1
(``tests/publishing_stack.py``: the CMS under gunicorn on SQLite with the
demo blog, the ``db_worker`` task worker, ``jamtail runner`` building and
deploying to the local target, ``jamtail serve``'s server on the live
release), then runs each probe and prints one line of figures per probe:

- ``kill -9``: trials of ``jamtail build --deploy local`` (into a deploy
  folder of its own) killed with SIGKILL at a random moment; a failure is a
  live release whose files do not match its own manifest (partial or mixed),
  or a next build + deploy that fails or leaves it so;
- ``storm``: publishes made as fast as a shell can, and the builds they
  became (coalescing), and whether the live page shows the last one;
- ``comments``: posted with the CMS hung (SIGSTOP) and through a proxy that
  lets the CMS store then drops the answer, retried as the page's script does;
  stored and duplicated;
- ``triggers``: a publish made while the runner is down for ``--outage``
  seconds, and whether it went live after the runner came back with no human
  action (the build outbox's retries);
- ``hook fuzz``: random malformed, forged, replayed and valid build hooks
  against the runner's hook server: cases, 5xx, hangs (no answer in 5 s),
  forged or replayed hooks accepted.

Usage: ``python bench/reliability.py [--kills 10] [--storm 30] [--comments 5]
[--fuzz 500] [--outage 15] [--only kill,storm,comments,triggers,fuzz] [--keep DIR]``.
Loopback only; bounded (about 5 minutes with the defaults on two cores).
Exits 1 when any probe lost, duplicated or forged something.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from functions import comments  # noqa: E402
from jamtail import webhooks  # noqa: E402
from jamtail.service.queue import default_url, open_broker  # noqa: E402
from jamtail.service.receiver import ReceiverConfig  # noqa: E402
from jamtail.service.receiver import make_server as make_hook_server  # noqa: E402
from jamtail.service.worker import BuildService, WorkerSettings  # noqa: E402
from jamtail.write.manifest import MANIFEST_NAME, digest_file, read_manifest  # noqa: E402
from tests.comments_faults import DroppingProxy, count_by_body, hang  # noqa: E402
from tests.comments_helpers import (  # noqa: E402
    FORM_SECRET,
    SERVICE_TOKEN,
    article_ids,
    old_token,
    serve_function,
    stored_comments,
)
from tests.publishing_stack import Stack, set_title, wait_for  # noqa: E402

PROBES = ("kill", "storm", "comments", "triggers", "fuzz")


def release_is_whole(release: Path) -> bool:
    """Whether ``release`` holds exactly the files its manifest lists, with their digests."""
    manifest = read_manifest(release)
    if manifest is None:
        return False
    present = {
        p.relative_to(release).as_posix()
        for p in release.rglob("*")
        if p.is_file() and p.name != MANIFEST_NAME
    }
    if present != set(manifest.files):
        return False
    return all(digest_file(release / path).sha1 == e.sha1 for path, e in manifest.files.items())


def build_and_deploy(stack: Stack, deploy_dir: Path, out: Path) -> subprocess.Popen:
    env = {**stack.cms.env, "JAMTAIL_DEPLOY_DIR": str(deploy_dir)}
    command = [sys.executable, "-m", "jamtail.cli", "build", "--api", stack.cms.api_url]
    return subprocess.Popen(
        [*command, "--out", str(out), "--deploy", "local"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def probe_kills(stack: Stack, trials: int, rng: random.Random) -> tuple[int, int]:
    """``(trials, failures)`` of build + deploy killed with SIGKILL at a random moment."""
    deploy_dir, out = stack.root / "kill-deploy", stack.root / "kill-build"
    started = time.monotonic()
    if build_and_deploy(stack, deploy_dir, out).wait() != 0:
        return trials, trials
    full = time.monotonic() - started
    failures = 0
    for trial in range(trials):
        set_title(stack, "hello-jamtail", f"Killed trial {trial}")
        process = build_and_deploy(stack, deploy_dir, out)
        time.sleep(rng.uniform(0.05, full))
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        if not release_is_whole((deploy_dir / "current").resolve()):
            failures += 1
    if build_and_deploy(stack, deploy_dir, out).wait() != 0 or not release_is_whole(
        (deploy_dir / "current").resolve()
    ):
        failures += 1
    return trials, failures


def probe_storm(stack: Stack, publishes: int, seconds: float) -> tuple[int, int, bool]:
    """``(publishes, builds they became, the last title live)``."""
    before = len(stack.builds())
    last = f"Storm {publishes - 1} {time.time():.0f}"
    pause = seconds / max(1, publishes)
    titles = [f"Storm {n} {time.time():.0f}" for n in range(publishes - 1)] + [last]
    stack.shell(
        "import time\nfrom wagtail.models import Page\n"
        f"for title in {titles!r}:\n"
        "    p = Page.objects.get(slug='hello-jamtail').specific\n"
        "    p.title = title; p.save_revision().publish()\n"
        f"    time.sleep({pause})\n"
    )
    live = True
    try:
        wait_for(
            lambda: last in requests.get(stack.url + "/blog/hello-jamtail/", timeout=5).text,
            180,
            "the storm's last title",
        )
        wait_for(
            lambda: all(b["status"] in ("succeeded", "failed") for b in stack.builds()),
            120,
            "the builds to finish",
        )
    except AssertionError:
        live = False
    return publishes, len(stack.builds()) - before, live


def probe_comments(stack: Stack, count: int) -> dict[str, int]:
    """Comments posted under faults, and how many were stored and duplicated."""
    article = article_ids(stack.cms)["hello-jamtail"]
    cfg = comments.Config(
        api_url=stack.cms.api_url,
        service_token=SERVICE_TOKEN,
        form_secret=FORM_SECRET,
        min_seconds=2,
        trusted_proxies=1,
        timeout=1.5,
    )
    proxy = DroppingProxy(stack.cms.port)
    via_proxy = comments.Config(**{**cfg.__dict__, "api_url": proxy.api_url})
    site = stack.root / "comments-site"
    server, url = serve_function(site, cfg)
    server2, url2 = serve_function(stack.root / "comments-site-2", via_proxy)
    stamp = f"{time.time():.0f}"
    hung = [f"hung {n} {stamp}" for n in range(count)]
    dropped = [f"dropped {n} {stamp}" for n in range(count)]
    posts = {body: _comment(article, body) for body in hung + dropped}
    unknown = 0
    try:
        with hang(stack.cms):
            for body in hung:
                unknown += _post(url + "/api/comments", posts[body]).status_code == 503
        proxy.drop = count
        for body in dropped:
            unknown += _post(url2 + "/api/comments", posts[body]).status_code == 503
        accepted = 0
        for body in hung + dropped:  # as the page's script does: again after each 503
            target = url if body in hung else url2
            deadline = time.monotonic() + 60
            answer = _post(target + "/api/comments", posts[body])
            while answer.status_code == 503 and time.monotonic() < deadline:
                time.sleep(1)
                answer = _post(target + "/api/comments", posts[body])
            accepted += answer.status_code == 202
    finally:
        for s in (server, server2):
            s.shutdown()
            s.server_close()
        proxy.close()
    counts = count_by_body(stored_comments(stack.cms), hung + dropped)
    return {
        "posted": len(posts),
        "unknown": unknown,
        "accepted": accepted,
        "stored": sum(1 for n in counts.values() if n),
        "duplicated": sum(max(0, n - 1) for n in counts.values()),
        "lost": sum(1 for n in counts.values() if n == 0),
    }


def _comment(article: int, body: str) -> dict[str, Any]:
    return {"page": article, "author_name": "Bench", "body": body, "form_token": old_token()}


def _post(url: str, fields: dict[str, Any]) -> requests.Response:
    return requests.post(url, json=fields, headers={"X-Forwarded-For": "198.18.0.9"}, timeout=30)


def probe_triggers(stack: Stack, outage: float) -> tuple[int, int]:
    """``(triggers made, delivered)``: one publish while the runner is down for ``outage`` s."""
    title = f"Outage {time.time():.0f}"
    stack.kill_runner()
    set_title(stack, "hello-jamtail", title)
    time.sleep(outage)
    stack.start_runner()
    try:
        wait_for(
            lambda: title in requests.get(stack.url + "/blog/hello-jamtail/", timeout=5).text,
            120,
            "the publish made during the outage",
        )
        return 1, 1
    except AssertionError:
        return 1, 0


def probe_fuzz(cases: int, rng: random.Random) -> dict[str, int]:
    """Random build hooks against the build service's receiver (no worker started)."""
    secret = "bench-secret"
    state = Path(tempfile.mkdtemp(prefix="jamtail-fuzz-"))
    service = BuildService(*open_broker(default_url(state)), WorkerSettings(state))
    config = ReceiverConfig(state_dir=state, secret=secret)
    server = make_hook_server(config, service, "127.0.0.1", 0, rate_limit=1_000_000)
    threading.Thread(target=serve_quietly, args=(server,), daemon=True).start()
    figures = {"cases": cases, "5xx": 0, "hangs": 0, "forged_accepted": 0, "replays_accepted": 0}
    accepted: list[bytes] = []
    try:
        for _ in range(cases):
            kind = rng.choice(["valid", "forged", "replay", "garbage"])
            if kind == "replay" and accepted:
                request, should_accept = rng.choice(accepted), False
            else:
                request, should_accept = _fuzz_request(rng, secret, kind == "valid")
            status = _send(server.effective_port, request)
            if status is None:
                figures["hangs"] += 1
            elif status >= 500:
                figures["5xx"] += 1
            elif status == 202:
                if kind == "replay":
                    figures["replays_accepted"] += 1
                elif not should_accept:
                    figures["forged_accepted"] += 1
                else:
                    accepted.append(request)
    finally:
        server.close()
        shutil.rmtree(state, ignore_errors=True)
    return figures


def serve_quietly(server: Any) -> None:
    """``server.run()``; its complaint when ``close()`` comes from another thread is noise."""
    with contextlib.suppress(OSError, ValueError):
        server.run()


def _fuzz_request(rng: random.Random, secret: str, valid: bool) -> tuple[bytes, bool]:
    body = rng.choice(
        [
            webhooks.encode({"event": "page_published", "n": rng.random()}),
            b"[" * rng.randint(1, 5000),
            bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 300))),
            b'{"a": ' * 40 + b"1" + b"}" * 40,
        ]
    )
    headers = webhooks.sign(body, secret)
    if not valid:
        mutation = rng.choice(["timestamp", "signature", "both", "none"])
        junk = [
            "9" * 400,
            "-1",
            "1e9",
            "",
            "sha256=" + "0" * 64,
            "\x01",
            str(rng.randint(-(10**20), 10**20)),
        ]
        if mutation in ("timestamp", "both"):
            headers[webhooks.TIMESTAMP_HEADER] = rng.choice(junk)
        if mutation in ("signature", "both"):
            headers[webhooks.SIGNATURE_HEADER] = rng.choice(junk)
        if mutation == "none":
            headers = {}
    length = str(len(body))
    if rng.random() < 0.2:
        length = rng.choice(["-1", "9" * 40, "abc", str(300 * 1024 * 1024), ""])
    lines = ["POST / HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    if length:
        lines.append(f"Content-Length: {length}")
    lines += [f"{k}: {v}" for k, v in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    return request, valid and length == str(len(body))


def _send(port: int, request: bytes, timeout: float = 5.0) -> int | None:
    """The status of the answer to ``request``; ``None`` when none came in ``timeout`` s."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            try:
                sock.sendall(request)
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            data = b""
            while b"\r\n" not in data:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
    except TimeoutError:
        return None
    except ConnectionResetError:
        return 0
    return int(data.split(b" ", 2)[1]) if data else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--storm", type=int, default=30)
    parser.add_argument("--storm-seconds", type=float, default=15)
    parser.add_argument("--comments", type=int, default=5)
    parser.add_argument("--fuzz", type=int, default=500)
    parser.add_argument("--outage", type=float, default=15)
    parser.add_argument("--only", default=",".join(PROBES))
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--keep", help="keep the stack's data in this folder")
    args = parser.parse_args()
    only = set(args.only.split(","))
    rng = random.Random(args.seed)
    bad = False
    if "fuzz" in only:
        fuzz = probe_fuzz(args.fuzz, rng)
        print(
            f"hook fuzz: {fuzz['cases']} cases, {fuzz['5xx']} 5xx, {fuzz['hangs']} hangs, "
            f"{fuzz['forged_accepted']} forged accepted, "
            f"{fuzz['replays_accepted']} replays accepted",
            flush=True,
        )
        bad |= any(fuzz[k] for k in ("5xx", "hangs", "forged_accepted", "replays_accepted"))
    if not only & {"kill", "storm", "comments", "triggers"}:
        return 1 if bad else 0
    root = Path(args.keep or tempfile.mkdtemp(prefix="jamtail-reliability-"))
    stack = Stack(root)
    stack.cms.env.update(JAMTAIL_COMMENTS_TOKEN=SERVICE_TOKEN, JAMTAIL_COMMENTS_RATE_LIMIT="1000")
    started = time.monotonic()
    try:
        stack.prepare([(ROOT / "demo" / "blog", "blog")])
        stack.start()
        stack.wait_for_first_build()
        print(f"stack up in {time.monotonic() - started:.0f} s", flush=True)
        if "kill" in only:
            trials, failures = probe_kills(stack, args.kills, rng)
            print(f"kill -9 of build + deploy: {trials} trials, {failures} failures", flush=True)
            bad |= failures > 0
        if "storm" in only:
            made, builds, live = probe_storm(stack, args.storm, args.storm_seconds)
            print(
                f"storm: {made} publishes in {args.storm_seconds:.0f} s became {builds} builds; "
                f"last publish live: {'yes' if live else 'NO'}",
                flush=True,
            )
            bad |= not live
        if "comments" in only:
            c = probe_comments(stack, args.comments)
            print(
                f"comments (hung CMS and dropped answers): {c['posted']} posted, "
                f"{c['unknown']} answered 'unknown, will retry', "
                f"{c['accepted']} accepted on retry, "
                f"{c['stored']} stored, {c['duplicated']} duplicated, {c['lost']} lost",
                flush=True,
            )
            bad |= bool(c["duplicated"] or c["lost"])
        if "triggers" in only:
            made, delivered = probe_triggers(stack, args.outage)
            print(
                f"triggers across a {args.outage:.0f} s runner outage: {made} made, "
                f"{delivered} delivered",
                flush=True,
            )
            bad |= delivered < made
    finally:
        stack.stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(f"total {time.monotonic() - started:.0f} s", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
