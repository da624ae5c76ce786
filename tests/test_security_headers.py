"""Every response carries the site's security headers; nothing private is served.

The functions answer with the same Content-Security-Policy, HSTS,
Referrer-Policy, frame protection and ``nosniff`` as the static pages (one
list: ``jamtail.security.SECURITY_HEADERS``), whatever the outcome; the
build manifest is never served; a comment form's link back stays on the site.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import requests

from functions import comments, preview, search
from functions.devserver import make_server
from jamtail.outputs.headers import RULES
from jamtail.outputs.redirects import build_redirects
from jamtail.security import SECURITY_HEADERS, preview_csp
from jamtail.write.manifest import MANIFEST_NAME, Manifest, digest_bytes
from tests.cms_process import free_port

REPO = Path(__file__).resolve().parents[1]
PAGE_HEADERS = dict(RULES[0][1])


@pytest.fixture
def served(tmp_path):
    """``jamtail serve`` over a built-like site, with the three functions mounted.

    The CMS is down (nothing listens on its port) and the search index is
    missing: every function answers an error, which must carry the headers too.
    """
    site = tmp_path / "build"
    site.mkdir()
    (site / "index.html").write_text("<!doctype html><title>Home</title>")
    (site / "404.html").write_text("<!doctype html><title>Not found</title><h1>Not here</h1>")
    Manifest("b1", {"index.html": digest_bytes(b"x")}).write(site)
    plan = type("Plan", (), {"redirects": [], "functions_url": ""})()
    (site / "_redirects").write_bytes(build_redirects(plan)[0][1])
    from jamtail.outputs.headers import build_headers

    (site / "_headers").write_bytes(build_headers(plan)[0][1])
    down = f"http://127.0.0.1:{free_port()}/api/v2/"
    cfg = comments.Config(api_url=down, service_token="t", form_secret=b"s", timeout=1)
    routes = {
        "/api/comments": comments.make_handler(cfg),
        "/api/search": search.make_handler(tmp_path / "no-index", REPO / "site"),
        "/preview/": preview.make_handler(down, REPO / "site"),
    }
    server = make_server(site, port=0, routes=routes)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_pages_use_the_shared_list_of_security_headers():
    for name, value in SECURITY_HEADERS:
        assert PAGE_HEADERS[name] == value


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/api/search?q=rust", {}),
        ("GET", "/api/comments?page=3", {}),
        ("GET", "/api/comments/token", {}),
        ("POST", "/api/comments", {"json": {"page": "x"}}),
        ("POST", "/api/comments", {"data": {"page": "1", "author_name": "A", "body": "b"}}),
        ("GET", "/preview/?content_type=content.articlepage&token=forged", {}),
        ("POST", "/preview/", {}),
    ],
)
def test_function_responses_carry_the_page_security_headers(served, method, path, kwargs):
    response = requests.request(method, served + path, timeout=10, **kwargs)
    for name in ("Strict-Transport-Security", "X-Content-Type-Options"):
        assert response.headers.get(name) == PAGE_HEADERS[name], (path, name)
    # A preview's URL carries its token: it is never sent on as a referrer.
    referrer = "no-referrer" if path.startswith("/preview/") else PAGE_HEADERS["Referrer-Policy"]
    assert response.headers.get("Referrer-Policy") == referrer, path
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors" in csp
    assert "'unsafe-inline'" not in csp
    if not path.startswith("/preview/"):
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Frame-Options"] == "DENY"


def test_the_preview_csp_forbids_inline_script_but_lets_the_cms_frame_it():
    csp = preview_csp("http://127.0.0.1:8000")
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'self' http://127.0.0.1:8000"
    assert "http://127.0.0.1:8000" in directives["img-src"]  # a draft's new image


def test_the_build_manifest_is_not_served(served):
    response = requests.get(served + "/" + MANIFEST_NAME, timeout=5)
    assert response.status_code == 404
    assert "Not here" in response.text and "sha1" not in response.text
    assert requests.get(served + "/.jamtail-manifest.json.tmp", timeout=5).status_code == 404


def test_the_build_tells_every_cdn_not_to_serve_the_manifest():
    plan = type(
        "Plan", (), {"redirects": [{"old_path": "/old", "location": "/new"}], "functions_url": ""}
    )()
    rules = build_redirects(plan)[0][1].decode().splitlines()
    assert rules[1] == f"/{MANIFEST_NAME} /404.html 404!"  # first, forced: the file exists


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/\\evil.example/",
        "/\t/evil.example/",
        "/\n/evil.example/",
        "/\r//evil.example/",
        "/ /evil.example/",
        "/blog/\\..\\\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
    ],
)
def test_a_comment_form_links_back_only_to_a_path_of_the_same_site(served, target):
    fields = {"page": "3", "author_name": "A", "body": "b", "return_to": target}
    page = requests.post(served + "/api/comments", data=fields, timeout=10)
    assert page.status_code == 200  # no token yet: the "check your comment" page
    assert 'href="/#comments"' in page.text
    assert "evil" not in page.text and "javascript:" not in page.text


def test_a_same_site_path_is_kept_as_the_link_back(served):
    fields = {"page": "3", "author_name": "A", "body": "b", "return_to": "/blog/a-post/"}
    page = requests.post(served + "/api/comments", data=fields, timeout=10)
    assert 'href="/blog/a-post/#comments"' in page.text
