"""Bodies from strangers are bounded: deep or huge JSON gets a clear 400 or 413, at once.

The functions under ``jamtail serve``'s server and under WSGI, and the CMS
API through Django's test client (a real Wagtail on SQLite).
"""

from __future__ import annotations

import io
import json
import socket
import threading
import time

import pytest
import requests
from django.urls import path
from hypothesis import given
from hypothesis import strategies as st

from functions import comments
from functions.adapter import wsgi_app
from functions.devserver import make_server
from jamtail.jsonlimits import JSONLimitError, depth, loads
from tests.cms_process import free_port

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture(scope="module")
def function_url(tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    (site / "index.html").write_text("<!doctype html><title>Home</title>")
    down = f"http://127.0.0.1:{free_port()}/api/v2/"
    cfg = comments.Config(api_url=down, service_token="t", form_secret=b"s", timeout=1)
    server = make_server(site, port=0, routes={"/api/comments": comments.make_handler(cfg)})
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/comments"
    server.shutdown()
    server.server_close()


def test_depth_counts_brackets_outside_strings_only():
    assert depth(b'{"a": [1, {"b": "[[[[\\"[{"}]}') == 3
    assert depth(b"[]") == 1 and depth(b'"[["') == 0 and depth(b"7") == 0


@given(
    st.recursive(
        st.none() | st.integers() | st.text(), lambda c: st.lists(c) | st.dictionaries(st.text(), c)
    )
)
def test_whatever_json_loads_parses_within_the_limits_is_parsed_the_same(value):
    raw = json.dumps(value).encode()
    try:
        assert loads(raw, max_bytes=1 << 20) == json.loads(raw)
    except JSONLimitError as exc:
        assert exc.status == 400 and depth(raw) > 32


def test_deep_json_to_the_comments_function_is_a_400_at_once(function_url):
    started = time.monotonic()
    answer = requests.post(
        function_url, data=DEEP[:60_000], headers={"Content-Type": "application/json"}, timeout=10
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_json" and "nested" in answer.json()["message"]
    assert time.monotonic() - started < 3


def test_a_body_over_the_limit_is_a_413(function_url):
    answer = requests.post(function_url, json={"body": "x" * 70_000}, timeout=10)
    assert answer.status_code == 413 and answer.json()["code"] == "too_large"


@pytest.mark.parametrize(
    ("length", "status"), [("-1", 400), ("1e3", 400), ("9" * 30, 400), ("2000000", 413)]
)
def test_a_lying_content_length_is_refused_without_waiting_for_a_body(function_url, length, status):
    port = int(function_url.split(":")[2].split("/")[0])
    request = (
        "POST /api/comments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)  # and no body at all
        answer = sock.recv(65536)
    assert answer.startswith(f"HTTP/1.0 {status}".encode()) or answer.startswith(
        f"HTTP/1.1 {status}".encode()
    )
    assert b"Content-Security-Policy" in answer


def test_a_function_under_wsgi_refuses_a_too_large_body_before_reading_it():
    class Unreadable(io.BytesIO):
        def read(self, *args):  # a 2 MB body would be read here: it must not be
            raise AssertionError("the body was read")

    app = wsgi_app(comments.handler)
    seen = {}
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/comments",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(2 * 1024 * 1024),
        "wsgi.input": Unreadable(),
    }
    body = b"".join(app(environ, lambda status, headers: seen.update(status=status)))
    assert seen["status"].startswith("413") and b"too_large" in body


@pytest.mark.django_db
class TestTheCMSAPI:
    TOKEN = "bounded-input-token"

    def post(self, client, settings, body: bytes):
        settings.JAMTAIL_COMMENTS_TOKEN = self.TOKEN
        return client.post(
            "/api/v2/comments/",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.TOKEN}",
        )

    def test_deep_json_is_a_400_not_a_500(self, client, settings):
        answer = self.post(client, settings, DEEP.encode())
        assert answer.status_code == 400
        assert "nested" in answer.json()["detail"]

    def test_a_body_over_the_upload_limit_is_a_413(self, client, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
        answer = self.post(client, settings, json.dumps({"body_markdown": "x" * 20_000}).encode())
        assert answer.status_code == 413
        assert "too large" in answer.json()["detail"] or "over" in answer.json()["detail"]


def _broken_view(request):
    raise RuntimeError("secret detail: /srv/jamtail/cms/settings.py line 42")


urlpatterns = [path("broken/", _broken_view)]  # this module is the URLconf of the test below


def test_with_debug_off_an_error_page_shows_no_traceback(settings):
    from django.test import Client

    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__
    answer = Client(raise_request_exception=False).get("/broken/")
    assert answer.status_code == 500
    text = answer.content.decode()
    assert "Traceback" not in text and "secret detail" not in text and "settings.py" not in text
