"""Faults between the comments function and a real CMS: a hung CMS, a dropped answer.

:func:`hang` stops every process of a CMS (gunicorn's master and workers)
with SIGSTOP, as a stuck database or a paused VM would; the kernel still
accepts connections, so a request goes out and no answer comes.
:class:`DroppingProxy` is a TCP proxy in front of the CMS that, for the next
``drop`` requests, passes the request on, waits for the CMS's whole answer
(the comment is stored) and then closes the reader's connection without a
byte: the answer is lost on the way back. Used by the tests and by
``bench/reliability.py``.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
from collections.abc import Iterator
from typing import Any

import psutil

from tests.cms_process import CMSProcess


@contextlib.contextmanager
def hang(cms: CMSProcess) -> Iterator[None]:
    """Every process of ``cms`` stopped (SIGSTOP) inside the block, continued after."""
    assert cms.process is not None
    master = psutil.Process(cms.process.pid)
    processes = [master, *master.children(recursive=True)]
    for process in processes:
        process.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.send_signal(signal.SIGCONT)


class DroppingProxy:
    """``127.0.0.1:<port>`` -> ``target``; the next :attr:`drop` answers are swallowed."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.drop = 0
        self.dropped = 0
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v2/"

    def close(self) -> None:
        self.running = False
        self.listener.close()

    def _accept(self) -> None:
        while self.running:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with self.lock:
            dropping = self.drop > 0
            if dropping:
                self.drop -= 1
        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        with client, upstream:
            request = _read_message(client)
            upstream.sendall(request)
            answer = _read_message(upstream)
            if dropping:
                with self.lock:
                    self.dropped += 1
                return  # the CMS answered (and stored); the reader gets nothing
            client.sendall(answer)


def _read_message(sock: socket.socket) -> bytes:
    """One HTTP/1.1 message (headers, then ``Content-Length`` bytes of body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def count_by_body(stored: list[dict[str, Any]], bodies: list[str]) -> dict[str, int]:
    """How many stored comments carry each of ``bodies`` (Markdown text)."""
    return {body: sum(1 for c in stored if c["body_markdown"] == body) for body in bodies}
