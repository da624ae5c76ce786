"""Markdown tables keep column alignment and header markup, from source to built page.

GFM alignment (``:--``, ``:-:``, ``--:``) becomes the column's type (``text_left``,
``text_center``, ``text_right``) in the table block, the API's ``align`` and, in the
built page, an ``align-*`` class: the site's CSP (jamtail/security.py) allows no inline
``style`` attributes. Header cells keep their inline Markdown (bold, code, links).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from cms.content.blocks import heading_html, heading_text, markdown_escape
from cms.importer.markdown import markdown_to_blocks, parse_markdown
from jamtail.build.pipeline import BuildConfig, build
from jamtail.security import CSP
from tests.cms_process import imported_cms
from tests.importer_helpers import write_tree

REPO = Path(__file__).resolve().parents[1]

TABLE = """\
| **Name** | `Code` | [Docs](https://example.org/docs) | Plain |
|:---------|:------:|-------------------------------:|-------|
| a        | **b**  | `c`                             | d     |
"""


class NoLinks:
    def page_link(self, href):
        return None

    def image(self, src):
        return None

    def file_url(self, href):
        return None


def test_alignment_becomes_the_column_type_and_headings_keep_their_markdown():
    (table,) = markdown_to_blocks(parse_markdown(TABLE), NoLinks())
    assert table["value"]["columns"] == [
        {"type": "text_left", "heading": "**Name**"},
        {"type": "text_center", "heading": "`Code`"},
        {"type": "text_right", "heading": "[Docs](https://example.org/docs)"},
        {"type": "text", "heading": "Plain"},
    ]
    assert table["value"]["rows"] == [
        {"values": ["<p>a</p>", "<p><b>b</b></p>", "<p><code>c</code></p>", "<p>d</p>"]}
    ]


def test_a_heading_renders_its_inline_markdown_and_nothing_unsafe():
    assert heading_html("**Name** and `x_y`") == "<strong>Name</strong> and <code>x_y</code>"
    assert heading_text("**Name** and `x_y`") == "Name and x_y"
    assert heading_html("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert 'href="javascript' not in heading_html("[x](javascript:alert(1))")
    plain = "a*b*c & <d> [e](f) `g` \\"
    assert heading_text(markdown_escape(plain)) == plain, "escaped plain text reads back"


@pytest.mark.slow
def test_an_imported_table_is_aligned_and_marked_up_in_the_api_and_the_built_page(tmp_path):
    source = write_tree(
        tmp_path / "src",
        {
            "_index.md": '+++\ntitle = "Blog"\n+++\n',
            "tables.md": f'+++\ntitle = "Tables"\ndate = 2024-01-02\n+++\n\n{TABLE}',
        },
    )
    cms = imported_cms(tmp_path / "cms", source, "--slug", "blog")
    try:
        pages = requests.get(
            cms.api_url + "pages/", params={"type": "content.ArticlePage", "fields": "body"}
        ).json()["items"]
        (table,) = [b["value"] for b in pages[0]["body"] if b["type"] == "table"]
        assert [(c["align"], c["heading"], c["heading_html"]) for c in table["columns"]] == [
            ("left", "Name", "<strong>Name</strong>"),
            ("center", "Code", "<code>Code</code>"),
            (
                "right",
                "Docs",
                '<a href="https://example.org/docs" rel="noopener noreferrer">Docs</a>',
            ),
            ("", "Plain", "Plain"),
        ]
        out = tmp_path / "site" / "build"
        build(BuildConfig(cms.api_url, out, REPO / "site", out.parent / "cache"))
    finally:
        cms.stop()
    html = (out / "blog" / "tables" / "index.html").read_text()
    thead = re.search(r"<thead>.*?</thead>", html, re.DOTALL)
    assert thead
    assert '<th scope="col" class="align-left"><strong>Name</strong></th>' in thead.group()
    assert '<th scope="col" class="align-center"><code>Code</code></th>' in thead.group()
    assert 'class="align-right"><a href="https://example.org/docs"' in thead.group()
    assert '<th scope="col">Plain</th>' in thead.group()
    assert '<td class="align-center"><p><b>b</b></p></td>' in html
    assert '<td class="align-right"><p><code>c</code></p></td>' in html
    assert "style-src 'self'" in CSP and "unsafe-inline" not in CSP
    assert " style=" not in html, "the CSP forbids inline style attributes"
    stylesheet = re.search(r'<link rel="stylesheet" href="/(static/css/site\.[^"]+)">', html)
    assert stylesheet
    css = (out / stylesheet.group(1)).read_text()
    assert "td.align-center { text-align: center; }" in css
