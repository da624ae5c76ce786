"""``functions/comments`` over real HTTP, in front of a real CMS (gunicorn, SQLite).

The function runs under ``jamtail serve``'s server at ``/api/comments``, with
one trusted proxy, so each test speaks for its own reader through
``X-Forwarded-For`` and the CMS's per-client limit (3 per 10 minutes here)
never mixes tests.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from functions import comments
from functions.adapter import make_event
from tests.cms_process import REPO, free_port
from tests.comments_helpers import (
    FORM_SECRET,
    approve_all,
    article_ids,
    comments_cms,
    config,
    old_token,
    serve_function,
    stored_comments,
)
from tests.publishing_stack import wait_for

pytestmark = pytest.mark.slow
_readers = itertools.count(1)


@pytest.fixture(scope="module")
def cms(tmp_path_factory):
    cms = comments_cms(tmp_path_factory.mktemp("comments-cms"), JAMTAIL_COMMENTS_RATE_LIMIT="3")
    yield cms
    cms.stop()


@pytest.fixture(scope="module")
def function(cms, tmp_path_factory):
    server, url = serve_function(tmp_path_factory.mktemp("site"), config(cms))
    yield url + "/api/comments"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def article(cms) -> int:
    return article_ids(cms)["hello-jamtail"]


@pytest.fixture
def reader() -> dict[str, str]:
    """Headers of a reader with an address of their own."""
    return {"X-Forwarded-For": f"198.51.100.{next(_readers)}"}


def comment(article: int, **fields) -> dict:
    return {
        "page": article,
        "author_name": "Grace",
        "author_email": "grace@example.org",
        "body": "A *fine* article.",
        "form_token": old_token(),
        "website": "",
        **fields,
    }


def test_a_comment_gets_202_once_the_cms_has_stored_it_as_pending(cms, function, article, reader):
    body = "Stored *before* the 202, marker-202."
    answer = requests.post(function, json=comment(article, body=body), headers=reader, timeout=10)
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "pending"
    assert "awaiting moderation" in answer.json()["message"]
    [stored] = [c for c in stored_comments(cms) if c["id"] == answer.json()["id"]]
    assert stored["status"] == "pending"
    assert stored["body_markdown"] == body
    assert stored["body_html"] == "<p>Stored <em>before</em> the 202, marker-202.</p>"
    assert stored["author_email"] == "grace@example.org"
    assert reader["X-Forwarded-For"] not in json.dumps(stored)
    assert len(stored["client_hash"]) == 64


def test_the_honeypot_turns_a_bot_away_and_nothing_is_stored(cms, function, article, reader):
    before = len(stored_comments(cms))
    answer = requests.post(
        function, json=comment(article, website="http://spam.example"), headers=reader, timeout=10
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "rejected"
    assert len(stored_comments(cms)) == before


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("", "invalid_token"),
        ("1700000000.deadbeef", "invalid_token"),  # forged: not signed with the secret
        (comments.issue_token(b"another secret", now=time.time() - 60), "invalid_token"),
        (comments.issue_token(FORM_SECRET, now=time.time() - 3 * 86400), "invalid_token"),
        ("fresh", "too_fast"),  # posted at once, like a bot
    ],
    ids=["missing", "forged", "other-secret", "expired", "too-young"],
)
def test_a_form_token_that_is_missing_forged_expired_or_too_young_is_refused(
    function, article, reader, token, code
):
    if token == "fresh":
        token = comments.issue_token(FORM_SECRET)
    answer = requests.post(function, json=comment(article, form_token=token), headers=reader)
    assert answer.status_code == 400
    assert answer.json()["code"] == code
    if code == "too_fast":
        assert 1 <= int(answer.headers["Retry-After"]) <= 2


def test_a_token_from_the_function_is_accepted_after_the_minimum_time(function, article, reader):
    issued = requests.get(function + "/token", timeout=10)
    assert issued.status_code == 200
    assert issued.headers["Cache-Control"] == "no-store"
    token = issued.json()["token"]
    assert issued.json()["min_seconds"] == 2.0
    early = requests.post(function, json=comment(article, form_token=token), headers=reader)
    assert early.json()["code"] == "too_fast"
    time.sleep(2.1)
    later = requests.post(function, json=comment(article, form_token=token), headers=reader)
    assert later.status_code == 202, later.text


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"author_name": ""}, "author_name"),
        ({"author_name": "  "}, "author_name"),
        ({"author_name": "x" * 81}, "author_name"),
        ({"author_email": "nope"}, "author_email"),
        ({"body": ""}, "body"),
        ({"body": "x" * 5001}, "body"),
        ({"page": "abc"}, "page"),
        ({"page": -3}, "page"),
        ({"parent": "x"}, "parent"),
    ],
)
def test_invalid_fields_get_400_naming_the_field(function, article, reader, fields, field):
    answer = requests.post(function, json=comment(article, **fields), headers=reader, timeout=10)
    assert answer.status_code == 400
    assert field in answer.json()["fields"], answer.json()


def test_the_cms_checks_what_the_function_cannot(function, article, reader):
    missing = requests.post(function, json=comment(999_999), headers=reader, timeout=10)
    assert missing.status_code == 400
    assert "page" in missing.json()["fields"]
    orphan = requests.post(function, json=comment(article, parent=999_999), headers=reader)
    assert orphan.status_code == 400
    assert "parent" in orphan.json()["fields"]


def test_bodies_that_are_not_a_comment_are_refused_clearly(function, reader):
    cases = [
        ({"data": "<xml/>", "headers": {"Content-Type": "application/xml"}}, 415),
        ({"data": "{not json", "headers": {"Content-Type": "application/json"}}, 400),
        ({"data": "[1, 2]", "headers": {"Content-Type": "application/json"}}, 400),
        ({"json": {"body": "x" * 70_000}}, 413),
    ]
    for kwargs, status in cases:
        headers = {**reader, **kwargs.pop("headers", {})}
        answer = requests.post(function, headers=headers, timeout=10, **kwargs)
        assert answer.status_code == status, (kwargs, answer.text)
        assert answer.json()["message"]
    put = comments.make_handler(comments.Config.from_env({}))(
        make_event("PUT", "/api/comments"), None
    )
    assert put["statusCode"] == 405
    assert put["headers"]["Allow"] == "GET, HEAD, POST"


def test_the_cms_rate_limit_reaches_the_reader_as_429_with_retry_after(
    cms, function, article, reader
):
    # Four different comments (the same one again would be a retry, stored once).
    for n in range(3):
        posted = requests.post(function, json=comment(article, body=f"Comment {n}"), headers=reader)
        assert posted.status_code == 202
    before = len(stored_comments(cms))
    fourth = comment(article, body="Comment 3")
    limited = requests.post(function, json=fourth, headers=reader, timeout=10)
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 600
    other = {"X-Forwarded-For": "192.0.2.250"}
    assert requests.post(function, json=fourth, headers=other).status_code == 202
    assert len(stored_comments(cms)) == before + 1


def test_simultaneous_posts_from_one_reader_cannot_slip_past_the_limit(cms, function, article):
    headers = {"X-Forwarded-For": "192.0.2.77"}

    def post(n: int) -> int:
        body = comment(article, body=f"simultaneous {n}")
        return requests.post(function, json=body, headers=headers, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(post, range(8)))
    assert statuses == [202] * 3 + [429] * 5


def test_a_forged_forwarded_for_entry_does_not_escape_the_limit(cms, function, article, reader):
    address = reader["X-Forwarded-For"]
    for n in range(4):
        # A client may prepend anything; the one trusted proxy appends the real address.
        headers = {"X-Forwarded-For": f"10.0.0.{n}, {address}"}
        fields = comment(article, body=f"forged {n}")
        answer = requests.post(function, json=fields, headers=headers, timeout=10)
        assert answer.status_code == (202 if n < 3 else 429)


def test_get_returns_only_approved_comments_without_private_fields(cms, function, article):
    requests.post(function, json=comment(article), headers={"X-Forwarded-For": "192.0.2.1"})
    approve_all(cms)
    answer = requests.get(function, params={"page": article}, timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "public, max-age=60"
    listed = answer.json()["comments"]
    assert listed and all(set(c) == {"id", "parent", "author_name", "created_at", "body_html",
                                     "replies"} for c in listed)  # fmt: skip
    assert "grace@example.org" not in answer.text and "client_hash" not in answer.text
    assert requests.get(function, params={"page": "x"}, timeout=10).status_code == 400
    assert requests.get(function, params={"page": 999_999}, timeout=10).status_code == 404


def test_a_reply_to_an_approved_comment_is_threaded(cms, function, article, reader):
    listed = requests.get(function, params={"page": article}, timeout=10).json()["comments"]
    parent = listed[0]["id"]
    answer = requests.post(
        function, json=comment(article, parent=parent, body="a reply"), headers=reader
    )
    assert answer.status_code == 202
    approve_all(cms)
    listed = requests.get(function, params={"page": article}, timeout=10).json()["comments"]
    [root] = [c for c in listed if c["id"] == parent]
    assert answer.json()["id"] in [r["id"] for r in root["replies"]]


def test_a_form_post_without_javascript_is_confirmed_then_stored(cms, function, article, reader):
    fields = {
        "page": str(article),
        "author_name": "No Script <Nell>",
        "author_email": "",
        "body": "Posted *without* JavaScript",
        "return_to": "/blog/hello-jamtail/",
        "form_token": "",
        "website": "",
    }
    first = requests.post(function, data=fields, headers=reader, timeout=10)
    assert first.status_code == 200
    assert first.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in first.headers["Content-Security-Policy"]
    assert "Check your comment" in first.text
    assert "<em>without</em>" in first.text  # the preview
    assert "No Script &lt;Nell&gt;" in first.text
    token = re.search(r'name="form_token" value="([^"]+)"', first.text).group(1)
    assert comments.token_age(FORM_SECRET, token) is not None
    assert not [c for c in stored_comments(cms) if c["author_name"] == "No Script <Nell>"]

    time.sleep(2.1)
    second = requests.post(function, data={**fields, "form_token": token}, headers=reader)
    assert second.status_code == 202
    assert "awaiting moderation" in second.text
    assert 'href="/blog/hello-jamtail/#comments"' in second.text
    assert [c for c in stored_comments(cms) if c["author_name"] == "No Script <Nell>"]


def test_a_form_post_never_links_back_to_another_site(function, article, reader):
    for target in ("//evil.example/", "https://evil.example/", "javascript:alert(1)"):
        fields = {"page": article, "author_name": "A", "body": "b", "return_to": target}
        page = requests.post(function, data=fields, headers=reader, timeout=10).text
        assert 'href="/#comments"' in page, target
        assert "evil" not in page and "javascript:" not in page


def test_a_wrong_service_token_is_a_502_and_logged(cms, tmp_path, article, reader, caplog):
    server, url = serve_function(tmp_path, config(cms, service_token="not-the-token"))
    try:
        with caplog.at_level(logging.INFO, logger="functions.comments"):
            answer = requests.post(url + "/api/comments", json=comment(article), headers=reader)
    finally:
        server.shutdown()
        server.server_close()
    assert answer.status_code == 502
    assert answer.json()["code"] == "misconfigured"
    assert any("JAMTAIL_COMMENTS_TOKEN" in r.getMessage() for r in caplog.records)


def test_each_request_logs_one_json_line_without_email_body_or_address(
    function, article, reader, caplog
):
    with caplog.at_level(logging.INFO, logger="functions.comments"):
        requests.post(
            function, json=comment(article, body="secret words here"), headers=reader, timeout=10
        )
    lines = [r.getMessage() for r in caplog.records if r.name == "functions.comments"]
    [line] = [json.loads(m) for m in lines if m.startswith("{")]
    assert line["function"] == "comments" and line["status"] == 202 and line["method"] == "POST"
    text = "\n".join(lines)
    assert "grace@example.org" not in text and "secret words" not in text
    assert reader["X-Forwarded-For"] not in text


def test_with_the_cms_down_post_is_503_and_the_retry_is_stored_once(cms, function, article, caplog):
    caplog.set_level(logging.INFO, logger="functions.comments")
    reader = {"X-Forwarded-For": "192.0.2.99"}
    body = comment(article, body="Posted while the CMS was down, marker-503.")
    cms.stop()
    try:
        down = requests.post(function, json=body, headers=reader, timeout=10)
        assert down.status_code == 503
        assert down.headers["Retry-After"] == "30"
        assert down.json()["code"] == "cms_unavailable"
        logged = [
            json.loads(r.getMessage()) for r in caplog.records if r.name == "functions.comments"
        ]
        assert logged[-1]["status"] == 503 and "ConnectionError" in logged[-1]["detail"]
        assert "not stored" in down.json()["message"]
        listing = requests.get(function, params={"page": article}, timeout=10)
        assert listing.status_code == 503
    finally:
        cms.start()
    again = requests.post(function, json=body, headers=reader, timeout=10)
    assert again.status_code == 202
    stored = [c for c in stored_comments(cms) if "marker-503" in c["body_markdown"]]
    assert [c["id"] for c in stored] == [again.json()["id"]]


def test_the_wsgi_adapter_gives_the_function_the_connection_address():
    import io

    from functions.adapter import event_from_environ

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/api/comments", "REMOTE_ADDR": "192.0.2.5"}
    event = event_from_environ({**environ, "wsgi.input": io.BytesIO(b"")})
    assert comments.client_address(event, trusted_proxies=0) == "192.0.2.5"


def test_jamtail_serve_mounts_the_function_and_passes_the_readers_address(cms, article, tmp_path):
    port = free_port()
    (tmp_path / "index.html").write_text("<!doctype html><title>x</title>")
    env = {**cms.env, "JAMTAIL_COMMENTS_MIN_SECONDS": "1", "JAMTAIL_API_URL": cms.api_url}
    serve = subprocess.Popen(
        [sys.executable, "-m", "jamtail.cli", "serve", "--dir", str(tmp_path), "--port", str(port)],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/api/comments"
    try:
        token = wait_for(lambda: _token(url), 30, "jamtail serve")
        time.sleep(1.1)
        body = comment(article, form_token=token, body="through jamtail serve, serve-marker")
        answer = requests.post(url, json=body, timeout=10)
        assert answer.status_code == 202, answer.text
    finally:
        serve.terminate()
        serve.wait(timeout=10)
    expected = cms.manage(
        "shell",
        "-c",
        "from cms.comments.models import client_hash; print(client_hash('127.0.0.1'))",
    ).stdout.split()[-1]
    [stored] = [c for c in stored_comments(cms) if "serve-marker" in c["body_markdown"]]
    assert stored["client_hash"] == expected


def _token(url: str) -> str | None:
    try:
        return requests.get(url + "/token", timeout=2).json()["token"]
    except requests.RequestException:
        return None
