"""The build report: one typed contract from the build through the CLI to the runner and CMS."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from jamtail.cli import main as jamtail_main
from jamtail.exceptions import EXIT_DEPLOY_FAILED
from jamtail.report import REPORT_VERSION, BuildReport, DeployReport, ReportError

REPO = Path(__file__).resolve().parents[1]


def full_report() -> BuildReport:
    return BuildReport(
        kind="incremental",
        reason="page 7 changed title",
        pages=812,
        pages_rebuilt=3,
        outputs_written=5,
        outputs_kept=809,
        outputs_deleted=1,
        files=1190,
        bytes=23_400_000,
        media_downloaded=2,
        seconds=5.21,
        durations={"sync": 0.12, "render": 3.9},
        deploy=DeployReport(target="s3", url="https://www.example.org/", files_uploaded=4),
        warnings=["no base_url: sitemap URLs are relative"],
        broken_links=[{"source": "/a/", "target": "/missing/"}],
    )


def test_a_report_survives_its_json_form_unchanged():
    report = full_report()
    again = BuildReport.loads(report.dumps())
    assert again == report
    assert again.deploy == DeployReport(
        target="s3", url="https://www.example.org/", files_uploaded=4
    )
    assert (again.files_uploaded, again.deploy_url) == (4, "https://www.example.org/")


def test_the_json_form_carries_its_version_and_plain_types():
    data = json.loads(full_report().dumps())
    assert data["version"] == REPORT_VERSION == 1
    assert data["deploy"]["target"] == "s3"
    assert data["broken_links"] == [{"source": "/a/", "target": "/missing/"}]
    assert BuildReport().to_json()["broken_links"] is None  # links were not checked
    assert BuildReport().files_uploaded is None  # not deployed


def test_the_json_form_is_the_dataclass_as_plain_data_and_a_copy_of_it():
    report = full_report()
    data = report.to_json()
    assert data == dataclasses.asdict(report)
    data["broken_links"].append({"source": "/b/", "target": "/c/"})
    data["durations"]["links"] = 1.0
    data["deploy"]["files_uploaded"] = 99
    assert report == full_report()  # the caller's edits do not reach the report


def test_a_reader_refuses_another_version_and_names_a_wrong_field():
    data = full_report().to_json()
    with pytest.raises(ReportError, match="version 2 is not supported"):
        BuildReport.from_json({**data, "version": 2})
    with pytest.raises(ReportError, match="version None"):
        BuildReport.from_json({k: v for k, v in data.items() if k != "version"})
    with pytest.raises(ReportError, match="pages_rebuilt"):
        BuildReport.from_json({**data, "pages_rebuilt": "3"})
    with pytest.raises(ReportError, match="pages_rebuilt"):
        BuildReport.from_json({**data, "pages_rebuilt": True})
    with pytest.raises(ReportError, match="kind"):
        BuildReport.from_json({**data, "kind": "quick"})
    with pytest.raises(ReportError, match=r"deploy\.url"):
        BuildReport.from_json({**data, "deploy": {"target": "s3", "url": 7}})
    with pytest.raises(ReportError, match="broken_links"):
        BuildReport.from_json({**data, "broken_links": [{"source": "/a/"}]})
    with pytest.raises(ReportError, match="JSON"):
        BuildReport.loads("Built 812 pages (3 rendered)")


def test_a_newer_optional_field_is_ignored_by_this_reader():
    data = {**full_report().to_json(), "carbon_grams": 0.3}
    assert BuildReport.from_json(data) == full_report()


# -- the CLI on a real build --------------------------------------------------------


@pytest.fixture
def build_args(live_server, tmp_path) -> list[str]:
    from tests.factories import demo_site

    demo_site(per_page=2)
    return [
        "build",
        "--api",
        f"{live_server.url}/api/v2/",
        "--out",
        str(tmp_path / "build"),
        "--site",
        str(REPO / "site"),
        "--cache",
        str(tmp_path / "cache"),
        "--jobs",
        "1",
    ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_build_report_and_json_give_the_same_report_of_a_real_build(build_args, tmp_path, capsys):
    report_file = tmp_path / "report.json"
    assert jamtail_main([*build_args, "--report", str(report_file)]) == 0
    first = BuildReport.read(report_file)
    assert first.status == "succeeded" and first.kind == "full"
    assert first.pages >= 10 and first.pages_rebuilt == first.pages
    assert first.files > first.pages and first.bytes > 0
    assert {"sync", "plan", "render"} <= first.durations.keys()
    assert first.deploy is None and first.errors == []
    capsys.readouterr()

    # --json: stdout is the report and nothing else; the people's lines go to stderr.
    assert jamtail_main([*build_args, "--json"]) == 0
    out, err = capsys.readouterr()
    second = BuildReport.loads(out)
    assert second.kind in ("incremental", "patch") and second.pages_rebuilt == 0
    assert second.outputs_kept == second.pages == first.pages
    assert "Built " in err


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failed_deploy_after_a_good_build_is_in_the_report_with_exit_status_3(
    build_args, tmp_path, monkeypatch, capsys
):
    monkeypatch.delenv("NETLIFY_AUTH_TOKEN", raising=False)
    report_file = tmp_path / "report.json"
    status = jamtail_main([*build_args, "--deploy", "netlify", "--report", str(report_file)])
    assert status == EXIT_DEPLOY_FAILED
    report = BuildReport.read(report_file)
    assert report.status == "failed" and report.pages_rebuilt > 0
    assert report.deploy is not None and report.deploy.target == "netlify"
    assert "NETLIFY_AUTH_TOKEN" in report.deploy.error
    assert report.errors == [f"built, but the deploy to netlify failed: {report.deploy.error}"]
    assert "jamtail build: error: built, but the deploy" in capsys.readouterr().err


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_what_the_builder_warns_about_is_in_the_report(build_args, tmp_path):
    from cms.content.models import SiteSettings

    SiteSettings.objects.update(base_url="")  # the sitemap cannot have absolute URLs
    report_file = tmp_path / "report.json"
    assert jamtail_main([*build_args, "--report", str(report_file)]) == 0
    report = BuildReport.read(report_file)
    assert report.status == "succeeded"
    assert any("no base URL" in w for w in report.warnings), report.warnings


def test_a_build_that_cannot_reach_the_cms_writes_a_failed_report(tmp_path):
    report_file = tmp_path / "report.json"
    args = ["build", "--api", "http://127.0.0.1:9/api/v2/", "--out", str(tmp_path / "b")]
    args += ["--cache", str(tmp_path / "c"), "--report", str(report_file)]
    assert jamtail_main(args) == 75  # the CMS is unavailable: worth a retry
    report = BuildReport.read(report_file)
    assert report.status == "failed" and "127.0.0.1:9" in report.errors[0]


def test_python_m_jamtail_build_json_prints_only_the_report(tmp_path):
    args = ["build", "--api", "http://127.0.0.1:9/api/v2/", "--out", str(tmp_path / "b")]
    args += ["--cache", str(tmp_path / "c"), "--json"]
    done = subprocess.run(
        [sys.executable, "-m", "jamtail", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 75, done.stderr
    report = BuildReport.loads(done.stdout)
    assert report.status == "failed" and "127.0.0.1:9" in report.errors[0]
