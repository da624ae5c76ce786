"""Run a Lambda-proxy handler anywhere: under WSGI, or inside ``jamtail serve``.

A handler is ``handler(event, context) -> result`` in the AWS Lambda proxy
format (payload version 1.0, which Netlify Functions also use):

- ``event``: ``httpMethod``, ``path``, ``headers`` (one value per name, the
  last one wins), ``multiValueHeaders``, ``queryStringParameters`` (``None``
  when there is no query; the last value of a repeated name),
  ``multiValueQueryStringParameters``, ``body`` (``None`` when empty; text,
  or base64 when it is not UTF-8) and ``isBase64Encoded``;
- ``result``: ``statusCode``, ``headers``, optional ``multiValueHeaders``,
  ``body`` (text, or base64 with ``isBase64Encoded``).

:func:`make_event` builds an event from the parts of any HTTP request;
:func:`wsgi_app` wraps a handler as a WSGI application (gunicorn, uWSGI,
mod_wsgi: ``gunicorn 'functions.adapter:wsgi_app(functions.preview.handler)'``
or a two-line ``wsgi.py``); :func:`response_parts` turns a result back into
status, header list and bytes.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def make_event(
    method: str,
    path: str,
    query_string: str = "",
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
) -> dict[str, Any]:
    """A Lambda proxy event for one request; header names keep their case as given."""
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        multi_headers.setdefault(name, []).append(value)
    multi_query: dict[str, list[str]] = {}
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        multi_query.setdefault(name, []).append(value)
    try:
        text: str | None = body.decode("utf-8") if body else None
        encoded = False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode("ascii"), True
    return {
        "httpMethod": method.upper(),
        "path": path,
        "headers": {k: v[-1] for k, v in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "body": text,
        "isBase64Encoded": encoded,
        "requestContext": {"httpMethod": method.upper(), "path": path},
    }


def response_parts(result: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    """``(status, [(name, value)], body bytes)`` of a handler's result."""
    status = int(result.get("statusCode", 200))
    headers = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((str(name), str(v)) for v in values)
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode("utf-8")
    return status, headers, body


def event_from_environ(environ: dict[str, Any]) -> dict[str, Any]:
    """The event for a WSGI request (PEP 3333 ``environ``)."""
    headers = [
        (key[5:].replace("_", "-").title(), value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    ]
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers.append((key.replace("_", "-").title(), environ[key]))
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")) or "/"
    event = make_event(
        environ.get("REQUEST_METHOD", "GET"), path, environ.get("QUERY_STRING", ""), headers, body
    )
    event["requestContext"]["identity"] = {"sourceIp": environ.get("REMOTE_ADDR", "")}
    return event


def wsgi_app(handler: Handler) -> Callable[..., Iterable[bytes]]:
    """A WSGI application that answers every request with ``handler``."""

    def application(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        status, headers, body = response_parts(handler(event_from_environ(environ), None))
        if not any(name.lower() == "content-length" for name, _ in headers):
            headers.append(("Content-Length", str(len(body))))
        start_response(f"{status} {_phrase(status)}", headers)
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else body]

    return application


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
