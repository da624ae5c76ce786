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
import json
import re
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

# Lambda takes at most 6 MB; no function here needs more than 64 KB: refuse above 1 MiB.
MAX_BODY_BYTES = 1024 * 1024
_DIGITS = re.compile(r"[0-9]{1,15}")


class BodyRefused(ValueError):
    """A request body refused before it is read: ``status`` 400 or 413."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def body_length(value: str | None, limit: int = MAX_BODY_BYTES) -> int:
    """The byte count a ``Content-Length`` header announces (0 when absent).

    Raises :class:`BodyRefused`: 400 when it is not digits (``-1``, ``1e3``),
    413 when it is over ``limit``. RFC 9110 section 8.6: ``1*DIGIT``.
    """
    text = (value or "").strip()
    if not text:
        return 0
    if not _DIGITS.fullmatch(text):
        raise BodyRefused(400, "Content-Length must be a number of bytes")
    length = int(text)
    if length > limit:
        raise BodyRefused(413, f"the body is over {limit} bytes")
    return length


def refusal(exc: BodyRefused) -> dict[str, Any]:
    """The handler result for a refused body: JSON ``{"code", "message"}``, page headers."""
    from jamtail.security import with_security_headers

    code = "too_large" if exc.status == 413 else "invalid_length"
    return {
        "statusCode": exc.status,
        "headers": with_security_headers(
            {"Content-Type": "application/json", "Cache-Control": "no-store"}
        ),
        "body": json.dumps({"code": code, "message": str(exc)}),
        "isBase64Encoded": False,
    }


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
    """The event for a WSGI request (PEP 3333 ``environ``).

    Raises :class:`BodyRefused` (before reading) for a bad or too large ``Content-Length``.
    """
    headers = [
        (key[5:].replace("_", "-").title(), value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    ]
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers.append((key.replace("_", "-").title(), environ[key]))
    length = body_length(environ.get("CONTENT_LENGTH"))
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
        try:
            result = handler(event_from_environ(environ), None)
        except BodyRefused as exc:
            result = refusal(exc)
        status, headers, body = response_parts(result)
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
