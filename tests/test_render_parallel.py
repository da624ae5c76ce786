"""Rendering on every core (jamtail/render/parallel.py): what the parent keeps of each output."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from jamtail.plan.planner import Output
from jamtail.render.parallel import CHUNK, LinkScan, render_to_paths
from jamtail.render.renderer import Renderer

PAGE = """<!doctype html><title>{{ n }}</title><nav id="top"><a href="/">Home</a>
<a href="/tags/rust/">Rust</a></nav><main id="main"><a href="/posts/{{ n }}/">me</a></main>"""


@pytest.mark.parametrize("jobs", [1, 2])
def test_every_output_is_written_and_its_links_share_one_string_per_distinct_link(
    tmp_path: Path, jobs: int
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "page.html").write_text(PAGE)
    renderer = Renderer(templates, {"name": "Test"}, lambda path: path)
    count = 3 * CHUNK  # several chunks, so several workers' results
    outputs = [
        Output(f"posts/{n}/index.html", "page.html", {"n": n}, f"page {n}") for n in range(count)
    ]
    paths = [tmp_path / "out" / o.path for o in outputs]
    for path in paths:
        path.parent.mkdir(parents=True)
    scan = LinkScan("https://example.org", [f"/posts/{n}/" for n in range(count)])

    done = render_to_paths(renderer, outputs, paths, jobs, scan=scan)

    for n, (path, result) in enumerate(zip(paths, done, strict=True)):
        assert result.entry.sha1 == hashlib.sha1(path.read_bytes()).hexdigest()
        assert result.links is not None
        assert set(result.links.links) == {"/", "/tags/rust/", f"/posts/{n}/"}
        assert result.links.ids == {"top", "main"}
        assert result.templates == ("page.html",)
    # The parent holds every output's links until the link check: the links and ids
    # all pages share are one object each, however many workers made them.
    first, last = done[0], done[-1]
    assert first.links is not None and last.links is not None
    tag = first.links.links.index("/tags/rust/")
    assert first.links.links[tag] is last.links.links[last.links.links.index("/tags/rust/")]
    assert first.links.ids is last.links.ids  # the same set of ids: one frozenset
    assert first.templates[0] is last.templates[0]
