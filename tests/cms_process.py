"""A real Jamtail CMS in its own process, on its own SQLite database, for end-to-end tests.

``CMSProcess`` runs ``manage.py`` commands (migrate, import_markdown) against
a fresh data directory and serves the CMS on a
free port of 127.0.0.1 with gunicorn, exactly as ``make demo`` does.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from cms.server import server_command

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class CMSProcess:
    """A CMS whose data lives in ``data_dir``; ``api_url`` once :meth:`start` returns."""

    def __init__(self, data_dir: Path, database_url: str | None = None):
        self.data_dir = data_dir
        self.port = free_port()
        self.env = {
            **os.environ,
            "JAMTAIL_DATA_DIR": str(data_dir),
            "MEDIA_ROOT": str(data_dir / "media"),
            "DATABASE_URL": database_url or f"sqlite:///{data_dir / 'db.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "cms.settings",
            "PYTHONUNBUFFERED": "1",
        }
        self.process: subprocess.Popen | None = None
        self.log = data_dir / "cms.log"
        self.site_port: int | None = None
        """The port a test serves this CMS's built site on, when it has one."""

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v2/"

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run ``manage.py ARGS`` against this CMS's database; output captured as text."""
        result = subprocess.run(
            [sys.executable, str(REPO / "manage.py"), *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"manage.py {' '.join(args)} exited {result.returncode}:\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def start(self) -> CMSProcess:
        """Serve the CMS and wait until its API answers (at most 60 s)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                server_command("127.0.0.1", self.port),
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"CMS exited early:\n{self.log.read_text()[-3000:]}")
            try:
                if requests.get(self.api_url + "site-settings/", timeout=2).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.2)
        raise AssertionError(f"CMS did not answer in 60 s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def imported_cms(data_dir: Path, source: Path, *import_args: str) -> CMSProcess:
    """A CMS in ``data_dir``, migrated, with ``import_markdown SOURCE IMPORT_ARGS`` done,
    serving; the caller stops it."""
    cms = CMSProcess(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    cms.manage("migrate", "--no-input", "-v0")
    cms.manage("import_markdown", str(source), *import_args)
    return cms.start()
