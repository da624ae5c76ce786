"""``/preview/``: a draft rendered with the site's templates (see ``jamtail/build/preview.py``).

``handler(event, context)`` in the Lambda proxy format. Configuration, from
the environment when the function starts a request:

- ``JAMTAIL_API_URL``: the CMS API root (default ``http://127.0.0.1:8000/api/v2/``);
- ``JAMTAIL_SITE_DIR``: the folder with ``templates/`` and ``static/`` (default ``site``);
- ``JAMTAIL_PREVIEW_FRAME_ANCESTORS``: origins that may frame the preview
  (default: the CMS's origin, where Wagtail's preview panel lives).

GET and HEAD only (405 otherwise). One structured log line per request
(logger ``functions.preview``, JSON: method, path, status, ms, content type;
never the token).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from jamtail.build.preview import render_preview
from jamtail.security import secured
from jamtail.settings import Settings

from .adapter import Handler

log = logging.getLogger(__name__)


def make_handler(api_url: str, site_dir: Path, frame_ancestors: str = "") -> Handler:
    """A preview handler reading drafts from ``api_url``, rendering with ``site_dir``."""

    def preview_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        started = time.perf_counter()
        method = event.get("httpMethod", "GET")
        query = event.get("queryStringParameters") or {}
        if method not in ("GET", "HEAD"):
            status, headers, body = (
                405,
                # The URL carries a preview token: never sent on as a referrer.
                {
                    "Allow": "GET, HEAD",
                    "Content-Type": "application/json",
                    "Referrer-Policy": "no-referrer",
                },
                json.dumps({"code": "method_not_allowed", "message": "use GET"}),
            )
        else:
            status, headers, body = render_preview(api_url, query, site_dir, frame_ancestors)
        log.info(
            "%s",
            json.dumps(
                {
                    "function": "preview",
                    "method": method,
                    "path": event.get("path"),
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                    "content_type": query.get("content_type"),
                }
            ),
        )
        return {"statusCode": status, "headers": headers, "body": body, "isBase64Encoded": False}

    return secured(preview_handler)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The deployed entry point: configured by the environment (module docstring)."""
    settings = Settings.from_environ()
    return make_handler(settings.api_url, settings.site_dir, settings.preview_frame_ancestors)(
        event, context
    )
