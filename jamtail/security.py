"""The security headers of every response Jamtail makes: pages, functions, the preview.

One source of truth: ``_headers`` (``jamtail/outputs/headers.py``, which
Netlify, the S3 deploy and ``jamtail serve`` apply to static files) and every
function's response (:func:`secured`) carry :data:`SECURITY_HEADERS`.

The Content-Security-Policy allows scripts only from the site's own files:
no ``'unsafe-inline'``, so an inline ``<script>``, an ``onerror=`` attribute
or a ``javascript:`` URL in raw HTML (the ``raw_html`` block, imported
Markdown) does not run, on the site or in the preview (see
``docs/security.md``). JSON-LD blocks are data, not scripts, to CSP.

Specs: CSP Level 3 (https://www.w3.org/TR/CSP3/), HSTS (RFC 6797),
``X-Frame-Options`` (RFC 7034), Referrer Policy (W3C).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def content_security_policy(frame_ancestors: str = "'none'", img_sources: str = "") -> str:
    """The site's CSP; ``frame_ancestors`` and extra ``img_sources`` (space-separated) vary.

    The preview is framed by the CMS and shows the CMS's images, so it passes
    the CMS's origin to both; everything else uses the defaults.
    """
    directives = [
        "default-src 'self'",
        f"img-src 'self' data: https: {img_sources}".strip(),
        "style-src 'self'",
        "script-src 'self'",
        "frame-src https:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ]
    return "; ".join(directives)


CSP = content_security_policy()

SECURITY_HEADERS: list[tuple[str, str]] = [
    ("Content-Security-Policy", CSP),
    ("Strict-Transport-Security", "max-age=63072000; includeSubDomains"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
]


def preview_csp(frame_ancestors: str) -> str:
    """The preview page's CSP: the site's, framed and fed images by ``frame_ancestors``.

    ``frame_ancestors``: the origins (space-separated) that may frame the
    preview, the CMS's by default; ``'self'`` is always allowed too.
    """
    return content_security_policy(
        frame_ancestors=f"'self' {frame_ancestors}".strip(), img_sources=frame_ancestors
    )


def with_security_headers(headers: dict[str, str] | None) -> dict[str, str]:
    """``headers`` plus every :data:`SECURITY_HEADERS` entry it does not set itself.

    Header names compare case-insensitively; a function's own value (a
    stricter CSP, the preview's ``frame-ancestors``) is kept.
    """
    result = dict(headers or {})
    present = {name.lower() for name in result}
    for name, value in SECURITY_HEADERS:
        if name.lower() not in present:
            result[name] = value
    csp = next((v for k, v in result.items() if k.lower() == "content-security-policy"), "")
    if "frame-ancestors" in csp and "frame-ancestors 'none'" not in csp:
        # The function allows framing (the preview in the CMS's panel): the CSP
        # says by whom, and X-Frame-Options cannot say it, so it must not deny.
        result.pop("X-Frame-Options", None)
    return result


def secured(handler: Handler) -> Handler:
    """``handler`` (a Lambda-proxy function) answering with :func:`with_security_headers`."""

    def secured_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        result = handler(event, context)
        return {**result, "headers": with_security_headers(result.get("headers"))}

    secured_handler.__name__ = getattr(handler, "__name__", "handler")
    secured_handler.__doc__ = handler.__doc__
    return secured_handler
