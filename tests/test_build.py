"""The static build, end to end: a real Wagtail CMS (live server), its HTTP API, the builder."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from pygments.styles import get_style_by_name
from pygments.token import Token

from jamtail.build import pipeline
from jamtail.build.pipeline import BuildConfig, build
from jamtail.cli import main as jamtail_main
from jamtail.content import lazy
from jamtail.exceptions import CMSUnavailableError, OutputError, TemplateRenderError
from jamtail.render.assets import DARK_STYLE, LIGHT_STYLE
from jamtail.search import shards
from tests.factories import demo_site, publish

REPO = Path(__file__).resolve().parents[1]
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def site(live_server):
    return demo_site(per_page=2)


@pytest.fixture
def config(live_server, tmp_path) -> BuildConfig:
    return BuildConfig(
        api_url=f"{live_server.url}/api/v2/",
        out_dir=tmp_path / "build",
        site_dir=REPO / "site",
        cache_dir=tmp_path / "cache",
    )


def snapshot(directory: Path) -> dict[str, str]:
    return {
        p.relative_to(directory).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def read(out: Path, path: str) -> str:
    return (out / path).read_text()


def test_every_page_type_is_written_to_a_pretty_url(site, config):
    result = build(config)
    out = config.out_dir
    for path in [
        "index.html",
        "blog/index.html",
        "blog/hello-jamtail/index.html",
        "about/index.html",
        "404.html",
    ]:
        assert (out / path).is_file(), path
    assert result.pages >= 10
    assert "Built" in result.summary() and "pages" in result.summary()


def test_section_listing_is_paginated_newest_first(site, config):
    build(config)
    first = read(config.out_dir, "blog/index.html")
    second = read(config.out_dir, "blog/page/2/index.html")
    assert first.index("Third post") < first.index("Second post")
    assert "Hello Jamtail" in second and 'rel="prev"' in second
    assert 'href="/blog/page/2/"' in first


def test_article_has_byline_tags_blocks_and_metadata(site, config):
    build(config)
    html = read(config.out_dir, "blog/hello-jamtail/index.html")
    assert 'href="/authors/ada-lindqvist/"' in html and "Mei Chen" in html
    assert 'href="/tags/python/"' in html
    assert '<link rel="canonical" href="https://example.org/blog/hello-jamtail/">' in html
    assert 'property="og:title" content="Hello Jamtail"' in html
    ld = html.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    data = json.loads(ld)
    assert data["@type"] == "Article" and data["headline"] == "Hello Jamtail"
    assert data["datePublished"] == "2026-03-01"
    # every block type, code highlighted at build time
    assert 'id="first-steps"' in html
    assert '<span class="k">def</span>' in html
    assert "Simple is better." in html and "Tim Peters" in html
    assert "<details><summary>More</summary>" in html
    assert 'id="fn-1"' in html
    assert '<a href="/blog/">blog</a>' in html  # rich-text page link resolved to a site path


def test_pages_without_a_description_of_their_own_get_the_sites(site, config):
    """The site settings' description, through the API, reaches the home, search and tag pages."""
    build(config)
    meta = '<meta name="description" content="A site the tests build: every page type and block.">'
    for path in ("index.html", "search/index.html", "tags/python/index.html"):
        assert meta in read(config.out_dir, path), path
    assert meta not in read(config.out_dir, "blog/hello-jamtail/index.html")


def test_images_are_local_responsive_renditions(site, config):
    build(config)
    html = read(config.out_dir, "blog/hello-jamtail/index.html")
    assert 'alt="An orange sunset"' in html
    assert 'srcset="/media/images/' in html and 'loading="lazy"' in html
    assert 'width="' in html and 'height="' in html
    assert "127.0.0.1" not in html  # nothing points back at the CMS
    for src in {part.split('"')[0] for part in html.split('src="/media/')[1:]}:
        assert (config.out_dir / "media" / src).is_file()


def test_tag_and_author_pages_list_their_articles(site, config):
    build(config)
    news = read(config.out_dir, "tags/news/index.html")
    assert "Hello Jamtail" in news and "Second post" in news and "Third post" not in news
    mei = read(config.out_dir, "authors/mei-chen/index.html")
    assert "Third post" in mei and "Second post" not in mei
    assert "news" in read(config.out_dir, "tags/index.html")


def test_feeds_are_atom_with_absolute_links(site, config):
    build(config)
    feed = ET.parse(config.out_dir / "blog" / "atom.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
    assert titles[0] == "Third post" and "Hello Jamtail" in titles
    links = [e.find(f"{ATOM}link").get("href") for e in feed.findall(f"{ATOM}entry")]
    assert all(link.startswith("https://example.org/blog/") for link in links)
    assert (config.out_dir / "atom.xml").is_file()


def test_sitemap_lists_every_published_page_and_nothing_else(site, config):
    build(config)
    root = ET.parse(config.out_dir / "sitemap.xml").getroot()
    locs = {u.findtext(f"{SITEMAP}loc") for u in root.findall(f"{SITEMAP}url")}
    expected = {
        "https://example.org" + p
        for p in [
            "/",
            "/blog/",
            "/blog/hello-jamtail/",
            "/blog/second-post/",
            "/blog/third-post/",
            "/about/",
        ]
    }
    assert locs == expected
    robots = read(config.out_dir, "robots.txt")
    assert "Sitemap: https://example.org/sitemap.xml" in robots


def test_drafts_and_private_pages_never_reach_the_build(site, config):
    build(config)
    for path in config.out_dir.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".xml", ".txt", ""}:
            text = path.read_text(errors="ignore")
            assert "Secret Draft Post" not in text, path
            assert "Private Members Post" not in text, path


def test_redirects_file_lists_wagtail_redirects(site, config):
    build(config)
    assert "/old-hello /blog/hello-jamtail/ 301" in read(config.out_dir, "_redirects")


def test_css_is_fingerprinted_and_includes_code_styles(site, config):
    build(config)
    css = list((config.out_dir / "static" / "css").glob("site.*.css"))
    assert len(css) == 1 and len(css[0].name.split(".")) == 3
    assert ".highlight .k" in css[0].read_text()
    assert f'href="/static/css/{css[0].name}"' in read(config.out_dir, "index.html")


def test_second_build_downloads_no_image_again(site, config):
    first = build(config)
    second = build(config)
    assert first.downloaded > 0 and second.downloaded == 0
    assert snapshot(config.out_dir)  # still complete


def test_unreachable_cms_leaves_the_previous_build_untouched(site, config):
    build(config)
    before = snapshot(config.out_dir)
    config.api_url = "http://127.0.0.1:9/api/v2/"
    with pytest.raises(CMSUnavailableError, match="cannot reach the CMS API"):
        build(config)
    assert snapshot(config.out_dir) == before
    assert not list(config.out_dir.parent.glob(".build.staging-*"))


def test_template_error_names_page_and_template_and_keeps_previous_build(site, config, tmp_path):
    build(config)
    before = snapshot(config.out_dir)
    broken = tmp_path / "site"
    shutil.copytree(REPO / "site", broken)
    template = broken / "templates" / "article_page.html"
    source = template.read_text().replace(
        "{% block content %}", "{% block content %}{{ page.title.nonexistent.boom() }}", 1
    )
    template.write_text(source)
    config.site_dir = broken
    with pytest.raises(TemplateRenderError) as excinfo:
        build(config)
    message = str(excinfo.value)
    assert "article_page.html" in message and "'Hello Jamtail'" in message
    assert snapshot(config.out_dir) == before


def test_two_outputs_claiming_one_path_fail_the_build(site, config):
    from cms.content.models import SectionPage

    build(config)
    before = snapshot(config.out_dir)
    publish(site["home"], SectionPage(title="Tags", slug="tags"))
    with pytest.raises(OutputError, match=r"tags/index\.html"):
        build(config)
    assert snapshot(config.out_dir) == before


def test_cli_reports_errors_in_one_line_and_exits_1(site, config, capsys):
    code = jamtail_main(
        ["build", "--api", "http://127.0.0.1:9/api/v2/", "--out", str(config.out_dir)]
    )
    err = capsys.readouterr().err
    assert code == 75  # EXIT_UNAVAILABLE: a build service retries it
    assert err.startswith("jamtail build: error: cannot reach the CMS API")
    assert len(err.strip().splitlines()) == 1


def test_cli_build_prints_a_summary(site, config, capsys):
    code = jamtail_main(
        [
            "build",
            "--api",
            config.api_url,
            "--out",
            str(config.out_dir),
            "--cache",
            str(config.cache_dir),
        ]
    )
    assert code == 0
    assert capsys.readouterr().out.startswith("Built ")


def _luminance(hex_colour: str) -> float:
    """Relative luminance of ``#rrggbb`` or ``#rgb`` (WCAG 2.2, definition of the term)."""
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("style_name", [LIGHT_STYLE, DARK_STYLE])
def test_every_code_token_colour_has_aa_contrast_on_its_background(style_name):
    """WCAG 2.2 AA (1.4.3): 4.5:1 for every coloured token the code styles can show."""
    style = get_style_by_name(style_name)
    background = style.background_color or "#ffffff"
    low = []
    for token, spec in style:
        # Whitespace is never seen; Error marks input the lexer could not read.
        if not spec["color"] or token in Token.Text.Whitespace or token in Token.Error:
            continue
        lighter, darker = sorted(
            (_luminance(spec["color"]), _luminance(spec["bgcolor"] or background)), reverse=True
        )
        ratio = (lighter + 0.05) / (darker + 0.05)
        if ratio < 4.5:
            low.append((str(token), spec["color"], round(ratio, 2)))
    assert low == [], f"{style_name}: token colours below 4.5:1 on {background}"


def test_a_first_build_that_reads_the_bodies_on_every_core_writes_the_same_site(
    site, config, tmp_path, monkeypatch
):
    """A large first build makes each body's media, code and search records in forked
    workers (``BodyLoader.fill``); the site is byte for byte the one made in-process."""
    build(config)
    alone = snapshot(config.out_dir)
    made: dict[str, int] = {}
    fill = lazy.BodyLoader.fill

    def counted(self, name, *args, **kwargs):
        made[name] = fill(self, name, *args, **kwargs)
        return made[name]

    monkeypatch.setattr(lazy.BodyLoader, "fill", counted)
    monkeypatch.setattr(lazy, "PARALLEL_DERIVED", 1)
    monkeypatch.setattr(pipeline, "PRIME_THRESHOLD", 1)  # highlight before forking, as at 10k
    shared = replace(config, out_dir=tmp_path / "shared", cache_dir=tmp_path / "cache2", jobs=2)
    build(shared)
    assert made.keys() >= {"media", "code", "search-body"} and all(made.values()), made
    manifest = ".jamtail-manifest.json"  # names the build
    assert {k: v for k, v in snapshot(shared.out_dir).items() if k != manifest} == {
        k: v for k, v in alone.items() if k != manifest
    }


def test_a_full_build_of_pages_indexed_before_takes_the_search_index_from_the_cache(
    site, config, tmp_path, monkeypatch
):
    """A new output folder with the cache kept (as on a CI runner): no shard is indexed again."""
    build(config)
    assert list((config.cache_dir / "search-segments").iterdir())

    def no_indexing(*args, **kwargs):
        raise AssertionError("a shard was indexed again")

    monkeypatch.setattr(shards, "write_segment", no_indexing)
    again = replace(config, out_dir=tmp_path / "again")
    build(again)
    index = {k: v for k, v in snapshot(config.out_dir).items() if k.startswith("_search/")}
    assert index and {k: v for k, v in snapshot(again.out_dir).items() if k in index} == index
