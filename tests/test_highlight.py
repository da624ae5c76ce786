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


def test_many_blocks_are_highlighted_on_forked_workers_as_one_process_would(tmp_path):
    blocks = [
        (f"let x{n} = {n};", "Rust" if n % 2 else "") for n in range(highlight.PARALLEL_BLOCKS)
    ]
    highlight._CACHE.clear()
    assert HighlightCache(tmp_path / "h.sqlite3").prime(blocks, jobs=2) == len(blocks)
    forked = dict(highlight._CACHE)
    highlight._CACHE.clear()
    assert HighlightCache(tmp_path / "h.sqlite3").prime(blocks * 2, jobs=1) == len(blocks)
    assert forked == highlight._CACHE
    assert HighlightCache(tmp_path / "h.sqlite3").prime(blocks, jobs=2) == 0
    assert highlight_code(*blocks[1]) == forked[highlight._key(blocks[1][0], "rust")]
