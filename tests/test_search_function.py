"""``/api/search`` through the real function, over real HTTP, under ``jamtail serve``.

A site folder holds an index built (by the build's own writer) from the
repository's demo blog and docs, plus one page of hostile text; ``jamtail
serve`` runs as a subprocess on 127.0.0.1 and mounts ``functions/search.py``
at ``/api/search``. Requests go out byte for byte as written here
(``http.client``), so broken percent-encodings reach the server unchanged.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jamtail.search.shards import INDEX_PATH, build_index, save_index
from tests.search_corpus import SITE, markdown_pages

REPO = Path(__file__).resolve().parents[1]
HOSTILE_PAGE = {
    "id": 9000,
    "type": "StandardPage",
    "title": "Hostile <b>lighthouse</b> page",
    "url": "/hostile/",
    "parent_url": "/",
    "summary": "",
    "body": [
        {"type": "paragraph", "value": "<p>&lt;script&gt;alert(1)&lt;/script&gt; lighthouse</p>"}
    ],
}


class Served:
    """A ``jamtail serve`` subprocess: ``get(path)`` -> ``(status, headers, body bytes)``."""

    def __init__(self, site: Path, log: Path):
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jamtail.cli", "-v", "serve", "--dir", str(site), "--port", "0",
             "--site", str(REPO / "site")],
            cwd=REPO, stdout=subprocess.PIPE, stderr=log.open("w"), text=True,
            env={**os.environ, "JAMTAIL_SEARCH_INDEX": ""},
        )  # fmt: skip
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, f"jamtail serve did not start: {line!r}"
        self.port = int(match.group(1))

    def request(self, method: str, path: str, headers: dict[str, str] | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def get(self, path: str, accept: str = "application/json"):
        return self.request("GET", path, {"Accept": accept})

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("search-site")
    site = root / "build"
    (site / "_search").mkdir(parents=True)
    (site / "index.html").write_text("<!doctype html><title>Home</title>")
    pages = markdown_pages(REPO / "demo" / "blog", "blog")
    pages += markdown_pages(REPO / "docs", "docs", first_id=1000)[1:]
    save_index(build_index([*pages, HOSTILE_PAGE], SITE), site)
    server = Served(site, root / "serve.log")
    yield server
    server.stop()


def json_of(body: bytes) -> dict:
    return json.loads(body.decode("utf-8"))


# Each is sent as the raw query string after "?".
HOSTILE_QUERIES = [
    "q=%22",  # a lone double quote
    "q=%22%22",
    "q=%22jamtail",  # unbalanced quote before a real word
    "q=NEAR(build%20deploy)",
    "q=build%20NEAR/2%20deploy",
    "q=*",
    "q=build*",
    "q=title:secret",
    "q=%7Btitle%20body%7D:%20build",
    "q=AND",
    "q=OR%20OR%20OR",
    "q=NOT",
    "q=build%20AND%20NOT%20deploy",
    "q=(((",
    "q=)))",
    "q=(build%20OR%20deploy",
    "q=%5Ebuild",
    "q=-build%20%2Bdeploy",
    "q=" + "x" * 200,  # the longest allowed
    "q=" + "x" * 201,  # one too long: 400
    "q=" + "build%20" * 3000,  # far too long: 400
    "q=%00",
    "q=%1B%5B31mred",
    "q=%FF%FE%FD",  # not UTF-8
    "q=%",
    "q=%zz%",
    "q=%F0%9F%A6%80%20rust",  # a crab emoji
    "q=%E2%80%AEbuild",  # right-to-left override
    "q=%3Cscript%3Ealert(1)%3C/script%3E",
    "q=%27%20OR%201=1%20--",
    "q=rowid:1",
    "q=fts%20MATCH%20*",
    "q=",
    "",
    "q=%EE%80%80mark",  # the snippet marker character
    "q=" + "%20".join(f"w{i}" for i in range(60)),
    "q=build&page=0",
    "q=build&page=-1",
    "q=build&page=abc",
    "q=build&page=99999999999999999999",
    "q=build&section=" + "a" * 300,
    "q=build&section=%00/blog/",
    "q=build&tag=%22%20OR%201",
    "q=a&q=b&q=%22",
    "q=build&format=xml",
]


def test_the_hostile_list_is_long_enough():
    assert len(HOSTILE_QUERIES) >= 25


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_queries_answer_200_or_a_clear_400(served, query):
    status, headers, body = served.get(f"/api/search?{query}")
    assert status in (200, 400), (status, body[:300])
    assert headers["Content-Type"] == "application/json"
    data = json_of(body)
    if status == 400:
        assert data["code"] in {"query_too_long", "bad_page", "bad_filter"}
        assert len(data["message"]) > 10
    else:
        assert isinstance(data["total"], int) and isinstance(data["results"], list)
        for hit in data["results"]:
            marked = hit["snippet"].replace("<mark>", "").replace("</mark>", "")
            assert "<" not in marked and ">" not in marked


def test_syntax_in_the_query_is_only_words_and_still_finds_pages(served):
    plain = json_of(served.get("/api/search?q=jamtail")[2])
    quoted = json_of(served.get("/api/search?q=%22jamtail")[2])
    assert plain["total"] > 0 and quoted["total"] == plain["total"]
    filtered = json_of(served.get("/api/search?q=title:jamtail")[2])
    assert filtered["terms"] == ["title", "jamtail"]


def test_a_query_names_its_results_total_page_and_timing(served):
    status, headers, body = served.get("/api/search?q=preview")
    data = json_of(body)
    assert status == 200 and headers["Cache-Control"] == "public, max-age=60"
    assert data["total"] >= 1 and data["page"] == 1 and data["took_ms"] >= 0
    hit = data["results"][0]
    assert set(hit) == {"title", "url", "date", "section", "snippet"}
    assert hit["url"].startswith("/") and "<mark>" in hit["snippet"].lower()


def test_limits_give_400_with_a_message_naming_the_limit(served):
    status, _, body = served.get("/api/search?q=" + "x" * 201)
    assert status == 400 and json_of(body)["message"] == ("the query is longer than 200 characters")
    status, _, body = served.get("/api/search?q=x&page=0")
    assert status == 400 and "page must be a whole number from 1 to 100" in json_of(body)["message"]


def test_hostile_page_text_is_escaped_in_results(served):
    data = json_of(served.get("/api/search?q=lighthouse")[2])
    hit = next(h for h in data["results"] if h["url"] == "/hostile/")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>lighthouse</mark>" in hit["snippet"]


def test_a_browser_form_submission_gets_the_sites_html_page(served):
    status, headers, body = served.get(
        "/api/search?q=%3Cscript%3Ealert%3C/script%3E+lighthouse", accept="text/html,*/*;q=0.8"
    )
    html = body.decode()
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Robots-Tag"] == "noindex"
    assert "<script>alert" not in html and "&lt;script&gt;alert&lt;/script&gt;" in html
    assert '<a href="/hostile/">Hostile &lt;b&gt;lighthouse&lt;/b&gt; page</a>' in html
    assert 'action="/api/search"' in html and "<h1>Search</h1>" in html


def test_the_html_page_links_to_further_pages_of_results(served):
    data = json_of(served.get("/api/search?q=the")[2])
    assert data["pages"] > 1
    html = served.get("/api/search?q=the&page=2&format=html")[2].decode()
    assert 'href="/api/search?q=the&amp;page=3"' in html or data["pages"] == 2
    assert 'href="/api/search?q=the&amp;page=1"' in html
    assert f'start="{data["per_page"] + 1}"' in html


def test_format_overrides_the_accept_header(served):
    _, headers, _ = served.get("/api/search?q=build&format=json", accept="text/html")
    assert headers["Content-Type"] == "application/json"
    _, headers, _ = served.get("/api/search?q=build&format=html", accept="application/json")
    assert headers["Content-Type"].startswith("text/html")


def test_an_html_request_with_a_bad_page_shows_the_message_on_the_search_page(served):
    status, _, body = served.get("/api/search?q=x&page=abc", accept="text/html")
    html = body.decode()
    assert status == 400 and "page must be a whole number" in html and "<h1>Search</h1>" in html


def test_other_methods_are_405_with_allow(served):
    status, headers, body = served.request("POST", "/api/search?q=build")
    assert status == 405 and headers["Allow"] == "GET, HEAD"
    assert json_of(body)["code"] == "method_not_allowed"


def test_head_answers_like_get_without_a_body(served):
    status, headers, body = served.request("HEAD", "/api/search?q=build")
    assert status == 200 and body == b"" and headers["Content-Type"] == "application/json"


def test_a_missing_index_is_503_with_a_retry_hint(served, tmp_path):
    index = Path(served.process.args[served.process.args.index("--dir") + 1]) / INDEX_PATH
    moved = tmp_path / "index.json"
    index.rename(moved)
    try:
        status, headers, body = served.get("/api/search?q=build")
    finally:
        moved.rename(index)
    assert status == 503 and headers["Retry-After"] == "60"
    assert json_of(body)["code"] == "index_unavailable"
    assert served.get("/api/search?q=build")[0] == 200


def test_each_request_logs_one_json_line_without_the_query_text(served):
    served.get("/api/search?q=zebracrossing42")
    time.sleep(0.2)
    lines = [line for line in served.log.read_text().splitlines() if '"function": "search"' in line]
    assert lines and "zebracrossing42" not in "\n".join(lines)
    record = json.loads(lines[-1].split("functions.search: ", 1)[1])
    assert record["status"] == 200 and record["terms"] == 1 and record["method"] == "GET"


def test_a_function_url_event_of_payload_2_is_answered_by_its_method(served):
    from functions.search import make_handler

    index = Path(served.process.args[served.process.args.index("--dir") + 1]) / INDEX_PATH
    handler = make_handler(index, REPO / "site")
    event = {
        "version": "2.0",
        "rawPath": "/api/search",
        "rawQueryString": "q=jamtail",
        "headers": {"accept": "text/html"},
        "queryStringParameters": {"q": "jamtail"},
        "requestContext": {"http": {"method": "POST", "path": "/api/search"}},
    }
    assert handler(event, None)["statusCode"] == 405
    event["requestContext"]["http"]["method"] = "GET"
    answer = handler(event, None)
    assert answer["statusCode"] == 200 and answer["headers"]["Content-Type"].startswith("text/html")
    assert "<title>Search results for “jamtail” \u2013 Corpus</title>" in answer["body"]
