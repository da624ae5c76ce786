"""``JAMTAIL_FRONTEND`` chooses the front end that ``jamtail build`` (and so the build runner
and ``scripts/trigger_build.py --local``) renders; a wrong setting fails with a clear error
before the CMS is asked for anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from jamtail.service.build import SiteBuild
from jamtail.service.sites import Site

REPO = Path(__file__).resolve().parents[1]
UNREACHABLE_CMS = "http://127.0.0.1:9/api/v2/"  # the discard port: nothing answers


def jamtail_build(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "jamtail.cli",
            "build",
            "--api",
            UNREACHABLE_CMS,
            "--out",
            str(tmp_path / "build"),
            "--cache",
            str(tmp_path / "cache"),
        ],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_unknown_front_end_is_refused_by_name(tmp_path):
    result = jamtail_build(tmp_path, JAMTAIL_FRONTEND="gatsby")
    assert result.returncode == 1
    assert "JAMTAIL_FRONTEND='gatsby': choose one of jinja, next" in result.stderr
    assert not (tmp_path / "build").exists()


def test_a_next_dir_without_its_lockfile_is_refused_before_the_cms_is_read(tmp_path):
    project = tmp_path / "not-next"
    project.mkdir()
    (project / "package.json").write_text("{}")
    result = jamtail_build(tmp_path, JAMTAIL_FRONTEND="next", JAMTAIL_NEXT_DIR=str(project))
    assert result.returncode == 1
    assert "package-lock.json is missing" in result.stderr
    assert "cannot reach" not in result.stderr.lower()


def test_without_npm_the_next_build_says_what_to_install(tmp_path):
    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "python").symlink_to(sys.executable)
    result = jamtail_build(tmp_path, JAMTAIL_FRONTEND="next", PATH=str(bare))
    assert result.returncode == 1
    assert "needs Node.js 18.18+ and npm on PATH" in result.stderr


def test_the_runner_builds_the_front_end_its_environment_names(tmp_path, monkeypatch):
    project = tmp_path / "not-next"
    project.mkdir()
    monkeypatch.setenv("JAMTAIL_FRONTEND", "next")
    monkeypatch.setenv("JAMTAIL_NEXT_DIR", str(project))
    runner = SiteBuild(
        Site(api=UNREACHABLE_CMS, build_args=["--out", str(tmp_path / "site")]),
        tmp_path / "state",
    )
    assert runner.run_batch([{"event": "page_published"}]) is False
    log = (tmp_path / "state" / "last-build.log").read_text()
    assert "not-next/package.json is missing" in log
