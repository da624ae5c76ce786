"""The build runner hands the hook body to the build as Netlify does, whatever its size."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jamtail.runner import HOOK_BODY_ENV_LIMIT, Runner, RunnerConfig


def runner(tmp_path) -> Runner:
    return Runner(RunnerConfig(state_dir=tmp_path / "state", secret="s3cret"))


def test_a_small_hook_body_is_passed_whole(tmp_path):
    payload = {"event": "page_published", "page_ids": [1, 2], "build_id": 7}
    env = runner(tmp_path).hook_environment(payload)
    assert json.loads(env["INCOMING_HOOK_BODY"]) == payload
    with open(env["INCOMING_HOOK_BODY_FILE"]) as fh:
        assert json.load(fh) == payload


def test_a_huge_hook_body_is_summarised_and_kept_whole_in_a_file(tmp_path):
    # An import of thousands of pages: the body alone is far over Linux's 128 KiB
    # limit for one environment string, which made starting the build fail.
    paths = [f"/blog/post-{n:05d}/" for n in range(20000)]
    payload = {"event": "page_published", "paths": paths, "build_id": 9}
    env = runner(tmp_path).hook_environment(payload)
    assert len(env["INCOMING_HOOK_BODY"].encode()) <= HOOK_BODY_ENV_LIMIT
    assert json.loads(env["INCOMING_HOOK_BODY"]) == {
        "event": "page_published",
        "build_id": 9,
        "truncated": True,
    }
    with open(env["INCOMING_HOOK_BODY_FILE"]) as fh:
        assert json.load(fh)["paths"] == paths
    # and a build step really starts with that environment
    result = subprocess.run(
        [sys.executable, "-c", "import os; print(len(os.environ['INCOMING_HOOK_BODY']))"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(result.stdout) < HOOK_BODY_ENV_LIMIT


def test_the_build_record_gets_the_counts_from_the_build_and_deploy_summaries():
    from jamtail.build import BuildResult

    built = BuildResult(pages=1009, rendered=5, files=1785, bytes=97_200_000, seconds=1.65)
    log = (
        f"$ jamtail build\n{built.summary()}\n$ jamtail deploy --target netlify\n"
        "Deployed to netlify: 9 files uploaded (10.05 MB), 0 deleted, 0 paths invalidated"
        " in 0.10 s: https://example.netlify.app\n"
    )
    assert Runner.summarise(log) == {
        "pages_rendered": 5,
        "files_uploaded": 9,
        "bytes": 97_200_000,
        "deploy_url": "https://example.netlify.app",
    }


def test_a_batch_builds_and_deploys_in_one_process(tmp_path):
    config = RunnerConfig(state_dir=tmp_path / "state", secret="s", deploy_target="netlify")
    [step] = Runner(config).steps()
    assert step[:4] == [sys.executable, "-m", "jamtail.cli", "build"]
    assert step[-2:] == ["--deploy", "netlify"]
    config.deploy = False
    assert "--deploy" not in Runner(config).steps()[0]


REPO = Path(__file__).resolve().parents[1]


def build_args(api: str, tmp_path: Path) -> list[str]:
    return ["--api", api, "--out", str(tmp_path / "build"), "--site", str(REPO / "site")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_batch_is_built_and_deployed_and_its_log_has_both_summaries(
    live_server, tmp_path, monkeypatch
):
    from tests.factories import demo_site

    demo_site(per_page=2)
    monkeypatch.setenv("JAMTAIL_DEPLOY_DIR", str(tmp_path / "deploy"))
    monkeypatch.setenv("JAMTAIL_CACHE_DIR", str(tmp_path / "cache"))
    args = build_args(f"{live_server.url}/api/v2/", tmp_path)
    run = Runner(RunnerConfig(state_dir=tmp_path / "state", secret="s", build_args=args))
    assert run.run_batch([{"trigger": "test"}])
    log = (tmp_path / "state" / "last-build.log").read_text()
    assert log.startswith("$ jamtail build --api") and "--deploy local\n" in log
    assert "Deployed to local: " in log and "exit status" not in log
    assert Runner.summarise(log)["pages_rendered"] > 0
    assert (tmp_path / "deploy" / "current" / "index.html").exists()


def test_a_failed_build_is_not_deployed_and_its_log_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("JAMTAIL_DEPLOY_DIR", str(tmp_path / "deploy"))
    monkeypatch.setenv("JAMTAIL_CACHE_DIR", str(tmp_path / "cache"))
    args = build_args("http://127.0.0.1:9/api/v2/", tmp_path)  # nothing listens
    run = Runner(RunnerConfig(state_dir=tmp_path / "state", secret="s", build_args=args))
    assert not run.run_batch([{"trigger": "test"}])
    log = (tmp_path / "state" / "last-build.log").read_text()
    assert "jamtail build: error: " in log and log.endswith("exit status 1")
    assert not (tmp_path / "deploy").exists()
