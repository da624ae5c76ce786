"""Incremental builds: exactly the outputs whose inputs changed are rebuilt, and the result
is the same site a full build makes. A real Wagtail (pytest-django's live server), its HTTP
API and the builder; edits go through Wagtail's models and revisions, as an editor's would.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import shutil
import sqlite3
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jamtail.build.pipeline import BuildConfig, BuildResult, build
from jamtail.cli import main as jamtail_main
from jamtail.deploy import SiteFiles
from jamtail.deploy.local import LocalBackend
from jamtail.exceptions import TemplateRenderError
from jamtail.outputs import sitemap as sitemap_module
from jamtail.plan.incremental import pages_key, repaged_key
from jamtail.write import manifest as manifest_module
from jamtail.write.manifest import (
    MANIFEST_NAME,
    FileEntry,
    Manifest,
    digest_bytes,
    read_manifest,
)
from jamtail.write.writer import Writer
from tests.factories import demo_site

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


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


def files(directory: Path) -> dict[str, bytes]:
    """Every file of a built site but its manifest (which names the build), by path."""
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != MANIFEST_NAME
    }


def rebuilt_html(result: BuildResult) -> set[str]:
    return {path for path, _ in result.rebuilt if path.endswith(".html")}


def full_build_of(config: BuildConfig, tmp_path: Path) -> Path:
    """A full build of the same CMS and site into another directory with its own cache."""
    other = BuildConfig(
        config.api_url,
        tmp_path / "full",
        config.site_dir,
        tmp_path / "full-cache",
        jobs=1,
        full=True,
    )
    shutil.rmtree(other.out_dir, ignore_errors=True)
    build(other)
    return other.out_dir


def retitle(page, title: str) -> None:
    page = page.specific.get_latest_revision_as_object()
    page.title = title
    page.save_revision().publish()


def test_an_unchanged_site_renders_nothing_and_links_every_file(site, config):
    first = build(config)
    inode = (config.out_dir / "blog/hello-jamtail/index.html").stat().st_ino
    second = build(config)
    assert first.rendered == first.pages > 10
    assert second.rendered == 0 and second.rebuilt == [] and second.removed == []
    assert (config.out_dir / "blog/hello-jamtail/index.html").stat().st_ino == inode
    assert second.files == first.files


def test_a_title_edit_rebuilds_the_page_its_listing_taxonomies_neighbours_and_feeds(
    site, config, tmp_path
):
    build(config)
    retitle(site["posts"][1], "Second post, retitled")
    result = build(config)
    assert result.patched, result.why_not_patch
    # per_page=2, newest first: page 1 lists Third and Second, page 2 lists Hello.
    assert rebuilt_html(result) == {
        "blog/second-post/index.html",  # the page itself
        "blog/hello-jamtail/index.html",  # its previous/next neighbours link to it
        "blog/third-post/index.html",
        "blog/index.html",  # the listing page it is on (page 2 is unchanged)
        "tags/news/index.html",  # its tag and author pages
        "authors/ada-lindqvist/index.html",
        "index.html",  # the home page's recent articles
    }
    assert {"sitemap.xml", "atom.xml", "blog/atom.xml"} <= {p for p, _ in result.rebuilt}
    assert "Second post, retitled" in (config.out_dir / "blog/third-post/index.html").read_text()
    assert files(config.out_dir) == files(full_build_of(config, tmp_path))


def test_a_template_change_rebuilds_exactly_the_outputs_that_loaded_it(site, config, tmp_path):
    build(config)
    code_block = config.site_dir / "templates/blocks/code.html"
    code_block.write_text(code_block.read_text() + "<!-- code block -->\n")
    result = build(config)
    # Only "Hello Jamtail" has a code block; the include is computed at render time.
    assert rebuilt_html(result) == {"blog/hello-jamtail/index.html"}
    assert result.rebuilt[0][1] == "template blocks/code.html changed"

    tag = config.site_dir / "templates/tag.html"
    tag.write_text(tag.read_text().replace("{% block content %}", "{% block content %}<hr>", 1))
    result = build(config)
    assert rebuilt_html(result) == {"tags/news/index.html", "tags/python/index.html"}
    assert files(config.out_dir) == files(full_build_of(config, tmp_path))


def test_explain_says_why_each_file_was_rebuilt(site, config, capsys):
    from cms.content.models import SectionPage
    from tests.factories import publish

    news = publish(site["home"], SectionPage(title="News", slug="news", per_page=2))
    build(config)
    second = site["posts"][1]
    second.move(news, pos="last-child")  # blog page 1 was [Third, Second], page 2 [Hello]
    args = ["build", "--api", config.api_url, "--out", str(config.out_dir)]
    args += ["--cache", str(config.cache_dir), "--site", str(config.site_dir), "--explain"]
    assert jamtail_main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    hello = site["posts"][0].id
    assert (
        f"news/index.html: page {second.id} 'Second post' (parent_url, url) "
        "moved into this listing page"
    ) in lines
    assert (
        f"blog/index.html: page {hello} 'Hello Jamtail' moved into this listing page; "
        f"page {second.id} 'Second post' left this listing page"
    ) in lines
    assert "blog/page/2/index.html: removed (no output produces it any more)" in lines
    assert "blog/second-post/index.html: removed (no output produces it any more)" in lines
    assert "news/second-post/index.html: new output" in lines
    assert any(line.startswith("sitemap.xml: 1 page(s) changed") for line in lines), lines
    assert lines[-2].startswith("Built ")
    assert lines[-1] == "  an incremental build (the redirect changed)"  # Wagtail adds one


def test_full_ignores_the_dependency_graph(site, config):
    build(config)
    config.full = True
    result = build(config)
    assert result.rendered == result.pages
    assert all(why == "full build (--full)" for _, why in result.rebuilt)


def test_a_failing_incremental_build_leaves_the_live_site_untouched(site, config, tmp_path):
    build(config)
    before = files(config.out_dir)
    manifest = (config.out_dir / MANIFEST_NAME).read_bytes()
    retitle(site["posts"][0], "Hello again")
    article = config.site_dir / "templates/article_page.html"
    good = article.read_text()
    article.write_text(good.replace("{% block content %}", "{% block content %}{{ 1 / 0 }}", 1))
    with pytest.raises(TemplateRenderError, match=r"article_page\.html"):
        build(config)
    assert files(config.out_dir) == before
    assert (config.out_dir / MANIFEST_NAME).read_bytes() == manifest
    assert not list(config.out_dir.parent.glob(".build.staging-*"))
    article.write_text(good)
    build(config)  # the graph of the last good build is still the one used
    assert "Hello again" in (config.out_dir / "blog/hello-jamtail/index.html").read_text()
    assert files(config.out_dir) == files(full_build_of(config, tmp_path))


def test_a_file_of_the_live_site_is_never_modified_in_place(site, config):
    build(config)
    build(config)  # the first site is now the spare, sharing every file with the live one
    spare = config.out_dir.with_name(".build.spare")
    assert (spare / "blog/second-post/index.html").samefile(
        config.out_dir / "blog/second-post/index.html"
    )
    live = config.out_dir / "blog/second-post/index.html"
    witness = config.out_dir.parent / "witness.html"
    os.link(live, witness)  # a reader holding the old file
    old = witness.read_bytes()
    retitle(site["posts"][1], "Second post, edited")
    build(config)
    assert witness.read_bytes() == old
    assert b"Second post, edited" in live.read_bytes()


def test_unpublished_and_deleted_pages_lose_their_outputs(site, config, tmp_path):
    build(config)
    site["posts"][2].unpublish()
    site["about"].delete()
    result = build(config)
    assert {"blog/third-post/index.html", "about/index.html"} <= set(result.removed)
    assert not (config.out_dir / "blog/third-post/index.html").exists()
    assert not (config.out_dir / "about").exists()
    assert files(config.out_dir) == files(full_build_of(config, tmp_path))


def test_the_manifest_lists_every_file_with_its_size_and_digests(site, config):
    build(config)
    retitle(site["posts"][0], "Hello, manifest")
    build(config)
    manifest = read_manifest(config.out_dir)
    assert manifest is not None
    on_disk = files(config.out_dir)
    assert set(manifest.files) == set(on_disk)
    for path, data in on_disk.items():
        entry = manifest.files[path]
        assert entry.size == len(data), path
        assert entry.sha1 == hashlib.sha1(data).hexdigest(), path
        assert entry.md5 == hashlib.md5(data).hexdigest(), path
    header = json.loads((config.out_dir / MANIFEST_NAME).read_text().split("\n", 1)[0])
    assert header == {"format": 3, "build": manifest.build, "files": len(on_disk)}


def test_a_manifest_reads_back_as_written_and_is_read_again_when_its_bytes_change(tmp_path):
    entry = FileEntry(5, hashlib.sha1(b"hello").hexdigest(), hashlib.md5(b"hello").hexdigest())
    written = Manifest("b1", {"z.html": entry, "a.html": entry}, None, [("/z/", "/gone/")], [])
    for name in ("build", "release"):  # a release holds the build's bytes
        (tmp_path / name).mkdir()
        written.write(tmp_path / name)
    for name in ("build", "release"):
        read = read_manifest(tmp_path / name)
        assert read is not None
        assert (read.build, read.files) == ("b1", written.files)
        assert read.broken_links == [("/z/", "/gone/")]
        assert list(read.files) == ["a.html", "z.html"]
    path = tmp_path / "release" / MANIFEST_NAME
    path.write_bytes(path.read_bytes().replace(b'"b1"', b'"b2"'))
    assert read_manifest(tmp_path / "release").build == "b2"
    path.write_bytes(b'{"format": 1, "build": "b3", "files": {"a.html": [1]}}')
    assert read_manifest(tmp_path / "release") is None
    assert read_manifest(tmp_path / "build").build == "b1"


def test_a_site_of_more_pages_than_one_sitemap_may_list_gets_a_sitemap_index(
    site, config, tmp_path, monkeypatch
):
    monkeypatch.setattr(sitemap_module, "MAX_URLS", 4)  # 50,000 by the protocol
    build(config)
    xmlns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    index = ET.parse(config.out_dir / "sitemap.xml").getroot()
    assert index.tag == f"{xmlns}sitemapindex"
    parts = [loc.text.rsplit("/", 1)[1] for loc in index.iter(f"{xmlns}loc")]
    assert parts == ["sitemap-1.xml", "sitemap-2.xml"]
    listed = [
        [url.findtext(f"{xmlns}loc") for url in ET.parse(config.out_dir / part).getroot()]
        for part in parts
    ]
    assert [len(urls) for urls in listed] == [4, 2]
    assert listed[0][0].endswith("/") and len(set(listed[0] + listed[1])) == 6
    retitle(site["posts"][-1], "Hello, sitemap index")  # its page is in the second part
    result = build(config)
    assert result.patched, result.why_not_patch
    rewritten = {path for path, _ in result.rebuilt}
    assert "sitemap-2.xml" in rewritten and not rewritten & {"sitemap.xml", "sitemap-1.xml"}
    assert files(config.out_dir) == files(full_build_of(config, tmp_path))


def test_a_manifest_read_after_another_holds_what_it_says_whatever_changed_between(tmp_path):
    def entry(name: str, version: int = 0) -> FileEntry:
        return digest_bytes(f"{name}:{version}".encode())

    rng = random.Random(14)
    paths = [f"p/{i:04d}/index.html" for i in range(0, 1200, 2)]  # about three blocks
    first = {path: entry(path) for path in paths}
    for trial in range(12):
        second = dict(first)
        if trial == 0:  # the first and the last gone
            del second[paths[0]], second[paths[-1]]
        for _ in range(rng.choice([1, 3, 40])):
            path = rng.choice(paths)
            change = rng.choice(["content", "size", "md5", "gone", "new"])
            if change == "content":
                second[path] = entry(path, 1)
            elif change == "size":
                second[path] = first[path]._replace(size=99)
            elif change == "md5":
                second[path] = first[path]._replace(md5="0" * 32)
            elif change == "gone":
                second.pop(path, None)
            else:  # between two paths, or before or after them all
                added = rng.choice([path.replace("index", "extra"), "0.html", "z.html"])
                second[added] = entry(added)
        folder = tmp_path / str(trial)
        for name, files in (("first", first), ("second", second)):
            (folder / name).mkdir(parents=True)
            Manifest(name, files).write(folder / name)
        manifest_module._parsed.clear()  # a new process: the first read afresh, then the second
        read_first = read_manifest(folder / "first")
        read_second = read_manifest(folder / "second")
        assert read_first is not None and read_second is not None
        assert read_second.files == second, trial
        assert read_first.files == first  # the one it was read after is untouched
        manifest_module._parsed.clear()
        assert read_manifest(folder / "second").files == second


def test_a_manifest_written_after_others_is_byte_for_byte_what_it_would_be_alone(
    tmp_path, monkeypatch
):
    reused = []
    kept_line = manifest_module._kept_line
    monkeypatch.setattr(
        manifest_module, "_kept_line", lambda *a: reused.append(kept_line(*a)) or reused[-1]
    )
    files = {f"p/{i}.html": digest_bytes(str(i).encode()) for i in range(300)}
    links = [("/p/1.html", "/gone/"), ("/p/2.html", "/gone/")]
    for folder in ("b1", "alone"):
        (tmp_path / folder).mkdir()
    Manifest("b1", files, None, links, []).write(tmp_path / "b1")
    changed = {**files, "p/7.html": digest_bytes(b"seven")}
    # The same paths, with the last build's broken links as the ones before; then others.
    cases = [("b2", changed, links, links), ("b3", files, [], links), ("b4", changed, None, None)]
    for build_id, entries, broken, broken_before in cases:
        (tmp_path / build_id).mkdir()
        reused.clear()
        Manifest(build_id, entries, None, broken, broken_before).write(tmp_path / build_id)
        written = (tmp_path / build_id / MANIFEST_NAME).read_bytes()
        assert any(reused), build_id  # the paths at least were a kept manifest's line
        manifest_module._parsed.clear()
        Manifest(build_id, entries, None, broken, broken_before).write(tmp_path / "alone")
        assert written == (tmp_path / "alone" / MANIFEST_NAME).read_bytes(), build_id
        read_manifest(tmp_path / "b1")


def test_a_damaged_manifest_is_unreadable_and_formats_1_and_2_are_still_read(tmp_path):
    entry = digest_bytes(b"x")
    Manifest("b1", {"a.html": entry, "b.html": entry}, None, [("/a/", "/gone/")]).write(tmp_path)
    path = tmp_path / MANIFEST_NAME
    good = path.read_bytes()
    lines = good.split(b"\n")
    sha1 = json.dumps(entry.sha1 * 2).encode()
    for damaged in (
        good[: len(good) // 2],  # cut short
        b"\n".join(lines[:-1]),  # a line missing
        good.replace(sha1, sha1[:-2] + b'"'),  # a digest short
        good.replace(b'"files":2', b'"files":3'),  # a count the columns do not have
        good.replace(b'["a.html","b.html"]', b'["a.html",7]'),
        good.replace(b'["a.html","b.html"]', b'["b.html","a.html"]'),  # not sorted
    ):
        manifest_module._parsed.clear()
        path.write_bytes(damaged)
        assert read_manifest(tmp_path) is None, damaged
    # The broken links are decoded when asked for: damaged, they were not recorded.
    path.write_bytes(good.replace(b'[["/a/","/gone/"]]', b'[["/a/"]]'))
    read = read_manifest(tmp_path)
    assert read is not None and read.files == {"a.html": entry, "b.html": entry}
    assert read.broken_links is None
    with pytest.raises(ValueError, match="SHA-1"):
        Manifest("b1", {"a.html": FileEntry(1, "x", "z")}).write(tmp_path)
    columns = {"paths": ["a.html", "b.html"], "sizes": [1, 2], "sha1": ["x", "y"], "md5": ["z"]}
    path.write_text(json.dumps({"format": 2, "build": "b1", **columns}))
    assert read_manifest(tmp_path) is None  # one md5 short: never guessed
    path.write_text(json.dumps({"format": 2, "build": "b1", **columns, "md5": "zz"}))
    assert read_manifest(tmp_path) is None
    path.write_text(
        json.dumps({"format": 2, "build": "b1", **columns, "paths": [1, None], "md5": ["z", "w"]})
    )
    assert read_manifest(tmp_path) is None
    path.write_text("[" * 100_000)  # deeper than the JSON decoder recurses
    assert read_manifest(tmp_path) is None
    # What a release deployed by an older Jamtail holds.
    old = {"format": 1, "build": "b0", "files": {"a.html": [1, "x", "z"]}, "broken_links": []}
    path.write_text(json.dumps(old))
    read = read_manifest(tmp_path)
    assert read is not None and read.files == {"a.html": FileEntry(1, "x", "z")}
    assert read.broken_links == []


def test_deploy_plans_from_the_manifests_and_uploads_only_changed_files(site, config, tmp_path):
    local = LocalBackend({"dir": str(tmp_path / "deploy")})
    build(config)
    local.deploy(SiteFiles(config.out_dir), local.plan(SiteFiles(config.out_dir)))
    before = read_manifest(config.out_dir)
    retitle(site["posts"][1], "Second post, deployed")
    build(config)
    after = read_manifest(config.out_dir)
    assert before is not None and after is not None
    site_files = SiteFiles(config.out_dir)
    plan = local.plan(site_files)
    changed = sorted(p for p, e in after.files.items() if before.files.get(p) != e)
    assert plan.uploads == changed
    assert "blog/second-post/index.html" in changed and "about/index.html" not in changed
    # The plan compared the two manifests: it looked at the changed files only, and read none.
    assert set(site_files._size) == set(changed)
    assert site_files._sha1 == {p: after.files[p].sha1 for p in changed}
    result = local.deploy(site_files, plan)
    assert result.uploaded == len(changed)
    assert files(local.current) == files(config.out_dir)


def test_a_file_edited_after_the_build_is_hashed_again_by_deploy(site, config, tmp_path):
    build(config)
    path = config.out_dir / "about/index.html"
    path.write_bytes(path.read_bytes() + b"<!-- edited by hand -->")
    site_files = SiteFiles(config.out_dir)
    assert site_files.sha1("about/index.html") == hashlib.sha1(path.read_bytes()).hexdigest()


def test_a_moved_date_reorders_listings_like_a_full_build(site, config, tmp_path):
    build(config)
    page = site["posts"][0].specific.get_latest_revision_as_object()
    page.date = dt.date(2026, 5, 1)
    page.save_revision().publish()
    result = build(config)
    assert "blog/page/2/index.html" in rebuilt_html(result)
    assert files(config.out_dir) == files(full_build_of(config, tmp_path))


def test_a_build_killed_midway_leaves_a_spare_the_next_build_does_not_trust(site, config, tmp_path):
    build(config)
    build(config)
    killed = Writer(config.out_dir)  # adopts the spare, then the process "dies"
    (killed.staging / "blog/second-post/index.html").unlink()
    (killed.staging / "half-written.html").write_text("partial")
    os.rename(killed.staging, config.out_dir.with_name(".build.spare"))  # as if never adopted
    retitle(site["posts"][1], "Second post, after the crash")
    build(config)
    assert not (config.out_dir / "half-written.html").exists()
    assert files(config.out_dir) == files(full_build_of(config, tmp_path))


def test_deleting_a_page_then_reusing_its_slug_for_a_section_works_through_the_spare(
    site, config, tmp_path
):
    from cms.content.models import SectionPage
    from tests.factories import article, publish

    build(config)
    build(config)
    site["about"].delete()
    about = publish(site["home"], SectionPage(title="About", slug="about", per_page=1))
    article(about, "Team", dt.date(2026, 1, 1))
    article(about, "History", dt.date(2026, 1, 2))
    build(config)
    assert (config.out_dir / "about/page/2/index.html").is_file()
    assert files(config.out_dir) == files(full_build_of(config, tmp_path))


def test_local_deploys_recycle_the_oldest_release_and_leave_the_others_intact(
    site, config, tmp_path
):
    local = LocalBackend({"dir": str(tmp_path / "deploy"), "keep": "2"})
    snapshots = {}
    for n in range(4):
        retitle(site["posts"][1], f"Second post, version {n}")
        build(config)
        result = local.deploy(SiteFiles(config.out_dir), local.plan(SiteFiles(config.out_dir)))
        snapshots[result.release] = files(config.out_dir)
    releases = local.release_ids()
    assert len(releases) == 2 and local.live_release() == releases[-1]
    for release in releases:  # the recycled one and the one before it: each exactly its build
        assert files(local.releases / release) == snapshots[release]
    assert local.rollback() == releases[0]
    assert "version 2" in (local.current / "blog/second-post/index.html").read_text()


# -- patch builds (jamtail/build/patch.py) ------------------------------------------------------


def test_an_unchanged_site_is_a_patch_build_that_renders_nothing(site, config, tmp_path):
    build(config)
    before = files(config.out_dir)
    result = build(config)
    assert result.patched and result.rendered == 0 and result.rebuilt == []
    assert files(config.out_dir) == before == files(full_build_of(config, tmp_path))


def test_a_title_that_reorders_articles_of_the_same_day_needs_an_incremental_build(
    site, config, tmp_path
):
    from tests.factories import article

    blog = site["blog"]
    blog.refresh_from_db()
    twin = article(blog, "Another post", dt.date(2026, 3, 2))  # "Another" < "Second"
    build(config)
    retitle(twin, "Zebra post")  # now after "Second post" on the same day
    result = build(config)
    assert not result.patched
    assert result.why_not_patch == f"page {twin.id} changed title"
    assert files(config.out_dir) == files(full_build_of(config, tmp_path))
    retitle(twin, "Zebra post, again")  # still after it: the order stands
    assert build(config).patched


def test_a_graph_whose_page_order_lacks_the_edited_page_builds_incrementally(
    site, config, tmp_path
):
    build(config)
    post = site["posts"][1]
    db = sqlite3.connect(config.cache_dir / "graph.sqlite3")
    (order,) = db.execute("SELECT value FROM meta WHERE key = 'order'").fetchone()
    order = [pid for pid in json.loads(order) if pid != post.id]
    with db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'order'", (json.dumps(order),))
    db.close()
    retitle(post, "Second post, retitled")
    result = build(config)
    assert not result.patched
    assert "is not in the order" in result.why_not_patch
    assert files(config.out_dir) == files(full_build_of(config, tmp_path))


def test_a_search_shard_gone_from_the_site_turns_a_patch_build_incremental(site, config, tmp_path):
    """The search shards are rewritten on a thread while pages render: a problem found
    there is found after the build began as a patch build, and it builds incrementally."""
    build(config)
    index = json.loads((config.out_dir / "_search/index.json").read_bytes())
    for name in index["shards"][0]["files"]:
        (config.out_dir / "_search" / name).unlink()
    retitle(site["posts"][1], "Second post, retitled")
    result = build(config)
    assert not result.patched
    assert "search index does not hold" in result.why_not_patch
    assert files(config.out_dir) == files(full_build_of(config, tmp_path))


def test_a_body_that_drops_an_image_needs_an_incremental_build(site, config, tmp_path):
    build(config)
    page = site["posts"][0].specific.get_latest_revision_as_object()  # has the demo image
    page.body = [("paragraph", "<p>No image any more.</p>")]
    page.hero_image = None
    page.save_revision().publish()
    result = build(config)
    assert not result.patched and "uses other media files" in result.why_not_patch
    assert files(config.out_dir) == files(full_build_of(config, tmp_path))


def test_changes_synced_by_a_build_that_failed_are_in_the_next_patch_build(site, config, tmp_path):
    from jamtail.content.client import CMSClient
    from jamtail.content.sync import sync

    build(config)
    retitle(site["posts"][1], "Synced, then the build died")
    sync(CMSClient(config.api_url), config.cache_dir)  # what a killed build leaves behind
    result = build(config)
    assert result.patched and "blog/second-post/index.html" in rebuilt_html(result)
    page = (config.out_dir / "blog/second-post/index.html").read_text()
    assert "Synced, then the build died" in page
    assert files(config.out_dir) == files(full_build_of(config, tmp_path))


def test_a_failing_patch_build_leaves_the_live_site_and_the_graph_as_they_were(
    site, config, tmp_path
):
    article = config.site_dir / "templates" / "article_page.html"
    # A template that fails for one title only: the failing build is still a patch build.
    article.write_text(
        article.read_text().replace(
            "{% block content %}",
            "{% block content %}{% if 'Breaks' in page.title %}{{ page.nope() }}{% endif %}",
            1,
        )
    )
    build(config)
    before = files(config.out_dir)
    retitle(site["posts"][1], "Breaks the template")
    with pytest.raises(TemplateRenderError):
        build(config)
    assert files(config.out_dir) == before
    retitle(site["posts"][1], "Mended")
    result = build(config)
    assert result.patched
    assert "Mended" in (config.out_dir / "blog/second-post/index.html").read_text()
    assert files(config.out_dir) == files(full_build_of(config, tmp_path))


def test_the_builder_fingerprint_reads_the_render_and_generator_code_where_it_is():
    """Every file or package the fingerprint hashes exists (a move of the code must move it)."""
    from jamtail.build.nextjs import NEXT_DIR
    from jamtail.plan.incremental import GENERATOR_CODE, PACKAGE_DIR, RENDER_CODE

    for part in (*RENDER_CODE, *GENERATOR_CODE):
        assert (PACKAGE_DIR / part).exists(), part
    assert (NEXT_DIR / "package.json").is_file()


hashes = st.text("0123456789abcdef", min_size=24, max_size=24)


@given(
    pages=st.dictionaries(st.integers(1, 10**6), hashes, min_size=1, max_size=40),
    data=st.data(),
)
def test_a_pages_key_updated_for_changed_pages_is_the_key_of_the_pages_as_changed(pages, data):
    order = list(pages)
    changed_ids = data.draw(st.lists(st.sampled_from(order), unique=True, max_size=5))
    after = dict(pages)
    changes = {}
    for pid in changed_ids:
        after[pid] = data.draw(hashes)
        changes[pid] = (pages[pid], after[pid])
    before_key = pages_key((pid, pages[pid]) for pid in order)
    updated = repaged_key(before_key, order, changes)
    assert updated == pages_key((pid, after[pid]) for pid in order)
    if any(old != new for old, new in changes.values()):
        assert updated != before_key


def test_the_pages_key_depends_on_the_pages_order():
    assert pages_key([(1, "a"), (2, "b")]) != pages_key([(2, "b"), (1, "a")])
    with pytest.raises(ValueError, match="page 2 is not in the order"):
        repaged_key(pages_key([(1, "a")]), [1], {2: ("b", "c")})
    with pytest.raises(ValueError, match="not a pages key"):  # a graph's key from before
        repaged_key("0" * 24, [1], {1: ("a", "b")})
