"""Sync while editors publish: no change is missed (real CMS processes, SQLite and PostgreSQL).

Editors are separate processes (tests/sync_writer.py) writing to the CMS's
database while this test syncs over HTTP from a gunicorn CMS, so commits
really interleave with the sync's reads.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from jamtail.content.client import CMSClient
from jamtail.content.gather import gather
from jamtail.content.sync import sync_content
from tests.cms_process import REPO, CMSProcess

pytestmark = pytest.mark.slow

POSTGRES = os.environ.get("JAMTAIL_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(POSTGRES, connect_timeout=2):
            return True
    except Exception:
        return False


class Editors:
    """Start editor processes against ``cms``'s database."""

    def __init__(self, cms: CMSProcess):
        self.cms = cms

    def start(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, str(REPO / "tests" / "sync_writer.py"), *args],
            cwd=REPO,
            env=self.cms.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, *args: str) -> str:
        process = self.start(*args)
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err[-3000:]
        return out


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def cms(request, tmp_path_factory):
    """A migrated CMS with a Blog and an Archive section, on SQLite or PostgreSQL."""
    database_url = None
    name = ""
    if request.param == "postgresql":
        if not postgres_available():
            pytest.skip(f"PostgreSQL not reachable at {POSTGRES} (set JAMTAIL_TEST_POSTGRES)")
        import psycopg

        name = f"jamtail_sync_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(POSTGRES, autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        database_url = POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    process = CMSProcess(tmp_path_factory.mktemp(f"sync-{request.param}"), database_url)
    process.env["JAMTAIL_SYNC_PAGE_SIZE"] = "7"  # every sync takes several pages
    try:
        process.manage("migrate", "--no-input", "-v0")
        process.section_id = int(Editors(process).run("setup").strip().splitlines()[-1])
        process.start()
        yield process
    finally:
        process.stop()
        if name:
            import psycopg

            with psycopg.connect(POSTGRES, autocommit=True) as db:
                db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_syncs_running_while_editors_publish_miss_nothing(cms, tmp_path):
    editors = Editors(cms)
    client = CMSClient(cms.api_url)
    writers = [editors.start("churn", str(cms.section_id), "25", str(seed)) for seed in (1, 2, 3)]
    syncs = 0
    try:
        while any(w.poll() is None for w in writers) or syncs == 0:
            sync_content(client, tmp_path)  # the first one is a full sync
            syncs += 1
    finally:
        for writer in writers:
            _, err = writer.communicate(timeout=600)
            assert writer.returncode == 0, err[-3000:]
            sys.stderr.write(err)  # the editors' retries, if any (shown with -s)
    content, delta = sync_content(client, tmp_path)
    assert not delta.full
    fresh = gather(client)
    assert syncs >= 3
    assert [p["id"] for p in content.pages] == [p["id"] for p in fresh.pages]
    assert content == fresh


def test_a_transaction_that_commits_late_is_still_seen(cms, tmp_path):
    """A slow transaction takes its place in the log before a faster one that commits first."""
    editors = Editors(cms)
    client = CMSClient(cms.api_url)
    sync_content(client, tmp_path)
    ready, release = tmp_path / "ready", tmp_path / "release"
    slow = editors.start("hold", str(cms.section_id), "Slow editor", str(ready), str(release))
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert slow.poll() is None, slow.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "the slow editor never got going"
            time.sleep(0.05)
        fast = editors.start("publish", str(cms.section_id), "Fast editor")
        time.sleep(1.0)  # the fast editor's change is written, waiting for the slow one
        content, delta = sync_content(client, tmp_path)
        titles = {p["title"] for p in content.pages}
        assert "Slow editor" not in titles and "Fast editor" not in titles
        # The fast editor's change log rows wait for the slow editor's commit
        # (the clock row's lock on PostgreSQL, the write lock on SQLite).
        assert fast.poll() is None
    finally:
        release.touch()
    for process in (slow, fast):
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err[-3000:]
    content, delta = sync_content(client, tmp_path)
    titles = {p["title"] for p in content.pages}
    assert {"Slow editor", "Fast editor"} <= titles
    assert len(delta.ids("page", "created")) == 2
    assert content == gather(client)


def test_the_sync_endpoint_refuses_a_forged_cursor_over_http(cms):
    response = requests.get(cms.api_url + "sync/", params={"cursor": "forged:cursor"}, timeout=10)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"
    assert Path(response.json()["full_sync_url"]).name == "sync"
