"""A local stand-in for Netlify's deploy API (the file digest method), for deploy tests.

Implements what https://docs.netlify.com/api/get-started/#file-digest-method
and the OpenAPI reference (https://open-api.netlify.com/) describe, on
127.0.0.1, under ``/api/v1/``:

- every request needs ``Authorization: Bearer <token>`` (else 401);
- ``POST /sites/{site_id}/deploys`` ``{"files": {"/path": sha1}, "async": bool}``
  -> 200 deploy; ``required`` lists the digests this site has never stored
  (across all its earlier deploys). Synchronous: state ``uploading`` (or
  ``ready`` when nothing is required). Async: ``preparing``, then ``prepared``
  on the next read;
- ``PUT /deploys/{id}/files/{path}`` (``application/octet-stream``) -> 200 file
  object; the body's SHA-1 must match the manifest (422), the path must be in
  it (404). When every required digest has arrived the deploy goes
  ``processing`` then ``ready`` and is published;
- ``GET /deploys/{id}``, ``GET /sites/{site_id}``, ``GET /sites/{site_id}/deploys``
  (newest first), ``GET /sites/{site_id}/files`` (the published deploy's files),
  ``POST /sites/{site_id}/deploys/{deploy_id}/restore``.

Failures are injected with :meth:`NetlifyStandIn.fail`; :attr:`requests` logs
``(method, path)`` of every request. ``tests/test_deploy_netlify.py`` checks the
status codes and shapes against the documentation.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

SHA1 = re.compile(r"[0-9a-f]{40}")


@dataclass
class Deploy:
    id: str
    site_id: str
    files: dict[str, str]
    required: list[str]
    state: str
    received: set[str] = field(default_factory=set)
    created: int = 0

    def json(self, base: str) -> dict[str, Any]:
        url = f"https://{self.id}--{self.site_id}.netlify.app"
        return {
            "id": self.id,
            "site_id": self.site_id,
            "state": self.state,
            "required": [] if self.state == "preparing" else self.required,
            "required_functions": [],
            "deploy_url": url.replace("https", "http"),
            "deploy_ssl_url": url,
            "ssl_url": f"https://{self.site_id}.netlify.app",
            "url": f"http://{self.site_id}.netlify.app",
            "admin_url": f"{base}/sites/{self.site_id}",
            "created_at": f"2026-11-21T10:00:{self.created:02d}Z",
            "error_message": None,
        }


class NetlifyStandIn:
    """Start with :meth:`start`; ``api_url`` is then ``http://127.0.0.1:PORT/api/v1/``."""

    def __init__(self, token: str = "test-token", site_id: str = "site-1"):
        self.token = token
        self.site_id = site_id
        self.blobs: dict[str, dict[str, bytes]] = {site_id: {}}  # site -> sha1 -> content
        self.deploys: dict[str, Deploy] = {}
        self.published: dict[str, str | None] = {site_id: None}
        self.failures: dict[tuple[str, str], list[int]] = {}
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/v1/"

    def start(self) -> NetlifyStandIn:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(self, method: str, path: str, times: int, status: int = 500) -> None:
        """Answer the next ``times`` requests ``method path`` (after ``/api/v1``) so."""
        self.failures[(method, path)] = [status] * times

    def fail_upload(self, file_path: str, times: int, status: int = 500) -> None:
        """Answer the next ``times`` PUTs of ``file_path`` (``/blog/x/index.html``), any deploy."""
        self.failures[("PUT", "files:" + file_path)] = [status] * times

    def uploads(self) -> list[str]:
        """Paths of successful-or-not file PUTs, in order."""
        return [unquote(p.split("/files", 1)[1]) for m, p in self.requests if m == "PUT"]

    def live_content(self, site_id: str | None = None) -> dict[str, bytes]:
        """What the site serves: path -> bytes of its published deploy."""
        site_id = site_id or self.site_id
        deploy = self.deploys[self.published[site_id] or ""]
        return {p: self.blobs[site_id][sha] for p, sha in deploy.files.items()}

    # -- API -----------------------------------------------------------------

    def handle(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        with self.lock:
            self.requests.append((method, path))
            keys = [(method, path)]
            if method == "PUT" and "/files/" in path:
                keys.append(("PUT", "files:/" + unquote(path.split("/files/", 1)[1])))
            for key in keys:
                if self.failures.get(key):
                    return self.failures[key].pop(0), {"message": "injected failure"}
            return self._route(method, path, body)

    def _route(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        m = re.fullmatch(r"/sites/([^/]+)(/.*)?", path)
        if m:
            site_id, rest = m[1], m[2] or ""
            if site_id not in self.published:
                return 404, {"code": 404, "message": "Not Found"}
            if method == "GET" and rest == "":
                live = self.published[site_id]
                published = self.deploys[live].json(self.api_url) if live else None
                return 200, {
                    "id": site_id,
                    "url": f"http://{site_id}.netlify.app",
                    "ssl_url": f"https://{site_id}.netlify.app",
                    "published_deploy": published,
                }
            if method == "GET" and rest == "/files":
                live = self.published[site_id]
                files = self.deploys[live].files if live else {}
                return 200, [
                    {"id": p, "path": p, "sha": sha, "mime_type": "", "size": 0}
                    for p, sha in sorted(files.items())
                ]
            if method == "GET" and rest == "/deploys":
                mine = [d for d in self.deploys.values() if d.site_id == site_id]
                return 200, [d.json(self.api_url) for d in reversed(mine)]
            if method == "POST" and rest == "/deploys":
                return self._create(site_id, body)
            r = re.fullmatch(r"/deploys/([^/]+)/restore", rest)
            if method == "POST" and r:
                deploy = self.deploys.get(r[1])
                if deploy is None or deploy.site_id != site_id:
                    return 404, {"code": 404, "message": "Not Found"}
                if deploy.state != "ready":
                    return 422, {"code": 422, "message": "deploy is not ready"}
                self.published[site_id] = deploy.id
                return 200, deploy.json(self.api_url)
        m = re.fullmatch(r"/deploys/([^/]+)(/files/(.+))?", path)
        if m and m[1] in self.deploys:
            deploy = self.deploys[m[1]]
            if method == "GET" and not m[2]:
                self._advance(deploy)
                return 200, deploy.json(self.api_url)
            if method == "PUT" and m[3]:
                return self._upload(deploy, "/" + unquote(m[3]), body)
        return 404, {"code": 404, "message": "Not Found"}

    def _create(self, site_id: str, body: bytes) -> tuple[int, Any]:
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return 400, {"code": 400, "message": "invalid JSON"}
        files = data.get("files")
        if not isinstance(files, dict) or not all(
            isinstance(p, str) and p.startswith("/") and isinstance(s, str) and SHA1.fullmatch(s)
            for p, s in files.items()
        ):
            return 422, {"code": 422, "message": "files must map /paths to SHA1 digests"}
        required = sorted(set(files.values()) - set(self.blobs[site_id]))
        deploy = Deploy(
            uuid.uuid4().hex[:24], site_id, dict(files), required, "", created=len(self.deploys)
        )
        self.deploys[deploy.id] = deploy
        if data.get("async"):
            deploy.state = "preparing"
        else:
            deploy.state = "uploading" if required else "ready"
            self._publish_if_ready(deploy)
        return 200, deploy.json(self.api_url)

    def _advance(self, deploy: Deploy) -> None:
        if deploy.state == "preparing":
            deploy.state = "prepared" if deploy.required else "ready"
        elif deploy.state == "processing":
            deploy.state = "ready"
        else:
            return
        self._publish_if_ready(deploy)

    def _publish_if_ready(self, deploy: Deploy) -> None:
        """A deploy goes live once, as it becomes ready (a later restore may replace it)."""
        if deploy.state == "ready":
            self.published[deploy.site_id] = deploy.id

    def _upload(self, deploy: Deploy, path: str, body: bytes) -> tuple[int, Any]:
        if path not in deploy.files:
            return 404, {"code": 404, "message": f"{path} is not in the deploy"}
        if deploy.state not in {"prepared", "uploading"}:
            return 422, {"code": 422, "message": f"deploy is {deploy.state}"}
        sha = hashlib.sha1(body).hexdigest()
        if sha != deploy.files[path]:
            return 422, {"code": 422, "message": f"SHA1 mismatch for {path}"}
        self.blobs[deploy.site_id][sha] = body
        deploy.received.add(sha)
        deploy.state = "uploading"
        if set(deploy.required) <= deploy.received:
            deploy.state = "processing"
        return 200, {"id": sha, "path": path, "sha": sha, "mime_type": "", "size": len(body)}


def _handler(api: NetlifyStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            path = urlsplit(self.path).path
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not path.startswith("/api/v1/"):
                status, data = 404, {"code": 404, "message": "Not Found"}
            elif self.headers.get("Authorization") != f"Bearer {api.token}":
                status, data = 401, {"code": 401, "message": "Access Denied"}
            else:
                status, data = api.handle(self.command, path[len("/api/v1") :], body)
            payload = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = _serve

    return Handler
