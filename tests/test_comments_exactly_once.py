"""Exactly-once comments: a post whose answer is lost is retried and stored once.

Real parts: a CMS under gunicorn on SQLite, the comments function under
``jamtail serve``'s server. Faults (``tests/comments_faults.py``): the whole
CMS hung with SIGSTOP, and a proxy that lets the CMS store a comment and then
drops the connection before the answer reaches the function.
"""

from __future__ import annotations

import itertools
import time

import pytest
import requests

from tests.comments_faults import DroppingProxy, count_by_body, hang
from tests.comments_helpers import (
    SERVICE_TOKEN,
    article_ids,
    comments_cms,
    config,
    old_token,
    serve_function,
    stored_comments,
)

pytestmark = pytest.mark.slow
_readers = itertools.count(1)


@pytest.fixture(scope="module")
def cms(tmp_path_factory):
    cms = comments_cms(tmp_path_factory.mktemp("once-cms"), JAMTAIL_COMMENTS_RATE_LIMIT="50")
    yield cms
    cms.stop()


@pytest.fixture(scope="module")
def article(cms) -> int:
    return article_ids(cms)["hello-jamtail"]


def serve(tmp_path, cfg):
    server, url = serve_function(tmp_path, cfg)
    return server, url + "/api/comments"


def post(url: str, fields: dict, timeout: float = 30) -> requests.Response:
    reader = {"X-Forwarded-For": f"203.0.113.{next(_readers)}"}
    return requests.post(url, json=fields, headers=reader, timeout=timeout)


def comment(article: int, body: str, token: str) -> dict:
    return {"page": article, "author_name": "Ada", "body": body, "form_token": token}


def retry_until_stored(url: str, fields: dict, deadline: float = 60) -> requests.Response:
    """Post as the page's script does: again after each 503, same token, same text."""
    give_up = time.monotonic() + deadline
    while True:
        answer = post(url, fields)
        if answer.status_code != 503 or time.monotonic() > give_up:
            return answer
        time.sleep(0.5)


def test_a_hung_cms_gets_unknown_will_retry_and_the_retries_store_each_comment_once(
    cms, article, tmp_path
):
    server, url = serve(tmp_path, config(cms, timeout=1.5))
    bodies = [f"Hung CMS, comment {n} ({time.time()})" for n in range(3)]
    posts = [comment(article, body, old_token()) for body in bodies]
    try:
        with hang(cms):
            answers = [post(url, fields) for fields in posts]
        for answer in answers:
            assert answer.status_code == 503
            assert answer.json()["code"] == "outcome_unknown"
            assert "could not confirm" in answer.json()["message"]
            assert "sent again" in answer.json()["message"]
            assert answer.headers["Retry-After"] == "10"
        retried = [retry_until_stored(url, fields) for fields in posts]
    finally:
        server.shutdown()
        server.server_close()
    assert [r.status_code for r in retried] == [202, 202, 202]
    stored = stored_comments(cms)
    assert count_by_body(stored, bodies) == dict.fromkeys(bodies, 1)
    ids = {c["body_markdown"]: c["id"] for c in stored}
    assert [r.json()["id"] for r in retried] == [ids[b] for b in bodies]


def test_a_cms_that_stores_then_drops_the_connection_stores_the_retry_once(cms, article, tmp_path):
    proxy = DroppingProxy(cms.port)
    server, url = serve(tmp_path, config(cms, api_url=proxy.api_url))
    body = f"Dropped answer ({time.time()})"
    fields = comment(article, body, old_token())
    try:
        proxy.drop = 1
        lost = post(url, fields)
        assert lost.status_code == 503 and lost.json()["code"] == "outcome_unknown"
        assert proxy.dropped == 1
        assert count_by_body(stored_comments(cms), [body]) == {body: 1}  # it was stored
        again = post(url, fields)
    finally:
        server.shutdown()
        server.server_close()
        proxy.close()
    assert again.status_code == 202
    stored = [c for c in stored_comments(cms) if c["body_markdown"] == body]
    assert len(stored) == 1 and again.json()["id"] == stored[0]["id"]


def test_another_comment_with_the_same_form_token_is_a_comment_of_its_own(cms, article, tmp_path):
    server, url = serve(tmp_path, config(cms))
    token = old_token()
    first, second = f"First ({time.time()})", f"Second ({time.time()})"
    try:
        answers = [post(url, comment(article, b, token)) for b in (first, second)]
    finally:
        server.shutdown()
        server.server_close()
    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].json()["id"] != answers[1].json()["id"]
    assert count_by_body(stored_comments(cms), [first, second]) == {first: 1, second: 1}


def test_a_cms_that_cannot_be_reached_is_still_not_stored(article, tmp_path):
    from tests.cms_process import free_port

    down = f"http://127.0.0.1:{free_port()}/api/v2/"
    cfg = config(type("Down", (), {"api_url": down})(), api_url=down)
    server, url = serve(tmp_path, cfg)
    try:
        answer = post(url, comment(article, "nobody home", old_token()))
    finally:
        server.shutdown()
        server.server_close()
    assert answer.status_code == 503 and answer.json()["code"] == "cms_unavailable"
    assert "was not stored" in answer.json()["message"]


def test_the_cms_answers_a_repeated_key_with_the_first_answer(cms, article):
    headers = {"Authorization": f"Bearer {SERVICE_TOKEN}", "Idempotency-Key": "k-" + "a" * 40}
    body = f"Same key ({time.time()})"
    payload = {
        "page": article,
        "author_name": "Lin",
        "body_markdown": body,
        "client_address": "192.0.2.77",
    }
    first = requests.post(cms.api_url + "comments/", json=payload, headers=headers, timeout=10)
    # however late, and even with a changed body: the key decides, nothing more is stored
    again = requests.post(
        cms.api_url + "comments/", json={**payload, "body_markdown": "x"}, headers=headers
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() == {"id": first.json()["id"], "status": "pending"}
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count_by_body(stored_comments(cms), [body, "x"]) == {body: 1, "x": 0}
    bad = requests.post(
        cms.api_url + "comments/",
        json=payload,
        headers={**headers, "Idempotency-Key": "not a key!"},
        timeout=10,
    )
    assert bad.status_code == 400 and "Idempotency-Key" in bad.json()["message"]
