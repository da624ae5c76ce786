"""Planning content files in forked workers (cms/importer/parallel.py) changes nothing but speed.

The outcomes come back in file order and equal a plain loop's, Markdown tokens
included; a file that fails fails alone; a worker that dies or cannot hand a
page back loses nothing, because the calling process plans those files again.
Pausing the garbage collector during an import (jamtail/collector.py) is
undone after it, errors included.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from cms.importer import parallel
from cms.importer.errors import SourceError
from cms.importer.markdown import parse_markdown
from cms.importer.plan import plan_import
from tests.importer_helpers import write_tree

MARKDOWN = """\
# Title {n}

A paragraph with **bold**, `code`, a [link](../other.md "title") and a footnote.[^1]

| left | right |
|:-----|------:|
| a    | b     |

- one
  ```rust
  fn main() {{}}
  ```
- two <span class="x">html</span> https://example.org/{n}

[^1]: The note.
"""


def planned(path: Path, rel: str):
    """A stand-in ``plan_one``: the parse of the file, as the planner's pages carry it."""
    from cms.importer.frontmatter import parse_document
    from cms.importer.plan import PlannedPage

    text = path.read_text()
    if "FAIL" in text:
        raise SourceError(rel, "this file fails")
    doc = parse_document(text, rel)
    return PlannedPage(
        key=rel,
        rel_path=rel,
        kind="article",
        parent_key=None,
        slug=path.stem,
        title=rel,
        doc=doc,
        tokens=parse_markdown(doc.body),
        base_dir=path.parent,
        source_url=f"/planned-by/{os.getpid()}/",
    )


@pytest.fixture
def jobs(tmp_path):
    files = {f"post-{n:03d}.md": MARKDOWN.format(n=n) for n in range(60)}
    files["post-017.md"] = "FAIL\n"
    write_tree(tmp_path, files)
    return [(tmp_path / name, name) for name in sorted(files)]


def test_workers_return_what_a_plain_loop_does_in_file_order(jobs):
    def slow(path: Path, rel: str):
        time.sleep(0.01)  # so a worker gets files to plan even on a busy machine
        return planned(path, rel)

    alone = parallel.plan_files(planned, jobs, workers=0)
    shared = parallel.plan_files(slow, jobs, workers=2)
    assert [type(o) for o in shared] == [type(o) for o in alone]
    planners = {o.source_url for o in shared if not isinstance(o, SourceError)}
    assert len(planners) > 1, "a worker planned some of the files"
    for one, other in zip(alone, shared, strict=True):
        if isinstance(one, SourceError):
            assert str(one) == str(other)
        else:
            assert other.rel_path == one.rel_path
            assert other.doc == one.doc
            assert other.tokens == one.tokens  # every field of every token, children too


def test_a_file_that_fails_is_reported_and_the_rest_plan(jobs):
    outcomes = parallel.plan_files(planned, jobs, workers=2)
    failed = [o for o in outcomes if isinstance(o, SourceError)]
    assert [str(f) for f in failed] == ["post-017.md: this file fails"]
    assert sum(not isinstance(o, SourceError) for o in outcomes) == len(jobs) - 1


def test_a_worker_that_dies_loses_no_file(jobs):
    parent = os.getpid()

    def dies_in_a_worker(path: Path, rel: str):
        if os.getpid() != parent:
            os._exit(9)  # killed mid-plan: nothing is handed back
        return planned(path, rel)

    outcomes = parallel.plan_files(dies_in_a_worker, jobs, workers=2)
    rels = [o.path if isinstance(o, SourceError) else o.rel_path for o in outcomes]
    assert rels == [rel for _, rel in jobs]


def test_an_unexpected_error_in_a_worker_is_raised_by_the_caller(jobs):
    def breaks_on_one(path: Path, rel: str):
        if rel == "post-042.md":
            raise RuntimeError("a bug")
        return planned(path, rel)

    with pytest.raises(RuntimeError, match="a bug"):
        parallel.plan_files(breaks_on_one, jobs, workers=2)


def test_a_small_import_plans_without_forking(jobs, monkeypatch):
    def no_workers(*args):
        raise AssertionError("forked for a few files")

    monkeypatch.setattr(parallel, "_plan_with_workers", no_workers)
    assert len(parallel.plan_files(planned, jobs[: parallel.MIN_JOBS - 1])) == len(jobs)


def test_a_site_planned_with_workers_equals_one_planned_without(tmp_path, monkeypatch):
    files = {"_index.md": "---\ntitle: Blog\n---\n"}
    for n in range(parallel.MIN_JOBS + 10):
        files[f"posts/p{n}.md"] = f"---\ntitle: P{n}\ndate: 2024-01-02\n---\n" + MARKDOWN.format(
            n=n
        )
    write_tree(tmp_path, files)
    monkeypatch.setattr(parallel, "_usable_cpus", lambda: 3)
    shared = plan_import(tmp_path)
    monkeypatch.setattr(parallel, "_usable_cpus", lambda: 1)
    alone = plan_import(tmp_path)
    assert [(p.key, p.digest, p.images) for p in shared.pages] == [
        (p.key, p.digest, p.images) for p in alone.pages
    ]
    assert [p.tokens for p in shared.pages] == [p.tokens for p in alone.pages]


def test_the_collector_is_paused_inside_and_restored_after_even_when_nested():
    import gc

    from jamtail.collector import collector_paused

    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled(), "an inner block does not resume it early"
    assert gc.isenabled()
    with pytest.raises(ValueError), collector_paused():
        raise ValueError
    assert gc.isenabled(), "resumed after an error too"
