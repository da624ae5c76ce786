"""Deploying a built site: the CLI contract, the registry and the local-directory target.

``make_site``/``change_one_page`` build small site directories shaped like
``jamtail build`` output; the Netlify and S3 tests use them too.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jamtail.cli import main as jamtail_main
from jamtail.deploy import TARGETS, SiteFiles, backend_class, get_backend
from jamtail.deploy.local import LocalBackend
from jamtail.exceptions import ConfigError
from jamtail.outputs.headers import build_headers

SITE_FILES = {
    "index.html": "<h1>Home</h1><a href='/blog/x/'>x</a>",
    "404.html": "<h1>Not found</h1>",
    "blog/index.html": "<ul><li>x</li><li>y</li></ul>",
    "blog/x/index.html": "<h1>X</h1>",
    "blog/y/index.html": "<h1>Y</h1>",
    "blog/atom.xml": "<feed><entry>x</entry></feed>",
    "sitemap.xml": "<urlset><url>/blog/x/</url></urlset>",
    "static/css/site.3f2a9c1b.css": "body{color:#222}",
    "static/js/search.0badc0de.js": "console.log(1)",
    "media/images/sunset.width-400.png": "\x89PNG fake",
    "_redirects": "/old /blog/x/ 301\n",
}


def make_site(root: Path, files: dict[str, str] | None = None) -> Path:
    """A build-like directory: pages, a feed, a sitemap, fingerprinted assets, _headers."""
    for path, text in (files or SITE_FILES).items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    (root / "_headers").write_bytes(build_headers(None)[0][1])  # type: ignore[arg-type]
    return root


def change_one_page(root: Path) -> list[str]:
    """Edit one article as a publish would: the page, its listing and the feed change."""
    (root / "blog/x/index.html").write_text("<h1>X, edited</h1>")
    (root / "blog/index.html").write_text("<ul><li>x, edited</li><li>y</li></ul>")
    (root / "blog/atom.xml").write_text("<feed><entry>x, edited</entry></feed>")
    return ["blog/atom.xml", "blog/index.html", "blog/x/index.html"]


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def local(tmp_path) -> LocalBackend:
    return LocalBackend({"dir": str(tmp_path / "deploy"), "keep": "3"})


def test_the_registry_lists_one_class_per_target_and_each_can_be_constructed():
    assert set(TARGETS) == {"local", "netlify", "s3"}
    for name in TARGETS:
        assert backend_class(name).name == name
    with pytest.raises(ConfigError, match="unknown deploy target 'ftp'"):
        backend_class("ftp")


@pytest.mark.parametrize(
    ("target", "variable"),
    [
        ("netlify", "NETLIFY_AUTH_TOKEN"),
        ("netlify", "NETLIFY_SITE_ID"),
        ("s3", "JAMTAIL_S3_BUCKET"),
    ],
)
def test_a_missing_setting_is_a_config_error_naming_the_variable(
    tmp_path, monkeypatch, target, variable
):
    for name in ["NETLIFY_AUTH_TOKEN", "NETLIFY_SITE_ID", "JAMTAIL_S3_BUCKET"]:
        monkeypatch.setenv(name, "set")
    monkeypatch.delenv(variable)
    with pytest.raises(ConfigError, match=variable):
        get_backend(target).plan(SiteFiles(make_site(tmp_path / "build")))


def test_first_local_deploy_copies_everything_and_points_current_at_it(tmp_path, local):
    site = SiteFiles(make_site(tmp_path / "build"))
    plan = local.plan(site)
    assert plan.uploads == site.paths and plan.deletes == []
    result = local.deploy(site, plan)
    assert result.uploaded == len(site.paths) and result.bytes == sum(map(site.size, site.paths))
    assert tree(local.current) == tree(site.root)
    assert os.readlink(local.current) == f"releases/{result.release}"
    assert result.url == local.current.as_uri()


def test_second_local_deploy_copies_only_changed_files_and_hard_links_the_rest(tmp_path, local):
    build = make_site(tmp_path / "build")
    first = local.deploy(SiteFiles(build), local.plan(SiteFiles(build)))
    changed = change_one_page(build)
    (build / "blog/y/index.html").unlink()
    site = SiteFiles(build)
    plan = local.plan(site)
    assert plan.uploads == changed
    assert plan.deletes == ["blog/y/index.html"]
    second = local.deploy(site, plan)
    assert (second.uploaded, second.deleted) == (3, 1)
    assert tree(local.current) == tree(build)
    old, new = local.releases / first.release, local.releases / second.release
    assert (old / "index.html").stat().st_ino == (new / "index.html").stat().st_ino
    assert (old / "blog/x/index.html").stat().st_ino != (new / "blog/x/index.html").stat().st_ino


def test_a_local_dry_run_changes_nothing(tmp_path, local):
    build = make_site(tmp_path / "build")
    local.deploy(SiteFiles(build), local.plan(SiteFiles(build)))
    before = tree(local.root)
    change_one_page(build)
    code = jamtail_main(["deploy", "--target", "local", "--dir", str(build), "--dry-run"])
    assert code == 0
    assert tree(local.root) == before


def test_local_rollback_switches_back_and_forth(tmp_path, local):
    build = make_site(tmp_path / "build")
    first = local.deploy(SiteFiles(build), local.plan(SiteFiles(build)))
    change_one_page(build)
    second = local.deploy(SiteFiles(build), local.plan(SiteFiles(build)))
    assert local.rollback() == first.release
    assert "edited" not in (local.current / "blog/x/index.html").read_text()
    assert local.rollback(to=second.release) == second.release
    assert "edited" in (local.current / "blog/x/index.html").read_text()


def test_local_keeps_the_newest_releases_only(tmp_path, local):
    build = make_site(tmp_path / "build")
    for n in range(5):
        (build / "index.html").write_text(f"<h1>Home {n}</h1>")
        last = local.deploy(SiteFiles(build), local.plan(SiteFiles(build)))
    assert len(local.release_ids()) == 3 and local.release_ids()[-1] == last.release


def test_the_cli_prints_a_summary_last_and_fails_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("JAMTAIL_DEPLOY_DIR", str(tmp_path / "deploy"))
    build = make_site(tmp_path / "build")
    assert jamtail_main(["deploy", "--target", "local", "--dir", str(build)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith(f"Deployed to local: {len(SITE_FILES) + 1} files uploaded")
    assert last.endswith((tmp_path / "deploy" / "current").as_uri())
    assert jamtail_main(["rollback", "--target", "local"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("jamtail rollback: error: no release older than") and "\n" not in err
    assert jamtail_main(["deploy", "--dir", str(tmp_path / "nothing")]) == 1
    assert "has no index.html" in capsys.readouterr().err
