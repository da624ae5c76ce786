"""The fragment cache: a page's card is rendered once per page version and reused,
byte-equal to calling the macro, and reuses still record the templates it loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from jamtail.plan.planner import Output
from jamtail.render.renderer import Renderer

MACROS = """\
{% macro card(entry, level=2) %}<h{{ level }}>{{ entry.title }}</h{{ level }}>\
{% include "tags.html" %}{% endmacro %}
{% macro direct(entries) %}{% for e in entries %}{{ card(e, 3) }}{% endfor %}{% endmacro %}
{% macro cached(entries) %}{% for e in entries %}{{ fragment(card, e, 3) }}{% endfor %}\
{% endmacro %}
"""


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    (tmp_path / "macros.html").write_text(MACROS)
    (tmp_path / "tags.html").write_text("{% for t in entry.tags %}<i>{{ t }}</i>{% endfor %}")
    (tmp_path / "direct.html").write_text('{% import "macros.html" as m %}{{ m.direct(entries) }}')
    (tmp_path / "cached.html").write_text('{% import "macros.html" as m %}{{ m.cached(entries) }}')
    return tmp_path


def pages() -> list[dict]:
    return [
        {"id": 1, "title": "A & B", "tags": ["<x>", "y"]},
        {"id": 2, "title": "Second", "tags": []},
    ]


def output(template: str, entries: list[dict], path: str = "x/index.html") -> Output:
    return Output(path, template, {"entries": entries}, "test")


def test_cached_fragments_are_byte_equal_to_the_macro_and_rendered_once(templates: Path):
    renderer = Renderer(templates, {}, lambda p: p)
    entries = pages()
    renderer.fragments.page_keys = {1: "h1", 2: "h2"}
    direct = renderer.render(output("direct.html", entries))
    assert "A &amp; B" in direct and "<i>&lt;x&gt;</i>" in direct
    first = renderer.render(output("cached.html", entries))
    assert renderer.fragments.hits == 0
    second, loads = renderer.render_tracked(output("cached.html", list(reversed(entries))))
    assert first == direct
    assert renderer.fragments.hits == 2
    assert second == renderer.render(output("direct.html", list(reversed(entries))))
    # The include inside the macro ran only on the first rendering; the reuse
    # still reports it, so the output's graph record depends on tags.html.
    assert loads == {"cached.html", "macros.html", "tags.html"}


def test_a_new_page_version_is_rendered_anew(templates: Path):
    renderer = Renderer(templates, {}, lambda p: p)
    renderer.fragments.page_keys = {1: "h1", 2: "h2"}
    before = renderer.render(output("cached.html", pages()))
    changed = pages()
    changed[0]["title"] = "Renamed"
    renderer.fragments.page_keys = {1: "h1-new", 2: "h2"}
    after = renderer.render(output("cached.html", changed))
    assert "Renamed" in after and "A &amp; B" in before
    assert after == renderer.render(output("direct.html", changed))


def test_pages_without_a_known_hash_are_keyed_by_identity(templates: Path):
    renderer = Renderer(templates, {}, lambda p: p)
    a, b = pages(), pages()
    b[0]["title"] = "Other"
    assert "A &amp; B" in renderer.render(output("cached.html", a))
    assert "Other" in renderer.render(output("cached.html", b))


def test_fragment_needs_a_macro(templates: Path):
    (templates / "bad.html").write_text("{{ fragment('card', entries[0]) }}")
    renderer = Renderer(templates, {}, lambda p: p)
    with pytest.raises(Exception, match="fragment\\(\\) takes a macro first"):
        renderer.render(output("bad.html", pages()))


def test_the_builder_fingerprint_reads_the_rendering_code_where_it_lives():
    # After the package regroup it looked in jamtail/plan/ and every build failed.
    from jamtail.plan import incremental

    for part in (*incremental.RENDER_CODE, *incremental.GENERATOR_CODE):
        assert (incremental.PACKAGE_DIR / part).exists(), part
    assert (incremental.PACKAGE_DIR / "render" / "renderer.py").samefile(
        Path(__file__).resolve().parents[1] / "jamtail" / "render" / "renderer.py"
    )


def test_attribute_lookups_on_dicts_answer_as_jinja2s_own():
    import jinja2

    source = (
        "{{ d.title }}|{{ d.missing }}|{{ d.items is callable }}|{{ d['items'] }}|"
        "{{ s.title }}|{{ l.pop is callable }}|{{ o.real }}|{{ d.get('title') }}"
    )
    values = {
        "d": {"title": "T & <b>", "items": "shadowed by dict.items"},
        "s": {"title": "sub"},
        "l": [1],
        "o": 3,
    }

    class Sub(dict):
        title = "class attribute first"

    values["s"] = Sub(values["s"])
    plain = jinja2.Environment(autoescape=True).from_string(source).render(values)
    renderer = Renderer(Path("/nonexistent"), {}, lambda p: p)
    ours = renderer.env.from_string(source).render(values)
    assert ours == plain
    assert ours.startswith("T &amp; &lt;b&gt;||True|shadowed by dict.items|class attribute first|")
