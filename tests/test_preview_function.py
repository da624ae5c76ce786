"""The Lambda-proxy adapter and the preview function's answers when the CMS fails."""

from __future__ import annotations

import base64
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import pytest
import requests

from functions.adapter import event_from_environ, make_event, response_parts, wsgi_app
from functions.devserver import make_server
from functions.preview import make_handler
from tests.cms_process import free_port

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "site"


def test_an_event_carries_method_path_query_headers_and_text_body():
    event = make_event(
        "post", "/api/x/", "a=1&b=2&a=3&empty=", [("X-One", "1"), ("X-One", "2")], b"hi"
    )
    assert event["httpMethod"] == "POST"
    assert event["path"] == "/api/x/"
    assert event["queryStringParameters"] == {"a": "3", "b": "2", "empty": ""}
    assert event["multiValueQueryStringParameters"]["a"] == ["1", "3"]
    assert event["headers"]["X-One"] == "2"
    assert event["multiValueHeaders"]["X-One"] == ["1", "2"]
    assert event["body"] == "hi" and event["isBase64Encoded"] is False


def test_an_event_without_query_or_body_has_nones_and_binary_is_base64():
    event = make_event("GET", "/preview/")
    assert event["queryStringParameters"] is None and event["body"] is None
    binary = make_event("POST", "/x", body=b"\xff\x00")
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == b"\xff\x00"


def test_a_result_becomes_status_headers_and_bytes():
    status, headers, body = response_parts(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "text/plain"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": base64.b64encode(b"\x89PNG").decode(),
            "isBase64Encoded": True,
        }
    )
    assert status == 201
    assert headers == [("Content-Type", "text/plain"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]
    assert body == b"\x89PNG"


def test_a_handler_runs_under_wsgi():
    seen = {}

    def echo(event, context):
        seen.update(event)
        return {"statusCode": 418, "headers": {"X-Echo": event["body"]}, "body": "teapot"}

    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/echo/",
        "QUERY_STRING": "q=tea",
        "CONTENT_TYPE": "text/plain",
        "CONTENT_LENGTH": "5",
        "HTTP_X_REQUEST_ID": "abc",
        "wsgi.input": io.BytesIO(b"hello"),
    }
    setup_testing_defaults(environ)
    started = {}
    chunks = wsgi_app(echo)(environ, lambda status, headers: started.update(s=status, h=headers))
    assert started["s"] == "418 I'm a Teapot"
    assert ("X-Echo", "hello") in started["h"]
    assert ("Content-Length", "6") in started["h"]
    assert b"".join(chunks) == b"teapot"
    assert seen["queryStringParameters"] == {"q": "tea"}
    assert seen["headers"]["X-Request-Id"] == "abc"
    assert seen["headers"]["Content-Type"] == "text/plain"
    assert event_from_environ({**environ, "wsgi.input": io.BytesIO(b"hello")})["path"] == (
        "/api/echo/"
    )


def query(token="t"):
    return {
        "httpMethod": "GET",
        "path": "/preview/",
        "queryStringParameters": {"content_type": "content.articlepage", "token": token},
    }


def test_the_cms_down_is_a_503_with_a_message(caplog):
    handler = make_handler(f"http://127.0.0.1:{free_port()}/api/v2/", SITE)
    with caplog.at_level("INFO", logger="functions.preview"):
        result = handler(query("secret-token"), None)
    assert result["statusCode"] == 503
    assert result["headers"]["Content-Type"].startswith("text/html")
    assert result["headers"]["Cache-Control"] == "no-store"
    assert "The CMS could not be reached." in result["body"]
    assert 'class="site-header"' in result["body"]  # the site's look, not JSON
    [line] = [json.loads(r.getMessage()) for r in caplog.records if r.name == "functions.preview"]
    assert line["status"] == 503 and line["path"] == "/preview/"
    assert "secret-token" not in result["body"]
    assert all(
        "secret-token" not in r.getMessage()
        for r in caplog.records
        if r.name != "urllib3.connectionpool"
    )


class _Broken(BaseHTTPRequestHandler):
    """A CMS that fails: 500 for the preview endpoint."""

    def do_GET(self):
        self.send_response(500)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<h1>Server Error</h1>")

    def log_message(self, *args):
        pass


@pytest.fixture
def broken_cms():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Broken)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v2/"
    server.shutdown()
    server.server_close()


def test_a_failing_cms_is_a_502_with_a_readable_page(broken_cms):
    result = make_handler(broken_cms, SITE)(query(), None)
    assert result["statusCode"] == 502
    assert result["headers"]["Content-Type"].startswith("text/html")
    assert "The CMS answered with an error." in result["body"]


def test_only_get_and_head_are_allowed(broken_cms):
    result = make_handler(broken_cms, SITE)({**query(), "httpMethod": "POST"}, None)
    assert result["statusCode"] == 405
    assert result["headers"]["Allow"] == "GET, HEAD"


def test_jamtail_serve_mounts_the_function_at_its_production_path(tmp_path, broken_cms):
    (tmp_path / "index.html").write_text("<p>home</p>")
    routes = {"/preview/": make_handler(broken_cms, SITE)}
    server = make_server(tmp_path, port=0, routes=routes)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        for path in ("/preview/?content_type=content.articlepage&token=t", "/preview?token=t"):
            response = requests.get(base + path, timeout=10)
            assert response.status_code == 502, path
            assert "The CMS answered with an error." in response.text
        assert requests.get(base + "/", timeout=10).text == "<p>home</p>"
    finally:
        server.shutdown()
        server.server_close()
