"""Run the Jamtail demo: CMS with demo content, the publish pipeline, and the site.

Steps: migrate the database (SQLite by default), create the admin user, import
``docs/`` and ``demo/blog/`` with ``import_markdown``, then start, on 127.0.0.1:

- the CMS (gunicorn) on CMS_PORT, and the task worker (``pipeline_worker``
  under ``supervise_worker``, which restarts it if it dies), which sends a
  signed build hook after every publish and publishes scheduled pages;
- the build runner (``jamtail runner``) on RUNNER_PORT, which builds from the
  API and deploys to ``deploy/`` (local target) on each hook;

builds and deploys once, and serves ``deploy/current`` (with the functions at
``/preview/``, ``/api/search`` and ``/api/comments``) on SITE_PORT until
Ctrl-C, which stops everything. Publishing in the admin puts the change live
a few seconds later without running any command.

The console stays readable: the URLs and the login are printed last, once
everything answers; the processes log only warnings and errors (a failed
task, a failed build); Ctrl-C reaches only this script, which stops each
process gracefully, in order.

The admin password is ``$JAMTAIL_ADMIN_PASSWORD``, or generated on first run
and kept in ``.jamtail-demo-password`` (git-ignored) so it stays the same.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cms.server import server_command  # noqa: E402

PYTHON = sys.executable
PASSWORD_FILE = ROOT / ".jamtail-demo-password"
CONTENT = [("docs", "docs"), ("demo/blog", "blog")]


def manage(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, check=True, env=env)


def admin_password() -> str:
    if os.environ.get("JAMTAIL_ADMIN_PASSWORD"):
        return os.environ["JAMTAIL_ADMIN_PASSWORD"]
    if PASSWORD_FILE.exists():
        return PASSWORD_FILE.read_text().strip()
    password = secrets.token_urlsafe(12)
    PASSWORD_FILE.write_text(password + "\n")
    PASSWORD_FILE.chmod(0o600)
    return password


def ensure_admin(password: str) -> None:
    code = (
        "from django.contrib.auth import get_user_model; U = get_user_model(); "
        "u = U.objects.filter(username='admin').first() or "
        "U(username='admin', email='admin@example.org', is_staff=True, is_superuser=True); "
        f"u.set_password({password!r}); u.save()"
    )
    manage("shell", "-v0", "-c", code)


# The demo's site description: the meta description of its home, search, tag and author pages.
DEMO_DESCRIPTION = (
    "Jamtail: edit in Wagtail, publish a static site. Documentation and notes from the "
    "people building it."
)


def configure_site(site_port: int) -> None:
    """Point the site settings at the local server (canonical URLs, sitemap, feeds)."""
    code = (
        "from wagtail.models import Site; from cms.content.models import SiteSettings; "
        "s = SiteSettings.for_site(Site.objects.get(is_default_site=True)); "
        f"local = 'http://127.0.0.1:{site_port}'; "
        "s.base_url = local if not s.base_url or s.base_url.startswith('http://127.0.0.1') "
        "else s.base_url; "
        "s.tagline = s.tagline or 'A Jamstack site built from Wagtail'; "
        f"s.description = s.description or {DEMO_DESCRIPTION!r}; s.save()"
    )
    manage("shell", "-v0", "-c", code)


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"nothing answered at {url} within {seconds:.0f} s")


def pipeline_environment(args: argparse.Namespace) -> dict[str, str]:
    """One secret and token per run, shared by the CMS, the worker and the runner."""
    api = f"http://127.0.0.1:{args.cms_port}/api/v2/"
    return {
        **os.environ,
        "JAMTAIL_API_URL": api,
        "JAMTAIL_WEBHOOK_SECRET": secrets.token_urlsafe(32),
        "JAMTAIL_RUNNER_TOKEN": secrets.token_urlsafe(32),
        "JAMTAIL_BUILD_HOOKS": f"http://127.0.0.1:{args.runner_port}/",
        "JAMTAIL_DEPLOY_TARGET": "local",
        "JAMTAIL_DEPLOY_DIR": os.environ.get("JAMTAIL_DEPLOY_DIR", "deploy"),
        "JAMTAIL_PREVIEW_URL": f"http://127.0.0.1:{args.site_port}/preview/",
        # The comments function (under `jamtail serve`) forwards to the CMS with this token.
        "JAMTAIL_COMMENTS_TOKEN": secrets.token_urlsafe(32),
        # Moderators' notification emails go to the console: no mail server here.
        "EMAIL_BACKEND": os.environ.get(
            "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
        ),
    }


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # so `finally` stops the CMS, worker and runner on SIGTERM too


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    """Start ``command`` in its own session: Ctrl-C in the terminal reaches only this
    script, which then stops each process with SIGTERM (a graceful stop; a process
    group hit by SIGINT mid-request makes gunicorn kill its workers and log alarms)."""
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def stop_all(processes: list[subprocess.Popen]) -> None:
    """SIGTERM each process, newest first, and wait for it (SIGKILL after 20 s)."""
    for process in reversed(processes):
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def banner(args: argparse.Namespace, api: str, password: str) -> str:
    return (
        "\nJamtail demo is running:\n"
        f"  site (deployed):  http://127.0.0.1:{args.site_port}/\n"
        f"  search:           http://127.0.0.1:{args.site_port}/search/\n"
        f"  CMS API:          {api}\n"
        f"  build runner:     http://127.0.0.1:{args.runner_port}/status\n"
        "Comments posted on an article wait in the admin's Comments menu for approval.\n"
        "Publish in the admin: the change is live a few seconds later (the admin's Builds\n"
        "menu and dashboard show each build and the pipeline's health).\n"
        f"\n  CMS admin:        http://127.0.0.1:{args.cms_port}/admin/\n"
        f"  login:            user admin, password {password}\n"
        "\nCtrl-C stops everything.\n"
    )


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)  # even where the shell started us ignoring SIGINT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cms-port", type=int, default=8000)
    parser.add_argument("--site-port", type=int, default=8080)
    parser.add_argument("--runner-port", type=int, default=8090)
    args = parser.parse_args()
    env = pipeline_environment(args)
    api = env["JAMTAIL_API_URL"]

    manage("migrate", "--no-input", "-v0")
    password = admin_password()
    ensure_admin(password)
    configure_site(args.site_port)
    for folder, slug in CONTENT:
        manage("import_markdown", folder, "--parent", "/", "--slug", slug, env=env)

    processes: list[subprocess.Popen] = []
    quiet = ["--log-level", "warning"]  # gunicorn: no per-start INFO lines
    try:
        for command in (
            server_command("127.0.0.1", args.cms_port) + quiet,
            [PYTHON, "manage.py", "supervise_worker"],
            [PYTHON, "-m", "jamtail.cli", "runner", "--port", str(args.runner_port)],
        ):
            processes.append(start(command, env))
        wait_for(api + "site-settings/")
        for step in (["build"], ["deploy", "--target", "local"]):
            subprocess.run([PYTHON, "-m", "jamtail.cli", *step], cwd=ROOT, env=env, check=True)
        site = Path(env["JAMTAIL_DEPLOY_DIR"]) / "current"
        serve = ["serve", "--dir", str(site), "--port", str(args.site_port), "--api", api]
        server = start([PYTHON, "-m", "jamtail.cli", *serve], env)
        processes.append(server)
        wait_for(f"http://127.0.0.1:{args.site_port}/")
        time.sleep(0.5)  # let the processes' start-up lines reach the terminal first
        print(banner(args, api, password), flush=True)
        server.wait()
    except KeyboardInterrupt:
        print("\nStopping the demo...", flush=True)
    finally:
        stop_all(processes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
