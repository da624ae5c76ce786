"""The Next.js front end (next/) builds the same site as the Jinja2 builder from the same CMS.

One real CMS with the demo content is built by both front ends once per session
(``conftest.next_build``), and a second one with the demo content and the Rust blog
(``conftest.corpus_next_build``, when ../shared/corpora has it); these tests compare the two
sites as a reader and a crawler see them. Skipped when node or npm is missing.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.linkcheck import broken_links

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]
ATOM = "{http://www.w3.org/2005/Atom}"
TITLE = re.compile(r"<title>(.*?)</title>", re.S)
# Next's runtime and RSC payload: a page that needs no JavaScript must not carry them.
NEXT_RUNTIME = re.compile(r'<script(?![^>]*type="application/ld\+json")(?![^>]*src="/js/)[^>]*>')


def pages(site: Path) -> dict[str, str]:
    """URL -> <title> text of every HTML page a reader can reach (not the preview page)."""
    found = {}
    for path in site.rglob("*.html"):
        rel = path.relative_to(site).as_posix()
        if rel.startswith(("_next/", "preview/", "_search/")):
            continue
        title = TITLE.search(path.read_text())
        found["/" + rel.removesuffix("index.html")] = (
            html.unescape(title[1].strip()) if title else ""
        )
    return found


@pytest.fixture(params=["demo", pytest.param("rust-blog", marks=pytest.mark.corpus)])
def either_build(request) -> dict[str, Path]:
    """Both front ends' builds of the demo CMS, then of the CMS that also holds the Rust blog."""
    return request.getfixturevalue("next_build" if request.param == "demo" else "corpus_next_build")


def test_the_next_site_has_the_same_pages_at_the_same_urls(either_build):
    jinja, nxt = pages(either_build["jinja"]), pages(either_build["next"])
    assert sorted(set(jinja) - set(nxt)) == [], "pages only the Jinja2 site has"
    assert sorted(set(nxt) - set(jinja)) == [], "pages only the Next site has"
    assert len(nxt) > 30


def test_every_page_has_the_same_title(either_build):
    jinja, nxt = pages(either_build["jinja"]), pages(either_build["next"])
    differ = {url: (jinja[url], nxt[url]) for url in jinja if jinja[url] != nxt.get(url)}
    assert differ == {}


def test_no_internal_link_of_the_next_site_is_broken(either_build):
    broken = broken_links(either_build["next"])
    # Third-party corpora have links broken in their own Markdown (``./x.md``): the Next
    # site may have those the Jinja2 site has, and none of its own.
    assert sorted(set(broken) - set(broken_links(either_build["jinja"]))) == []
    assert [link for link in broken if not link[0].startswith("/rust-blog/")] == []


def test_a_definition_list_renders_alike_with_its_terms_linkable(next_build):
    """The demo's content model page ends with a ``definitions`` block (demo_stack.py)."""
    for site in (next_build["jinja"], next_build["next"]):
        page = (site / "docs" / "content-model" / "index.html").read_text()
        found = re.search(
            r'<dl class="definitions">\s*<dt id="definitions-block"><code>definitions</code></dt>'
            r"\s*<dd><p>Terms and what they mean, as Markdown writes them.</p></dd>\s*</dl>",
            page,
        )
        assert found, site.name


def test_redirects_are_the_same(either_build):
    jinja = (either_build["jinja"] / "_redirects").read_text()
    assert len(jinja.strip().splitlines()) > 1, "the demo has Wagtail redirects"
    assert (either_build["next"] / "_redirects").read_text() == jinja


def test_feeds_list_the_same_entries(next_build):
    for feed in next_build["jinja"].rglob("atom.xml"):
        rel = feed.relative_to(next_build["jinja"])
        ours = ET.parse(next_build["next"] / rel).getroot()
        theirs = ET.parse(feed).getroot()
        ids = lambda root: [e.findtext(f"{ATOM}id") for e in root.iter(f"{ATOM}entry")]  # noqa: E731
        assert ids(ours) == ids(theirs), rel
        assert ours.findtext(f"{ATOM}title") == theirs.findtext(f"{ATOM}title")


def test_sitemap_lists_the_same_pages_and_robots_points_to_it_as_jinja_does(next_build):
    def locs(site: Path) -> list[str]:
        root = ET.parse(site / "sitemap.xml").getroot()
        return sorted(
            e.text or "" for e in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")
        )

    assert locs(next_build["next"]) == locs(next_build["jinja"])

    def sitemap_lines(site: Path) -> list[str]:
        text = (site / "robots.txt").read_text()
        return [line for line in text.splitlines() if line.lower().startswith("sitemap:")]

    # Only with a base URL: the sitemaps.org protocol wants an absolute URL there.
    assert sitemap_lines(next_build["next"]) == sitemap_lines(next_build["jinja"])
    assert all("://" in line for line in sitemap_lines(next_build["next"]))


def test_the_search_index_comes_from_the_cms_content_whichever_front_end_renders(next_build):
    jinja = sorted(p.name for p in (next_build["jinja"] / "_search").iterdir())
    nxt = sorted(p.name for p in (next_build["next"] / "_search").iterdir())
    assert nxt == jinja and "index.json" in nxt


def test_pages_that_need_no_javascript_ship_none(next_build):
    site = next_build["next"]
    for path in site.rglob("*.html"):
        rel = path.relative_to(site).as_posix()
        if rel.startswith(("preview/", "_next/")):
            continue
        assert not NEXT_RUNTIME.search(path.read_text()), rel
    assert NEXT_RUNTIME.search((site / "preview" / "index.html").read_text())


def test_articles_carry_metadata_and_responsive_images(next_build):
    site = next_build["next"]
    article = next(
        p for p in site.glob("blog/*/index.html") if "application/ld+json" in p.read_text()
    )
    text = article.read_text()
    assert 'property="og:type" content="article"' in text
    assert '"@type":"Article"' in text
    images = [
        p.read_text()
        for p in site.rglob("*.html")
        if "srcSet" in p.read_text() or "srcset" in p.read_text()
    ]
    assert images, "no page with a responsive image"
    img = re.search(r"<img[^>]*srcSet=[^>]*>", "".join(images), re.I)
    assert img and 'width="' in img[0] and 'height="' in img[0] and 'loading="' in img[0]


class HeadLinks(HTMLParser):
    """The meta description, canonical links and ``og:url`` values of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.descriptions: list[str] = []
        self.canonicals: list[str] = []
        self.og_urls: list[str] = []
        self.noindex = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "meta" and a.get("name") == "description":
            self.descriptions.append(a.get("content", ""))
        elif tag == "meta" and a.get("name") == "robots":
            self.noindex = "noindex" in a.get("content", "")
        elif tag == "meta" and a.get("property") == "og:url":
            self.og_urls.append(a.get("content", ""))
        elif tag == "link" and "canonical" in a.get("rel", "").split():
            self.canonicals.append(a.get("href", ""))


def test_every_page_of_both_front_ends_has_a_description_and_no_relative_canonical(next_build):
    """Every indexed page has one non-empty meta description (its own, else the site's
    description; the noindex 404 page needs none); a canonical link and og:url are absolute
    URLs or absent (the demo has no base URL: absent)."""
    for name, site in next_build.items():
        for url in pages(site):
            path = site / url.lstrip("/")
            head = HeadLinks()
            head.feed((path / "index.html" if url.endswith("/") else path).read_text())
            if not head.noindex:
                assert len(head.descriptions) == 1, (name, url, head.descriptions)
                assert head.descriptions[0].strip(), (name, url)
            for link in head.canonicals + head.og_urls:
                parts = urlsplit(link)
                assert parts.scheme in ("http", "https") and parts.netloc, (name, url, link)
            assert head.canonicals == [], (name, url, "the demo has no base URL")
            assert len(head.og_urls) <= 1, (name, url)


def test_type_check_and_lint_of_the_next_project_pass(next_build):
    npm = shutil.which("npm")
    for script in ("typecheck", "lint"):
        result = subprocess.run(
            [npm, "run", script], cwd=REPO / "next", capture_output=True, text=True, timeout=600
        )
        assert result.returncode == 0, (
            f"npm run {script}:\n{result.stdout[-3000:]}{result.stderr[-2000:]}"
        )


def test_a_field_renamed_in_the_api_breaks_the_front_ends_type_check(next_build, tmp_path):
    import json

    schema = json.loads((REPO / "docs" / "openapi.json").read_text())
    article = schema["components"]["schemas"]["ArticlePage"]
    article["properties"]["published"] = article["properties"].pop("date")
    article["required"] = ["published" if f == "date" else f for f in article["required"]]
    renamed = tmp_path / "openapi.json"
    renamed.write_text(json.dumps(schema))
    project = REPO / "next"
    npx = shutil.which("npx")
    try:
        subprocess.run(
            [npx, "openapi-typescript", str(renamed), "-o", "src/lib/api-schema.d.ts"],
            cwd=project, check=True, capture_output=True, timeout=300,
        )  # fmt: skip
        result = subprocess.run(
            [npx, "tsc", "--noEmit"], cwd=project, capture_output=True, text=True, timeout=600
        )
    finally:
        subprocess.run(
            [shutil.which("npm"), "run", "types"], cwd=project, check=True, capture_output=True
        )
    assert result.returncode != 0
    assert "'date'" in result.stdout, result.stdout[-2000:]


def test_approved_comments_are_baked_into_the_article_and_pending_ones_are_not(next_build):
    def with_comments(site: Path) -> tuple[str, str]:
        for path in sorted(site.glob("blog/*/index.html")):
            text = path.read_text()
            if "An approved comment, baked in." in text:
                return path.relative_to(site).as_posix(), text
        raise AssertionError(f"no article of {site} shows the approved comment")

    where, text = with_comments(next_build["next"])
    assert where == with_comments(next_build["jinja"])[0]
    assert "An approved reply." in text and "Ada Reader" in text
    assert "waiting for moderation" not in text
    assert 'action="/api/comments"' in text and 'src="/js/comments.js"' in text
