"""The Rust blog (754 Markdown files, third-party) through the whole pipeline.

Import with ``import_markdown`` into a fresh CMS process, build over HTTP,
then check the built site against the source files.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import pytest
import requests

from cms.importer.anchors import HeadingIds
from cms.importer.slugs import make_slug
from jamtail.build.pipeline import BuildConfig, build
from tests.cms_process import CMSProcess
from tests.linkcheck import broken_links, missing_ids

pytestmark = [pytest.mark.corpus, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[1]
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def front_matter(path: Path) -> dict:
    text = path.read_text()
    return tomllib.loads(text.split("+++", 2)[1])


@pytest.fixture(scope="module")
def imported(rust_blog, tmp_path_factory):
    cms = CMSProcess(tmp_path_factory.mktemp("rust-cms"))
    cms.manage("migrate", "--no-input", "-v0")
    result = cms.manage("import_markdown", str(rust_blog), "--parent", "/", "--slug", "blog")
    cms.start()
    out = tmp_path_factory.mktemp("rust-site") / "build"
    config = BuildConfig(cms.api_url, out, REPO / "site", out.parent / "cache")
    built = build(config)
    yield {"cms": cms, "import": result, "out": out, "build": built, "source": rust_blog}
    cms.stop()


def api_items(cms, path, **params):
    items, offset = [], 0
    while True:
        data = requests.get(
            cms.api_url + path, params={**params, "limit": 500, "offset": offset}, timeout=120
        ).json()
        items += data["items"]
        offset += len(data["items"])
        if not data["items"] or offset >= data["meta"]["total_count"]:
            return items


def site_path(item: dict) -> str:
    return urlsplit(item["meta"]["html_url"]).path


def posts(source: Path) -> list[Path]:
    return sorted(p for p in source.rglob("*.md") if p.name != "_index.md")


def test_every_post_imports_without_failure(imported):
    assert imported["import"].returncode == 0
    report = imported["import"].stdout + imported["import"].stderr
    assert re.search(r"failed\D{0,3}0\b", report), report[-2000:]


def test_every_post_is_a_live_page_with_a_built_html_file(imported):
    cms, out = imported["cms"], imported["out"]
    pages = api_items(cms, "pages/")
    leaf_types = ("content.ArticlePage", "content.StandardPage")
    leaf = [p for p in pages if p["meta"]["type"] in leaf_types]
    assert len(leaf) == len(posts(imported["source"]))
    for page in leaf:
        assert (out / site_path(page).strip("/") / "index.html").is_file(), site_path(page)


def test_three_sections_mirror_the_source_folders(imported):
    sections = api_items(imported["cms"], "pages/", type="content.SectionPage", fields="*")
    assert len(sections) == 3
    assert {s["title"] for s in sections} >= {"Rust Blog", "Rust Release Announcements"}
    assert {site_path(s) for s in sections} == {"/blog/", "/blog/inside-rust/", "/blog/releases/"}


def test_dates_and_authors_match_the_source(imported):
    cms, source = imported["cms"], imported["source"]
    redirects = {r["old_path"].rstrip("/"): r["location"] for r in api_items(cms, "redirects/")}
    by_path = {
        site_path(a): a for a in api_items(cms, "pages/", type="content.ArticlePage", fields="*")
    }
    checked = 0
    for md in posts(source):
        meta = front_matter(md)
        if "path" not in meta:
            continue
        location = redirects.get("/" + meta["path"].strip("/"))
        assert location, f"no redirect from the old permalink of {md}"
        page = by_path[location]
        y, m, d = re.search(r"(\d{4})/(\d{2})/(\d{2})", meta["path"]).groups()
        assert page["date"] == f"{y}-{m}-{d}", md
        # One Author snippet per slug: "The Rustup Working Group" = "The rustup working group".
        assert [a["slug"] for a in page["authors"]] == [make_slug(a) for a in meta["authors"]], md
        checked += 1
    assert checked > 700


def test_aliases_become_redirects(imported):
    rules = (imported["out"] / "_redirects").read_text()
    sources = {line.split()[0].rstrip("/").lower() for line in rules.splitlines()[1:] if line}
    missing = []
    for md in posts(imported["source"]):
        for alias in front_matter(md).get("aliases", []):
            normalised = "/" + alias.strip("/").lower()
            if normalised not in sources:
                missing.append((md.name, alias))
    assert not missing, missing[:10]


def test_bundle_images_are_in_wagtail_and_in_the_site(imported):
    source = imported["source"]
    bundles = [p.parent for p in source.rglob("index.md")]
    referenced = 0
    for bundle in bundles:
        text = (bundle / "index.md").read_text()
        for image in bundle.iterdir():
            is_image = image.suffix.lower() in {".png", ".jpg", ".jpeg", ".gif", ".svg"}
            if is_image and image.name in text:
                referenced += 1
    images = api_items(imported["cms"], "images/")
    assert referenced > 20 and len(images) >= referenced * 0.9
    assert len(list((imported["out"] / "media").rglob("*.*"))) >= referenced


def test_no_broken_internal_link_or_image_but_those_broken_in_the_source(imported):
    """Links the source itself gets wrong (a theme script, ``github.com/x`` without a
    scheme) are reported by the importer; every other internal link resolves."""
    warnings = imported["import"].stderr
    broken = [
        (page, link)
        for page, link in broken_links(imported["out"])
        if f"local link {link} matches no page or file" not in warnings
    ]
    assert not broken, f"{len(broken)} broken links, e.g. {broken[:15]}"


def test_sitemap_lists_every_published_page_and_nothing_else(imported):
    root = ET.parse(imported["out"] / "sitemap.xml").getroot()
    locs = {u.findtext(f"{SITEMAP}loc") for u in root.findall(f"{SITEMAP}url")}
    pages = api_items(imported["cms"], "pages/")
    assert locs == {site_path(p) for p in pages}


def test_the_build_has_a_page_per_post_and_listings(imported):
    out = imported["out"]
    assert (out / "blog" / "index.html").is_file()
    assert (out / "blog" / "page" / "2" / "index.html").is_file()
    assert (out / "blog" / "atom.xml").is_file()
    assert imported["build"].pages > len(posts(imported["source"]))


def test_links_to_a_heading_land_on_it_as_on_the_zola_site(imported):
    """Posts link to headings by the ids Zola gave them (``#i-unsound-issues-crab``, from
    "I-unsound issues (🦀)"): no such link is broken, here or in another post. Those that
    stay broken name ids no heading had on the old site either (``#Performance-Dashboard``)."""
    old_ids: set[str] = set()
    for path in imported["source"].rglob("*.md"):
        ids = HeadingIds("zola")
        text = re.sub(r"^```.*?^```", "", path.read_text(), flags=re.M | re.S)  # code
        headings = re.findall(r"^#{1,6} +(.+)$", text, re.M)
        old_ids.update(ids(text.strip()) for text in headings)
    missing = missing_ids(imported["out"], imported["build"].broken_links)
    fragments = [fragment for _page, fragment in missing]
    assert fragments, "the source has fragment links of its own that lead nowhere"
    assert not [f for f in fragments if f in old_ids]
    gsoc = (imported["out"] / "blog" / "gsoc-2025-results" / "index.html").read_text()
    assert 'id="abi-layout-handling-for-the-automatic-differentiation-feature"' in gsoc
