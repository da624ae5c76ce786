"""Builds forked from the fork server (``jamtail.service.launch``) behave as the
``python -m jamtail.cli`` process they replace: their own environment, working
directory, output and exit status; killed like a process; and gone with the
worker that started them, even a worker killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import requests

from jamtail import __version__
from jamtail.exceptions import EXIT_UNAVAILABLE
from jamtail.report import BuildReport
from jamtail.service import launch
from jamtail.service.build import SiteBuild
from jamtail.service.sites import Site
from tests.cms_process import free_port

pytestmark = pytest.mark.skipif(not launch.available(), reason="no forkserver start method")


def forked(tmp_path: Path, *argv: str, **env: str) -> launch.ForkedCommand:
    return launch.ForkedCommand(list(argv), {**os.environ, **env}, tmp_path, tmp_path / "out.log")


def test_a_forked_command_prints_and_exits_as_the_cli_does(tmp_path):
    command = forked(tmp_path, "--version")
    assert command.wait() == 0
    assert command.output() == f"jamtail {__version__}\n"  # and no warning
    command = forked(tmp_path, "build", "--no-such-option")
    assert command.wait() == 2  # argparse's usage error
    assert "unrecognized arguments: --no-such-option" in command.output()


def test_a_forked_command_reads_the_environment_it_is_given_not_the_workers(tmp_path):
    assert "JAMTAIL_DEPLOY_KEEP" not in os.environ
    command = forked(tmp_path, "--version", JAMTAIL_DEPLOY_KEEP="none")
    assert command.wait() == 1  # settings are checked before any command runs
    assert "JAMTAIL_DEPLOY_KEEP" in command.output() and "'none'" in command.output()


def test_a_forked_build_runs_in_the_directory_it_is_given(tmp_path):
    # A relative --report lands in the given working directory, not the worker's.
    api = f"http://127.0.0.1:{free_port()}/api/v2/"
    command = forked(tmp_path, "build", "--api", api, "--report", "jamtail-test-report.json")
    assert command.wait() == EXIT_UNAVAILABLE  # nothing listens there: the CMS is unreachable
    assert "127.0.0.1" in command.output()
    assert BuildReport.read(tmp_path / "jamtail-test-report.json").status == "failed"
    assert not (Path.cwd() / "jamtail-test-report.json").exists()


def test_a_killed_forked_command_reports_the_signal(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<p>hi</p>")
    port = free_port()
    command = forked(tmp_path, "serve", "--dir", "site", "--port", str(port))
    deadline = time.monotonic() + 30
    while command.poll() is None and time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/", timeout=1).ok:
                break
        except requests.ConnectionError:
            time.sleep(0.05)
    assert command.poll() is None, command.output()
    command.kill()
    assert command.wait() == -signal.SIGKILL


def test_the_runner_forks_its_own_builds_and_spawns_a_sites_own_command(tmp_path):
    build = SiteBuild(Site(build_args=["--no-such-option"]), tmp_path / "state")
    text, status = build.execute(build.hook_environment({}))
    assert status == 2 and "unrecognized arguments" in text
    assert (tmp_path / "state" / "build-output.log").exists()  # it was forked
    script = "import sys; print('own command', sys.argv[1:]); sys.exit(3)"
    own = SiteBuild(Site(command=[sys.executable, "-c", script]), tmp_path / "own")
    text, status = own.execute(own.hook_environment({}))
    assert status == 3 and "own command ['--report'" in text
    assert not (tmp_path / "own" / "build-output.log").exists()
    spawned = SiteBuild(Site(build_args=["--no-such-option"]), tmp_path / "new", fork=False)
    text, status = spawned.execute(spawned.hook_environment({}))  # JAMTAIL_BUILD_FORK=0
    assert status == 2 and "unrecognized arguments" in text
    assert not (tmp_path / "new" / "build-output.log").exists()


def test_a_site_that_sets_python_variables_gets_a_new_interpreter():
    assert launch.available({"JAMTAIL_SITE": "a"})
    assert not launch.available({"PYTHONPATH": "/somewhere"})


def test_a_worker_killed_with_sigkill_takes_its_forked_build_with_it(tmp_path):
    # The worker: forks a long-running `jamtail serve`, prints its pid, waits.
    port = free_port()
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<p>hi</p>")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
                import os, sys, time
                from pathlib import Path
                from jamtail.service import launch
                here = Path({str(tmp_path)!r})
                command = launch.ForkedCommand(
                    ["serve", "--dir", "site", "--port", "{port}"], dict(os.environ),
                    here, here / "out.log")
                log = here / "out.log"
                while command.poll() is None and not (log.exists() and log.read_text()):
                    time.sleep(0.05)
                print(command.process.pid, flush=True)
                time.sleep(600)
            """),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        build_pid = int(worker.stdout.readline())
        os.kill(build_pid, 0)  # it runs
        worker.kill()
        worker.wait()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and _alive(build_pid):
            time.sleep(0.1)
        assert not _alive(build_pid)
    finally:
        worker.kill()


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped by init, does not count)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
