"""``jamtail serve`` behaves like the CDN: pretty URLs, _redirects, _headers, 404 page."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.devserver import make_server
from jamtail.outputs.headers import CSP
from jamtail.outputs.redirects import build_redirects
from jamtail.rules import parse_headers, parse_redirects


@pytest.fixture
def served(tmp_path):
    site = tmp_path / "build"
    (site / "blog" / "hello").mkdir(parents=True)
    (site / "index.html").write_text("<h1>Home</h1>")
    (site / "blog" / "hello" / "index.html").write_text("<h1>Hello</h1>")
    (site / "blog" / "feed.xml").write_text("<feed/>")
    (site / "404.html").write_text("<h1>Not here</h1>")
    (site / "static").mkdir()
    (site / "static" / "site.abc123.css").write_text("body{}")
    (site / "_redirects").write_text(
        "# comment\n"
        "/old-hello /blog/hello/ 301\n"
        "/2016/09/29/Rust-1.12.html /blog/hello/ 301\n"
        "/temp /blog/hello/ 302\n"
        "/news/* /blog/:splat 301\n"
        "/people/:name /authors/:name/ 301\n"
        "/app/* /index.html 200\n"
        "/blog/hello /elsewhere/ 301\n"
        "/forced /blog/ 301!\n"
        "/ p=123 /blog/hello/ 301!\n"
        "/store id=:id /blog/:id 301\n"
    )
    (site / "_headers").write_text(
        f"/*\n  Content-Security-Policy: {CSP}\n  Cache-Control: no-cache\n"
        "/static/*\n  Cache-Control: public, max-age=31536000, immutable\n"
    )
    server = make_server(site, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def get(url, **kwargs):
    return requests.get(url, allow_redirects=False, timeout=5, **kwargs)


def test_pretty_urls_serve_index_html(served):
    response = get(served + "/blog/hello/")
    assert response.status_code == 200 and "Hello" in response.text
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"


def test_a_directory_without_slash_redirects_to_the_slash_form(served):
    response = get(served + "/blog/hello")
    assert response.status_code == 301 and response.headers["Location"] == "/blog/hello/"


@pytest.mark.parametrize(
    ("path", "status", "location"),
    [
        ("/old-hello", 301, "/blog/hello/"),
        ("/old-hello/", 301, "/blog/hello/"),
        ("/2016/09/29/Rust-1.12.html", 301, "/blog/hello/"),
        ("/temp", 302, "/blog/hello/"),
        ("/news/2020/post/", 301, "/blog/2020/post"),
        ("/people/ada", 301, "/authors/ada/"),
        ("/forced", 301, "/blog/"),
    ],
)
def test_redirect_rules_apply_to_missing_paths(served, path, status, location):
    response = get(served + path)
    assert (response.status_code, response.headers.get("Location")) == (status, location)


@pytest.mark.parametrize(
    ("path", "status", "location"),
    [
        ("/?p=123", 301, "/blog/hello/"),
        ("/?p=124", 200, None),
        ("/", 200, None),
        ("/store?id=7", 301, "/blog/7"),
        ("/store", 404, None),
    ],
)
def test_query_parameter_rules_match_only_their_parameters(served, path, status, location):
    """Netlify's ``/from key=value /to`` form: WordPress's ``/?p=123`` permalinks."""
    response = get(served + path)
    assert (response.status_code, response.headers.get("Location")) == (status, location)


def test_redirects_from_urls_with_a_query_become_forced_query_rules():
    plan = SimpleNamespace(
        redirects=[
            {"old_path": "/demo?p=149", "location": "/blog/comments/", "is_permanent": True},
            {"old_path": "/old", "location": "/new/", "is_permanent": True},
        ],
        functions_url="",
    )
    [(_, data)] = build_redirects(plan)  # type: ignore[arg-type]
    rules = [line for line in data.decode().splitlines() if not line.startswith("#")]
    assert rules[-2:] == [
        "/demo p=149 /blog/comments/ 301!",
        "/old /new/ 301",
    ]


def test_an_existing_file_shadows_an_unforced_rule(served):
    assert get(served + "/blog/hello/").status_code == 200


def test_a_200_rule_rewrites_without_redirecting(served):
    response = get(served + "/app/anything")
    assert response.status_code == 200 and "Home" in response.text


def test_missing_paths_get_the_404_page_with_status_404(served):
    response = get(served + "/nope/")
    assert response.status_code == 404 and "Not here" in response.text
    assert response.headers["Content-Security-Policy"] == CSP


def test_headers_apply_with_later_rules_overriding(served):
    assert get(served + "/").headers["Cache-Control"] == "no-cache"
    css = get(served + "/static/site.abc123.css")
    assert css.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert css.headers["Content-Security-Policy"] == CSP


def test_rule_files_and_paths_outside_the_site_are_never_served(served):
    assert get(served + "/_redirects").status_code == 404
    assert get(served + "/_headers").status_code == 404
    assert get(served + "/../../etc/passwd").status_code == 404
    assert get(served + "/%2e%2e/%2e%2e/etc/passwd").status_code == 404


def test_head_requests_have_no_body(served):
    response = requests.head(served + "/", timeout=5)
    assert response.status_code == 200 and response.text == ""


def test_malformed_rule_files_name_the_line():
    with pytest.raises(ValueError, match="line 2"):
        parse_redirects("/a /b 301\n/lonely\n")
    with pytest.raises(ValueError, match="line 1"):
        parse_headers("  X-Orphan: 1\n")


PATHS = st.text(alphabet="/abAB.-_%2Fé:*", max_size=12).map(lambda s: "/" + s)


@settings(max_examples=300, deadline=None)
@given(source=PATHS, path=PATHS)
def test_a_plain_rule_matches_exactly_the_paths_its_pattern_matches(source, path):
    # Plain sources are compared as strings, not compiled: the answer must not change.
    [rule] = parse_redirects(f"{source} /to 301\n")
    by_pattern = rule.pattern.fullmatch(path.rstrip("/") or "/")
    assert (rule.match(path) is not None) == (by_pattern is not None)


def test_a_colon_that_starts_no_placeholder_is_literal_and_a_name_may_repeat():
    [rule] = parse_redirects("/a/*:-b /to/:splat 301\n")
    assert rule.match("/a/x:-b") == "/to/x"
    [rule] = parse_redirects("/:lang/:lang/page /:lang/ 301\n")
    assert rule.match("/en/fr/page") == "/en/"
