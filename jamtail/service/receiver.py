"""The build service's HTTP side: a small WSGI app that checks a build hook and queues it.

    POST /              a signed build hook (``jamtail/webhooks.py``): 202 ``{"queued": N}``
    POST /sites/NAME/   the same, for site NAME (or name it in the body: ``"site": NAME``)
    GET  /status        ``{"queued": N, "building": bool, "builds": K, "sites": {NAME: {...}}}``
                        across every worker of the broker (``BuildService.status``)

Checks, in this order, each cheaper than the next and each before any
work the caller could make expensive:

1. per-source rate limit (``rate_limit`` requests a minute per client
   address, a token bucket): 429 with ``Retry-After``;
2. ``Content-Length``: digits only, present (411), at most ``max_body``
   bytes (413), all checked *before* the body is read;
3. the signature headers present (401 otherwise) and well-formed (a Unix
   time of at most 12 digits, ``sha256=`` and 64 hex digits): 400 otherwise;
4. the signature and the timestamp's freshness (``webhooks.verify``): 401;
5. not a replay: each signature is remembered while its timestamp is inside
   the validity window, in ``<state dir>/seen-signatures.json`` (written
   atomically, so a restarted runner still refuses a replay): 409;
6. the body a JSON object no more than 32 levels deep (``jamtail/jsonlimits.py``): 400.

Only then is the hook put in its site's inbox and a worker woken
(``BuildService.submit``); a site this receiver does not know is a 404.
Every answer is JSON ``{"message": ...}``; nothing here answers 5xx for
anything a client sends. Served by waitress (:func:`make_server`).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jamtail import webhooks
from jamtail.jsonlimits import JSONLimitError, loads
from jamtail.service.sites import DEFAULT_SITE, Site
from jamtail.service.worker import BuildService

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY = 4 * 1024 * 1024  # bytes: a hook listing every path of a large import fits
DEFAULT_RATE_LIMIT = 60  # requests a minute per client address
DIGITS = re.compile(r"[0-9]{1,15}")
STATUS_TEXT = {
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    411: "Length Required",
    413: "Content Too Large",
    429: "Too Many Requests",
}


class ReplayGuard:
    """Signatures seen within the validity window, persisted in a JSON file.

    ``{"<signature>": <timestamp>}``; an entry is forgotten once its
    timestamp is more than ``tolerance`` seconds in the past, when
    :func:`webhooks.verify` refuses it anyway.
    """

    def __init__(self, path: Path, tolerance: int):
        self.path, self.tolerance = path, tolerance
        self.lock = threading.Lock()
        self.seen: dict[str, int] = {}
        try:
            loaded = json.loads(path.read_text())
            self.seen = {str(k): int(v) for k, v in loaded.items()}
        except (OSError, ValueError, AttributeError, TypeError):
            self.seen = {}  # none yet, or damaged: the window is short, start afresh

    def first_time(self, signature: str, timestamp: int, now: float | None = None) -> bool:
        """Record ``signature``; ``False`` when it was already seen (a replay)."""
        current = time.time() if now is None else now
        with self.lock:
            self.seen = {s: ts for s, ts in self.seen.items() if ts >= current - self.tolerance}
            if signature in self.seen:
                return False
            self.seen[signature] = timestamp
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text(json.dumps(self.seen))
            os.replace(tmp, self.path)
            return True


class RateLimiter:
    """A token bucket per client: ``per_minute`` requests, refilled continuously."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.capacity = max(1, per_minute)
        self.rate = self.capacity / 60.0
        self.clock = clock
        self.lock = threading.Lock()
        self.buckets: dict[str, tuple[float, float]] = {}

    def wait(self, client: str) -> int:
        """0 when ``client`` may make a request now (and it is counted); else seconds to wait."""
        now = self.clock()
        with self.lock:
            if len(self.buckets) > 10_000:  # forget clients whose buckets are full again
                full = now - self.capacity / self.rate
                self.buckets = {k: v for k, v in self.buckets.items() if v[1] > full}
            tokens, last = self.buckets.get(client, (float(self.capacity), now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens < 1:
                self.buckets[client] = (tokens, now)
                return max(1, int((1 - tokens) / self.rate + 0.999))
            self.buckets[client] = (tokens - 1, now)
            return 0


@dataclass
class ReceiverConfig:
    """The receiver's secret, its replay window (s), where it keeps the seen signatures."""

    state_dir: Path
    secret: str
    sites: dict[str, Site] = field(default_factory=lambda: {DEFAULT_SITE: Site()})
    tolerance: int = webhooks.DEFAULT_TOLERANCE


class HookApp:
    """The WSGI application (PEP 3333) in front of ``service``; see the module docstring."""

    def __init__(
        self,
        config: ReceiverConfig,
        service: BuildService,
        max_body: int = DEFAULT_MAX_BODY,
        rate_limit: int = DEFAULT_RATE_LIMIT,
    ):
        self.config = config
        self.service = service
        self.max_body = max_body
        config.state_dir.mkdir(parents=True, exist_ok=True)
        self.replays = ReplayGuard(config.state_dir / "seen-signatures.json", config.tolerance)
        self.limiter = RateLimiter(rate_limit)

    def __call__(self, wsgi_env: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        status, payload, headers = self.answer(wsgi_env)
        body = json.dumps(payload).encode()
        start_response(
            f"{status} {STATUS_TEXT.get(status, 'Error')}",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("X-Content-Type-Options", "nosniff"),
                *headers,
            ],
        )
        return [body]

    def answer(self, wsgi_env: dict[str, Any]) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        """``(status, JSON payload, extra headers)`` for one request."""
        method = wsgi_env.get("REQUEST_METHOD", "GET")
        path = wsgi_env.get("PATH_INFO", "/") or "/"
        if method in ("GET", "HEAD"):
            if path.rstrip("/") != "/status":
                return 404, {"message": "POST a build hook to /"}, []
            return 200, self.service.status(), []
        if method != "POST":
            return 405, {"message": "POST a build hook to /"}, [("Allow", "GET, HEAD, POST")]
        client = str(wsgi_env.get("REMOTE_ADDR") or "unknown")
        wait = self.limiter.wait(client)
        if wait:
            return (
                429,
                {"message": f"too many requests: retry in {wait} s"},
                [("Retry-After", str(wait))],
            )
        return self.receive(wsgi_env, client)

    def site_for(self, path: str, payload: dict[str, Any]) -> Site | str:
        """The site a hook names (body ``"site"``, else ``/sites/NAME/``), or why none."""
        named = payload.get("site")
        parts = [p for p in path.split("/") if p]
        if named is None and len(parts) == 2 and parts[0] == "sites":
            named = parts[1]
        elif named is None and parts:
            return f"POST a build hook to / or /sites/NAME/, not {path[:80]}"
        if named is None and len(self.config.sites) == 1:
            return next(iter(self.config.sites.values()))
        if named is None:
            return f"name the site: one of {', '.join(sorted(self.config.sites))}"
        site = self.config.sites.get(str(named))
        return site if site is not None else f"no site {str(named)[:80]!r} here"

    def receive(
        self, wsgi_env: dict[str, Any], client: str
    ) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        length = str(wsgi_env.get("CONTENT_LENGTH") or "").strip()
        if not length:
            return 411, {"message": "Content-Length is required"}, []
        if not DIGITS.fullmatch(length):
            return 400, {"message": "Content-Length must be a number of bytes"}, []
        if int(length) > self.max_body:
            return 413, {"message": f"the body is over {self.max_body} bytes"}, []
        timestamp = wsgi_env.get("HTTP_" + _cgi(webhooks.TIMESTAMP_HEADER))
        signed = wsgi_env.get("HTTP_" + _cgi(webhooks.SIGNATURE_HEADER))
        try:
            ts = webhooks.parse_headers(timestamp, signed)
        except webhooks.MalformedHook as exc:
            return 400, {"message": str(exc)}, []
        except webhooks.SignatureError as exc:  # no signature at all
            log.warning("refused a build hook from %s: %s", client, exc)
            return 401, {"message": str(exc)}, []
        body = wsgi_env["wsgi.input"].read(int(length))
        try:
            webhooks.verify(body, timestamp, signed, self.config.secret, self.config.tolerance)
        except webhooks.SignatureError as exc:
            log.warning("refused a build hook from %s: %s", client, exc)
            return 401, {"message": str(exc)}, []
        if not self.replays.first_time(str(signed).strip(), ts):
            log.warning("refused a replayed build hook from %s", client)
            return 409, {"message": "this signed hook was already received"}, []
        try:
            payload = loads(body, self.max_body)
        except JSONLimitError as exc:
            return exc.status, {"message": str(exc)}, []
        if not isinstance(payload, dict):
            return 400, {"message": "body must be a JSON object"}, []
        site = self.site_for(str(wsgi_env.get("PATH_INFO") or "/"), payload)
        if isinstance(site, str):
            return 404, {"message": site}, []
        return 202, {"queued": self.service.submit(site, payload), "site": site.name}, []


def _cgi(header: str) -> str:
    return header.upper().replace("-", "_")


def make_server(
    config: ReceiverConfig,
    service: BuildService,
    host: str,
    port: int,
    max_body: int = DEFAULT_MAX_BODY,
    rate_limit: int = DEFAULT_RATE_LIMIT,
) -> Any:
    """A waitress server for :class:`HookApp` (``.run()`` serves, ``.close()`` stops).

    ``port`` 0 picks a free port (``server.effective_port``). Waitress itself
    refuses a body over ``max_body`` and a malformed request line or header
    with 4xx, and drops a connection idle for 30 s.
    """
    import waitress

    return waitress.create_server(
        HookApp(config, service, max_body, rate_limit),
        host=host,
        port=port,
        threads=4,
        max_request_body_size=max_body,
        channel_timeout=30,
        ident="jamtail-runner",
        clear_untrusted_proxy_headers=True,
    )
