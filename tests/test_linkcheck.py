"""The link check: every build checks its internal links, and a deploy refuses new broken ones.

A real Wagtail (pytest-django's live server), its HTTP API, the builder and the local
deploy target; edits go through Wagtail's models and revisions, as an editor's would.
The extractor's own cases come first: they need no CMS.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from jamtail.build.pipeline import BuildConfig, BuildResult, build
from jamtail.cli import main as jamtail_main
from jamtail.links import BrokenLink, LinkStore
from jamtail.links import check as link_check
from jamtail.render.links import extract, page_url
from jamtail.write.manifest import read_manifest
from tests.factories import article, demo_site
from tests.linkcheck import broken_links as independent_check

REPO = Path(__file__).resolve().parents[1]
ORIGIN = "https://example.org"


# -- reading links from HTML ---------------------------------------------------


def test_links_are_resolved_against_the_page_and_only_this_sites_are_kept():
    html = """<a href="../other/?page=2#top">up</a> <a href="https://example.org/x/">self</a>
    <a href="https://elsewhere.org/y/">away</a> <a href="mailto:a@b.c">mail</a>
    <img src="pic.png" srcset="/m/a.jpg 480w, /m/b%20c.jpg 800w"> <a href="#intro">intro</a>
    <form action="/api/search"></form> <a href="/a&amp;b/">amp</a> <a href="//cdn.org/z">cdn</a>"""
    assert extract(html, "/blog/post/", ORIGIN).links == (
        "/a&b/",
        "/api/search",
        "/blog/other/#top",
        "/blog/post/#intro",
        "/blog/post/pic.png",
        "/m/a.jpg",
        "/m/b c.jpg",
        "/x/",
    )


def test_absolute_links_count_only_for_this_sites_host_whatever_their_case():
    html = """<a href="HTTPS://Example.ORG/up/">self</a> <a href="http://example.org/h/">http</a>
    <a href="https://example.org.evil.net/no/">lookalike</a> <a href="https://example.org?q#f">q</a>
    <a href="https://example.org#top">top</a> <a href="https://user@example.org/u/">user</a>
    <a href="https://exa	mple.org/tab/">tab</a> <a href="https://example.organ/">longer</a>"""
    assert extract(html, "/", ORIGIN).links == ("/#f", "/#top", "/tab/", "/up/")
    assert extract(html, "/", "").links == ()


def test_links_in_comments_scripts_and_page_text_are_not_links():
    html = """<!-- <a href="/commented/"> --><script src="/app.js">var s = '<a href="/js/">';
    </script><p>Write href="/prose/" to link.</p><pre><code>&lt;a href="/code/"&gt;</code></pre>
    <style>a[href="/css/"] {}</style><a href="/real/">real</a>"""
    assert extract(html, "/", ORIGIN).links == ("/app.js", "/real/")


def test_a_tag_is_read_up_to_its_first_angle_bracket_and_each_link_once():
    html = """<a href="/a>b/">raw</a> <a\nclass="x"\n  href='/multi/line/'>x</a>
    <p>a < b href="/prose/"</p> <img alt="1 < 2" src="/cut/"> <a href=/bare/ href="/bare/">"""
    assert extract(html, "/", ORIGIN).links == ("/bare/", "/multi/line/")
    assert extract('<a href="/x/">1</a>' * 500, "/", ORIGIN).links == ("/x/",)


def test_ids_and_anchor_names_are_what_fragments_can_point_at():
    html = '<h2 id="intro">Intro</h2><a name="old-anchor"></a><input name="q"><p id=bare>x</p>'
    assert extract(html, "/", ORIGIN).ids == {"intro", "old-anchor", "bare"}
    head = '<meta name="description" content="x"><A class=x NAME=Upper href="/">'
    text = "<p>a name=prose and <a\nhref='/b/'\nname='wrapped'>b</a></p><!-- <a name=gone> -->"
    assert extract(head + text, "/", ORIGIN).ids == {"Upper", "wrapped"}


def test_a_page_url_is_its_folder():
    assert page_url("blog/x/index.html") == "/blog/x/"
    assert page_url("index.html") == "/"
    assert page_url("404.html") == "/404.html"


# -- the build stage -------------------------------------------------------------

pytestmark_db = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def site(live_server):
    return demo_site(per_page=2)


@pytest.fixture
def config(live_server, tmp_path) -> BuildConfig:
    site_dir = tmp_path / "site"
    shutil.copytree(REPO / "site", site_dir)
    return BuildConfig(
        api_url=f"{live_server.url}/api/v2/",
        out_dir=tmp_path / "build",
        site_dir=site_dir,
        cache_dir=tmp_path / "cache",
        jobs=1,
    )


def full_build(config: BuildConfig, tmp_path: Path) -> BuildResult:
    """A full build of the same content into another directory, with a cache of its own."""
    other = BuildConfig(
        config.api_url, tmp_path / "full", config.site_dir, tmp_path / "full-cache", jobs=1
    )
    shutil.rmtree(other.out_dir, ignore_errors=True)
    shutil.rmtree(other.cache_dir, ignore_errors=True)
    other.full = True
    return build(other)


def set_body(page, html: str) -> None:
    page = page.specific.get_latest_revision_as_object()
    page.body = [("raw_html", html)]
    page.save_revision().publish()


@pytestmark_db
def test_the_demo_site_has_no_broken_links_and_agrees_with_the_independent_checker(site, config):
    result = build(config)
    assert result.broken_links == [] and result.new_broken_links == []
    assert independent_check(config.out_dir) == []
    assert read_manifest(config.out_dir).broken_links == []


@pytestmark_db
def test_a_broken_link_added_by_an_edit_is_found_by_a_patch_build_and_by_a_full_build(
    site, config, tmp_path
):
    build(config)
    set_body(site["posts"][1], '<p><a href="/blog/no-such-post/">gone</a></p>')
    patched = build(config)
    assert patched.patched, patched.why_not_patch
    expected = [BrokenLink("/blog/second-post/", "/blog/no-such-post/")]
    assert patched.broken_links == patched.new_broken_links == expected
    assert full_build(config, tmp_path).broken_links == expected
    assert read_manifest(config.out_dir).broken_links == [
        ("/blog/second-post/", "/blog/no-such-post/")
    ]

    unchanged = build(config)  # still broken, but not new any more
    assert unchanged.broken_links == expected and unchanged.new_broken_links == []

    set_body(site["posts"][1], '<p><a href="/blog/third-post/">fixed</a></p>')
    fixed = build(config)
    assert fixed.broken_links == [] and full_build(config, tmp_path).broken_links == []


@pytestmark_db
def test_a_build_reads_the_links_of_what_it_renders_from_the_html_in_hand(
    site, config, tmp_path, monkeypatch
):
    set_body(site["about"], '<p><a href="/blog/no-such-post/">gone</a> <a href="#x">x</a></p>')
    files_read: list[str] = []
    read_files = link_check._read

    def reading(site_dir, keys, origin, jobs):
        files_read.extend(keys)
        return read_files(site_dir, keys, origin, jobs)

    monkeypatch.setattr(link_check, "_read", reading)
    config.jobs = 2  # the links come back from forked render workers
    result = build(config)
    rendered = [path for path, _ in result.rebuilt if path.endswith(".html")]
    assert rendered and files_read == []
    expected = [BrokenLink("/about/", "/about/#x"), BrokenLink("/about/", "/blog/no-such-post/")]
    assert result.broken_links == expected
    # A check that reads every file back finds the same.
    manifest = read_manifest(config.out_dir)
    store = LinkStore(tmp_path / "fresh-store.sqlite3")
    report, _ = link_check.check_links(config.out_dir, manifest.files, "", None, store, full=True)
    assert report.broken == expected and sorted(files_read) == sorted(rendered)
    assert independent_check(config.out_dir) == [("/about/index.html", "/blog/no-such-post/")]


@pytestmark_db
def test_a_broken_link_is_mended_by_the_page_published_at_its_address(site, config, tmp_path):
    links = '<a href="/blog/coming-soon/">soon</a> <a href="/blog/never/">never</a>'
    set_body(site["about"], f"<p>{links}</p>")
    assert build(config).broken_links == [
        BrokenLink("/about/", "/blog/coming-soon/"),
        BrokenLink("/about/", "/blog/never/"),
    ]
    article(site["blog"], "Coming soon", dt.date(2024, 5, 1), slug="coming-soon")
    result = build(config)  # the about page is not read again: only the new file mends it
    assert "about/index.html" not in dict(result.rebuilt)
    assert result.broken_links == [BrokenLink("/about/", "/blog/never/")]
    assert result.broken_links == full_build(config, tmp_path).broken_links


@pytestmark_db
def test_a_removed_page_that_others_link_to_is_caught(site, config, tmp_path):
    set_body(site["posts"][0], '<p><a href="/about/">about us</a></p>')
    assert build(config).broken_links == []
    site["about"].unpublish()
    result = build(config)
    assert not result.patched
    # The navigation drops the page; the link in the article's text stays.
    assert result.broken_links == [BrokenLink("/blog/hello-jamtail/", "/about/")]
    assert result.broken_links == full_build(config, tmp_path).broken_links
    assert result.broken_links == result.new_broken_links


@pytestmark_db
def test_fragments_must_name_an_element_of_the_page_they_lead_to(site, config, tmp_path):
    set_body(
        site["posts"][1],
        '<p id="here"><a href="/blog/third-post/#comments">comments</a>'
        ' <a href="/blog/third-post/#no-such-id">nowhere</a> <a href="#here">here</a>'
        ' <a href="#missing">missing</a> <a href="#top">top</a>'
        ' <a href="/blog/third-post/#fresh">fresh</a></p>',
    )
    result = build(config)
    assert result.broken_links == [
        BrokenLink("/blog/second-post/", "/blog/second-post/#missing"),
        BrokenLink("/blog/second-post/", "/blog/third-post/#fresh"),
        BrokenLink("/blog/second-post/", "/blog/third-post/#no-such-id"),
    ]
    # The page linked to gains the id: an edit of that page alone mends the link.
    set_body(site["posts"][2], '<h3 id="fresh">Fresh</h3>')
    mended = build(config)
    assert mended.patched, mended.why_not_patch
    assert BrokenLink("/blog/second-post/", "/blog/third-post/#fresh") not in mended.broken_links
    assert mended.broken_links == full_build(config, tmp_path).broken_links
    assert len(mended.broken_links) == 2


@pytestmark_db
def test_links_to_redirect_sources_and_to_functions_are_not_broken(site, config):
    set_body(
        site["posts"][1],
        '<p><a href="/old-hello">old URL</a> <a href="/old-hello/">with slash</a>'
        ' <a href="/api/search?q=rust">search</a> <a href="/preview/?token=x">preview</a>'
        ' <a href="/blog">no slash</a> <a href="/atom.xml">feed</a></p>',
    )
    result = build(config)
    assert result.broken_links == []


# -- the deploy ------------------------------------------------------------------


@pytest.fixture
def cli(config, tmp_path, monkeypatch) -> list[str]:
    monkeypatch.setenv("JAMTAIL_DEPLOY_DIR", str(tmp_path / "deploy"))
    monkeypatch.delenv("JAMTAIL_ALLOW_BROKEN_LINKS", raising=False)
    return [
        "build",
        "--api",
        config.api_url,
        "--out",
        str(config.out_dir),
        "--cache",
        str(config.cache_dir),
        "--site",
        str(config.site_dir),
        "--jobs",
        "1",
    ]


def live(tmp_path: Path, path: str) -> str:
    return (tmp_path / "deploy/current" / path).read_text()


@pytestmark_db
def test_a_deploy_that_adds_a_broken_link_is_refused_and_the_live_site_stays(
    site, cli, tmp_path, capsys
):
    assert jamtail_main([*cli, "--deploy", "local"]) == 0
    before = live(tmp_path, "blog/second-post/index.html")
    capsys.readouterr()

    set_body(site["posts"][1], '<p><a href="/blog/no-such-post/">gone</a></p>')
    assert jamtail_main([*cli, "--deploy", "local"]) == 3  # built; the deploy was refused
    out, err = capsys.readouterr()
    assert "new: /blog/second-post/ -> /blog/no-such-post/" in out
    assert "refused to deploy to local" in err
    assert "  /blog/second-post/ -> /blog/no-such-post/\n" in err
    assert "--allow-broken-links" in err
    assert live(tmp_path, "blog/second-post/index.html") == before

    # `jamtail deploy` of the same build refuses too; a dry run names the link.
    deploy = ["deploy", "--target", "local", "--dir", cli[cli.index("--out") + 1]]
    assert jamtail_main(deploy) == 1
    assert "refused to deploy" in capsys.readouterr().err
    assert jamtail_main([*deploy, "--dry-run"]) == 0
    assert "new broken link (a deploy would be refused): /blog/second-post/ -> " in (
        capsys.readouterr().out
    )
    assert live(tmp_path, "blog/second-post/index.html") == before

    assert jamtail_main([*deploy, "--allow-broken-links"]) == 0
    assert "no-such-post" in live(tmp_path, "blog/second-post/index.html")


@pytestmark_db
def test_broken_links_the_live_site_already_has_do_not_block_a_deploy(site, cli, tmp_path, capsys):
    set_body(site["posts"][1], '<p><a href="/imported/gone/">from the old site</a></p>')
    # The first build replaces no site: its broken links become the baseline.
    assert jamtail_main([*cli, "--deploy", "local"]) == 0
    assert "1 broken internal link (1 new since the last build)" in capsys.readouterr().out

    article(site["blog"], "Fourth post", dt.date(2026, 3, 4))  # no new broken link
    assert jamtail_main([*cli, "--deploy", "local"]) == 0
    assert (tmp_path / "deploy/current/blog/fourth-post/index.html").exists()
    out = capsys.readouterr().out
    assert "1 broken internal link (0 new since the last build)" in out


@pytestmark_db
def test_the_environment_allows_broken_links_for_the_build_runner(site, cli, tmp_path, monkeypatch):
    assert jamtail_main([*cli, "--deploy", "local"]) == 0
    set_body(site["posts"][1], '<p><a href="/blog/no-such-post/">gone</a></p>')
    monkeypatch.setenv("JAMTAIL_ALLOW_BROKEN_LINKS", "1")
    assert jamtail_main([*cli, "--deploy", "local"]) == 0
    assert "no-such-post" in live(tmp_path, "blog/second-post/index.html")


@pytestmark_db
def test_the_runner_s_build_log_names_the_links_a_refused_deploy_would_break(
    site, config, tmp_path, monkeypatch
):
    from jamtail.service.build import SiteBuild
    from jamtail.service.sites import Site
    from jamtail.settings import Settings

    monkeypatch.setenv("JAMTAIL_DEPLOY_DIR", str(tmp_path / "deploy"))
    monkeypatch.delenv("JAMTAIL_ALLOW_BROKEN_LINKS", raising=False)
    args = ["--api", config.api_url, "--out", str(config.out_dir), "--site", str(config.site_dir)]
    args += ["--cache", str(config.cache_dir)]
    runner = SiteBuild(Site(build_args=args), tmp_path / "state")
    assert runner.run_batch([{"trigger": "test"}])
    set_body(site["posts"][1], '<p><a href="/blog/no-such-post/">gone</a></p>')
    assert not runner.run_batch([{"trigger": "test"}])
    log = (tmp_path / "state" / "last-build.log").read_text()
    assert "new: /blog/second-post/ -> /blog/no-such-post/" in log
    assert "refused to deploy to local" in log and log.endswith("(built; the deploy failed)")
    assert "no-such-post" not in live(tmp_path, "blog/second-post/index.html")
    allowed = Settings.from_environ({"JAMTAIL_ALLOW_BROKEN_LINKS": "1"})
    assert allowed.deploy.allow_broken_links
    assert not Settings.from_environ({"JAMTAIL_ALLOW_BROKEN_LINKS": "0"}).deploy.allow_broken_links
