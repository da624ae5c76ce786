"""``jamtail runner``: a local build runner that receives signed build hooks.

    POST /            a build hook (JSON body, signed: see ``jamtail/webhooks.py``);
                      202 once queued; 400/401/409/411/413/429 when refused
                      (``jamtail/hookserver.py``: size cap, strict headers,
                      signature, replay, per-source rate limit)
    GET  /status      ``{"queued": N, "building": bool, "builds": K}``

The HTTP side is a WSGI app served by waitress in this process
(``jamtail/hookserver.py``); this module is the queue and the build worker.

One build at a time: a worker thread takes *every* queued hook as one batch,
runs ``jamtail build --deploy $JAMTAIL_DEPLOY_TARGET --report FILE`` (default
target ``local``) as one subprocess (building and deploying in one process saves
the deploy's start-up), and reports each build id of the batch to the CMS
(``/api/v2/builds/<id>/``, ``Authorization: Bearer $JAMTAIL_RUNNER_TOKEN``):
``running``, then ``succeeded`` or ``failed`` with times, the log tail and the
build's :class:`~jamtail.report.BuildReport` (counts, deploy URL, errors) as
JSON, read from FILE, never from the build's printed lines. Hooks arriving
while a build runs wait and become one follow-up build (coalescing).

The queue lives in ``<state dir>/queue.json`` (written atomically), and a
batch leaves it only after its build finished and was reported, so a runner
killed mid-build builds the batch again when it restarts: no request is lost.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from . import webhooks
from .exceptions import EXIT_DEPLOY_FAILED, ConfigError
from .report import BuildReport, ReportError

log = logging.getLogger(__name__)

LOG_TAIL_CHARS = 8000
HOOK_BODY_ENV_LIMIT = 64 * 1024  # bytes; Linux's limit for one string is 128 KiB


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class RunnerConfig:
    """Where to listen, what to run, whom to report to.

    ``build_args``: extra arguments for ``jamtail build``. ``cms_api``: the CMS
    API root for status reports (no reports when empty). ``deploy``: deploy
    to ``deploy_target`` after a successful build (``jamtail build --deploy``).
    """

    state_dir: Path
    secret: str
    host: str = "127.0.0.1"
    port: int = 8090
    cms_api: str = ""
    token: str = ""
    build_args: list[str] = field(default_factory=list)
    deploy: bool = True
    deploy_target: str = "local"
    tolerance: int = webhooks.DEFAULT_TOLERANCE
    name: str = "local-runner"
    max_body: int = 4 * 1024 * 1024  # bytes; a larger hook is refused before it is read
    rate_limit: int = 60  # hook requests a minute per client address


class HookQueue:
    """Received hooks, persisted in ``queue.json`` so a restart resumes them."""

    def __init__(self, path: Path):
        self.path = path
        self.lock = threading.Lock()
        self.ready = threading.Event()
        self.items: list[dict[str, Any]] = []
        if path.exists():
            self.items = json.loads(path.read_text() or "[]")
        if self.items:
            self.ready.set()

    def _save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.items, indent=1))
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)

    def add(self, payload: dict[str, Any]) -> int:
        with self.lock:
            self.items.append({"id": uuid.uuid4().hex, "received_at": now_iso(), **payload})
            self._save()
            self.ready.set()
            return len(self.items)

    def batch(self) -> list[dict[str, Any]]:
        with self.lock:
            if not self.items:
                self.ready.clear()
            return list(self.items)

    def done(self, batch: list[dict[str, Any]]) -> None:
        finished = {item["id"] for item in batch}
        with self.lock:
            self.items = [i for i in self.items if i["id"] not in finished]
            self._save()
            if not self.items:
                self.ready.clear()


class Reporter:
    """PATCH build records on the CMS; a failed report is logged, never fatal."""

    def __init__(self, api: str, token: str):
        self.api = api.rstrip("/") + "/" if api else ""
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def create(self, trigger: str) -> int | None:
        if not self.api:
            return None
        try:
            response = self.session.post(
                self.api + "builds/", json={"trigger": trigger}, timeout=10
            )
            response.raise_for_status()
            return int(response.json()["id"])
        except (requests.RequestException, ValueError, KeyError) as exc:
            log.warning("could not create a build record: %s", exc)
            return None

    def update(self, build_id: int, **fields: Any) -> None:
        if not self.api:
            return
        try:
            response = self.session.patch(f"{self.api}builds/{build_id}/", json=fields, timeout=10)
            response.raise_for_status()
        except requests.RequestException as exc:
            log.warning("could not report build #%s: %s", build_id, exc)


class Runner:
    """The queue, the build worker thread and the HTTP server (see module docstring)."""

    def __init__(self, config: RunnerConfig):
        self.config = config
        config.state_dir.mkdir(parents=True, exist_ok=True)
        self.queue = HookQueue(config.state_dir / "queue.json")
        self.reporter = Reporter(config.cms_api, config.token)
        self.building = False
        self.builds = 0
        self.stopping = threading.Event()

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "jamtail.cli", *args]

    @property
    def report_path(self) -> Path:
        """Where the build writes its report (``jamtail build --report``)."""
        return self.config.state_dir / "build-report.json"

    def steps(self) -> list[list[str]]:
        """The commands a batch runs: the build, deploying in the same process if configured."""
        deploy = ["--deploy", self.config.deploy_target] if self.config.deploy else []
        report = ["--report", str(self.report_path)]
        return [self.command("build", *self.config.build_args, *deploy, *report)]

    def hook_environment(self, payload: dict[str, Any]) -> dict[str, str]:
        """The build's environment: the hook body as Netlify gives it (``INCOMING_HOOK_BODY``).

        Linux refuses an environment string over 128 KiB, which the body of a
        large import exceeds; the whole body is always in the file named by
        ``INCOMING_HOOK_BODY_FILE``, and a body over the limit is passed with
        its lists left out and ``"truncated": true``.
        """
        body = json.dumps(payload)
        body_file = self.config.state_dir / "incoming-hook-body.json"
        body_file.write_text(body)
        if len(body.encode()) > HOOK_BODY_ENV_LIMIT:
            short = {k: v for k, v in payload.items() if not isinstance(v, (list, dict))}
            body = json.dumps({**short, "truncated": True})
        return {**os.environ, "INCOMING_HOOK_BODY": body, "INCOMING_HOOK_BODY_FILE": str(body_file)}

    def run_batch(self, batch: list[dict[str, Any]]) -> bool:
        """Build and deploy once for every hook in ``batch``; report; True on success."""
        ids = sorted({int(i["build_id"]) for i in batch if i.get("build_id")})
        if not ids:
            created = self.reporter.create(batch[-1].get("trigger") or "runner")
            ids = [created] if created else []
        started = time.monotonic()
        for build_id in ids:
            self.reporter.update(
                build_id, status="running", started_at=now_iso(), runner=self.config.name
            )
        self.report_path.unlink(missing_ok=True)  # never report a previous build's numbers
        output, ok = [], True
        env = self.hook_environment(batch[-1])
        for step in self.steps():
            log.info("running %s", " ".join(step[2:]))
            try:
                result = subprocess.run(
                    step, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL
                )
            except OSError as exc:  # e.g. the command cannot be started at all
                output.append(f"$ jamtail {' '.join(step[3:])}\ncannot run: {exc}")
                ok = False
                break
            output.append(f"$ jamtail {' '.join(step[3:])}\n{result.stdout}{result.stderr}")
            if result.returncode != 0:
                deploy_failed = result.returncode == EXIT_DEPLOY_FAILED and "--deploy" in step
                note = " (built; the deploy failed)" if deploy_failed else ""
                output.append(f"exit status {result.returncode}{note}")
                ok = False
                break
        text = "\n".join(output)
        (self.config.state_dir / "last-build.log").write_text(text)
        fields: dict[str, Any] = {
            "status": "succeeded" if ok else "failed",
            "finished_at": now_iso(),
            "duration": round(time.monotonic() - started, 3),
            "log_tail": text[-LOG_TAIL_CHARS:],
        }
        report = self.read_report(ok)
        if report is not None:
            fields["report"] = report.to_json()
            ok = ok and report.status == "succeeded"
            fields["status"] = "succeeded" if ok else "failed"
        if not ok:
            fields["error"] = self.failure(report, text)
        for build_id in ids:
            self.reporter.update(build_id, **fields)
        self.builds += 1
        return ok

    def read_report(self, ok: bool) -> BuildReport | None:
        """The build's report, or None when it wrote none (it could not start, say)."""
        try:
            return BuildReport.read(self.report_path)
        except ReportError as exc:
            if ok:  # a build that exits 0 always writes its report: say so
                log.warning("the build succeeded but its report is unusable: %s", exc)
            return None

    @staticmethod
    def failure(report: BuildReport | None, text: str) -> str:
        """Why a batch failed: the report's errors, else the last line the command printed."""
        if report is not None and report.errors:
            return "\n".join(report.errors)
        lines = text.strip().splitlines()
        return lines[-1] if lines else "build failed"

    def work(self) -> None:
        """The build loop: one batch at a time until :attr:`stopping` is set."""
        while not self.stopping.is_set():
            if not self.queue.ready.wait(timeout=0.2):
                continue
            batch = self.queue.batch()
            if not batch:
                continue
            self.building = True
            try:
                self.run_batch(batch)
            except Exception:
                log.exception("build runner failed on a batch of %d hooks", len(batch))
            finally:
                self.building = False
            self.queue.done(batch)

    def start_worker(self) -> threading.Thread:
        """Start the build worker thread (a daemon; :attr:`stopping` ends it)."""
        worker = threading.Thread(target=self.work, daemon=True, name="jamtail-runner")
        worker.start()
        return worker

    def serve(self) -> Any:
        """Start the worker thread; return the (not yet serving) waitress server.

        ``server.run()`` serves; ``server.effective_port`` is the port bound.
        """
        from .hookserver import make_server

        self.start_worker()
        return make_server(
            self, self.config.host, self.config.port, self.config.max_body, self.config.rate_limit
        )


def allow_broken_links(environ: Any) -> bool:
    """Whether ``JAMTAIL_ALLOW_BROKEN_LINKS`` asks deploys to accept new broken links.

    The runner passes it on as ``--allow-broken-links``, so the build's log
    (shown in the admin) says the deploy was made with them allowed.
    """
    return environ.get("JAMTAIL_ALLOW_BROKEN_LINKS", "").lower() not in ("", "0", "false", "no")


def run(args: Any) -> int:
    """``jamtail runner``: serve until Ctrl-C (``args`` from the CLI parser)."""
    secret = os.environ.get("JAMTAIL_WEBHOOK_SECRET", "")
    if not secret:
        raise ConfigError("set JAMTAIL_WEBHOOK_SECRET: the runner only accepts signed hooks")
    deploy = not args.no_deploy
    config = RunnerConfig(
        state_dir=Path(args.state_dir),
        secret=secret,
        host=args.host,
        port=args.port,
        cms_api=args.api,
        token=os.environ.get("JAMTAIL_RUNNER_TOKEN", ""),
        # --timings: the build's log in the admin then says which stage took the time.
        build_args=[
            "--api",
            args.api,
            "--timings",
            *(["--out", args.out] if args.out else []),
            *(["--allow-broken-links"] if allow_broken_links(os.environ) else []),
        ],
        deploy=deploy,
        deploy_target=os.environ.get("JAMTAIL_DEPLOY_TARGET", "local"),
        tolerance=int(os.environ.get("JAMTAIL_WEBHOOK_TOLERANCE", webhooks.DEFAULT_TOLERANCE)),
        max_body=int(os.environ.get("JAMTAIL_RUNNER_MAX_BODY", str(4 * 1024 * 1024))),
        rate_limit=int(os.environ.get("JAMTAIL_RUNNER_RATE_LIMIT", "60")),
    )
    if not config.token:
        log.warning("JAMTAIL_RUNNER_TOKEN is not set: build status is not reported to the CMS")
    runner = Runner(config)
    server = runner.serve()
    host, port = config.host, server.effective_port
    steps = "build + deploy" if deploy else "build"
    print(f"Build runner at http://{host}:{port}/ ({steps}; Ctrl-C to stop)", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        runner.stopping.set()
        server.close()
    return 0
