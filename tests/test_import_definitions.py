"""Definition lists (``Term`` then ``: Definition``) import as a ``definitions`` block.

Hugo (goldmark's definitionList, on by default), Jekyll's kramdown and MkDocs with
``def_list`` read that syntax as ``<dl>``; CommonMark reads it as a paragraph, so
families whose renderer lacks it keep the paragraph. Each term keeps its inline
Markdown; with Hugo's ``autoDefinitionTermID`` it gets the id Hugo gives it, and
old links to ``#cachedir`` land on it.
"""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

import pytest
import requests

from cms.content.blocks import heading_html
from cms.importer.anchors import HeadingIds
from cms.importer.families import detect_family, load_config
from cms.importer.markdown import markdown_to_blocks, parse_markdown
from jamtail.build.pipeline import BuildConfig, build
from jamtail.search.text import block_text
from tests.cms_process import imported_cms
from tests.importer_helpers import write_tree
from tests.test_import_anchors import NoLinks, needs_kramdown

REPO = Path(__file__).resolve().parents[1]

SETTINGS = """\
## Settings

`cacheDir`
: (`string`) The designated cache directory.

  See [the caches](https://example.org/caches).

**Build drafts**
: Whether to build drafts.
: Default is `false`.

After the list.
"""


def blocks_of(markdown: str, lists: bool = True, ids: HeadingIds | None = None) -> list[dict]:
    return markdown_to_blocks(parse_markdown(markdown, lists), NoLinks(), False, ids)


def test_a_definition_list_becomes_one_block_of_terms_and_their_definitions():
    heading, definitions, after = blocks_of(SETTINGS, ids=HeadingIds("hugo-github", terms=True))
    assert heading["value"]["anchor"] == "settings"
    assert definitions == {
        "type": "definitions",
        "value": [
            {
                "term": "`cacheDir`",
                "anchor": "cachedir",
                "definition": "<p>(<code>string</code>) The designated cache directory.</p>\n"
                '<p>See <a href="https://example.org/caches">the caches</a>.</p>',
            },
            {
                "term": "**Build drafts**",
                "anchor": "build-drafts",
                "definition": (
                    "<p>Whether to build drafts.</p><p>Default is <code>false</code>.</p>"
                ),
            },
        ],
    }, "two definitions of one term merge; the term keeps its inline Markdown"
    assert after == {"type": "paragraph", "value": "<p>After the list.</p>"}


def test_terms_have_no_id_unless_the_site_asks_for_them():
    _heading, definitions, _after = blocks_of(SETTINGS, ids=HeadingIds("hugo-github"))
    assert [item["anchor"] for item in definitions["value"]] == ["", ""]


def test_a_renderer_without_definition_lists_keeps_the_paragraph_as_commonmark_does():
    types = [b["type"] for b in blocks_of(SETTINGS, lists=False)]
    assert types == ["heading", "paragraph"]
    assert ": (<code>string</code>) The designated" in blocks_of(SETTINGS, lists=False)[1]["value"]


def test_a_definition_list_inside_a_quote_is_bold_terms_and_paragraphs_in_its_rich_text():
    (quote,) = blocks_of("> Term\n> : Meaning\n>\n> Loose\n>\n> : Loose meaning\n")
    assert quote["value"]["text"] == (
        "<p><b>Term</b></p><p>Meaning</p><p><b>Loose</b></p><p>Loose meaning</p>"
    )


@needs_kramdown
def test_terms_and_definitions_are_those_kramdown_reads():
    """The same Markdown through Ruby's kramdown (Jekyll's renderer): the same terms,
    each with the same definition text."""
    out = subprocess.run(
        ["ruby", "-rkramdown", "-e", "puts Kramdown::Document.new(STDIN.read).to_html"],
        input=SETTINGS,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    theirs = [
        (text_of(term), " ".join(text_of(d) for d in re.findall(r"<dd>(.*?)</dd>", rest, re.S)))
        for term, rest in re.findall(r"<dt>(.*?)</dt>(.*?)(?=<dt>|</dl>)", out, re.S)
    ]
    (_h, definitions, _a) = blocks_of(SETTINGS)
    ours = [
        (text_of(heading_html(item["term"])), text_of(item["definition"]))
        for item in definitions["value"]
    ]
    assert ours == theirs


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


@pytest.mark.parametrize(
    ("files", "lists", "term_ids"),
    [
        ({"hugo.toml": 'title = "x"\n'}, True, False),
        (
            {"hugo.toml": "[markup.goldmark.parser]\nautoDefinitionTermID = true\n"},
            True,
            True,
        ),
        ({"hugo.toml": "[markup.goldmark.extensions]\ndefinitionList = false\n"}, False, False),
        ({"_config.yml": "title: x\n"}, True, False),
        ({"_config.yml": "markdown: CommonMark\n"}, False, False),
        (
            {"mkdocs.yml": "markdown_extensions:\n  - def_list\n  - toc:\n      permalink: true\n"},
            True,
            False,
        ),
        ({"mkdocs.yml": "site_name: x\n"}, False, False),
        ({"zola.toml": "[markdown]\ndefinition_list = true\n"}, True, False),
        ({"config.toml": 'base_url = "https://x.org"\n'}, False, False),
        ({".eleventy.js": "module.exports = {};\n"}, False, False),
    ],
)
def test_the_site_configuration_says_whether_definition_lists_are_read(
    tmp_path, files, lists, term_ids
):
    root = write_tree(tmp_path / "site", {**files, "content/a.md": "# A\n", "docs/a.md": "# A"})
    config = load_config(detect_family(root), root)
    assert (config.definition_lists, config.definition_term_ids) == (lists, term_ids)


def test_the_search_text_has_each_term_and_its_definition():
    block = {
        "type": "definitions",
        "value": [{"term": "cacheDir", "term_html": "<code>cacheDir</code>", "anchor": "",
                   "definition": "<p>The <b>cache</b> directory.</p>"}],
    }  # fmt: skip
    assert block_text(block) == "cacheDir The cache directory."


@pytest.mark.slow
def test_an_imported_definition_list_is_in_the_api_and_the_built_page_and_links_land_on_terms(
    tmp_path,
):
    source = write_tree(
        tmp_path / "site",
        {
            "hugo.toml": "[markup.goldmark.parser]\nautoDefinitionTermID = true\n",
            "content/docs/_index.md": "---\ntitle: Docs\n---\n",
            "content/docs/all.md": "---\ntitle: All settings\n---\n" + SETTINGS,
            "content/docs/caches.md": (
                "---\ntitle: Caches\n---\nSet [`cacheDir`](/docs/all/#cachedir) first.\n"
            ),
        },
    )
    cms = imported_cms(tmp_path / "cms", source)
    try:
        (page,) = requests.get(
            cms.api_url + "pages/",
            params={"type": "content.StandardPage", "slug": "all", "fields": "body"},
            timeout=30,
        ).json()["items"]
        (definitions,) = [b["value"] for b in page["body"] if b["type"] == "definitions"]
        assert definitions[0]["term"] == "cacheDir"
        assert definitions[0]["term_html"] == "<code>cacheDir</code>"
        assert definitions[0]["anchor"] == "cachedir"
        assert definitions[1]["term_html"] == "<strong>Build drafts</strong>"
        out = tmp_path / "out" / "build"
        result = build(BuildConfig(cms.api_url, out, REPO / "site", out.parent / "cache"))
    finally:
        cms.stop()
    docs = out / "site" / "docs"  # the import's top page is named after its folder
    page_html = (docs / "all" / "index.html").read_text()
    assert '<dl class="definitions">' in page_html
    assert '<dt id="cachedir"><code>cacheDir</code></dt>' in page_html
    assert "<dd><p>Whether to build drafts.</p><p>Default is <code>false</code>.</p></dd>" in (
        page_html
    )
    caches = (docs / "caches" / "index.html").read_text()
    assert 'href="/site/docs/all/#cachedir"' in caches, "the old address, read as its page"
    assert result.broken_links == []
