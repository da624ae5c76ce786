"""Code is highlighted at build time, and the work is kept between builds."""

from __future__ import annotations

from jamtail.render import highlight
from jamtail.render.highlight import HighlightCache, code_blocks, highlight_code


def test_known_languages_get_token_classes():
    html = highlight_code("fn main() {}", "Rust")
    assert html.startswith('<div class="highlight"><pre><code class="language-rust">')
    assert '<span class="k">fn</span>' in html


def test_unknown_or_missing_languages_are_escaped_plain_text():
    assert "&lt;script&gt;" in highlight_code("<script>", "no-such-language")
    assert (
        highlight_code("<b>", "")
        == '<div class="highlight"><pre><code>&lt;b&gt;</code></pre></div>'
    )


def test_results_survive_between_builds(tmp_path):
    path = tmp_path / "highlight.sqlite3"
    first = HighlightCache(path)
    first.prime([("print('persisted')", "python")])
    first.save()
    highlight._CACHE.clear()  # a new build process starts empty
    second = HighlightCache(path)
    second.load()
    key = highlight._key("print('persisted')", "python")
    assert key in second.loaded
    assert "persisted" in highlight._CACHE[key]


def test_code_blocks_are_found_in_page_bodies():
    pages = [
        {"body": [{"type": "code", "value": {"code": "x = 1", "language": "python"}}]},
        {"body": [{"type": "paragraph", "value": "<p>x</p>"}]},
        {"title": "no body"},
    ]
    assert list(code_blocks(pages)) == [("x = 1", "python")]
