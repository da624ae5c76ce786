"""The front-end templates in site/templates, rendered on their own.

These tests set up a Jinja2 environment with the builder's options and small
real implementations of the filters and functions the templates rely on
(``richtext``, ``highlight``, ``isodate``, ``humandate``, ``asset``,
``absolute``), render every page type with sample content holding every
StreamField block type, and check the structure readers and crawlers rely on:
landmarks, one ``<h1>``, heading order, image attributes, JSON-LD, pagination,
tables and footnotes. The slow test runs every page through the W3C Nu HTML
checker (``vnu.jar``) when Java and ``node_modules/vnu-jar`` are present.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jinja2
import pytest
from markupsafe import Markup
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

from jamtail.render.renderer import FragmentCache

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "site" / "templates"
STATIC = ROOT / "site" / "static"
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
BASE_URL = "https://example.org"


# --- the environment: the builder's options and plain filter implementations ---


def highlight(code: str, language: str) -> Markup:
    """Pygments-highlighted ``<div class="highlight"><pre><code class="language-x">``."""
    try:
        lexer = get_lexer_by_name(language) if language else TextLexer()
    except ClassNotFound:
        lexer = TextLexer()
    spans = pygments_highlight(code, lexer, HtmlFormatter(nowrap=True))
    return Markup(
        '<div class="highlight"><pre><code class="language-{}">{}</code></pre></div>'
    ).format(language or "text", Markup(spans))


def make_env(undefined: type[jinja2.Undefined] = jinja2.StrictUndefined) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=undefined,
    )
    env.filters["richtext"] = Markup
    env.filters["highlight"] = highlight
    env.filters["isodate"] = lambda d: d if isinstance(d, str) else d.isoformat()
    env.filters["humandate"] = lambda d: f"{d.day} {d:%B %Y}"
    env.globals["asset"] = lambda path: f"/static/{path}"
    env.globals["absolute"] = lambda url: url if "://" in url else BASE_URL + url
    env.globals["fragment"] = FragmentCache()
    return env


# --- sample content ---


def image(name: str, width: int = 1600, height: int = 900, alt: str = "") -> dict[str, Any]:
    """An IMAGE dict shaped as cms/content/images.py makes it (widths 400-1600, never upscaled)."""
    widths = [w for w in (400, 800, 1200, 1600) if w < width] or [width]
    if width not in widths and width < 1600:
        widths.append(width)
    renditions = [
        {
            "width": w,
            "height": round(height * w / width),
            "url": f"/media/images/{name}.width-{w}.png",
        }
        for w in widths
    ]
    default = next((r for r in renditions if r["width"] >= 800), renditions[-1])
    return {
        "id": 7,
        "title": name,
        "alt": alt or f"A picture of {name}",
        "width": width,
        "height": height,
        "url": default["url"],
        "renditions": renditions,
    }


SITE = {
    "name": "Ferris Notes",
    "tagline": "Notes on systems programming.",
    "base_url": BASE_URL,
    "language": "en",
    "social_links": [
        {"label": "Mastodon", "url": "https://hachyderm.io/@ferris"},
        {"label": "GitHub", "url": "https://github.com/ferris"},
    ],
    "nav": [
        {"title": "Home", "url": "/"},
        {"title": "Blog", "url": "/blog/"},
        {"title": "About", "url": "/about/"},
    ],
}
FEEDS = [{"title": "Ferris Notes", "url": "/feed.xml"}, {"title": "Blog", "url": "/blog/feed.xml"}]
AUTHORS = [
    {"name": "Ada Lovelace", "slug": "ada", "url": "/authors/ada/"},
    {"name": "Grace <Hopper>", "slug": "grace", "url": "/authors/grace/"},
]
TAGS = [
    {"name": "rust", "slug": "rust", "url": "/tags/rust/"},
    {"name": "async & await", "slug": "async-await", "url": "/tags/async-await/"},
]

BODY = [
    {
        "type": "paragraph",
        "id": "b1",
        "value": "<p>Ownership is <b>simple</b>.<sup><a href='#fn-1'>1</a></sup></p>",
    },
    {
        "type": "heading",
        "id": "b2",
        "value": {"text": "Borrowing", "level": 2, "anchor": "borrowing"},
    },
    {"type": "paragraph", "id": "b3", "value": "<ul><li>one</li><li>two</li></ul>"},
    {
        "type": "heading",
        "id": "b4",
        "value": {"text": "Mutable borrows", "level": 3, "anchor": "mutable"},
    },
    {
        "type": "code",
        "id": "b5",
        "value": {"language": "rust", "code": 'fn main() {\n    println!("hello <world>");\n}\n'},
    },
    {"type": "code", "id": "b6", "value": {"language": "", "code": "plain text"}},
    {"type": "heading", "id": "b7", "value": {"text": "Rules", "level": 4, "anchor": "rules"}},
    {
        "type": "image",
        "id": "b8",
        "value": {"image": image("ferris"), "alt": "Ferris the crab waving", "caption": "Ferris."},
    },
    {
        "type": "image",
        "id": "b9",
        "value": {"image": image("small", 300, 200), "alt": "", "caption": ""},
    },
    {
        "type": "quote",
        "id": "b10",
        "value": {"text": "<p>Fearless <i>concurrency</i>.</p>", "attribution": "The Rust Book"},
    },
    {"type": "quote", "id": "b11", "value": {"text": "<p>Unattributed.</p>", "attribution": ""}},
    {
        "type": "heading",
        "id": "b12",
        "value": {"text": "Comparison", "level": 2, "anchor": "comparison"},
    },
    {
        "type": "table",
        "id": "b13",
        "value": {
            "caption": "Languages compared",
            "columns": [{"type": "text", "heading": "Language"}, {"type": "text", "heading": "GC"}],
            "rows": [
                {"values": ["<p>Rust</p>", "<p>No</p>"]},
                {"values": ["<p>Go</p>", "<p><b>Yes</b></p>"]},
            ],
        },
    },
    {
        "type": "table",
        "id": "b14",
        "value": {
            "caption": "",
            "columns": [{"type": "text", "heading": ""}, {"type": "text", "heading": ""}],
            "rows": [{"values": ["<p>a</p>", "<p>b</p>"]}],
        },
    },
    {
        "type": "embed",
        "id": "b15",
        "value": {
            "url": "https://www.youtube.com/watch?v=abc",
            "html": '<iframe src="https://www.youtube.com/embed/abc" title="A talk"></iframe>',
            "title": "A talk",
        },
    },
    {
        "type": "embed",
        "id": "b16",
        "value": {"url": "https://example.com/x", "html": None, "title": ""},
    },
    {"type": "raw_html", "id": "b17", "value": '<p class="raw-marker">Trusted <kbd>HTML</kbd></p>'},
    {
        "type": "footnotes",
        "id": "b18",
        "value": [
            {"anchor": "fn-1", "text": "<p>First note.</p>"},
            {"anchor": "fn-2", "text": "<p>Second <a href='https://example.com'>note</a>.</p>"},
        ],
    },
    {
        "type": "definitions",
        "id": "b19",
        "value": [
            {
                "term": "cacheDir",
                "term_html": "<code>cacheDir</code>",
                "anchor": "cachedir",
                "definition": "<p>Where caches live.</p>",
            },
            {"term": "Plain", "term_html": "", "anchor": "", "definition": "<p>No markup.</p>"},
        ],
    },
]


def entry(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "title": f"Post number {n}",
        "url": f"/blog/post-{n}/",
        "date": dt.date(2020, 4, n),
        "summary": f"Summary of post {n}.",
        "authors": AUTHORS[: 1 + n % 2],
        "tags": TAGS[: n % 3],
        "hero_image": image(f"hero{n}") if n % 2 else None,
        **extra,
    }


ENTRIES = [entry(n) for n in range(1, 6)]
SECTIONS = [
    {"title": "Blog", "url": "/blog/", "description": "Long-form articles."},
    {"title": "Notes", "url": "/notes/", "description": ""},
]
PAGINATION = {
    "number": 2,
    "num_pages": 3,
    "has_prev": True,
    "prev_url": "/blog/",
    "has_next": True,
    "next_url": "/blog/page/3/",
    "pages": [
        {"number": 1, "url": "/blog/"},
        {"number": 2, "url": "/blog/page/2/"},
        {"number": 3, "url": "/blog/page/3/"},
    ],
}
ONE_PAGE = {**PAGINATION, "number": 1, "num_pages": 1, "has_prev": False, "has_next": False}

HOME = {
    "id": 3,
    "type": "HomePage",
    "title": "Ferris Notes",
    "url": "/",
    "seo_title": "",
    "search_description": "",
    "intro": "<p>Welcome to <b>the notes</b>.</p>",
    "body": BODY[:3],
}
SECTION = {
    "id": 4,
    "type": "SectionPage",
    "title": "Blog",
    "url": "/blog/",
    "seo_title": "",
    "search_description": "",
    "description": "Long-form articles.",
    "intro": "<p>Articles about <i>Rust</i>.</p>",
}
ARTICLE = {
    "id": 5,
    "type": "ArticlePage",
    "title": "Understanding <ownership> & borrowing",
    "url": "/blog/ownership/",
    "seo_title": "Ownership in Rust",
    "search_description": "",
    "date": dt.date(2020, 4, 17),
    "summary": "How ownership works.",
    "authors": AUTHORS,
    "tags": TAGS,
    "hero_image": image("hero", alt="A rusty crab on a rock"),
    "body": BODY,
    "last_published_at": "2020-04-18T09:30:00+00:00",
}
STANDARD = {
    "id": 6,
    "type": "StandardPage",
    "title": "About",
    "url": "/about/",
    "seo_title": "",
    "search_description": "Who writes these notes.",
    "summary": "Who we are.",
    "body": BODY,
}
AUTHOR = {
    **AUTHORS[0],
    "bio": "<p>Wrote the <i>first</i> program.</p>",
    "website": "https://ada.example",
    "avatar": image("ada", 400, 400),
}

PAGES: dict[str, tuple[str, dict[str, Any]]] = {
    "home": ("home_page.html", {"page": HOME, "recent": ENTRIES, "sections": SECTIONS}),
    "section": (
        "section_page.html",
        {"page": SECTION, "entries": ENTRIES, "pagination": PAGINATION, "subsections": []},
    ),
    "section-with-subsections": (
        "section_page.html",
        {"page": SECTION, "entries": ENTRIES, "pagination": ONE_PAGE, "subsections": SECTIONS},
    ),
    "article": ("article_page.html", {"page": ARTICLE, "previous": ENTRIES[0], "next": ENTRIES[1]}),
    "article-alone": (
        "article_page.html",
        {
            "page": {**ARTICLE, "hero_image": None, "last_published_at": None},
            "previous": None,
            "next": None,
        },
    ),
    "standard": ("standard_page.html", {"page": STANDARD, "children": SECTIONS}),
    "tag": (
        "tag.html",
        {
            "page": {"title": "Tagged rust", "url": "/tags/rust/", "type": "TagPage"},
            "tag": TAGS[0],
            "entries": ENTRIES,
            "pagination": PAGINATION,
        },
    ),
    "tags": (
        "tags.html",
        {
            "page": {"title": "Tags", "url": "/tags/", "type": "TagIndexPage"},
            "tags": [{**t, "count": i + 1} for i, t in enumerate(TAGS)],
        },
    ),
    "author": (
        "author.html",
        {
            "page": {"title": "Ada Lovelace", "url": "/authors/ada/", "type": "AuthorPage"},
            "author": AUTHOR,
            "entries": ENTRIES,
            "pagination": ONE_PAGE,
        },
    ),
    "authors": (
        "authors.html",
        {
            "page": {"title": "Authors", "url": "/authors/", "type": "AuthorIndexPage"},
            "authors": [{**AUTHOR, "count": 3}, {**AUTHORS[1], "avatar": None, "count": 1}],
        },
    ),
    "404": (
        "404.html",
        {"page": {"title": "Page not found", "url": "/404.html", "type": "NotFoundPage"}},
    ),
}


def render(name: str, env: jinja2.Environment | None = None, **overrides: Any) -> str:
    template, context = PAGES[name]
    page = {**context, **overrides}["page"]
    full = {
        "site": SITE,
        "feeds": FEEDS,
        "canonical_url": BASE_URL + page["url"],
        **context,
        **overrides,
    }
    return (env or make_env()).get_template(template).render(full)


# --- a small DOM-less reader of the rendered HTML ---


class Element:
    def __init__(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tag = tag
        self.attrs = {k: ("" if v is None else v) for k, v in attrs}
        self.text = ""


class Page(HTMLParser):
    """Every element in document order, with the text inside it."""

    VOID = {"meta", "link", "img", "br", "hr", "input", "source", "wbr"}

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html
        self.elements: list[Element] = []
        self.open: list[Element] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, attrs)
        self.elements.append(element)
        if tag not in self.VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i].tag == tag:
                del self.open[i:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.text += data

    def all(self, tag: str, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.elements
            if e.tag == tag
            and all(e.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())
        ]

    def one(self, tag: str, **attrs: str) -> Element:
        found = self.all(tag, **attrs)
        assert len(found) == 1, f"expected one <{tag} {attrs}>, found {len(found)}"
        return found[0]

    def headings(self) -> list[int]:
        return [
            int(e.tag[1]) for e in self.elements if e.tag in {"h1", "h2", "h3", "h4", "h5", "h6"}
        ]


def parse(name: str, **overrides: Any) -> Page:
    return Page(render(name, **overrides))


# --- behaviour ---


@pytest.mark.parametrize("name", PAGES)
def test_every_page_has_landmarks_a_skip_link_and_one_h1(name: str) -> None:
    page = parse(name)
    assert page.html.lstrip().startswith("<!doctype html>")
    assert page.one("html").attrs["lang"] == "en"
    assert page.one("meta", charset="utf-8")
    assert page.one("meta", name="viewport")
    page.one("header", class_="site-header")
    page.one("footer", class_="site-footer")
    assert page.one("main").attrs["id"] == "main"
    main_nav = page.one("nav", aria_label="Main")
    assert main_nav
    first_link = page.all("a")[0]
    assert first_link.attrs["href"] == "#main" and first_link.text == "Skip to content"
    assert len(page.all("h1")) == 1
    assert page.one("link", rel="stylesheet").attrs["href"] == "/static/css/site.css"
    assert page.one("link", rel="icon").attrs == {
        "rel": "icon",
        "href": "/static/favicon.svg",
        "type": "image/svg+xml",
    }
    feeds = page.all("link", rel="alternate", type="application/atom+xml")
    assert [f.attrs["href"] for f in feeds] == ["/feed.xml", "/blog/feed.xml"]


@pytest.mark.parametrize("name", PAGES)
def test_headings_start_at_h1_and_never_skip_a_level(name: str) -> None:
    levels = parse(name).headings()
    assert levels[0] == 1
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, f"h{before} followed by h{after} in {levels}"


@pytest.mark.parametrize("name", PAGES)
def test_every_image_has_alt_dimensions_and_lazy_loading(name: str) -> None:
    for img in parse(name).all("img"):
        assert "alt" in img.attrs
        assert img.attrs["width"].isdigit() and img.attrs["height"].isdigit()
        assert img.attrs["loading"] in {"lazy", "eager"}
        assert img.attrs["decoding"] == "async"
        assert img.attrs["srcset"] and img.attrs["sizes"]


def test_image_uses_the_default_renditions_size_and_lists_every_rendition() -> None:
    page = parse("article")
    img = page.one("img", alt="Ferris the crab waving")
    assert img.attrs["src"] == "/media/images/ferris.width-800.png"
    assert (img.attrs["width"], img.attrs["height"]) == ("800", "450")
    assert img.attrs["loading"] == "lazy"
    assert img.attrs["srcset"] == ", ".join(
        f"/media/images/ferris.width-{w}.png {w}w" for w in (400, 800, 1200)
    )
    small = page.one("img", src="/media/images/small.width-300.png")
    assert small.attrs["alt"] == ""
    assert (small.attrs["width"], small.attrs["height"]) == ("300", "200")


EN_DASH = "\N{EN DASH}"


def test_titles_name_the_page_then_the_site_and_the_home_page_only_the_site() -> None:
    assert parse("home").one("title").text == "Ferris Notes"
    assert parse("article").one("title").text == f"Ownership in Rust {EN_DASH} Ferris Notes"
    assert parse("standard").one("title").text == f"About {EN_DASH} Ferris Notes"
    assert parse("404").one("title").text == f"Page not found {EN_DASH} Ferris Notes"


def test_description_falls_back_from_search_description_to_summary_to_tagline() -> None:
    def description(name: str) -> str:
        return parse(name).one("meta", name="description").attrs["content"]

    assert description("standard") == "Who writes these notes."
    assert description("article") == "How ownership works."
    assert description("section") == "Long-form articles."
    assert description("home") == SITE["tagline"]


def test_the_site_description_comes_before_the_tagline_for_pages_without_their_own() -> None:
    site = {**SITE, "description": "Notes on Rust, one or two a month."}
    for name in ("home", "tag", "authors"):
        page = parse(name, site=site)
        assert page.one("meta", name="description").attrs["content"] == site["description"]
        assert page.one("meta", property="og:description").attrs["content"] == site["description"]
    assert parse("article", site=site).one("meta", name="description").attrs["content"] == (
        "How ownership works."
    )


def test_without_a_base_url_no_canonical_og_url_or_og_image_is_written() -> None:
    """Relative URLs are not valid canonicals (RFC 6596) nor Open Graph URLs: none at all."""
    page = parse("article", site={**SITE, "base_url": ""}, canonical_url="")
    assert not page.all("link", rel="canonical")
    assert not page.all("meta", property="og:url")
    assert not page.all("meta", property="og:image")
    assert page.one("meta", property="og:title").attrs["content"] == "Ownership in Rust"
    ld = json.loads(page.one("script", type="application/ld+json").text)
    assert ld["@type"] == "Article" and "mainEntityOfPage" not in ld


def test_article_has_open_graph_and_canonical_url() -> None:
    page = parse("article")
    assert page.one("link", rel="canonical").attrs["href"] == BASE_URL + "/blog/ownership/"
    og = {
        m.attrs["property"]: m.attrs["content"] for m in page.all("meta") if "property" in m.attrs
    }
    assert og["og:type"] == "article"
    assert og["og:title"] == "Ownership in Rust"
    assert og["og:url"] == BASE_URL + "/blog/ownership/"
    assert og["og:site_name"] == "Ferris Notes"
    assert og["og:image"] == BASE_URL + "/media/images/hero.width-800.png"
    assert parse("home").one("meta", property="og:type").attrs["content"] == "website"
    assert not parse("home").all("meta", property="og:image")


def test_article_json_ld_describes_an_article() -> None:
    page = parse("article")
    data = json.loads(page.one("script", type="application/ld+json").text)
    assert data["@type"] == "Article"
    assert data["headline"] == ARTICLE["title"]
    assert data["datePublished"] == "2020-04-17"
    assert data["dateModified"] == "2020-04-18T09:30:00+00:00"
    assert data["author"] == [
        {"@type": "Person", "name": "Ada Lovelace", "url": BASE_URL + "/authors/ada/"},
        {"@type": "Person", "name": "Grace <Hopper>", "url": BASE_URL + "/authors/grace/"},
    ]
    assert data["image"] == BASE_URL + "/media/images/hero.width-800.png"
    assert data["mainEntityOfPage"] == BASE_URL + "/blog/ownership/"
    assert data["publisher"] == {"@type": "Organization", "name": "Ferris Notes"}
    # The JSON cannot close the script element early.
    assert "</" not in page.one("script", type="application/ld+json").text


def test_article_json_ld_without_image_or_publish_time() -> None:
    data = json.loads(parse("article-alone").one("script", type="application/ld+json").text)
    assert "image" not in data
    assert data["dateModified"] == "2020-04-17"


def test_article_byline_tags_hero_and_neighbours() -> None:
    page = parse("article")
    article = page.one("article", class_="article")
    assert article
    assert page.one("time", datetime="2020-04-17").text == "17 April 2020"
    byline = page.all("p", class_="byline")[0]
    assert " ".join(byline.text.split()).startswith(
        "By Ada Lovelace and Grace <Hopper> · 17 April 2020"
    )
    assert [
        a.attrs["href"] for a in page.all("a") if a.attrs.get("href", "").startswith("/tags/")
    ] == [
        "/tags/rust/",
        "/tags/async-await/",
    ]
    hero = page.one("img", alt="A rusty crab on a rock")
    assert hero.attrs["loading"] == "eager" and hero.attrs["fetchpriority"] == "high"
    assert page.one("a", rel="prev").attrs["href"] == "/blog/post-1/"
    assert page.one("a", rel="next").attrs["href"] == "/blog/post-2/"
    assert not parse("article-alone").all("nav", aria_label="More articles")


def test_text_is_escaped_and_rich_text_is_not() -> None:
    html = render("article")
    assert "<h1>Understanding &lt;ownership&gt; &amp; borrowing</h1>" in html
    assert "Ownership is <b>simple</b>" in html
    assert '<p class="raw-marker">Trusted <kbd>HTML</kbd></p>' in html


def test_heading_blocks_have_ids_and_link_to_themselves() -> None:
    page = parse("article")
    heading = page.one("h3", id="mutable")
    assert heading.text.strip().startswith("Mutable borrows")
    link = page.one("a", href="#mutable")
    assert link.text.strip().startswith("Mutable borrows")
    marks = page.all("span", class_="anchor-mark")
    assert marks and all(m.attrs["aria-hidden"] == "true" for m in marks)


def test_image_block_is_a_figure_with_a_caption_only_when_given() -> None:
    page = parse("article")
    captions = [e.text for e in page.all("figcaption")]
    assert "Ferris." in captions
    assert len(page.all("figure", class_="figure")) == 2
    assert captions.count("Ferris.") == 1


def test_code_blocks_are_highlighted_and_labelled_with_their_language() -> None:
    page = parse("article")
    assert page.one("code", class_="language-rust")
    assert page.one("figcaption", class_="code-lang").text == "rust"
    assert "hello &lt;world&gt;" in page.html
    assert len(page.all("figure", class_="code")) == 2


def test_quote_block_has_an_attribution_outside_the_quote() -> None:
    page = parse("article")
    assert len(page.all("blockquote")) == 2
    attributions = [e.text for e in page.all("figcaption") if "Rust Book" in e.text]
    assert attributions == ["— The Rust Book"]


def test_table_block_scrolls_in_a_labelled_focusable_region() -> None:
    page = parse("article")
    wraps = page.all("div", class_="table-wrap")
    assert [w.attrs["aria-label"] for w in wraps] == ["Languages compared", "Table"]
    assert all(w.attrs["role"] == "region" and w.attrs["tabindex"] == "0" for w in wraps)
    assert page.one("caption").text == "Languages compared"
    assert [th.text for th in page.all("th", scope="col")] == ["Language", "GC"]
    assert len(page.all("thead")) == 1, "a table without headings has no <thead>"
    assert "<td><p><b>Yes</b></p></td>" in page.html


def test_embed_block_shows_the_embed_or_falls_back_to_a_link() -> None:
    page = parse("article")
    assert page.one("div", class_="embed")
    assert page.one("iframe").attrs["title"] == "A talk"
    assert page.one("a", href="https://example.com/x").text == "https://example.com/x"


def test_definitions_are_a_definition_list_whose_terms_can_be_linked_to() -> None:
    page = parse("article")
    assert page.one("dl", class_="definitions")
    assert '<dt id="cachedir"><code>cacheDir</code></dt>' in page.html
    assert "<dd><p>Where caches live.</p></dd>" in page.html
    assert "<dt>Plain</dt>" in page.html, "a term without an anchor has no id"


def test_footnotes_are_an_ordered_list_with_anchors() -> None:
    page = parse("article")
    section = page.one("section", class_="footnotes")
    assert section.attrs["aria-label"] == "Footnotes"
    assert [
        li.attrs["id"] for li in page.all("li") if li.attrs.get("id", "").startswith("fn-")
    ] == [
        "fn-1",
        "fn-2",
    ]
    assert page.all("a", href="#fn-1")


def test_pagination_links_previous_and_next_pages_and_marks_the_current_one() -> None:
    page = parse("section")
    nav = page.one("nav", aria_label="Pagination")
    assert "Page 2 of 3" in nav.text
    assert page.one("a", rel="prev").attrs["href"] == "/blog/"
    assert page.one("a", rel="next").attrs["href"] == "/blog/page/3/"
    current = page.one("a", aria_current="page", href="/blog/page/2/")
    assert " ".join(current.text.split()) == "Page 2"
    first = parse("section", pagination={**PAGINATION, "number": 1, "has_prev": False})
    assert not first.all("a", rel="prev") and first.all("a", rel="next")


def test_a_single_page_listing_has_no_pagination() -> None:
    assert not parse("author").all("nav", aria_label="Pagination")
    assert not parse("section", pagination=None).all("nav", aria_label="Pagination")


def test_listings_show_cards_under_the_right_heading_level() -> None:
    home = parse("home")
    assert [h.text.rstrip("#") for h in home.all("h2")] == ["Borrowing", "Latest", "Sections"]
    assert len(home.all("article", class_="card")) == len(ENTRIES)
    assert len(home.all("h3", class_="card-title")) == len(ENTRIES)
    assert len(parse("section").all("h2", class_="card-title")) == len(ENTRIES)
    with_subsections = parse("section-with-subsections")
    assert len(with_subsections.all("h3", class_="card-title")) == len(ENTRIES)
    assert with_subsections.all("a", href="/notes/")


def test_empty_listing_says_so() -> None:
    page = parse("tag", entries=[], pagination=None)
    assert page.one("p", class_="empty")


def test_main_nav_marks_the_current_page_and_its_section() -> None:
    def marks(name: str) -> dict[str, str]:
        nav_links = parse(name).all("a")
        return {
            a.attrs["href"]: a.attrs["aria-current"] for a in nav_links if "aria-current" in a.attrs
        }

    assert marks("home")["/"] == "page"
    assert marks("section")["/blog/"] == "page"
    article = marks("article")
    assert article["/blog/"] == "true"
    assert "/" not in article, "home is current only on an exact match"


def test_footer_has_tagline_social_links_and_feeds() -> None:
    page = parse("home")
    assert page.one("p", class_="tagline").text == SITE["tagline"]
    assert page.one("a", href="https://github.com/ferris").attrs["rel"] == "me"
    assert page.one("a", href="/blog/feed.xml", type="application/atom+xml")


def test_author_page_shows_bio_website_and_decorative_avatar() -> None:
    page = parse("author")
    assert page.one("h1").text == "Ada Lovelace"
    assert page.one("img", class_="avatar").attrs["alt"] == ""
    assert page.one("a", href="https://ada.example")
    assert "Wrote the <i>first</i> program." in page.html


def test_tag_and_index_pages_list_their_items_with_counts() -> None:
    assert "rust" in parse("tag").one("h1").text
    tags = parse("tags")
    assert "1 article" in tags.html and "2 articles" in tags.html
    authors = parse("authors")
    assert authors.one("a", href="/authors/grace/").text == "Grace <Hopper>"


def test_not_found_page_links_home_and_is_not_indexed() -> None:
    page = parse("404")
    assert page.one("meta", name="robots").attrs["content"] == "noindex"
    assert not page.all("link", rel="canonical")
    assert page.one("a", class_="button").attrs["href"] == "/"
    for element in page.all("link") + page.all("a"):
        href = element.attrs.get("href", "")
        assert href.startswith(("/", "#", "https://")), (
            f"relative URL {href!r} breaks on nested 404s"
        )


def test_preview_pages_are_not_indexed() -> None:
    assert parse("article", noindex=True).one("meta", name="robots").attrs["content"] == "noindex"
    assert not parse("article").all("meta", name="robots")


@pytest.mark.parametrize("name", PAGES)
def test_templates_also_render_with_lenient_undefined(name: str) -> None:
    assert "<main" in render(name, env=make_env(jinja2.Undefined))


def test_stylesheet_is_small_and_self_contained() -> None:
    css = (STATIC / "css" / "site.css").read_text()
    assert len(css.encode()) < 12 * 1024
    assert "@import" not in css and "@font-face" not in css
    assert "prefers-color-scheme: dark" in css
    assert ":focus-visible" in css
    assert (STATIC / "favicon.svg").read_text().startswith("<svg")


@pytest.mark.slow
def test_every_page_is_valid_html(tmp_path: Path) -> None:
    java = shutil.which("java")
    if java is None or not VNU_JAR.exists():
        pytest.skip(
            "needs java and vnu.jar (run `npm install --no-save vnu-jar` in the repository root)"
        )
    files = []
    for name in PAGES:
        path = tmp_path / f"{name}.html"
        path.write_text(render(name))
        files.append(str(path))
    result = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    errors = [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m["type"] == "error" or m.get("subType") == "fatal"
    ]
    assert not errors, "\n".join(errors)
