"""The one retry policy (``jamtail/retry.py``) against real HTTP servers on 127.0.0.1,
and its three users: the CMS client, build hooks (tests/test_webhooks.py) and Netlify."""

from __future__ import annotations

import socket
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from jamtail.content.client import CMSClient
from jamtail.exceptions import EXIT_UNAVAILABLE, CMSError, CMSUnavailableError
from jamtail.retry import DEFAULT, RetryPolicy, retry_after


class Scripted:
    """A server answering GET and POST with ``answers`` in turn (then 200 ``{}``).

    Each answer is a status, or ``(status, headers)``.
    """

    def __init__(self, answers):
        self.answers = list(answers)
        self.hits = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self):
                server.hits += 1
                status, headers = 200, {}
                if server.answers:
                    first = server.answers.pop(0)
                    status, headers = first if isinstance(first, tuple) else (first, {})
                body = b"{}"
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v2/"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def scripted():
    servers = []

    def make(*answers):
        servers.append(Scripted(answers))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def get(url):
    return lambda: requests.get(url, timeout=5)


def test_a_5xx_and_a_429_are_retried_until_the_answer_is_good(scripted):
    server = scripted(503, 429, 500)
    sleeps: list[float] = []
    response = RetryPolicy(attempts=4, backoff=0.2).call(get(server.url), sleep=sleeps.append)
    assert response.status_code == 200 and server.hits == 4
    # backoff * 2**(n-1), each between half and all of it (equal jitter)
    for pause, limit in zip(sleeps, (0.2, 0.4, 0.8), strict=True):
        assert limit / 2 <= pause <= limit


def test_without_jitter_the_pauses_double_and_are_capped():
    policy = RetryPolicy(attempts=6, backoff=1.0, max_backoff=5.0, jitter=False)
    assert [policy.pause(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_a_4xx_is_answered_at_once(scripted):
    server = scripted(404, 503)
    sleeps: list[float] = []
    response = DEFAULT.call(get(server.url), sleep=sleeps.append)
    assert response.status_code == 404 and server.hits == 1 and sleeps == []


def test_retry_after_in_seconds_replaces_the_computed_pause(scripted):
    server = scripted((503, {"Retry-After": "3"}), (429, {"Retry-After": "0"}))
    sleeps: list[float] = []
    response = RetryPolicy(backoff=0.1).call(get(server.url), sleep=sleeps.append)
    assert response.status_code == 200 and sleeps == [3.0, 0.0]


def test_retry_after_as_an_http_date_is_honoured(scripted):
    server = scripted((503, {"Retry-After": formatdate(time.time() + 20, usegmt=True)}))
    sleeps: list[float] = []
    assert DEFAULT.call(get(server.url), sleep=sleeps.append).status_code == 200
    assert len(sleeps) == 1 and 17 <= sleeps[0] <= 20


def test_a_retry_after_beyond_the_longest_pause_ends_the_retries(scripted):
    server = scripted((503, {"Retry-After": "3600"}))
    sleeps: list[float] = []
    response = RetryPolicy(max_backoff=30).call(get(server.url), sleep=sleeps.append)
    assert response.status_code == 503 and server.hits == 1 and sleeps == []


def test_a_malformed_retry_after_falls_back_to_the_computed_pause():
    response = requests.Response()
    response.headers["Retry-After"] = "soon"
    assert retry_after(response) is None


def test_it_gives_up_after_n_tries_with_the_last_answer(scripted):
    server = scripted(502, 503, 504, 500)
    response = RetryPolicy(attempts=3).call(get(server.url), sleep=lambda s: None)
    assert response.status_code == 504 and server.hits == 3


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_it_gives_up_after_n_tries_raising_the_last_error():
    url = f"http://127.0.0.1:{closed_port()}/"
    tries = []

    def attempt():
        tries.append(1)
        return requests.get(url, timeout=5)

    with pytest.raises(requests.ConnectionError):
        RetryPolicy(attempts=3).call(attempt, sleep=lambda s: None)
    assert len(tries) == 3


def test_an_error_that_cannot_pass_is_raised_at_once():
    tries = []

    def attempt():
        tries.append(1)
        return requests.get("http://", timeout=5)

    with pytest.raises(requests.exceptions.InvalidURL):
        DEFAULT.call(attempt, sleep=lambda s: None)
    assert len(tries) == 1


# -- the CMS client uses it --------------------------------------------------------


def test_the_cms_client_retries_a_busy_cms(scripted):
    server = scripted((503, {"Retry-After": "0"}), 502)
    client = CMSClient(server.url, timeout=5, retries=3)
    client.retry = client.retry.but(backoff=0.01)
    assert client.get_json("pages/") == {} and server.hits == 3


def test_the_cms_client_reports_the_last_status_after_its_retries(scripted):
    server = scripted(*[503] * 5)
    client = CMSClient(server.url, timeout=5, retries=2)
    client.retry = client.retry.but(backoff=0.01)
    with pytest.raises(CMSUnavailableError) as caught:  # exit 75: the worker tries again
        client.get_json("pages/")
    assert caught.value.status == 503 and server.hits == 3
    assert caught.value.exit_code == EXIT_UNAVAILABLE


def test_a_cms_that_refuses_a_request_is_an_error_not_an_outage(scripted):
    server = scripted(404)
    client = CMSClient(server.url, timeout=5, retries=2)
    with pytest.raises(CMSError) as caught:
        client.get_json("pages/")
    assert not isinstance(caught.value, CMSUnavailableError) and caught.value.status == 404


def test_the_cms_client_says_the_cms_is_down_after_its_retries():
    client = CMSClient(f"http://127.0.0.1:{closed_port()}/api/v2/", timeout=5, retries=1)
    client.retry = client.retry.but(backoff=0.01)
    with pytest.raises(CMSUnavailableError, match="is the CMS running"):
        client.get_json("pages/")


def test_the_cms_client_downloads_after_a_retry(scripted, tmp_path):
    server = scripted(503)
    client = CMSClient(server.url, timeout=5, retries=2)
    client.retry = client.retry.but(backoff=0.01)
    assert client.download(server.url + "media/x.bin", tmp_path / "x.bin") == 2
    assert (tmp_path / "x.bin").read_bytes() == b"{}" and server.hits == 2
