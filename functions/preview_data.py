"""``/api/preview``: a draft as JSON, for front ends that render previews in the browser (Next).

``GET /api/preview?content_type=<app_label.model>&token=<token>`` forwards the two
parameters to the CMS's ``/api/v2/preview/`` (``cms/content/preview.py``; the contract is
``getPreview`` in docs/openapi.json) and answers its status and JSON body unchanged: the
draft in the shape of ``/api/v2/pages/<id>/?fields=*``, or ``{"code", "message"}``. The
site's own origin serves it, so the preview page needs no cross-origin request to the
CMS, which may be on a private network. Always ``Cache-Control: no-store, private`` and
``X-Robots-Tag: noindex``.

Errors of its own: 405 for a method other than GET and HEAD, 503 ``cms_unavailable``
when the CMS cannot be reached or answers something that is not JSON.

Configuration: ``JAMTAIL_API_URL`` (default ``http://127.0.0.1:8000/api/v2/``);
``JAMTAIL_PREVIEW_TIMEOUT`` seconds to wait for the CMS (default 10). One log line per
request (logger ``functions.preview_data``, JSON: method, status, ms, content type;
never the token).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import requests

from jamtail.settings import Settings

from .adapter import Handler

log = logging.getLogger(__name__)
PRIVATE = {
    "Content-Type": "application/json",
    "Cache-Control": "no-store, private",
    "X-Robots-Tag": "noindex",
}


def _error(status: int, code: str, message: str) -> tuple[int, str]:
    return status, json.dumps({"code": code, "message": message})


def fetch_draft(api_url: str, query: dict[str, str], timeout: float) -> tuple[int, str]:
    """``(status, JSON text)`` of the CMS's preview endpoint for ``query``."""
    params = {k: query.get(k, "") for k in ("content_type", "token")}
    try:
        response = requests.get(f"{api_url.rstrip('/')}/preview/", params=params, timeout=timeout)
        body = response.json()
    except (requests.RequestException, ValueError) as exc:
        log.warning("preview: the CMS could not be read: %s", type(exc).__name__)
        return _error(503, "cms_unavailable", "The CMS cannot be reached. Try again in a moment.")
    return response.status_code, json.dumps(body)


def make_handler(api_url: str, timeout: float = 10.0) -> Handler:
    """A handler answering drafts from the CMS API at ``api_url``."""

    def preview_data_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        started = time.perf_counter()
        method = event.get("httpMethod", "GET")
        query = event.get("queryStringParameters") or {}
        if method not in ("GET", "HEAD"):
            status, body = _error(405, "method_not_allowed", "use GET")
            headers = {**PRIVATE, "Allow": "GET, HEAD"}
        else:
            status, body = fetch_draft(api_url, query, timeout)
            headers = dict(PRIVATE)
        log.info(
            "%s",
            json.dumps(
                {
                    "function": "preview_data",
                    "method": method,
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                    "content_type": query.get("content_type"),
                }
            ),
        )
        return {"statusCode": status, "headers": headers, "body": body, "isBase64Encoded": False}

    return preview_data_handler


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The deployed entry point: configured by the environment (module docstring)."""
    settings = Settings.from_environ()
    return make_handler(settings.api_url, settings.functions.preview_timeout)(event, context)
