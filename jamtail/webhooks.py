"""Signed build hooks: one module that both the sender (the CMS) and receivers import.

Signature scheme (like Stripe's and Slack's):

    X-Jamtail-Timestamp: <unix seconds>
    X-Jamtail-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>

A receiver recomputes the HMAC over the raw body, compares it in constant
time, and rejects a timestamp more than ``tolerance`` seconds (default 300)
away from its clock, so a captured request cannot be replayed later.

:func:`deliver` POSTs a JSON payload to one hook with retries under
:mod:`jamtail.retry`'s policy: timeouts, connection errors, 429 and 5xx are
retried with jittered exponential backoff (``Retry-After`` honoured); other
4xx give up at once. A Netlify build hook
URL (``https://api.netlify.com/build_hooks/...``) gets ``?trigger_title=``;
Netlify passes the JSON body to the build as ``INCOMING_HOOK_BODY``.

No Django import here: the local runner and ``scripts/trigger_build.py`` use it too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from jamtail import retry
from jamtail.exceptions import JamtailError

SIGNATURE_HEADER = "X-Jamtail-Signature"
TIMESTAMP_HEADER = "X-Jamtail-Timestamp"
DEFAULT_TOLERANCE = 300
USER_AGENT = "jamtail-webhook/1"


class SignatureError(JamtailError):
    """A webhook's signature or timestamp is missing, malformed, wrong or too old."""


class MalformedHook(SignatureError):
    """A signature header that is not even well-formed (a receiver answers 400, not 401)."""


TIMESTAMP_FORMAT = re.compile(r"[0-9]{1,12}")
SIGNATURE_FORMAT = re.compile(r"sha256=[0-9a-f]{64}")


def parse_headers(timestamp: str | None, signed: str | None) -> int:
    """The Unix time of a hook whose two headers are present and well-formed.

    Raises :class:`SignatureError` for a missing header, and
    :class:`MalformedHook` for a timestamp that is not 1 to 12 digits or a
    signature that is not ``sha256=`` and 64 lowercase hex digits. Checked
    before the body is read or a number is made of it: a 400-digit timestamp
    is refused here, not overflowed later.
    """
    if not timestamp or not signed:  # unauthenticated rather than malformed: 401
        raise SignatureError(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    if not TIMESTAMP_FORMAT.fullmatch(timestamp.strip()):
        raise MalformedHook(f"{TIMESTAMP_HEADER} is not a Unix time: {timestamp[:40]!r}")
    if not SIGNATURE_FORMAT.fullmatch(signed.strip()):
        raise MalformedHook(f"{SIGNATURE_HEADER} is not sha256=<64 hex digits>")
    return int(timestamp.strip())


def signature(body: bytes, secret: str, timestamp: int) -> str:
    """``sha256=<hex>``: the HMAC-SHA256 of ``b"<timestamp>." + body`` keyed by ``secret``."""
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The timestamp and signature headers for ``body`` (``timestamp``: now by default)."""
    if not secret:
        raise SignatureError("no webhook secret configured: set JAMTAIL_WEBHOOK_SECRET")
    ts = int(time.time()) if timestamp is None else int(timestamp)
    return {TIMESTAMP_HEADER: str(ts), SIGNATURE_HEADER: signature(body, secret, ts)}


def verify(
    body: bytes,
    timestamp: str | None,
    signed: str | None,
    secret: str,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> None:
    """Check a received webhook; raise :class:`SignatureError` saying why it is refused.

    :class:`MalformedHook` (a subclass) when a header is malformed
    (:func:`parse_headers`). A receiver must also remember the signatures it
    accepted for ``tolerance`` seconds and refuse them again (a replay within
    the window): see ``jamtail/hookserver.py``.
    """
    if not secret:
        raise SignatureError("the receiver has no webhook secret configured")
    ts = parse_headers(timestamp, signed)
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance:
        raise SignatureError(
            f"timestamp {ts} is {current - ts:+.0f} s from now, outside the {tolerance} s window"
        )
    expected = signature(body, secret, ts)
    if not hmac.compare_digest(expected.encode(), str(signed).strip().encode()):
        raise SignatureError("signature does not match the body")


def hook_url(url: str, title: str = "") -> str:
    """``url``, with ``trigger_title`` added when it is a Netlify build hook."""
    parts = urlsplit(url)
    if parts.hostname == "api.netlify.com" and parts.path.startswith("/build_hooks/") and title:
        return url + ("&" if parts.query else "?") + urlencode({"trigger_title": title[:200]})
    return url


@dataclass
class Attempt:
    """One POST: HTTP status (None when no response), error text, seconds taken."""

    number: int
    status: int | None
    error: str
    seconds: float


@dataclass
class Delivery:
    """The outcome of :func:`deliver` for one hook; ``reason`` says why it gave up.

    ``retryable``: it gave up on errors that may pass (timeouts, connection
    errors, 429, 5xx), so trying again later may succeed; a refusal (4xx) or a
    signing error is not.
    """

    url: str
    ok: bool
    attempts: list[Attempt] = field(default_factory=list)
    reason: str = ""
    retryable: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def encode(payload: dict[str, Any]) -> bytes:
    """The exact bytes that are signed and sent."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def deliver(
    url: str,
    payload: dict[str, Any],
    secret: str,
    *,
    max_attempts: int = 5,
    timeout: float = 10.0,
    backoff: float = 1.0,
    title: str = "",
    session: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """POST ``payload`` signed to ``url`` under :mod:`jamtail.retry`'s policy; never raises.

    ``max_attempts`` tries, ``backoff`` the longest pause (seconds) before the
    first retry, ``timeout`` seconds per try. Each try is recorded in
    ``attempts``, signed afresh (a new timestamp).
    """
    body = encode(payload)
    target = hook_url(url, title)
    http = session or requests.Session()
    delivery = Delivery(url=url, ok=False)
    try:
        sign(body, secret)
    except SignatureError as exc:
        delivery.reason = str(exc)
        return delivery

    def attempt() -> requests.Response:
        started = time.monotonic()
        number = len(delivery.attempts) + 1
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            **sign(body, secret),
        }
        try:
            response = http.post(target, data=body, headers=headers, timeout=timeout)
        except requests.Timeout:
            delivery.attempts.append(
                Attempt(number, None, f"timed out after {timeout} s", time.monotonic() - started)
            )
            raise
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"
            delivery.attempts.append(Attempt(number, None, error, time.monotonic() - started))
            raise
        status = response.status_code
        error = "" if response.ok else f"HTTP {status}: {response.text[:200]}"
        delivery.attempts.append(Attempt(number, status, error, time.monotonic() - started))
        return response

    policy = retry.DEFAULT.but(attempts=max(1, max_attempts), backoff=backoff)
    try:
        response = policy.call(attempt, f"build hook {url}", sleep=sleep)
    except requests.RequestException as exc:
        last = delivery.attempts[-1].error
        if not retry.retryable(exc):
            delivery.reason = f"failed: {last}"
            return delivery
        delivery.reason = f"gave up after {len(delivery.attempts)} attempts: {last}"
        delivery.retryable = True
        return delivery
    last = delivery.attempts[-1].error
    if 200 <= response.status_code < 300:
        delivery.ok = True
    elif retry.retryable(response):
        delivery.reason = f"gave up after {len(delivery.attempts)} attempts: {last}"
        delivery.retryable = True
    else:
        delivery.reason = f"refused: {last}"
    return delivery
