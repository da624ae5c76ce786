"""One build of one site (``jamtail.service.build``): the hook body handed over as Netlify
does, whatever its size; the build's own report, not its printed lines, sent to the CMS."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jamtail.exceptions import EXIT_UNAVAILABLE
from jamtail.report import BuildReport
from jamtail.service.build import HOOK_BODY_ENV_LIMIT, SiteBuild
from jamtail.service.sites import Site


def runner(tmp_path) -> SiteBuild:
    return SiteBuild(Site(), tmp_path / "state")


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


def test_a_batch_builds_and_deploys_in_one_process(tmp_path):
    site = Site(deploy_target="netlify")
    [step] = SiteBuild(site, tmp_path / "state").steps()
    assert step[:4] == [sys.executable, "-m", "jamtail.cli", "build"]
    report = str(tmp_path / "state" / "build-report.json")
    assert step[-4:] == ["--deploy", "netlify", "--report", report]
    site.deploy = False
    assert "--deploy" not in SiteBuild(site, tmp_path / "state").steps()[0]


REPO = Path(__file__).resolve().parents[1]


def site(api: str, tmp_path: Path) -> Site:
    return Site(
        api=api, build_args=["--out", str(tmp_path / "build"), "--site", str(REPO / "site")]
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_build_record_gets_the_builds_own_report_not_its_printed_lines(
    live_server, tmp_path, monkeypatch, settings
):
    from cms.publishing.models import BuildRecord
    from tests.factories import demo_site

    demo_site(per_page=2)
    settings.JAMTAIL_RUNNER_TOKEN = "runner-token"
    record = BuildRecord.objects.create(trigger="publish")
    monkeypatch.setenv("JAMTAIL_DEPLOY_DIR", str(tmp_path / "deploy"))
    monkeypatch.setenv("JAMTAIL_CACHE_DIR", str(tmp_path / "cache"))
    api = f"{live_server.url}/api/v2/"
    run = SiteBuild(site(api, tmp_path), tmp_path / "state", token="runner-token")
    assert run.run_batch([{"build_id": record.pk, "trigger": "publish"}])
    log = (tmp_path / "state" / "last-build.log").read_text()
    assert log.startswith("$ jamtail build --api") and "--deploy local --report " in log
    assert "Deployed to local: " in log and "exit status" not in log

    written = BuildReport.read(run.report_path)
    record.refresh_from_db()
    assert record.status == "succeeded" and record.runner == "local-runner"
    assert BuildReport.from_json(record.report) == written
    assert written.kind == "full" and written.pages_rebuilt == written.pages > 0
    assert record.pages_rebuilt == written.pages_rebuilt
    assert written.deploy is not None and written.deploy.target == "local"
    assert record.files_uploaded == written.deploy.files_uploaded > 0
    assert record.bytes == written.bytes > 0
    assert record.deploy_url == written.deploy.url and record.deploy_url.startswith("file://")
    assert (tmp_path / "deploy" / "current" / "index.html").exists()

    # A second build of unchanged content reuses everything and says so.
    assert run.run_batch([{"build_id": record.pk}])
    record.refresh_from_db()
    assert record.pages_rebuilt == 0 and record.kind in ("incremental", "patch")


def test_a_failed_build_is_not_deployed_and_its_log_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("JAMTAIL_DEPLOY_DIR", str(tmp_path / "deploy"))
    monkeypatch.setenv("JAMTAIL_CACHE_DIR", str(tmp_path / "cache"))
    unreachable = site("http://127.0.0.1:9/api/v2/", tmp_path)  # nothing listens
    run = SiteBuild(unreachable, tmp_path / "state")
    outcome = run.run([{"trigger": "test"}])
    assert not outcome.ok and outcome.retryable  # the CMS may come back: worth a retry
    log = (tmp_path / "state" / "last-build.log").read_text()
    assert "jamtail build: error: " in log and log.endswith(f"exit status {EXIT_UNAVAILABLE}")
    assert not (tmp_path / "deploy").exists()
    report = BuildReport.read(run.report_path)
    assert report.status == "failed" and report.deploy is None
    assert "127.0.0.1:9" in report.errors[0]
    assert SiteBuild.failure(report, log) == report.errors[0]
