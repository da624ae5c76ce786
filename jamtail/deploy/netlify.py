"""Deploy to Netlify with the deploy API's file digest method.

https://docs.netlify.com/api/get-started/#file-digest-method

1. ``POST /sites/{site_id}/deploys`` with ``{"files": {"/path": sha1}, "async": true}``;
   poll ``GET /deploys/{id}`` until the deploy is ``prepared`` (or already
   ``ready``): its ``required`` lists the SHA-1s Netlify has never stored for
   this site, so an unchanged file is never uploaded twice.
2. ``PUT /deploys/{id}/files/{path}`` (``application/octet-stream``) for each
   path whose digest is required, in parallel, each retried under
   :mod:`jamtail.retry`'s policy (connection errors, timeouts, 429 and 5xx).
3. Poll ``GET /deploys/{id}`` until ``state == "ready"`` (``error`` fails).

The plan (``--dry-run``) compares the manifest with the live deploy's files
(``GET /sites/{site_id}/files``) and creates nothing. Rollback is
``POST /sites/{site_id}/deploys/{deploy_id}/restore``.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import requests

from jamtail.deploy.base import DeployBackend, DeployError, DeployPlan, DeployResult
from jamtail.deploy.files import SiteFiles
from jamtail.retry import DEFAULT as RETRY
from jamtail.retry import retryable
from jamtail.settings import NETLIFY_API_URL as DEFAULT_API
from jamtail.settings import Settings

log = logging.getLogger(__name__)


class NetlifyBackend(DeployBackend):
    """Params: ``auth_token``, ``site_id`` (required); ``api_url``, ``workers``,
    ``tries``, ``retry_delay`` (the longest first pause, seconds; see :mod:`jamtail.retry`),
    ``timeout`` (seconds to wait for ``ready``)."""

    name = "netlify"

    def __init__(self, params):
        super().__init__(params)
        self.token = self.require("auth_token", "NETLIFY_AUTH_TOKEN")
        self.site_id = self.require("site_id", "NETLIFY_SITE_ID")
        self.api = (self.params.get("api_url") or DEFAULT_API).rstrip("/") + "/"
        self.workers = self.number("workers", 8)
        self.tries = self.number("tries", 5)
        self.retry_delay = self.number("retry_delay", 0.5, float)
        self.timeout = self.number("timeout", 300, float)
        self.poll_interval = self.number("poll_interval", 0.5, float)
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {self.token}"
        self.http.headers["User-Agent"] = "jamtail-deploy"

    @classmethod
    def from_settings(cls, settings: Settings) -> NetlifyBackend:
        netlify = settings.netlify
        return cls(
            {
                "auth_token": netlify.auth_token,
                "site_id": netlify.site_id,
                "api_url": netlify.api_url,
            }
        )

    # -- HTTP -------------------------------------------------------------

    def _call(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        """One API call with retries; JSON body of the answer, :class:`DeployError` on failure."""

        policy = RETRY.but(attempts=self.tries, backoff=self.retry_delay)
        try:
            response = policy.call(
                lambda: self.http.request(method, self.api + path, timeout=60, **kwargs),
                f"Netlify {what}",
            )
        except requests.RequestException as exc:
            tried = f"after {self.tries} tries" if retryable(exc) else "at once"
            raise DeployError(f"Netlify {what} failed {tried}: {exc}") from exc
        if retryable(response):
            raise DeployError(
                f"Netlify {what} failed after {self.tries} tries: HTTP {response.status_code}"
            )
        if response.status_code == 401:
            raise DeployError("Netlify refused the token (401): check NETLIFY_AUTH_TOKEN")
        if response.status_code == 404:
            raise DeployError(f"Netlify {what}: not found (404): check NETLIFY_SITE_ID")
        if not response.ok:
            raise DeployError(
                f"Netlify {what} failed: HTTP {response.status_code} {response.text[:200]}"
            )
        return response.json() if response.content else None

    # -- plan and deploy --------------------------------------------------

    def manifest(self, site: SiteFiles) -> dict[str, str]:
        return {"/" + path: site.sha1(path) for path in site.paths}

    def plan(self, site: SiteFiles, force_delete: bool = False) -> DeployPlan:
        live = {
            f["path"]: f["sha"]
            for f in self._call("GET", f"sites/{self.site_id}/files", "list files")
        }
        plan = DeployPlan(self.name)
        for path, sha in self.manifest(site).items():
            if live.get(path) != sha:
                plan.uploads.append(path[1:])
                plan.upload_bytes += site.size(path[1:])
        plan.deletes = sorted(p[1:] for p in set(live) - set(self.manifest(site)))
        plan.notes.append("Netlify uploads only digests it has never stored for this site")
        return plan

    def deploy(self, site: SiteFiles, plan: DeployPlan) -> DeployResult:
        started = time.monotonic()
        manifest = self.manifest(site)
        deploy = self._call(
            "POST",
            f"sites/{self.site_id}/deploys",
            "create deploy",
            json={"files": manifest, "async": True},
        )
        deploy = self._wait(deploy, {"prepared", "uploading", "ready"})
        required = set(deploy.get("required") or [])
        uploads = [path for path, sha in manifest.items() if sha in required]
        # Identical files share a digest; Netlify needs each digest once.
        by_digest = {manifest[path]: path for path in uploads}
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            sent = sum(
                pool.map(lambda path: self._upload(deploy["id"], site, path), by_digest.values())
            )
        deploy = self._wait(deploy, {"ready"})
        return DeployResult(
            self.name,
            uploaded=len(by_digest),
            bytes=sent,
            deleted=len(plan.deletes),
            invalidated=0,
            seconds=time.monotonic() - started,
            url=deploy.get("ssl_url") or deploy.get("deploy_ssl_url") or deploy.get("url", ""),
            release=deploy["id"],
        )

    def _upload(self, deploy_id: str, site: SiteFiles, path: str) -> int:
        body = site.file(path[1:]).read_bytes()
        self._call(
            "PUT",
            f"deploys/{deploy_id}/files/{quote(path[1:])}",
            f"upload {path}",
            data=body,
            headers={"Content-Type": "application/octet-stream"},
        )
        log.info("uploaded %s (%d bytes)", path, len(body))
        return len(body)

    def _wait(self, deploy: dict[str, Any], states: set[str]) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while deploy["state"] not in states:
            if deploy["state"] == "error":
                raise DeployError(
                    f"Netlify deploy {deploy['id']} failed: {deploy.get('error_message')}"
                )
            if time.monotonic() > deadline:
                raise DeployError(
                    f"Netlify deploy {deploy['id']} still {deploy['state']} "
                    f"after {self.timeout:.0f} s"
                )
            time.sleep(self.poll_interval)
            deploy = self._call("GET", f"deploys/{deploy['id']}", "get deploy")
        return deploy

    def rollback(self, to: str | None = None) -> str:
        if to is None:
            site = self._call("GET", f"sites/{self.site_id}", "get site")
            live = (site.get("published_deploy") or {}).get("id")
            deploys = self._call("GET", f"sites/{self.site_id}/deploys", "list deploys")
            ready = [d["id"] for d in deploys if d["state"] == "ready"]  # newest first
            older = ready[ready.index(live) + 1 :] if live in ready else ready[1:]
            if not older:
                raise DeployError(f"no ready deploy older than {live} to roll back to")
            to = older[0]
        restored = self._call(
            "POST", f"sites/{self.site_id}/deploys/{to}/restore", "restore deploy"
        )
        return str(restored["id"])
