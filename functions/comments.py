"""``/api/comments``: take a reader's comment for moderation; list a page's approved comments.

``handler(event, context)`` in the Lambda proxy format (``functions/adapter.py``).
The function keeps no state between invocations: comments, the per-client rate
limit and moderation live in the CMS (``cms/comments/``), which it calls with a
service token.

Routes:

- ``GET /api/comments?page=<id>``: ``{"page": id, "comments": [...]}``, the
  approved comments, threaded (each ``{"id", "parent", "author_name",
  "created_at", "body_html", "replies": [...]}``); no emails, no hashes.
- ``GET /api/comments/token``: ``{"token", "min_seconds"}``, a form token
  signed by this function (HMAC-SHA256 over the time it was issued). The
  page's script fetches one when it shows the form.
- ``POST /api/comments``: JSON or an HTML form post
  (``application/x-www-form-urlencoded``) with ``page``, ``author_name``,
  ``body`` (Markdown), optional ``author_email``, ``parent``, ``return_to``,
  plus ``form_token`` and the honeypot ``website`` (must stay empty).
  Answers 202 ``{"status": "pending", "id", "message"}`` once the CMS has
  stored the comment; 400 for invalid input (``{"code", "message",
  "fields"}``; also JSON nested over 32 levels), 413 for a body over 64 KB,
  415 for another content type, 429 with ``Retry-After`` when the CMS's
  per-client limit is reached, 503 with ``Retry-After`` when the CMS cannot
  be reached (``cms_unavailable``: nothing was stored) or got the comment but
  did not answer (``outcome_unknown``: the reader's retry is harmless, see
  :func:`idempotency_key`), 502 when the CMS refuses the service token (a
  configuration error).
  A form post gets the same statuses as a small HTML page; a form post without
  a valid, old-enough token gets a "check your comment" page (200) with a
  fresh token, so readers without JavaScript post in two steps.

Bots: the honeypot, and the form token's age (at least ``min_seconds`` and at
most a day; forging one needs the secret). The client address, for the CMS's
rate limit, is the connection's (``requestContext.identity.sourceIp``), or the
``JAMTAIL_COMMENTS_TRUSTED_PROXIES``-th address from the right of
``X-Forwarded-For`` behind that many proxies (a CDN).

Configuration (environment, read per request):

- ``JAMTAIL_API_URL``: the CMS API root (default ``http://127.0.0.1:8000/api/v2/``);
- ``JAMTAIL_COMMENTS_TOKEN``: the service token the CMS expects (required for POST);
- ``JAMTAIL_COMMENTS_FORM_SECRET``: signs form tokens (default: derived from the
  service token);
- ``JAMTAIL_COMMENTS_MIN_SECONDS``: a form token's minimum age (default 3);
- ``JAMTAIL_COMMENTS_TRUSTED_PROXIES``: proxies in front of the function (default 0);
- ``JAMTAIL_COMMENTS_TIMEOUT``: seconds to wait for the CMS (default 5).

One structured log line per request (logger ``functions.comments``, JSON:
method, path, status, code, page, ms, and ``detail`` saying why the CMS could
not be used; WARNING level for a 5xx); never the email, the body or the address.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from jamtail.jsonlimits import JSONLimitError
from jamtail.jsonlimits import loads as bounded_json
from jamtail.security import secured
from jamtail.settings import Settings

from .adapter import Handler
from .comment_markup import render_comment

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
MAX_NAME = 80
MAX_EMAIL = 254
MAX_COMMENT = 5000
TOKEN_MAX_AGE = 24 * 3600
RETRY_AFTER_SECONDS = 30
UNKNOWN_RETRY_SECONDS = 10
# What makes two posts the same comment (with the form token): see idempotency_key().
IDEMPOTENT_FIELDS = ("page", "parent", "author_name", "author_email", "body")
HONEYPOT = "website"
EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# In a link back: whitespace and every control character (tab and newline included).
UNSAFE_IN_PATH = re.compile(r"[\x00-\x20\x7f-\x9f\u2028\u2029]")
# The form-post pages have no script, style or frame of their own: forbid them all.
HTML_CSP = "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
PENDING_MESSAGE = "Thank you! Your comment is awaiting moderation."
CONFIRM_MESSAGE = "Please check your comment, then post it (it is not saved yet)."


@dataclass(frozen=True)
class Config:
    """Where the CMS is and how this function talks to it (see the module docstring)."""

    api_url: str
    service_token: str
    form_secret: bytes
    min_seconds: float = 3.0
    trusted_proxies: int = 0
    timeout: float = 5.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Config:
        """The function's configuration from ``settings`` (its ``functions`` section)."""
        own = settings.functions
        token = own.comments_token
        secret = (
            own.comments_form_secret
            or hmac.new(token.encode(), b"jamtail-comment-form", hashlib.sha256).hexdigest()
        )
        return cls(
            api_url=settings.api_url,
            service_token=token,
            form_secret=secret.encode(),
            min_seconds=own.comments_min_seconds,
            trusted_proxies=own.comments_trusted_proxies,
            timeout=own.comments_timeout,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        """:meth:`from_settings` of ``env`` (default: the process environment) read by
        :meth:`Settings.from_environ <jamtail.settings.Settings.from_environ>`."""
        settings = Settings.from_environ() if env is None else Settings.from_environ(env)
        return cls.from_settings(settings)

    @property
    def comments_url(self) -> str:
        return self.api_url.rstrip("/") + "/comments/"


@dataclass
class Answer:
    """A response being made: status, JSON payload, extra headers, and the log's code."""

    status: int
    payload: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    html: str | None = None  # set for form posts
    detail: str = ""  # for the log line only: why the CMS could not be used

    @property
    def code(self) -> str:
        return str(self.payload.get("code") or self.payload.get("status") or "ok")


def error(status: int, code: str, message: str, **extra: Any) -> Answer:
    return Answer(status, {"code": code, "message": message, **extra})


# Form tokens -----------------------------------------------------------------


def issue_token(secret: bytes, now: float | None = None) -> str:
    """``"<unix seconds>.<hex HMAC-SHA256>"``: when the form was shown, signed."""
    issued = str(int(now if now is not None else time.time()))
    return f"{issued}.{_sign(secret, issued)}"


def token_age(secret: bytes, token: str, now: float | None = None) -> float | None:
    """Seconds since ``token`` was issued, or ``None`` if it is malformed or forged."""
    issued, _, signature = token.partition(".")
    if not issued.isdigit() or not hmac.compare_digest(signature, _sign(secret, issued)):
        return None
    return (now if now is not None else time.time()) - int(issued)


def _sign(secret: bytes, issued: str) -> str:
    return hmac.new(secret, f"comment-form:{issued}".encode(), hashlib.sha256).hexdigest()


# Requests --------------------------------------------------------------------


def client_address(event: dict[str, Any], trusted_proxies: int) -> str:
    """The reader's address: the connection's, or the one the trusted proxies saw."""
    context = event.get("requestContext") or {}
    address = (context.get("identity") or {}).get("sourceIp") or (context.get("http") or {}).get(
        "sourceIp", ""
    )
    if trusted_proxies > 0:
        headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        hops = [h.strip() for h in headers.get("x-forwarded-for", "").split(",") if h.strip()]
        if len(hops) >= trusted_proxies:
            address = hops[-trusted_proxies]
    return address or "unknown"


def parse_body(event: dict[str, Any]) -> tuple[dict[str, Any] | None, bool, Answer | None]:
    """``(fields, is_form, error)`` of a POST: a JSON object or a urlencoded form."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return None, False, error(400, "invalid_body", "the body must be UTF-8 text")
    if len(raw.encode("utf-8")) > MAX_BODY_BYTES:
        return None, False, error(413, "too_large", f"the body is over {MAX_BODY_BYTES} bytes")
    if content_type == "application/x-www-form-urlencoded":
        return dict(parse_qsl(raw, keep_blank_values=True)), True, None
    if content_type != "application/json":
        return None, False, error(415, "unsupported_media_type", "send JSON or a form post")
    try:
        data = bounded_json(raw, MAX_BODY_BYTES)
    except JSONLimitError as exc:
        code = {413: "too_large"}.get(exc.status, "invalid_json")
        return None, False, error(exc.status, code, str(exc))
    if not isinstance(data, dict):
        return None, False, error(400, "invalid_json", "the body must be a JSON object")
    return data, False, None


def validate(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """``(clean fields, {field: problem})`` for a posted comment (see module docstring)."""
    problems: dict[str, str] = {}
    out: dict[str, Any] = {}
    for name in ("page", "parent"):
        value = data.get(name)
        if value in (None, "") and name == "parent":
            out[name] = None
            continue
        text = str(value if value is not None else "").strip()
        if not text.isdigit() or int(text) <= 0:
            problems[name] = f"{name} must be a page id" if name == "page" else "not a comment id"
        else:
            out[name] = int(text)
    name = _text(data.get("author_name"))
    if not name:
        problems["author_name"] = "your name is required"
    elif len(name) > MAX_NAME or "\n" in name:
        problems["author_name"] = f"your name must be one line of at most {MAX_NAME} characters"
    email = _text(data.get("author_email"))
    if email and (len(email) > MAX_EMAIL or not EMAIL.match(email)):
        problems["author_email"] = "this is not an email address"
    body = _text(data.get("body"))
    if not body:
        problems["body"] = "the comment is empty"
    elif len(body) > MAX_COMMENT:
        problems["body"] = f"the comment is over {MAX_COMMENT} characters"
    out.update(author_name=name, author_email=email, body=body)
    return out, problems


def _text(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    return CONTROL.sub("", value.replace("\r\n", "\n")).strip()


def safe_return_path(value: Any) -> str:
    """A same-site path to link back to (``/blog/post/``), never another origin.

    Anything but one ``/`` then no ``/`` or backslash is refused (``"/"``
    instead), and so is any whitespace or control character: the WHATWG URL
    parser drops tabs and newlines and reads a backslash as ``/``, so
    ``/%09/evil.example`` (a tab, decoded) and ``/%5Cevil.example`` would
    both be read as ``//evil.example``, another origin.
    """
    text = value if isinstance(value, str) else ""
    if (
        not text.startswith("/")
        or text[1:2] in ("/", "\\")
        or "\\" in text
        or UNSAFE_IN_PATH.search(text)
    ):
        return "/"
    return text


# The CMS ---------------------------------------------------------------------


def idempotency_key(secret: bytes, form_token: str, comment: dict[str, Any]) -> str:
    """The ``Idempotency-Key`` of one comment (64 hex characters).

    An HMAC of the reader's form token and what they wrote: a retry of the
    same post (the page's script retries after a 5xx with the same token) has
    the same key, so the CMS stores it once; another comment, even with the
    same token, has another key.
    """
    parts = [form_token, *(str(comment.get(k) or "") for k in IDEMPOTENT_FIELDS)]
    message = "comment-post:" + json.dumps(parts)
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def forward(config: Config, comment: dict[str, Any], address: str, key: str) -> Answer:
    """Store ``comment`` in the CMS once (``key``: its Idempotency-Key); 202 once it answered 201.

    A request that never reached the CMS is "not stored" (503); one that did
    but got no answer (a timeout, a dropped connection, a gateway's 502/503/504)
    is "unknown" (503, ``outcome_unknown``): the reader's retry carries the
    same key, so it stores the comment if it was lost and answers the first
    answer if it was not.
    """
    payload = {
        "page": comment["page"],
        "parent": comment["parent"],
        "author_name": comment["author_name"],
        "author_email": comment["author_email"],
        "body_markdown": comment["body"],
        "body_html": comment["body_html"],
        "client_address": address,
    }
    try:
        response = requests.post(
            config.comments_url,
            json=payload,
            headers={"Authorization": f"Bearer {config.service_token}", "Idempotency-Key": key},
            timeout=config.timeout,
        )
    except requests.ConnectTimeout as exc:
        return unavailable(f"the CMS is unreachable: {exc.__class__.__name__}")
    except requests.ConnectionError as exc:
        if _never_sent(exc):
            return unavailable(f"the CMS is unreachable: {exc.__class__.__name__}")
        return outcome_unknown(f"the CMS dropped the connection: {exc.__class__.__name__}")
    except requests.RequestException as exc:  # ReadTimeout among others: sent, no answer
        return outcome_unknown(f"no answer from the CMS: {exc.__class__.__name__}")
    if response.status_code == 201:
        stored = response.json()
        return Answer(
            202, {"status": "pending", "id": stored.get("id"), "message": PENDING_MESSAGE}
        )
    if response.status_code in (502, 503, 504):
        return outcome_unknown(f"the CMS answered {response.status_code}")
    if response.status_code >= 500:
        return unavailable(f"the CMS answered {response.status_code}")
    message = _cms_message(response)
    if response.status_code == 429:
        retry = response.headers.get("Retry-After", str(RETRY_AFTER_SECONDS))
        return Answer(429, {"code": "rate_limited", "message": message}, {"Retry-After": retry})
    if response.status_code in (401, 403):
        answer = error(502, "misconfigured", "comments cannot be stored right now")
        answer.detail = "the CMS refused the service token (JAMTAIL_COMMENTS_TOKEN)"
        return answer
    fields = _cms_fields(response)
    return error(400, "invalid", message, fields=fields)


def _never_sent(exc: requests.ConnectionError) -> bool:
    """Whether the connection failed before the request went out (refused, no route)."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


def unavailable(detail: str) -> Answer:
    return Answer(
        503,
        {
            "code": "cms_unavailable",
            "message": "Comments cannot be saved right now and yours was not stored: "
            f"please try again in {RETRY_AFTER_SECONDS} seconds.",
        },
        {"Retry-After": str(RETRY_AFTER_SECONDS)},
        detail=detail,
    )


def outcome_unknown(detail: str) -> Answer:
    return Answer(
        503,
        {
            "code": "outcome_unknown",
            "message": "We could not confirm that your comment was saved. It will be sent "
            f"again in {UNKNOWN_RETRY_SECONDS} seconds; it cannot be posted twice.",
        },
        {"Retry-After": str(UNKNOWN_RETRY_SECONDS)},
        detail=detail,
    )


def _cms_message(response: requests.Response) -> str:
    try:
        return str(response.json().get("message") or response.reason)
    except ValueError:
        return f"the CMS answered {response.status_code}"


def _cms_fields(response: requests.Response) -> dict[str, str]:
    try:
        fields = response.json().get("fields") or {}
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in fields.items()} if isinstance(fields, dict) else {}


def list_comments(config: Config, query: dict[str, str]) -> Answer:
    """The approved comments of ``?page=<id>``, read from the CMS."""
    page = (query.get("page") or "").strip()
    if not page.isdigit():
        return error(400, "invalid", "give ?page=<page id>", fields={"page": "must be a page id"})
    try:
        response = requests.get(config.comments_url, params={"page": page}, timeout=config.timeout)
    except requests.RequestException as exc:
        return unavailable(f"the CMS is unreachable: {exc.__class__.__name__}")
    if response.status_code >= 500:
        return unavailable(f"the CMS answered {response.status_code}")
    if response.status_code == 404:
        return error(404, "not_found", f"no live page {page} takes comments")
    if response.status_code != 200:
        return error(400, "invalid", _cms_message(response))
    return Answer(200, response.json(), {"Cache-Control": "public, max-age=60"})


# POST ------------------------------------------------------------------------


def post_comment(config: Config, event: dict[str, Any]) -> Answer:
    data, is_form, problem = parse_body(event)
    if problem or data is None:
        return problem or error(400, "invalid_body", "empty body")
    answer = _post(config, event, data, is_form)
    if is_form:
        answer.html = form_page(config, answer, data)
    return answer


def _post(config: Config, event: dict[str, Any], data: dict[str, Any], is_form: bool) -> Answer:
    if str(data.get(HONEYPOT) or "").strip():
        return error(400, "rejected", "this comment looks automated and was not accepted")
    comment, problems = validate(data)
    if problems:
        return error(400, "invalid", "please correct the marked fields", fields=problems)
    age = token_age(config.form_secret, str(data.get("form_token") or ""))
    if age is None or age > TOKEN_MAX_AGE or age < -60:
        if is_form:  # without JavaScript the static form has no token: confirm in two steps
            return Answer(200, {"code": "confirm", "message": CONFIRM_MESSAGE})
        return error(400, "invalid_token", "the form has expired: reload the page and post again")
    if age < config.min_seconds:
        wait = max(1, int(config.min_seconds - age + 0.999))
        return Answer(
            400,
            {"code": "too_fast", "message": f"please wait {wait} s and post again", "wait": wait},
            {"Retry-After": str(wait)},
        )
    comment["body_html"] = render_comment(comment["body"])
    if not comment["body_html"]:
        return error(400, "invalid", "the comment is empty", fields={"body": "nothing to show"})
    if not config.service_token:
        answer = error(502, "misconfigured", "comments cannot be stored right now")
        answer.detail = "JAMTAIL_COMMENTS_TOKEN is not set"
        return answer
    key = idempotency_key(config.form_secret, str(data.get("form_token")), comment)
    return forward(config, comment, client_address(event, config.trusted_proxies), key)


def form_page(config: Config, answer: Answer, data: dict[str, Any]) -> str:
    """The HTML a form post gets: the outcome, and the form again when it can be retried."""
    back = html.escape(safe_return_path(data.get("return_to")), quote=True)
    message = html.escape(str(answer.payload.get("message", "")))
    if answer.status == 202:
        title, blocks = "Comment received", [f"<p>{message}</p>"]
    else:
        title = "Check your comment" if answer.status < 500 else "Comment not saved"
        blocks = [f"<p>{message}</p>"]
        if answer.payload.get("code") == "confirm":
            preview = render_comment(_text(data.get("body")))
            blocks.append(f'<div class="comment-preview">{preview}</div>')
        fields = answer.payload.get("fields") or {}
        blocks += [f"<p>{html.escape(k)}: {html.escape(v)}</p>" for k, v in fields.items()]
        if answer.payload.get("code") != "rejected":
            # Outcome unknown: the same token, so posting again is the same comment, once.
            same = answer.payload.get("code") == "outcome_unknown"
            blocks.append(_confirm_form(config, data, keep_token=same))
    body = "\n".join(blocks)
    return (
        '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>{title}</title></head>\n'
        f"<body><main><h1>{title}</h1>\n{body}\n"
        f'<p><a href="{back}#comments">Back to the article</a></p></main></body>\n</html>\n'
    )


def _confirm_form(config: Config, data: dict[str, Any], keep_token: bool = False) -> str:
    """The comment form again, filled in, with a fresh token: post it after a few seconds.

    ``keep_token``: the posted token instead, so the post repeats (same Idempotency-Key).
    """

    def value(name: str) -> str:
        return html.escape(str(data.get(name) or ""), quote=True)

    back = html.escape(safe_return_path(data.get("return_to")), quote=True)
    token = value("form_token") if keep_token else issue_token(config.form_secret)
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{value(name)}">' for name in ("page", "parent")
    )
    hidden += f'<input type="hidden" name="return_to" value="{back}">'
    return (
        '<form method="post" action="/api/comments">'
        f'{hidden}<input type="hidden" name="form_token" value="{token}">'
        '<p><label>Name<br><input name="author_name" required maxlength="80" '
        f'value="{value("author_name")}"></label></p>'
        '<p><label>Email (never shown)<br><input name="author_email" type="email" '
        f'maxlength="254" value="{value("author_email")}"></label></p>'
        '<p><label>Comment<br><textarea name="body" required rows="8" cols="60">'
        f"{value('body')}</textarea></label></p>"
        '<p><button type="submit">Post comment</button></p></form>'
    )


# Entry points ----------------------------------------------------------------


def make_handler(config: Config) -> Handler:
    """A comments handler bound to ``config``."""

    def comments_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        started = time.perf_counter()
        method = event.get("httpMethod", "GET")
        path = (event.get("path") or "").rstrip("/")
        query = event.get("queryStringParameters") or {}
        if method in ("GET", "HEAD") and path.endswith("/token"):
            answer = Answer(
                200,
                {"token": issue_token(config.form_secret), "min_seconds": config.min_seconds},
                {"Cache-Control": "no-store"},
            )
        elif method in ("GET", "HEAD"):
            answer = list_comments(config, query)
        elif method == "POST":
            answer = post_comment(config, event)
        else:
            answer = error(405, "method_not_allowed", "use GET or POST")
            answer.headers["Allow"] = "GET, HEAD, POST"
        headers = {
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            **answer.headers,
        }
        if answer.html is not None:
            headers["Content-Type"] = "text/html; charset=utf-8"
            headers["Content-Security-Policy"] = HTML_CSP
            body = answer.html
        else:
            headers["Content-Type"] = "application/json"
            body = json.dumps(answer.payload)
        line = {
            "function": "comments",
            "method": method,
            "path": event.get("path"),
            "status": answer.status,
            "code": answer.code,
            "page": query.get("page"),
            "ms": round((time.perf_counter() - started) * 1000, 1),
        }
        if answer.detail:
            line["detail"] = answer.detail
        log.log(logging.WARNING if answer.status >= 500 else logging.INFO, "%s", json.dumps(line))
        return {
            "statusCode": answer.status,
            "headers": headers,
            "body": body,
            "isBase64Encoded": False,
        }

    return secured(comments_handler)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The deployed entry point: configured by the environment (module docstring)."""
    return make_handler(Config.from_settings(Settings.from_environ()))(event, context)
