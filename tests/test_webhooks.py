"""Signing, verification and delivery of build hooks (``jamtail/webhooks.py``).

Delivery is tested against a real HTTP server on 127.0.0.1 that answers with
scripted statuses and checks each signature with ``verify``.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from jamtail import webhooks
from jamtail.webhooks import SignatureError, deliver, hook_url, sign, verify

SECRET = "s3cret-for-tests"
BODY = b'{"build_id":1,"events":["publish"]}'


def headers(body=BODY, secret=SECRET, timestamp=None):
    h = sign(body, secret, timestamp)
    return h[webhooks.TIMESTAMP_HEADER], h[webhooks.SIGNATURE_HEADER]


def test_a_signed_body_verifies():
    ts, sig = headers()
    assert sig.startswith("sha256=") and len(sig) == 7 + 64
    verify(BODY, ts, sig, SECRET)


def test_the_signature_covers_timestamp_and_body():
    _ts, sig = headers(timestamp=1_800_000_000)
    assert sig == webhooks.signature(BODY, SECRET, 1_800_000_000)
    assert sig != webhooks.signature(BODY, SECRET, 1_800_000_001)
    assert sig != webhooks.signature(BODY + b" ", SECRET, 1_800_000_000)


@pytest.mark.parametrize(
    ("body", "secret", "why"),
    [(BODY + b"x", SECRET, "does not match"), (BODY, "other-secret", "does not match")],
)
def test_a_tampered_body_or_wrong_secret_is_rejected(body, secret, why):
    ts, sig = headers(secret=secret)
    with pytest.raises(SignatureError, match=why):
        verify(body, ts, sig, SECRET)


def test_an_old_or_future_timestamp_is_rejected_even_with_a_valid_signature():
    now = time.time()
    for skew in (-301, 301, -3600):
        ts, sig = headers(timestamp=int(now + skew))
        with pytest.raises(SignatureError, match="outside the 300 s window"):
            verify(BODY, ts, sig, SECRET, now=now)
    ts, sig = headers(timestamp=int(now - 299))
    verify(BODY, ts, sig, SECRET, now=now)


@pytest.mark.parametrize(
    ("ts", "sig", "why"),
    [
        (None, "sha256=00", "missing"),
        ("123", None, "missing"),
        ("yesterday", "sha256=00", "not a Unix time"),
    ],
)
def test_missing_or_malformed_headers_are_rejected(ts, sig, why):
    with pytest.raises(SignatureError, match=why):
        verify(BODY, ts, sig, SECRET)


def test_a_receiver_without_a_secret_accepts_nothing():
    ts, sig = headers()
    with pytest.raises(SignatureError, match="no webhook secret"):
        verify(BODY, ts, sig, "")


def test_a_netlify_build_hook_gets_a_trigger_title_and_others_do_not():
    netlify = "https://api.netlify.com/build_hooks/5f0c1234"
    assert hook_url(netlify, "Jamtail build #3: publish") == (
        netlify + "?trigger_title=Jamtail+build+%233%3A+publish"
    )
    assert hook_url("http://127.0.0.1:8090/", "x") == "http://127.0.0.1:8090/"


class ScriptedHook:
    """A hook on 127.0.0.1 answering with ``statuses`` in turn (then 200); ``delay`` s first."""

    def __init__(self, statuses, delay=0.0):
        self.statuses = list(statuses)
        self.delay = delay
        self.received: list[tuple[str, dict, bool]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    verify(
                        body,
                        self.headers.get(webhooks.TIMESTAMP_HEADER),
                        self.headers.get(webhooks.SIGNATURE_HEADER),
                        SECRET,
                    )
                    valid = True
                except SignatureError:
                    valid = False
                hook.received.append((self.path, json.loads(body), valid))
                if hook.delay:
                    time.sleep(hook.delay)
                status = hook.statuses.pop(0) if hook.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def scripted():
    hooks = []

    def make(statuses=(), delay=0.0):
        hooks.append(ScriptedHook(statuses, delay))
        return hooks[-1]

    yield make
    for hook in hooks:
        hook.close()


def test_5xx_is_retried_with_exponential_backoff_until_accepted(scripted):
    hook = scripted([500, 503])
    sleeps = []
    delivery = deliver(hook.url, {"build_id": 1}, SECRET, backoff=0.5, sleep=sleeps.append)
    assert delivery.ok
    assert [a.status for a in delivery.attempts] == [500, 503, 200]
    # jamtail.retry's policy: backoff * 2**(n-1) with equal jitter (between half and all
    # of it), so hooks failing together do not retry together.
    assert len(sleeps) == 2
    assert 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0
    assert all(valid for _, _, valid in hook.received)
    assert hook.received[0][1] == {"build_id": 1}


def test_it_gives_up_after_max_attempts_and_says_why(scripted):
    hook = scripted([502] * 10)
    delivery = deliver(hook.url, {}, SECRET, max_attempts=3, sleep=lambda s: None)
    assert not delivery.ok
    assert len(delivery.attempts) == 3 == len(hook.received)
    assert "gave up after 3 attempts: HTTP 502" in delivery.reason


def test_a_timeout_is_retried(scripted):
    hook = scripted([], delay=0.5)
    delivery = deliver(hook.url, {}, SECRET, max_attempts=2, timeout=0.1, sleep=lambda s: None)
    assert not delivery.ok
    assert [a.status for a in delivery.attempts] == [None, None]
    assert "timed out" in delivery.reason


def test_a_4xx_is_not_retried(scripted):
    hook = scripted([401])
    delivery = deliver(hook.url, {}, SECRET, sleep=lambda s: None)
    assert not delivery.ok and len(delivery.attempts) == 1
    assert delivery.reason.startswith("refused: HTTP 401")
    assert len(hook.received) == 1


def test_an_unreachable_hook_is_retried_then_reported():
    delivery = deliver("http://127.0.0.1:9/", {}, SECRET, max_attempts=2, sleep=lambda s: None)
    assert not delivery.ok and len(delivery.attempts) == 2
    assert "ConnectionError" in delivery.reason
