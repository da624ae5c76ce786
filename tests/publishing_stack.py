"""The whole publishing pipeline as real processes on 127.0.0.1, for tests and benchmarks.

``Stack(root)`` lays out a fresh CMS data directory under ``root``; then
:meth:`Stack.prepare` copies ``site/``, migrates and imports Markdown folders,
and :meth:`Stack.start` starts the CMS (gunicorn), the task worker as in
production (``manage.py supervise_worker`` running ``pipeline_worker``, with
a 0.5 s heartbeat), the ``jamtail runner`` (build + deploy to the local target in
``root/deploy``) and ``jamtail serve``'s server on the live release
(``root/deploy/current``, at :attr:`Stack.url`). :meth:`Stack.stop` ends them.

The CMS posts signed build hooks to the runner after the debounce quiet
period: ``quiet_seconds`` (``None`` leaves ``JAMTAIL_BUILD_QUIET_SECONDS``
unset, so the CMS default of 2 s applies).

The Playwright helpers at the end drive the Wagtail admin as an editor does:
:func:`admin_login`, :func:`publish_title_in_admin`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import requests

from functions.devserver import make_server
from tests.cms_process import REPO, CMSProcess, free_port

SECRET = "e2e-webhook-secret"
TOKEN = "e2e-runner-token"


class Stack:
    """CMS, worker, runner and site server for one data directory ``root`` (see module doc)."""

    def __init__(self, root: Path, quiet_seconds: float | None = 1):
        self.root = root
        self.runner_port = free_port()
        self.cms = CMSProcess(root / "cms")
        self.site_dir = root / "site"
        self.deploy_dir = root / "deploy"
        self.cms.env.update(
            JAMTAIL_TASKS_BACKEND="database",
            JAMTAIL_BUILD_HOOKS=f"http://127.0.0.1:{self.runner_port}/",
            JAMTAIL_WEBHOOK_SECRET=SECRET,
            JAMTAIL_RUNNER_TOKEN=TOKEN,
            JAMTAIL_WEBHOOK_BACKOFF="0.2",
            JAMTAIL_DEPLOY_DIR=str(self.deploy_dir),
            JAMTAIL_SITE_DIR=str(self.site_dir),
            JAMTAIL_CACHE_DIR=str(root / "cache"),
            JAMTAIL_BUILD_DIR=str(root / "build"),
            # Pipeline health at test speed: a worker silent for 3 s is down; one
            # that died is restarted after 8 s (time to see the warning first); a
            # build service that is down is retried every 2 s at most.
            JAMTAIL_WORKER_HEARTBEAT_SECONDS="0.5",
            JAMTAIL_WORKER_STALE_SECONDS="3",
            JAMTAIL_WORKER_RESTART_DELAY="8",
            JAMTAIL_SCHEDULE_CHECK_SECONDS="5",
            JAMTAIL_WEBHOOK_BACKOFF_MAX="2",
            EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
            # The stacks import the blog without the docs it links to, and unpublish and
            # republish linked pages: the deploy's link check (tests/test_linkcheck.py)
            # would refuse those deploys.
            JAMTAIL_ALLOW_BROKEN_LINKS="1",
        )
        self.cms.env.pop("JAMTAIL_BUILD_QUIET_SECONDS", None)
        if quiet_seconds is not None:
            self.cms.env["JAMTAIL_BUILD_QUIET_SECONDS"] = str(quiet_seconds)
        self.worker: subprocess.Popen | None = None
        self.runner: subprocess.Popen | None = None
        self.server: Any = None
        self.url = ""

    @property
    def quiet_seconds(self) -> float:
        """The debounce quiet period the CMS runs with (its default is 2 s)."""
        return float(self.cms.env.get("JAMTAIL_BUILD_QUIET_SECONDS", "2"))

    def prepare(self, imports: Iterable[tuple[str | Path, str]]) -> None:
        """Copy ``site/``, migrate, and import each ``(folder, slug)`` under the root page."""
        shutil.copytree(REPO / "site", self.site_dir)
        self.cms.data_dir.mkdir(parents=True, exist_ok=True)
        self.cms.manage("migrate", "--no-input", "-v0")
        for folder, slug in imports:
            self.cms.manage("import_markdown", str(folder), "--parent", "/", "--slug", slug)

    def start(self, pipeline: bool = True) -> None:
        """Start the CMS, the runner, the worker (it builds the import) and the site server.

        ``pipeline=False`` starts only the CMS and the site server; call
        :meth:`start_runner` and :meth:`start_worker` later.
        """
        self.cms.start()
        if pipeline:
            self.start_runner()
            self.start_worker()  # picks up the import's build requests: the first build
        self.server = make_server(self.deploy_dir / "current", port=0)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def wait_for_first_build(self, seconds: float = 180) -> None:
        wait_for(
            lambda: any(b["status"] == "succeeded" for b in self.builds()),
            seconds,
            "the first build",
        )

    def start_worker(self) -> None:
        """Start ``supervise_worker``; its ``pipeline_worker`` logs to ``worker.log`` too."""
        log = open(self.root / "worker.log", "ab")  # noqa: SIM115
        self.worker = subprocess.Popen(
            [sys.executable, "manage.py", "supervise_worker", "--", "--interval", "0.2",
             "--no-startup-delay", "--queue-name", "*"],
            cwd=REPO, env=self.cms.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def worker_pid(self) -> int | None:
        """The pid of the ``pipeline_worker`` the supervisor runs now, or ``None``."""
        assert self.worker is not None
        children = Path(f"/proc/{self.worker.pid}/task/{self.worker.pid}/children")
        pids = children.read_text().split() if children.exists() else []
        return int(pids[0]) if pids else None

    def kill_worker(self) -> int:
        """SIGKILL the task worker (not its supervisor); the pid it had."""
        pid = wait_for(self.worker_pid, 30, "the supervisor to start a worker")
        os.kill(pid, signal.SIGKILL)
        return pid

    @property
    def worker_log(self) -> str:
        return (self.root / "worker.log").read_text(errors="replace")

    def start_runner(self) -> None:
        log = open(self.root / "runner.log", "ab")  # noqa: SIM115
        self.runner = subprocess.Popen(
            [sys.executable, "-m", "jamtail.cli", "runner", "--port", str(self.runner_port),
             "--api", self.cms.api_url, "--state-dir", str(self.root / "runner-state")],
            cwd=REPO, env=self.cms.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        wait_for(lambda: self.runner_status() is not None, 30, "the runner to listen")

    def runner_status(self) -> dict[str, Any] | None:
        try:
            url = f"http://127.0.0.1:{self.runner_port}/status"
            return requests.get(url, timeout=2).json()
        except requests.RequestException:
            return None

    def kill_runner(self) -> None:
        assert self.runner is not None
        os.killpg(self.runner.pid, signal.SIGKILL)
        self.runner.wait(timeout=10)

    def builds(self, *fields: str) -> list[dict[str, Any]]:
        """Every build record, oldest first: ``id``, ``status``, ... and ``fields``."""
        names = ["id", "status", "trigger", "log_tail", "error", "retry_of_id", *fields]
        code = (
            "import json; from cms.publishing.models import BuildRecord as B; "
            "print(json.dumps(list(B.objects.order_by('id').values("
            f"*{names!r})), default=str))"
        )
        return json.loads(self.cms.manage("shell", "-c", code).stdout.strip().splitlines()[-1])

    def shell(self, code: str) -> str:
        return self.cms.manage("shell", "-c", code).stdout

    def create_user(
        self, username: str, password: str, superuser: bool = False, groups: Iterable[str] = ()
    ) -> None:
        """A CMS login; ``superuser`` or a member of the named groups (e.g. ``Editors``)."""
        self.shell(
            "from django.contrib.auth.models import Group, User\n"
            f"u = User.objects.create_user({username!r}, {username + '@example.org'!r}, "
            f"{password!r}, is_superuser={superuser!r}, is_staff={superuser!r})\n"
            f"u.groups.set(Group.objects.filter(name__in={list(groups)!r}))"
        )

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        for process in (self.worker, self.runner):
            if process and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        self.cms.stop()


def wait_for(check: Callable[[], Any], seconds: float, what: str, interval: float = 0.2) -> Any:
    """Call ``check`` every ``interval`` s until it returns something true; that value.

    Raises ``AssertionError`` after ``seconds``.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def set_title(stack: Stack, slug: str, title: str) -> None:
    """Change a page's title and publish it through Wagtail's API (in a ``manage.py shell``)."""
    stack.shell(
        "from wagtail.models import Page; "
        f"p = Page.objects.get(slug={slug!r}).specific; p.title = {title!r}; "
        "p.save_revision().publish()"
    )


def admin_login(page: Any, base_url: str, username: str, password: str) -> None:
    """Sign in to the Wagtail admin with Playwright's ``page``; lands on the dashboard."""
    page.goto(base_url + "/admin/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(lambda url: "/admin/login/" not in url)


def publish_title_in_admin(page: Any, base_url: str, page_id: int, title: str) -> float:
    """Edit page ``page_id`` in the admin, set its title and click Publish (footer dropdown).

    The page needs a ``body`` StreamField (an article, a standard page): the
    editor waits for its widgets, as Wagtail answers 500 to a form posted
    before its JavaScript has built the StreamField inputs. Returns
    ``time.monotonic()`` when the publish request's response arrived (the
    moment Wagtail has committed the publish); raises if it was refused.
    """
    page.goto(f"{base_url}/admin/pages/{page_id}/edit/")
    page.locator('input[name="body-count"]').wait_for(state="attached")
    page.locator("#id_title").fill(title)
    footer = page.locator("footer")
    footer.locator('[data-w-dropdown-target="toggle"]').first.click()
    publish = footer.locator('button[name="action-publish"]')
    with page.expect_response(
        lambda r: r.request.method == "POST" and f"/admin/pages/{page_id}/edit/" in r.url
    ) as answer:
        publish.click()
    returned = time.monotonic()
    response = answer.value
    if response.status != 302:
        page.wait_for_load_state()
        errors = page.locator(".messages, .error-message, .w-field__errors").all_inner_texts()
        raise AssertionError(
            f"publishing page {page_id} answered {response.status}, not 302: {errors}"
        )
    return returned
