"""The build's named stages (jamtail/build/pipeline.py), each callable alone with typed results,
and the outputs' declared capabilities (jamtail/outputs/)."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from jamtail.build.pipeline import (
    BuildConfig,
    BuildResult,
    Run,
    build,
    files_stage,
    links_stage,
    outputs_stage,
    plan_stage,
    render_stage,
    sync_stage,
    write_stage,
)
from jamtail.content.client import CMSClient
from jamtail.content.sync import read_content
from jamtail.outputs import OUTPUTS
from jamtail.outputs.search import build_search_index, update_search_index
from jamtail.write.writer import Writer
from tests.factories import demo_site

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def config_in(api_url: str, directory: Path) -> BuildConfig:
    return BuildConfig(
        api_url=api_url,
        out_dir=directory / "build",
        site_dir=REPO / "site",
        cache_dir=directory / "cache",
        jobs=1,
    )


def snapshot(directory: Path) -> dict[str, str]:
    return {
        p.relative_to(directory).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != ".jamtail-manifest.json"
    }


def test_the_stages_run_one_by_one_build_the_site_build_builds(live_server, tmp_path):
    demo_site(per_page=2)
    api_url = f"{live_server.url}/api/v2/"
    whole = config_in(api_url, tmp_path / "whole")
    build(whole)

    config = config_in(api_url, tmp_path / "staged")
    run = Run(config, CMSClient(api_url), BuildResult(), None, time.perf_counter())
    delta = sync_stage(run)
    content = delta.gathered or read_content(config.cache_dir)
    planned = plan_stage(run, content)
    assert planned.previous.graph is None and planned.previous.why_full
    assert len(planned.decision.render) == len(planned.site_plan.outputs)
    writer = Writer(config.out_dir)
    rendered = render_stage(run, planned, writer)
    assert len(rendered.outputs) == len(planned.site_plan.outputs)
    generated = outputs_stage(run, planned, writer)
    assert [name for name in generated] == [g.name for g in OUTPUTS]
    assert "sitemap.xml" in generated["sitemap"].paths
    files_stage(run, planned, writer)
    links = links_stage(run, writer, "", None)
    assert not config.out_dir.exists(), "nothing is live before the write stage"
    write_stage(run, planned, rendered, generated, links, delta, writer)

    assert snapshot(config.out_dir) == snapshot(whole.out_dir)
    assert {"localise", "plan", "render", "outputs", "media", "links", "graph"} <= set(
        run.result.timings
    )


def test_only_the_search_index_declares_an_incremental_form():
    declared = {g.name: g.update for g in OUTPUTS if g.update is not None}
    assert declared == {"search": update_search_index}
    assert next(g for g in OUTPUTS if g.name == "search").build is build_search_index
    assert not hasattr(build_search_index, "update"), "capabilities are declared, not attached"
