"""Real parts for the comments tests: a CMS with the demo blog, the function over HTTP.

:func:`comments_cms` migrates a fresh CMS, imports ``demo/blog`` and starts it
with a service token; :func:`serve_function` mounts ``functions/comments``
under ``jamtail serve``'s server at ``/api/comments`` on a free port;
:func:`old_token` makes a form token as the function issues it, issued
``seconds`` ago (what a reader's browser holds after reading for a while).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from functions import comments
from functions.devserver import make_server
from tests.cms_process import REPO, CMSProcess

SERVICE_TOKEN = "comments-test-service-token"
FORM_SECRET = b"comments-test-form-secret"


def comments_cms(data_dir: Path, **env: str) -> CMSProcess:
    """A started CMS with the demo blog imported and comments enabled (``env`` added)."""
    cms = CMSProcess(data_dir)
    cms.env.update(JAMTAIL_COMMENTS_TOKEN=SERVICE_TOKEN, JAMTAIL_TASKS_BACKEND="immediate", **env)
    data_dir.mkdir(parents=True, exist_ok=True)
    cms.manage("migrate", "--no-input", "-v0")
    cms.manage("import_markdown", str(REPO / "demo" / "blog"), "--parent", "/", "--slug", "blog")
    return cms.start()


def article_ids(cms: CMSProcess) -> dict[str, int]:
    """``{slug: id}`` of the CMS's live articles."""
    code = (
        "import json; from cms.content.models import ArticlePage as A; "
        "print(json.dumps(dict(A.objects.live().values_list('slug', 'id'))))"
    )
    return json.loads(cms.manage("shell", "-c", code).stdout.strip().splitlines()[-1])


def stored_comments(cms: CMSProcess) -> list[dict[str, Any]]:
    """Every stored comment, oldest first, with every column (emails and hashes too)."""
    code = (
        "import json; from cms.comments.models import Comment as C; "
        "print(json.dumps(list(C.objects.order_by('id').values()), default=str))"
    )
    return json.loads(cms.manage("shell", "-c", code).stdout.strip().splitlines()[-1])


def approve_all(cms: CMSProcess) -> None:
    """Approve every comment the way the admin does (one save each, signals and all)."""
    cms.manage(
        "shell",
        "-c",
        "from cms.comments.models import Comment\n"
        "for c in Comment.objects.order_by('id'):\n"
        "    c.status = 'approved'; c.save()",
    )


def config(cms: CMSProcess, **overrides: Any) -> comments.Config:
    values: dict[str, Any] = {
        "api_url": cms.api_url,
        "service_token": SERVICE_TOKEN,
        "form_secret": FORM_SECRET,
        "min_seconds": 2.0,
        "trusted_proxies": 1,
        "timeout": 3.0,
    }
    return comments.Config(**{**values, **overrides})


def serve_function(site_dir: Path, cfg: comments.Config) -> tuple[Any, str]:
    """``(server, base URL)``: ``jamtail serve``'s server with the function at /api/comments."""
    site_dir.mkdir(parents=True, exist_ok=True)
    if not (site_dir / "index.html").exists():
        (site_dir / "index.html").write_text("<!doctype html><title>Home</title>")
    server = make_server(site_dir, port=0, routes={"/api/comments": comments.make_handler(cfg)})
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def old_token(seconds: float = 30) -> str:
    return comments.issue_token(FORM_SECRET, now=time.time() - seconds)
