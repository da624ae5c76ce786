"""One build of one site: run ``jamtail build``, report it to the CMS, say if a retry may help.

A worker (:mod:`.worker`) hands :class:`SiteBuild` the batch of hooks it took
from the site's inbox. :meth:`SiteBuild.run` runs
``jamtail build [site build_args] --deploy TARGET --report FILE`` (or the
site's ``command`` with ``--report FILE``) as one process (building and
deploying in one process saves the deploy's start-up), forked from the fork
server that has the pipeline imported (:mod:`.launch`) or else a subprocess,
with the site's environment, and reports each build id of the batch to the CMS
(``/api/v2/builds/<id>/``, ``Authorization: Bearer $JAMTAIL_RUNNER_TOKEN``):
``running``, then ``succeeded`` or ``failed`` with times, the log tail and the
build's :class:`~jamtail.report.BuildReport` (counts, deploy URL, errors) as
JSON, read from FILE, never from the build's printed lines.

The outcome says whether a retry may help (:data:`~jamtail.exceptions.RETRYABLE_EXITS`:
the CMS unreachable, the deploy failed, or the build killed by a signal), or
not (a content, template or settings error fails the same way again).
The build is started with ``PR_SET_PDEATHSIG`` (Linux): a worker killed with
SIGKILL takes its build with it (a forked build through the fork server, which
exits with the worker), so the build the next worker starts never overlaps an
orphan.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from jamtail.exceptions import EXIT_DEPLOY_FAILED, RETRYABLE_EXITS
from jamtail.report import BuildReport, ReportError
from jamtail.service import launch
from jamtail.service.sites import Site

log = logging.getLogger(__name__)

LOG_TAIL_CHARS = 8000
HOOK_BODY_ENV_LIMIT = 64 * 1024  # bytes; Linux's limit for one string is 128 KiB


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


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


@dataclass
class Outcome:
    """How a build ended: ``ok``; ``exit_status`` (None: it never started); may a retry help."""

    ok: bool
    exit_status: int | None
    retryable: bool
    error: str = ""


class SiteBuild:
    """Builds of one site in ``workdir`` (its report, hook body and last log live there).

    ``cache_dir``: the site's content cache on this machine (``JAMTAIL_CACHE_DIR``
    of its builds); empty keeps the site's own setting. ``name``: the runner
    name shown in the CMS's build record. ``fork``: start ``jamtail`` builds
    from the fork server (:mod:`.launch`, ``JAMTAIL_BUILD_FORK``) where it can.
    :meth:`stop`, from another thread, ends a running build (the worker calls
    it when it lost the site's lease).
    """

    def __init__(
        self,
        site: Site,
        workdir: Path,
        token: str = "",
        name: str = "local-runner",
        cache_dir: str = "",
        fork: bool = True,
    ):
        self.site = site
        self.fork = fork
        self.workdir = workdir
        self.name = name
        self.cache_dir = cache_dir or site.cache_dir
        workdir.mkdir(parents=True, exist_ok=True)
        self.reporter = Reporter(site.api, token)
        self.process: subprocess.Popen[str] | launch.ForkedCommand | None = None

    @property
    def report_path(self) -> Path:
        """Where the build writes its report (``jamtail build --report``)."""
        return self.workdir / "build-report.json"

    def steps(self) -> list[list[str]]:
        """The commands a batch runs: the build, deploying in the same process if configured."""
        report = ["--report", str(self.report_path)]
        if self.site.command:
            return [[*self.site.command, *report]]
        deploy = ["--deploy", self.site.deploy_target] if self.site.deploy else []
        jamtail = [sys.executable, "-m", "jamtail.cli", "build"]
        api = ["--api", self.site.api] if self.site.api else []
        return [[*jamtail, *api, *self.site.build_args, *deploy, *report]]

    def hook_environment(self, payload: dict[str, Any]) -> dict[str, str]:
        """The build's environment: the hook body as Netlify gives it (``INCOMING_HOOK_BODY``).

        Linux refuses an environment string over 128 KiB, which the body of a
        large import exceeds; the whole body is always in the file named by
        ``INCOMING_HOOK_BODY_FILE``, and a body over the limit is passed with
        its lists left out and ``"truncated": true``. The site's ``env`` and
        cache directory are added, and ``JAMTAIL_SITE`` names the site.
        """
        body = json.dumps(payload)
        body_file = self.workdir / "incoming-hook-body.json"
        body_file.write_text(body)
        if len(body.encode()) > HOOK_BODY_ENV_LIMIT:
            short = {k: v for k, v in payload.items() if not isinstance(v, (list, dict))}
            body = json.dumps({**short, "truncated": True})
        env = {**os.environ, **self.site.env, "JAMTAIL_SITE": self.site.name}
        if self.cache_dir:
            env["JAMTAIL_CACHE_DIR"] = self.cache_dir
        return {**env, "INCOMING_HOOK_BODY": body, "INCOMING_HOOK_BODY_FILE": str(body_file)}

    def run_batch(self, batch: list[dict[str, Any]]) -> bool:
        """Build once for every hook in ``batch`` and report; True on success."""
        return self.run(batch).ok

    def run(self, batch: list[dict[str, Any]], final: bool = True) -> Outcome:
        """Build and deploy once for every hook in ``batch``; report; the :class:`Outcome`.

        ``final=False``: a retry will follow a retryable failure, and the
        records' error says so.
        """
        ids = sorted({int(i["build_id"]) for i in batch if i.get("build_id")})
        if not ids:
            created = self.reporter.create(batch[-1].get("trigger") or "runner")
            ids = [created] if created else []
        started = time.monotonic()
        for build_id in ids:
            self.reporter.update(build_id, status="running", started_at=now_iso(), runner=self.name)
        self.report_path.unlink(missing_ok=True)  # never report a previous build's numbers
        text, status = self.execute(self.hook_environment(batch[-1]))
        ok = status == 0
        (self.workdir / "last-build.log").write_text(text)
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
        retryable = not ok and status is not None and (status < 0 or status in RETRYABLE_EXITS)
        if report is not None and report.new_broken_links:
            retryable = False  # a refused deploy is refused again until the content changes
        error = "" if ok else self.failure(report, text)
        if not ok:
            fields["error"] = error + ("" if final or not retryable else " (will be retried)")
        for build_id in ids:
            self.reporter.update(build_id, **fields)
        return Outcome(ok, status, retryable, error)

    def execute(self, env: dict[str, str]) -> tuple[str, int | None]:
        """Run :meth:`steps`; ``(log text, exit status of the last step run)``.

        A ``jamtail`` step is forked from the fork server (:mod:`.launch`) where
        it can be, otherwise started as a subprocess.
        """
        output: list[str] = []
        status: int | None = 0
        for step in self.steps():
            own = step[:3] == [sys.executable, "-m", "jamtail.cli"]
            shown = " ".join(step[3:] if own else step)
            log.info("site %s: running %s", self.site.name, shown)
            try:
                if own and self.fork and launch.available(self.site.env):
                    returncode, printed = self._fork(step[3:], env)
                else:
                    returncode, printed = self._spawn(step, env)
            except OSError as exc:  # e.g. the command cannot be started at all
                output.append(f"$ jamtail {shown}\ncannot run: {exc}")
                return "\n".join(output), None
            output.append(f"$ jamtail {shown}\n{printed}")
            status = returncode
            if returncode != 0:
                deploy_failed = returncode == EXIT_DEPLOY_FAILED and "--deploy" in step
                note = " (built; the deploy failed)" if deploy_failed else ""
                output.append(f"exit status {returncode}{note}")
                break
        return "\n".join(output), status

    def _fork(self, argv: list[str], env: dict[str, str]) -> tuple[int | None, str]:
        """``jamtail ARGV`` forked from the fork server: ``(exit status, what it printed)``."""
        command = launch.ForkedCommand(argv, env, Path.cwd(), self.workdir / "build-output.log")
        self.process = command
        try:
            return command.wait(), command.output()
        finally:
            self.process = None

    def _spawn(self, step: list[str], env: dict[str, str]) -> tuple[int | None, str]:
        """``step`` as a subprocess: ``(exit status, what it printed)``."""
        process = subprocess.Popen(
            step, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
            stdin=subprocess.DEVNULL, preexec_fn=launch.die_with_parent,
        )  # fmt: skip
        self.process = process
        try:
            printed, _ = process.communicate()
            return process.returncode, printed
        finally:
            self.process = None

    def stop(self) -> None:
        """End a running build (its lease was lost: another worker builds the site)."""
        process = self.process
        if process is not None and process.poll() is None:
            process.kill()

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
