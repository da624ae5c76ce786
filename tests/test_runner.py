"""The build runner hands the hook body to the build as Netlify does, whatever its size."""

from __future__ import annotations

import json
import subprocess
import sys

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
