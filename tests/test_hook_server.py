"""The build hook endpoint refuses what it must, quickly, and never fails or hangs.

A real receiver's WSGI app under waitress on 127.0.0.1, queuing on the default
SQLite broker (no worker is started, so what was queued stays in the site's
inbox to be counted), spoken to over raw sockets so that malformed requests
reach it exactly as sent.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jamtail import webhooks
from jamtail.service.queue import default_url, open_broker
from jamtail.service.receiver import ReceiverConfig, make_server
from jamtail.service.sites import Site
from jamtail.service.worker import BuildService, WorkerSettings

SECRET = "hook-test-secret"
ANSWER_WITHIN = 5.0  # seconds: slower is a hang


class Served:
    """A receiver on a free port; ``stop()`` closes it."""

    def __init__(self, state_dir, sites=None, **limits):
        state_dir.mkdir(parents=True, exist_ok=True)
        huey, ledger = open_broker(default_url(state_dir))
        self.service = BuildService(huey, ledger, WorkerSettings(state_dir))
        config = ReceiverConfig(state_dir=state_dir, secret=SECRET)
        if sites:
            config.sites = {name: Site(name=name) for name in sites}
        self.server = make_server(config, self.service, "127.0.0.1", 0, **limits)
        self.port = self.server.effective_port
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # close() from the test's thread
            self.server.run()

    @property
    def queued(self) -> int:
        return int(self.service.status()["queued"])

    def stop(self) -> None:
        self.server.close()


@pytest.fixture
def served(tmp_path):
    served = Served(tmp_path / "state", rate_limit=100_000)
    yield served
    served.stop()


def raw(port: int, request: bytes, timeout: float = ANSWER_WITHIN) -> tuple[int, bytes]:
    """Send ``request`` as is; ``(status, body)`` of the answer (status 0: none, closed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        # The server may answer and close before a refused body is all sent.
        with contextlib.suppress(OSError):
            sock.sendall(request)
            sock.shutdown(socket.SHUT_WR)
        data = b""
        started = time.monotonic()
        while True:
            if time.monotonic() - started > timeout:
                raise TimeoutError("no complete answer: the endpoint hangs")
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    if not data:
        return 0, b""
    status = int(data.split(b" ", 2)[1])
    return status, data.partition(b"\r\n\r\n")[2]


def hook_request(
    body: bytes, headers: dict[str, str], length: str | None = None, path: str = "/"
) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
        "Connection: close",
        f"Content-Length: {len(body) if length is None else length}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def signed(payload: dict, timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    body = webhooks.encode(payload)
    return body, webhooks.sign(body, SECRET, timestamp)


def test_a_signed_hook_is_queued_once_and_its_replay_is_refused(served):
    body, headers = signed({"event": "page_published", "build_id": 1})
    assert raw(served.port, hook_request(body, headers))[0] == 202
    status, answer = raw(served.port, hook_request(body, headers))
    assert status == 409 and b"already received" in answer
    assert served.queued == 1


def test_a_restarted_runner_still_refuses_a_replay(tmp_path):
    body, headers = signed({"event": "page_published"})
    first = Served(tmp_path / "state")
    try:
        assert raw(first.port, hook_request(body, headers))[0] == 202
    finally:
        first.stop()
    second = Served(tmp_path / "state")
    try:
        assert raw(second.port, hook_request(body, headers))[0] == 409
        assert second.queued == 1  # the first one, kept in the broker
    finally:
        second.stop()


def test_a_400_digit_timestamp_is_a_400_not_a_reset(served):
    body, headers = signed({"event": "x"})
    headers[webhooks.TIMESTAMP_HEADER] = "9" * 400
    status, answer = raw(served.port, hook_request(body, headers))
    assert status == 400 and b"not a Unix time" in answer


@pytest.mark.parametrize(
    ("length", "expected"),
    [("-1", 400), ("1e3", 400), ("0x10", 400), ("12 34", 400), ("9" * 40, 413)],
)
def test_a_malformed_content_length_is_refused_at_once(served, length, expected):
    body, headers = signed({"event": "x"})
    started = time.monotonic()
    status, _ = raw(served.port, hook_request(body, headers, length=length))
    assert status == expected
    assert time.monotonic() - started < 2


def test_a_forged_huge_body_is_refused_before_it_is_read(tmp_path):
    served = Served(tmp_path / "state", max_body=64 * 1024)
    try:
        _, headers = signed({"event": "x"})
        # 300 MB announced, 1 KB sent: the answer comes without waiting for the rest.
        request = hook_request(b"x" * 1024, headers, length=str(300 * 1024 * 1024))
        assert raw(served.port, request)[0] == 413
    finally:
        served.stop()
    assert served.queued == 0


def test_deep_json_in_a_signed_hook_is_a_400(served):
    body = b"[" * 5000 + b"]" * 5000
    headers = webhooks.sign(body, SECRET)
    status, answer = raw(served.port, hook_request(body, headers))
    assert status == 400 and b"nested" in answer
    assert served.queued == 0


def test_each_source_is_rate_limited(tmp_path):
    served = Served(tmp_path / "state", rate_limit=5)
    try:
        statuses = [raw(served.port, hook_request(b"{}", {}))[0] for _ in range(8)]
    finally:
        served.stop()
    assert statuses[:5] == [401] * 5  # unsigned: refused, but counted
    assert statuses[5:] == [429] * 3


def test_status_reports_the_queue(served):
    status, answer = raw(
        served.port, b"GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status == 200
    assert json.loads(answer) == {"queued": 0, "building": False, "builds": 0, "sites": {}}
    body, headers = signed({"event": "page_published"})
    assert raw(served.port, hook_request(body, headers))[0] == 202
    status, answer = raw(
        served.port, b"GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    site = json.loads(answer)["sites"]["default"]
    assert site == {"queued": 1, "building": False, "worker": "", "builds": 0}


def test_a_hook_names_its_site_by_path_or_body_and_an_unknown_site_is_a_404(tmp_path):
    served = Served(tmp_path / "state", sites=["blog", "docs"])
    try:
        body, headers = signed({"event": "page_published", "n": 1})
        assert raw(served.port, hook_request(body, headers, path="/sites/blog/"))[0] == 202
        body, headers = signed({"event": "page_published", "site": "docs"})
        assert raw(served.port, hook_request(body, headers))[0] == 202
        body, headers = signed({"event": "page_published", "n": 2})
        status, answer = raw(served.port, hook_request(body, headers))
        assert status == 404 and b"name the site" in answer
        body, headers = signed({"event": "page_published", "site": "shop"})
        status, answer = raw(served.port, hook_request(body, headers))
        assert status == 404 and b"no site 'shop'" in answer
        sites = served.service.status()["sites"]
        assert {name: s["queued"] for name, s in sites.items()} == {"blog": 1, "docs": 1}
    finally:
        served.stop()


HEADER_TEXT = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60
) | st.sampled_from(["", "-1", "9" * 400, "1e9", " 12", "sha256=" + "0" * 64, "\x00", "é"])


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    timestamp=st.none() | HEADER_TEXT | st.integers(-(10**20), 10**20).map(str),
    signature=st.none() | HEADER_TEXT,
    length=st.none() | HEADER_TEXT | st.integers(-5, 10**12).map(str),
    body=st.binary(max_size=2048) | st.just(b"[" * 3000),
    sign_it=st.booleans(),
)
def test_fuzzed_headers_and_bodies_never_get_a_5xx_or_hang(
    served, timestamp, signature, length, body, sign_it
):
    headers = webhooks.sign(body, SECRET) if sign_it else {}
    if timestamp is not None:
        headers[webhooks.TIMESTAMP_HEADER] = timestamp
    if signature is not None:
        headers[webhooks.SIGNATURE_HEADER] = signature
    request = hook_request(body, headers, length=length)
    try:
        request.decode("latin-1")
    except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes every byte
        return
    status, _ = raw(served.port, request)
    assert status == 0 or status < 500, status
