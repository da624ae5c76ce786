"""Schemathesis against the OpenAPI schemas of the functions and the CMS APIs.

The CMS's read API (pages, authors, redirects, settings, sync, preview) is
checked against ``docs/openapi.json``, the contract front ends are built on.

Bounded (a few dozen generated requests per operation, about a minute in
all) against real parts: a CMS under gunicorn on SQLite with the demo blog,
and the functions under ``jamtail serve``'s server with a search index built
from the demo blog. Whatever schemathesis generates, no answer is a 5xx.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from functions import comments, search
from functions.devserver import make_server
from jamtail.search.shards import build_index, save_index
from tests.comments_helpers import SERVICE_TOKEN, comments_cms, config, old_token
from tests.search_corpus import SITE, markdown_pages

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]
FUNCTIONS = schemathesis.openapi.from_path(REPO / "functions" / "openapi.yaml")
CMS_API = schemathesis.openapi.from_path(REPO / "cms" / "comments" / "openapi.yaml")
READ_API = schemathesis.openapi.from_path(REPO / "docs" / "openapi.json").include(
    path_regex="^/api/v2/"
)
BOUNDED = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


@pytest.fixture(scope="module")
def cms(tmp_path_factory):
    cms = comments_cms(tmp_path_factory.mktemp("schema-cms"), JAMTAIL_COMMENTS_RATE_LIMIT="100000")
    yield cms
    cms.stop()


@pytest.fixture(scope="module")
def functions_url(cms, tmp_path_factory):
    site = tmp_path_factory.mktemp("schema-site")
    (site / "_search").mkdir()
    (site / "index.html").write_text("<!doctype html><title>Home</title>")
    save_index(build_index(markdown_pages(REPO / "demo" / "blog", "blog"), SITE), site)
    routes = {
        "/api/comments": comments.make_handler(config(cms, timeout=10)),
        "/api/search": search.make_handler(site / "_search" / "index.json", REPO / "site"),
    }
    server = make_server(site, port=0, routes=routes)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@FUNCTIONS.parametrize()
@BOUNDED
def test_no_request_to_the_functions_gets_a_server_error(case, functions_url):
    if isinstance(case.body, dict) and "form_token" in case.body:
        case.body["form_token"] = old_token()  # past the token check, on to the CMS
    response = case.call(base_url=functions_url, timeout=30)
    assert response.status_code < 500, (case.method, case.path, response.text[:300])


@CMS_API.parametrize()
@BOUNDED
def test_no_request_to_the_cms_comments_api_gets_a_server_error(case, cms):
    if case.method == "POST":
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {SERVICE_TOKEN}"}
    response = case.call(base_url=cms.base_url, timeout=30)
    assert response.status_code < 500, (case.method, case.path, response.text[:300])


@READ_API.parametrize()
@BOUNDED
def test_no_request_to_the_cms_read_api_gets_a_server_error(case, cms):
    response = case.call(base_url=cms.base_url, timeout=30)
    assert response.status_code < 500, (case.method, case.path, response.text[:300])
