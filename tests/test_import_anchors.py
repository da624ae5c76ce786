"""Imported headings keep the ids their old site gave them, so old ``#fragment`` links work.

Each style of ``cms/importer/anchors.py`` is checked against the renderer itself
where it runs here: Debian's ``hugo`` (each ``autoHeadingIDType``), Ruby's
kramdown (GFM and kramdown input, Jekyll's renderer) and Python-Markdown's
``toc`` (MkDocs'). The same Markdown goes through our importer and through the
renderer: tricky headings and 200 random ones from a fixed seed. Zola does not run
here: its style is checked against the ``slug`` crate's own test cases and against
ids the Rust blog's authors linked to on their Zola site.
"""

from __future__ import annotations

import html
import json
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import requests
from wagtail.admin.rich_text.converters.contentstate import ContentstateConverter
from wagtail.rich_text import expand_db_html

from cms.content.models import HomePage, SectionPage
from cms.importer.anchors import HeadingIds
from cms.importer.families import detect_family, load_config
from cms.importer.markdown import markdown_to_blocks, parse_markdown
from jamtail.build.pipeline import BuildConfig, build
from tests.cms_process import imported_cms
from tests.factories import publish
from tests.importer_helpers import write_tree

REPO = Path(__file__).resolve().parents[1]

TRICKY = [
    "ABI/Layout handling (🦀)",
    "Faster Builds Initiatives (👩‍💻, 🛠️)",
    "Use `code` here",
    "*emph* text_x_ and __b__",
    'a -- b... "q" it\'s',
    "[link](http://x.y) after",
    "a &amp; b &copy; c",
    "Ünïcödé straße 日本語",
    "1. Intro: Why?",
    "Intro",
    "Intro",
    "Intro-1",
    "?",
    "?",
    "  spaced   out  ",
]
_POOL = [
    *"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" * 2,
    *"    --_.,:!?()/'\"&+=%$@~^|`",
    *["é", "ü", "ß", "Æ", "日", "本", "🦀", "💻"],
]


def random_headings(n: int, seed: int = 14) -> list[str]:
    rng = random.Random(seed)
    texts = ("".join(rng.choice(_POOL) for _ in range(rng.randint(1, 24))) for _ in range(n))
    # Not a thematic break, setext underline or list marker once stripped.
    return [t.strip() for t in texts if t.strip(" -=+")]


HEADINGS = TRICKY + random_headings(200)
DOCUMENT = "".join(f"## {h}\n\n" for h in HEADINGS)


class NoLinks:
    def link(self, href):
        return None

    def image(self, src, alt=""):
        return None

    def file_url(self, href):
        return None


def our_ids(style: str, document: str = DOCUMENT, prefix: str = "") -> list[str]:
    blocks = markdown_to_blocks(
        parse_markdown(document), NoLinks(), False, HeadingIds(style, prefix)
    )
    return [b["value"]["anchor"] for b in blocks if b["type"] == "heading"]


def ids_in(page: str) -> list[str]:
    """Each ``<h2>``'s id in order, ``""`` for one without."""
    return [html.unescape(i) for i in re.findall(r'<h2(?: id="([^"]*)")?>', page)]


def hugo_ids(kind: str, tmp_path: Path) -> list[str]:
    site = write_tree(
        tmp_path / f"hugo-{kind}",
        {
            "hugo.toml": f'baseURL = "/"\n[markup.goldmark.parser]\nautoHeadingIDType = "{kind}"\n',
            "layouts/_default/single.html": "{{ .Content }}",
            "content/p.md": "---\ntitle: p\n---\n" + DOCUMENT,
        },
    )
    subprocess.run(["hugo", "--quiet", "-s", str(site), "-d", str(site / "out")], check=True)
    return ids_in((site / "out" / "p" / "index.html").read_text())


def kramdown_ids(input_: str, prefix: str = "") -> list[str]:
    script = (
        "puts Kramdown::Document.new(STDIN.read, input: ARGV[0], auto_id_prefix: ARGV[1]).to_html"
    )
    return ids_in(
        subprocess.run(
            ["ruby", "-rkramdown", "-rkramdown-parser-gfm", "-e", script, input_, prefix],
            input=DOCUMENT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )


def has_kramdown() -> bool:
    if not shutil.which("ruby"):
        return False
    probe = ["ruby", "-rkramdown", "-rkramdown-parser-gfm", "-e", "1"]
    return subprocess.run(probe, capture_output=True).returncode == 0


needs_hugo = pytest.mark.skipif(
    not shutil.which("hugo"), reason="Debian's hugo is not installed (make system-deps)"
)
needs_kramdown = pytest.mark.skipif(
    not has_kramdown(),
    reason="Ruby's kramdown is not installed (make system-deps: ruby-kramdown-parser-gfm)",
)


# --- each style is its renderer ------------------------------------------------------


@needs_hugo
@pytest.mark.parametrize("kind", ["github", "github-ascii", "blackfriday"])
def test_hugo_styles_give_the_ids_hugo_gives(kind, tmp_path):
    assert our_ids(f"hugo-{kind}") == hugo_ids(kind, tmp_path)


@needs_kramdown
def test_jekylls_default_gives_the_ids_kramdowns_gfm_parser_gives():
    assert our_ids("kramdown-gfm", prefix="h-") == kramdown_ids("GFM", "h-")


@needs_kramdown
def test_kramdown_input_gives_the_ids_kramdown_gives():
    # kramdown's own syntax needs a blank line before a header: DOCUMENT has one.
    assert our_ids("kramdown") == kramdown_ids("kramdown")


def test_mkdocs_gives_the_ids_python_markdowns_toc_gives():
    markdown = pytest.importorskip("markdown", reason="Python-Markdown is a test dependency")
    assert our_ids("python-markdown") == ids_in(markdown.markdown(DOCUMENT, extensions=["toc"]))


def test_zola_ids_follow_the_slug_crate_and_the_rust_blogs_own_links():
    ids = HeadingIds("zola")
    # github.com/Stebalien/slug-rs, src/lib.rs tests
    assert ids("My Test String!!!1!1") == "my-test-string-1-1"
    assert ids("test\nit   now!") == "test-it-now"
    assert ids("  --test_-_cool") == "test-cool"
    assert ids("Æúű--cool?") == "aeuu-cool"
    assert ids("You & Me") == "you-me"
    assert ids("user@example.com") == "user-example-com"
    # Headings of blog.rust-lang.org and the fragments its posts link them by.
    assert ids("I-unsound issues (🦀)") == "i-unsound-issues-crab"
    assert ids("Faster Builds Initiatives (👩‍💻, 🛠️)") == (
        "faster-builds-initiatives-woman-computer-tools"
    )
    assert ids("ABI/Layout handling for the automatic differentiation feature") == (
        "abi-layout-handling-for-the-automatic-differentiation-feature"
    )
    assert ids("You & Me") == "you-me-1", "a repeated heading is counted, as Zola does"


def test_zola_safe_anchors_keep_the_text_with_underscores_for_spaces():
    assert HeadingIds("zola-safe")("ABI/Layout handling") == "ABI/Layout_handling"


def test_an_explicit_anchor_is_kept_and_never_generated_again():
    document = "## Intro {#intro}\n\n## Intro\n\n## Setup {#custom-id .class}\n"
    assert our_ids("zola", document) == ["intro", "intro-1", "custom-id"]


def test_families_without_heading_ids_leave_them_to_the_cms():
    assert our_ids("", "## Intro\n\n## Intro\n") == ["", ""]
    with pytest.raises(ValueError, match="unknown heading id style"):
        HeadingIds("pandoc")


# --- the site's settings choose the style --------------------------------------------


@pytest.mark.parametrize(
    ("files", "style", "prefix"),
    [
        ({"hugo.toml": 'baseURL = "/"\n'}, "hugo-github", ""),
        (
            {"hugo.toml": "[markup.goldmark.parser]\nautoHeadingIDType = 'blackfriday'\n"},
            "hugo-blackfriday",
            "",
        ),
        ({"hugo.yaml": "markup:\n  goldmark:\n    parser:\n      autoHeadingID: false\n"}, "", ""),
        ({"_config.yml": "title: x\n"}, "kramdown-gfm", ""),
        (
            {"_config.yml": "kramdown:\n  input: kramdown\n  auto_id_prefix: sec-\n"},
            "kramdown",
            "sec-",
        ),
        ({"_config.yml": "kramdown:\n  auto_ids: false\n"}, "", ""),
        ({"_config.yml": "markdown: CommonMark\n"}, "", ""),
        ({"config.toml": 'base_url = "https://x.org"\n'}, "zola", ""),
        ({"zola.toml": '[slugify]\nanchors = "safe"\n'}, "zola-safe", ""),
        ({"mkdocs.yml": "site_name: x\n"}, "python-markdown", ""),
        ({".eleventy.js": "module.exports = {};\n"}, "", ""),
    ],
)
def test_the_site_configuration_chooses_the_heading_id_style(tmp_path, files, style, prefix):
    root = write_tree(tmp_path / "site", {**files, "content/a.md": "# A\n", "docs/a.md": "# A"})
    config = load_config(detect_family(root), root)
    assert (config.heading_ids, config.heading_id_prefix) == (style, prefix)


def test_zola_content_copied_without_its_config_is_still_zola(tmp_path):
    """The Rust blog's content folder alone: its sections' front matter is Zola's."""
    root = write_tree(
        tmp_path / "content", {"_index.md": '+++\ntitle = "Blog"\nsort_by = "date"\n+++\n'}
    )
    assert detect_family(root) == "zola"
    hugo = write_tree(tmp_path / "hugo", {"_index.md": '+++\ntitle = "Blog"\nweight = 2\n+++\n'})
    assert detect_family(hugo) == "markdown"


# --- a page link keeps its fragment in the API and in the editor ---------------------


def without_block_keys(html_: str) -> str:
    return re.sub(r' data-block-key="[^"]*"', "", html_)


@pytest.mark.django_db
def test_a_page_links_fragment_survives_the_editor_and_reaches_the_api():
    """Wagtail's page links have no fragment; ours keep one through Draftail's
    database <-> contentstate conversion and expand to ``path#fragment``."""
    home = HomePage.objects.get(depth=2)
    blog = publish(home, SectionPage(title="Blog", slug="blog"))
    stored = f'<p>See <a linktype="page" id="{blog.id}" fragment="set-up">setting up</a>.</p>'
    editor = ContentstateConverter(features=["link"])
    state = json.loads(editor.from_database_format(stored))
    (entity,) = state["entityMap"].values()
    assert entity["data"]["fragment"] == "set-up" and entity["data"]["id"] == blog.id
    saved = editor.to_database_format(json.dumps(state))
    assert without_block_keys(saved) == stored, "saved back unchanged"
    assert 'href="/blog/#set-up"' in expand_db_html(stored)
    plain = f'<p><a linktype="page" id="{blog.id}">blog</a></p>'
    assert (
        without_block_keys(editor.to_database_format(editor.from_database_format(plain))) == plain
    )
    assert 'href="/blog/"' in expand_db_html(plain)


# --- end to end: an old link to a heading still lands on it -------------------------


@pytest.mark.slow
def test_an_old_fragment_link_resolves_in_the_built_site(tmp_path):
    """A Zola post links to another's heading as the old site named it; after import and
    build, the heading has that id and the build reports no broken link."""
    source = write_tree(
        tmp_path / "content",
        {
            "_index.md": '+++\ntitle = "Blog"\nsort_by = "date"\n+++\n',
            "gsoc.md": (
                '+++\ntitle = "GSoC results"\ndate = 2025-11-18\n+++\n\n'
                "## ABI/Layout handling (🦀)\n\nText.\n\n## Results\n\n## Results\n"
            ),
            "later.md": (
                '+++\ntitle = "Later"\ndate = 2025-11-19\n+++\n\n'
                "See [ABI work](@/gsoc.md#abi-layout-handling-crab) and "
                "[the second results](../gsoc/#results-1).\n"
            ),
        },
    )
    cms = imported_cms(tmp_path / "cms", source, "--slug", "blog")
    try:
        items = requests.get(
            cms.api_url + "pages/",
            params={"type": "content.ArticlePage", "slug": "gsoc", "fields": "body"},
            timeout=30,
        ).json()["items"]
        anchors = [b["value"]["anchor"] for b in items[0]["body"] if b["type"] == "heading"]
        assert anchors == ["abi-layout-handling-crab", "results", "results-1"]
        out = tmp_path / "site" / "build"
        result = build(BuildConfig(cms.api_url, out, REPO / "site", out.parent / "cache"))
    finally:
        cms.stop()
    later = (out / "blog" / "later" / "index.html").read_text()
    assert 'href="/blog/gsoc/#abi-layout-handling-crab"' in later
    gsoc = (out / "blog" / "gsoc" / "index.html").read_text()
    assert 'id="abi-layout-handling-crab"' in gsoc and 'id="results-1"' in gsoc
    assert result.broken_links == [], "every fragment link names a heading of the built page"
