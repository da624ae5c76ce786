"""Shared fixtures: isolated data directories, the corpus, real CMS processes, Chromium."""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.corpora import missing_message, rust_blog_content

# Schemathesis's pytest plugin imports its report writers in pytest_sessionfinish,
# where pytest's assertion rewriting parses them. CPython 3.11.7 sometimes fails
# that parse with "SystemError: AST constructor recursion depth mismatch"
# (python/cpython#106905, fixed in 3.11.8; pytest-dev/pytest#10763), failing a
# session whose tests all passed. Imported here, at start-up, they are not parsed then.
for _writer in ("allure", "html.writer", "junitxml"):
    with contextlib.suppress(ImportError):  # allure's is optional
        importlib.import_module(f"schemathesis.reporting.{_writer}")

# Before Django reads its settings: never touch the developer's database or media.
_DATA_DIR = tempfile.mkdtemp(prefix="jamtail-test-data-")
os.environ["JAMTAIL_DATA_DIR"] = _DATA_DIR
os.environ.setdefault("MEDIA_ROOT", str(Path(_DATA_DIR) / "media"))
# Background tasks run inline in the unit tests and in CMS processes that start
# no worker; the publishing end-to-end tests run the database backend and its worker.
os.environ.setdefault("JAMTAIL_TASKS_BACKEND", "immediate")


def pytest_configure(config):
    """pytest-django may read the settings before this module sets the variable above."""
    from django.conf import settings
    from django.core.signals import setting_changed

    backend = settings.TASK_BACKENDS[os.environ["JAMTAIL_TASKS_BACKEND"]]
    settings.TASKS = {"default": {"BACKEND": backend}}
    setting_changed.send(sender=None, setting="TASKS", value=settings.TASKS, enter=True)


# The fixtures through which a test reaches Django's test database.
_DATABASE_FIXTURES = frozenset(
    {
        "db",
        "transactional_db",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
        "live_server",
    }
)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark each test that touches the database ``database``: the PostgreSQL run selects those.

    A test that never opens a connection runs the same on either engine, so
    running it again there only costs CI time.
    """
    for item in items:
        if item.get_closest_marker("django_db") or _DATABASE_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.database)


REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Each test rolls its database back; cached renditions must not outlive their rows."""
    yield
    from django.core.cache import caches

    for alias in ("default", "renditions"):
        caches[alias].clear()


@pytest.fixture
def api():
    """A DRF test client for the CMS API, with no credentials."""
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def site():
    """The demo page tree of ``tests/factories.demo_site`` (home, a blog, articles)."""
    from tests.factories import demo_site

    return demo_site()


@pytest.fixture(scope="session")
def rust_blog() -> Path:
    """The Rust blog's content folder; skips the test when the corpus is absent."""
    path = rust_blog_content()
    if not path.is_dir():
        pytest.skip(missing_message(path))
    return path


@pytest.fixture(scope="session")
def demo_cms(tmp_path_factory):
    """A real CMS process with the demo content (tests/demo_stack.py), shared by the session."""
    from tests.demo_stack import start_demo_cms

    cms = start_demo_cms(tmp_path_factory.mktemp("demo-cms"))
    yield cms
    cms.stop()


@pytest.fixture(scope="session")
def next_build(demo_cms, tmp_path_factory):
    """The demo CMS built by both front ends: ``{"jinja": dir, "next": dir}`` (one Next
    build per session: it takes minutes). Skips when node or npm is missing."""
    from tests.demo_stack import build_both

    return build_both(demo_cms, tmp_path_factory.mktemp("front-ends"))


@pytest.fixture(scope="session")
def corpus_next_build(rust_blog, tmp_path_factory):
    """A second CMS with the demo content and the Rust blog, built by both front ends.

    Its own CMS, so the tests that read the demo through ``demo_cms`` never wait for the
    corpus; skips when the corpus, node or npm is missing.
    """
    from tests.demo_stack import build_both, start_demo_cms

    cms = start_demo_cms(tmp_path_factory.mktemp("corpus-cms"), with_corpus=True)
    try:
        yield build_both(cms, tmp_path_factory.mktemp("corpus-front-ends"))
    finally:
        cms.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium (never a downloaded browser), as root, offline."""
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        pytest.skip("Chromium is not installed: run `make test`, which installs it")
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        "args": [
            *browser_type_launch_args.get("args", []),
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_DATA_DIR, ignore_errors=True)
