"""Deploying a built site: the CLI contract, the registry and the local-directory target.

``make_site``/``change_one_page`` build small site directories shaped like
``jamtail build`` output; the Netlify and S3 tests use them too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from jamtail.cli import main as jamtail_main
from jamtail.deploy import TARGETS, DeployError, SiteFiles, backend_class, get_backend
from jamtail.deploy.local import LocalBackend
from jamtail.exceptions import ConfigError
from jamtail.outputs.headers import build_headers
from jamtail.settings import Settings
from jamtail.write.manifest import MANIFEST_NAME, Manifest, digest_file, read_manifest

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
    """Every file's bytes by site path (a release's manifest copy left out)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and p.name != MANIFEST_NAME
    }


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
        get_backend(target, Settings.from_environ()).plan(SiteFiles(make_site(tmp_path / "build")))


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
    monkeypatch.setenv("JAMTAIL_DEPLOY_DIR", str(tmp_path / "never-deployed"))
    assert jamtail_main(["rollback", "--target", "local"]) == 1
    assert not (tmp_path / "never-deployed").exists()
    capsys.readouterr()
    assert jamtail_main(["deploy", "--dir", str(tmp_path / "nothing")]) == 1
    assert "has no index.html" in capsys.readouterr().err


# Recycling: once `keep` releases exist, a deploy patches the oldest one.


def write_manifest(root: Path, build_id: str = "test") -> None:
    """What `jamtail build` leaves next to the files: every file's size and digests."""
    files = {
        p.relative_to(root).as_posix(): digest_file(p)
        for p in root.rglob("*")
        if p.is_file() and p.name != MANIFEST_NAME
    }
    Manifest(build_id, files).write(root)


def deploy_build(local: LocalBackend, build: Path, n: int) -> tuple[SiteFiles, str]:
    """Edit the home page (version ``n``), rewrite the manifest, deploy; the site and release."""
    (build / "index.html").write_text(f"<h1>Home {n}</h1>")
    write_manifest(build, f"build-{n}")
    site = SiteFiles(build)
    return site, local.deploy(site, local.plan(site)).release


def fill(local: LocalBackend, build: Path) -> dict[str, dict[str, bytes]]:
    """Deploy until ``keep`` releases exist; each release's tree by id."""
    trees = {}
    for n in range(local.keep):
        _, release = deploy_build(local, build, n)
        trees[release] = tree(local.releases / release)
    return trees


def test_with_keep_releases_a_deploy_recycles_the_oldest_into_exactly_the_new_build(
    tmp_path, local
):
    build = make_site(tmp_path / "build")
    trees = fill(local, build)
    oldest, live = min(trees), max(trees)
    change_one_page(build)
    (build / "blog/y/index.html").unlink()  # a page removed,
    (build / "blog/z/index.html").parent.mkdir()  # one added in a new directory,
    (build / "blog/z/index.html").write_text("<h1>Z</h1>")
    (build / "sitemap.xml").unlink()  # and a file that becomes a directory
    (build / "sitemap.xml").mkdir()
    (build / "sitemap.xml/index.xml").write_text("<sitemapindex/>")
    write_manifest(build, "build-new")
    site = SiteFiles(build)
    plan = local.plan(site)
    result = local.deploy(site, plan)

    new = local.releases / result.release
    assert local.release_ids() == [*sorted(trees)[1:], result.release]  # the oldest became it
    assert not (local.releases / oldest).exists()
    assert tree(local.current) == tree(build)
    assert read_manifest(new) == read_manifest(build)
    assert not list(new.rglob("*.jamtail-tmp")) and not (new / "blog/y").exists()
    # The other releases, the live one first of all, are exactly as they were.
    for release, files in trees.items():
        if release != oldest:
            assert tree(local.releases / release) == files
    # Unchanged files are the live release's, by hard link; changed ones are new files.
    assert (new / "404.html").stat().st_ino == (local.releases / live / "404.html").stat().st_ino
    assert (new / "blog/x/index.html").stat().st_nlink == 1
    # Only the files copied from the build were looked at.
    assert set(site._size) == set(plan.uploads)


def test_recycling_never_changes_a_file_another_release_shares(tmp_path, local):
    build = make_site(tmp_path / "build")
    trees = fill(local, build)
    for n in range(5):  # every release recycled at least once
        _, release = deploy_build(local, build, 10 + n)
        trees[release] = tree(local.releases / release)
        for kept in local.release_ids():
            assert tree(local.releases / kept) == trees[kept]
    assert len(local.release_ids()) == local.keep


def test_rollback_after_recycling_goes_to_the_previous_release(tmp_path, local):
    build = make_site(tmp_path / "build")
    trees = fill(local, build)
    _, newest = deploy_build(local, build, 99)
    previous = sorted(trees)[-1]
    assert local.rollback() == previous
    assert tree(local.current) == trees[previous]
    assert local.rollback(to=newest) == newest
    assert (local.current / "index.html").read_text() == "<h1>Home 99</h1>"
    with pytest.raises(DeployError, match="no release"):
        local.rollback(to=min(trees))  # recycled into the newest one


def test_a_dry_run_with_keep_releases_changes_nothing(tmp_path, local):
    build = make_site(tmp_path / "build")
    fill(local, build)
    before = tree(local.root)
    change_one_page(build)
    write_manifest(build)
    code = jamtail_main(["deploy", "--target", "local", "--dir", str(build), "--dry-run"])
    assert code == 0
    assert tree(local.root) == before and len(local.release_ids()) == local.keep


def test_releases_without_a_manifest_are_hashed_and_replaced_not_recycled(tmp_path, local):
    # Releases written by an older Jamtail have no manifest copy.
    build = make_site(tmp_path / "build")
    fill(local, build)
    for release in local.release_ids():
        (local.releases / release / MANIFEST_NAME).unlink()
    changed = change_one_page(build)
    write_manifest(build)
    site = SiteFiles(build)
    plan = LocalBackend(local.params).plan(site)
    assert plan.uploads == changed
    LocalBackend(local.params).deploy(site, plan)
    assert tree(local.current) == tree(build) and len(local.release_ids()) == local.keep


def test_a_file_edited_after_the_build_is_deployed_with_its_real_digests(tmp_path, local):
    build = make_site(tmp_path / "build")
    fill(local, build)
    change_one_page(build)
    write_manifest(build)
    page = build / "blog/x/index.html"
    page.write_text("<h1>X, edited by hand</h1>")
    later = (build / MANIFEST_NAME).stat().st_mtime + 1
    os.utime(page, (later, later))
    site = SiteFiles(build)
    release = local.deploy(site, local.plan(site)).release
    assert tree(local.current) == tree(build)
    deployed = read_manifest(local.releases / release)
    assert deployed is not None
    assert deployed.files["blog/x/index.html"] == digest_file(page)
    assert deployed.files["index.html"] == digest_file(build / "index.html")


KILLER = """
import os, signal, sys
from pathlib import Path
from jamtail.deploy import SiteFiles
from jamtail.deploy.local import LocalBackend

name, nth = sys.argv[3], int(sys.argv[4])
real, calls = getattr(os, name), []

def killed_after(*args, **kwargs):
    real(*args, **kwargs)
    calls.append(args)
    if len(calls) == nth:
        os.kill(os.getpid(), signal.SIGKILL)

setattr(os, name, killed_after)
local = LocalBackend({"dir": sys.argv[1], "keep": "3"})
site = SiteFiles(Path(sys.argv[2]))
local.deploy(site, local.plan(site))
"""


@pytest.mark.parametrize(
    ("call", "nth", "moment"),
    [
        ("rename", 1, "the oldest release was just taken out of the releases"),
        ("replace", 1, "the first changed file of the recycled release was just replaced"),
        ("unlink", 2, "the removed page was just deleted"),
        ("rename", 2, "the new release is complete but current was not switched"),
    ],
)
def test_a_deploy_killed_at_any_point_leaves_current_complete_and_the_next_deploy_works(
    tmp_path, local, call, nth, moment
):
    build = make_site(tmp_path / "build")
    trees = fill(local, build)
    live = local.live_release()
    change_one_page(build)
    (build / "blog/y/index.html").unlink()
    write_manifest(build)
    killed = subprocess.run(
        [sys.executable, "-c", KILLER, str(local.root), str(build), call, str(nth)],
        capture_output=True,
        text=True,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    left = list(local.releases.glob("*.partial"))
    assert len(left) == (0 if "complete" in moment else 1), moment
    assert local.live_release() == live
    assert tree(local.current) == trees[live]
    for release in local.release_ids():  # only complete releases are listed
        files = tree(local.releases / release)
        assert files == trees.get(release, tree(build)), release
        assert read_manifest(local.releases / release) is not None
    site = SiteFiles(build)
    result = local.deploy(site, local.plan(site))
    assert tree(local.current) == tree(build)
    assert not list(local.releases.glob("*.partial")) and not list(local.root.glob(".current-*"))
    assert len(local.release_ids()) == local.keep
    assert local.rollback() != result.release
    # (a release completed by the killed deploy is as good as any other)
    assert tree(local.current) in [*trees.values(), tree(build)]


def test_a_build_file_that_cannot_be_read_fails_the_deploy_and_changes_nothing_live(
    tmp_path, local
):
    build = make_site(tmp_path / "build")
    trees = fill(local, build)
    live = local.live_release()
    change_one_page(build)
    write_manifest(build)
    page = build / "blog/x/index.html"
    page.unlink()
    page.mkdir()  # unreadable as a file
    site = SiteFiles(build)
    with pytest.raises(DeployError, match="could not write release"):
        local.deploy(site, local.plan(site))
    assert local.live_release() == live and tree(local.current) == trees[live]
    assert not list(local.releases.glob("*.partial"))
    page.rmdir()
    change_one_page(build)
    write_manifest(build)
    site = SiteFiles(build)
    local.deploy(site, local.plan(site))
    assert tree(local.current) == tree(build)


HEAVY = [
    "jamtail.build.pipeline",
    "requests",
    "jinja2",
    "pygments",
    "feedgen",
    "tqdm",
    "boto3",
    "django",
]


def test_jamtail_deploy_starts_without_loading_the_builder_or_an_http_client(tmp_path):
    # A deploy after a one-page change takes milliseconds: importing the
    # renderer and the CMS client would cost several times that.
    build = make_site(tmp_path / "build")
    script = (
        "import sys; from jamtail.cli import main; "
        f"main(['deploy', '--target', 'local', '--dir', {str(build)!r}]); "
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    env = {**os.environ, "JAMTAIL_DEPLOY_DIR": str(tmp_path / "deploy")}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "deploy/current/index.html").exists()


def test_the_cli_default_api_url_is_the_clients():
    from jamtail import cli
    from jamtail.content import client

    assert cli.DEFAULT_API_URL == client.DEFAULT_API_URL


# `jamtail build --deploy TARGET`: build, then deploy in the same process.


@pytest.fixture
def cms_build(live_server, tmp_path, monkeypatch) -> list[str]:
    """``jamtail build`` arguments for the demo site on a live CMS, into ``tmp_path/build``."""
    from tests.factories import demo_site

    demo_site(per_page=2)
    monkeypatch.setenv("JAMTAIL_DEPLOY_DIR", str(tmp_path / "deploy"))
    repo = Path(__file__).resolve().parents[1]
    return [
        "build",
        "--api",
        f"{live_server.url}/api/v2/",
        "--out",
        str(tmp_path / "build"),
        "--site",
        str(repo / "site"),
        "--cache",
        str(tmp_path / "cache"),
    ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_build_deploy_deploys_the_finished_build_and_prints_both_summaries(
    cms_build, tmp_path, capsys
):
    assert jamtail_main([*cms_build, "--deploy", "local"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-2].startswith("Built ") and lines[-1].startswith("Deployed to local: ")
    assert tree(tmp_path / "deploy/current") == tree(tmp_path / "build")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_after_a_first_build_and_deploy_the_next_publish_links_nothing_from_the_live_site(
    cms_build, tmp_path, monkeypatch
):
    from cms.content.models import ArticlePage

    assert jamtail_main([*cms_build, "--deploy", "local"]) == 0
    live, spare = read_manifest(tmp_path / "build"), read_manifest(tmp_path / ".build.spare")
    assert live is not None and spare is not None and spare.files == live.files
    page = ArticlePage.objects.live().first()
    page.title = "A title edited after the first deploy"
    page.save_revision().publish()
    staged: list[str] = []  # files a build linked into its staging directory
    real_link = os.link
    monkeypatch.setattr(
        os,
        "link",
        lambda src, dst, *a, **k: (
            staged.append(str(dst)) if "/.build.staging-" in str(dst) else None,
            real_link(src, dst, *a, **k),
        )[1],
    )
    assert jamtail_main([*cms_build, "--deploy", "local"]) == 0
    assert staged == []  # the spare held every unchanged file already
    assert (
        "A title edited after the first deploy"
        in (
            tmp_path / "deploy/current" / urlsplit(page.url).path.strip("/") / "index.html"
        ).read_text()
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_build_deploy_says_which_step_failed_in_its_exit_status(
    cms_build, tmp_path, monkeypatch, capsys
):
    monkeypatch.delenv("NETLIFY_AUTH_TOKEN", raising=False)
    assert jamtail_main([*cms_build, "--deploy", "netlify"]) == 3  # built; the deploy failed
    err = capsys.readouterr().err.strip()
    assert err == (
        "jamtail build: error: built, but the deploy to netlify failed: "
        "deploy target 'netlify' needs NETLIFY_AUTH_TOKEN to be set"
    )
    assert (tmp_path / "build/index.html").exists() and not (tmp_path / "deploy").exists()

    api = cms_build.index("--api") + 1
    cms_build[api] = "http://127.0.0.1:9/api/v2/"  # nothing listens: the build fails
    assert jamtail_main([*cms_build, "--deploy", "local"]) == 75  # CMS unavailable
    assert capsys.readouterr().err.startswith("jamtail build: error: ")
    assert not (tmp_path / "deploy").exists()


def test_the_cli_offers_the_deploy_registrys_targets(monkeypatch):
    # Issue 12: cli.py kept its own copy of the list; a new backend was refused.
    from jamtail.cli import parser

    monkeypatch.setitem(TARGETS, "ftp", "jamtail.deploy.local:LocalBackend")
    assert parser().parse_args(["deploy", "--target", "ftp"]).target == "ftp"
    assert parser().parse_args(["build", "--deploy", "ftp"]).deploy == "ftp"


def test_the_builder_uses_no_private_api_of_argparse_or_jinja2():
    # Issue 12: `has_deploy` read argparse's `_actions`; render.py overrode
    # Jinja2's `_load_template`. Both break silently on a library upgrade.
    import inspect

    import jamtail.cli
    import jamtail.render.renderer
    import jamtail.service.build

    for module in (jamtail.cli, jamtail.service.build, jamtail.render.renderer):
        source = inspect.getsource(module)
        assert "._actions" not in source, module.__name__
        assert "_load_template" not in source, module.__name__
    for cls in vars(jamtail.render.renderer).values():
        if inspect.isclass(cls) and cls.__module__ == "jamtail.render.renderer":
            for base in cls.__mro__[1:]:
                if base.__module__.startswith("jinja2"):
                    private = {n for n in vars(cls) if n.startswith("_") and not n.startswith("__")}
                    assert not private & set(vars(base)), (cls, private & set(vars(base)))


def test_a_bad_setting_stops_a_build_before_it_starts(tmp_path, monkeypatch, capsys):
    # The environment is read once, when the command starts (jamtail/settings.py): a
    # bad value is named before the CMS is read or a file is written, not after the build.
    monkeypatch.setenv("JAMTAIL_DEPLOY_KEEP", "some")
    out = tmp_path / "build"
    assert jamtail_main(["build", "--api", "http://127.0.0.1:9/api/v2/", "--out", str(out)]) == 1
    assert capsys.readouterr().err.strip() == (
        "jamtail: error: JAMTAIL_DEPLOY_KEEP must be a whole number, not 'some'"
    )
    assert not out.exists()
