"""Deploy to an S3 bucket, then invalidate the changed paths in CloudFront (boto3).

- Lists the bucket (under an optional prefix) and uploads only files whose
  ETag differs from the local MD5 -- or, for files at least ``part_size``
  bytes, from the multipart ETag ``md5(part md5s)-N`` computed with the same
  part size the upload uses, so large files are not re-sent every time.
- Content-Type from the file name (``charset=utf-8`` for text);
  Cache-Control from the site's ``_headers`` (immutable for ``/static/``,
  revalidate for HTML and feeds), so S3, Netlify and ``jamtail serve`` apply
  one policy. ``_headers`` and ``_redirects`` are rules, not files: not uploaded.
- Order: assets first, then pages (HTML, XML, ...), then deletions, so no
  reader gets a page whose stylesheet is not there yet. Deleting more than
  ``max_delete_percent`` of the bucket's objects is refused unless forced.
- One CloudFront invalidation for every changed or deleted path
  (``/x/index.html`` also as ``/x/``); more than 1000 paths become ``/*``.
- Failed requests are retried by botocore (standard mode, ``tries`` attempts).
"""

from __future__ import annotations

import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from jamtail.deploy.base import DeployBackend, DeployError, DeployPlan, DeployResult
from jamtail.deploy.files import RULE_FILES, SiteFiles, content_type, is_page, multipart_etag
from jamtail.settings import Settings

log = logging.getLogger(__name__)
MIN_PART = 5 * 1024 * 1024
MAX_INVALIDATION_PATHS = 1000


class S3Backend(DeployBackend):
    """Params: ``bucket`` (required), ``prefix``, ``endpoint_url``, ``region``,
    ``distribution_id``, ``cloudfront_endpoint_url``, ``public_url`` (the address
    readers use, reported as the deploy's URL), ``part_size`` (bytes, at least
    5 MiB), ``max_delete_percent``, ``workers``, ``tries``."""

    name = "s3"

    def __init__(self, params):
        super().__init__(params)
        self.bucket = self.require("bucket", "JAMTAIL_S3_BUCKET")
        self.prefix = (self.params.get("prefix") or "").strip("/")
        self.distribution_id = self.params.get("distribution_id") or ""
        self.part_size = max(MIN_PART, self.number("part_size", 8 * 1024 * 1024))
        self.max_delete_percent = self.number(
            "max_delete_percent", 50, float, env="JAMTAIL_S3_MAX_DELETE_PERCENT"
        )
        self.workers = self.number("workers", 8)
        self.tries = self.number("tries", 5)
        self._s3: Any = None
        self._cloudfront: Any = None

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Backend:
        s3 = settings.s3
        return cls(
            {
                "bucket": s3.bucket,
                "prefix": s3.prefix,
                "endpoint_url": s3.endpoint_url,
                "region": s3.region,
                "distribution_id": s3.distribution_id,
                "cloudfront_endpoint_url": s3.cloudfront_endpoint_url,
                "public_url": s3.public_url,
                "max_delete_percent": str(s3.max_delete_percent),
            }
        )

    # -- clients (boto3 is imported only by this target) ----------------------

    def _client(self, service: str, endpoint: str | None) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            service,
            endpoint_url=endpoint or None,
            region_name=self.params.get("region") or "us-east-1",
            config=Config(retries={"max_attempts": self.tries, "mode": "standard"}),
        )

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = self._client("s3", self.params.get("endpoint_url"))
        return self._s3

    @property
    def cloudfront(self) -> Any:
        if self._cloudfront is None:
            endpoint = self.params.get("cloudfront_endpoint_url") or self.params.get("endpoint_url")
            self._cloudfront = self._client("cloudfront", endpoint)
        return self._cloudfront

    # -- plan -------------------------------------------------------------------

    def key(self, path: str) -> str:
        return f"{self.prefix}/{path}" if self.prefix else path

    def remote(self) -> dict[str, str]:
        """Site path -> ETag (unquoted) of every object under the prefix."""
        from botocore.exceptions import BotoCoreError, ClientError

        found: dict[str, str] = {}
        start = f"{self.prefix}/" if self.prefix else ""
        try:
            for page in self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=start
            ):
                for obj in page.get("Contents", []):
                    found[obj["Key"][len(start) :]] = obj["ETag"].strip('"')
        except (BotoCoreError, ClientError) as exc:
            raise DeployError(f"cannot list s3://{self.bucket}/{start}: {exc}") from exc
        return found

    def etag(self, site: SiteFiles, path: str) -> str:
        if site.size(path) >= self.part_size:
            return multipart_etag(site.file(path), self.part_size)
        return site.md5(path)

    def plan(self, site: SiteFiles, force_delete: bool = False) -> DeployPlan:
        remote = self.remote()
        local = [p for p in site.paths if p not in RULE_FILES]
        plan = DeployPlan(self.name)
        changed = [p for p in local if remote.get(p) != self.etag(site, p)]
        # Assets first, pages last: a page never goes live before its stylesheet.
        plan.uploads = sorted(changed, key=lambda p: (is_page(p), p))
        plan.upload_bytes = sum(site.size(p) for p in changed)
        plan.deletes = sorted(set(remote) - set(local))
        if remote and len(plan.deletes) > len(remote) * self.max_delete_percent / 100:
            message = (
                f"would delete {len(plan.deletes)} of {len(remote)} objects in "
                f"s3://{self.bucket}/{self.prefix}, more than {self.max_delete_percent:g}%"
            )
            if not force_delete:
                raise DeployError(
                    f"{message}: is --dir the right build? Pass --force-delete to allow it"
                )
            plan.notes.append(message + " (--force-delete)")
        if self.distribution_id:
            plan.invalidations = invalidation_paths(changed + plan.deletes)
        return plan

    # -- deploy -----------------------------------------------------------------

    def deploy(self, site: SiteFiles, plan: DeployPlan) -> DeployResult:
        from boto3.s3.transfer import TransferConfig

        started = time.monotonic()
        transfer = TransferConfig(
            multipart_threshold=self.part_size,
            multipart_chunksize=self.part_size,
            use_threads=False,
        )

        def upload(path: str) -> int:
            self.s3.upload_file(
                str(site.file(path)),
                self.bucket,
                self.key(path),
                ExtraArgs={
                    "ContentType": content_type(path),
                    "CacheControl": site.cache_control(path),
                },
                Config=transfer,
            )
            log.info("uploaded %s", path)
            return site.size(path)

        sent = 0
        assets = [p for p in plan.uploads if not is_page(p)]
        pages = [p for p in plan.uploads if is_page(p)]
        try:
            with ThreadPoolExecutor(max_workers=self.workers) as pool:
                for group in (assets, pages):
                    sent += sum(pool.map(upload, group))
            for start in range(0, len(plan.deletes), 1000):
                batch = plan.deletes[start : start + 1000]
                self.s3.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": self.key(p)} for p in batch], "Quiet": True},
                )
            if plan.invalidations:
                self.cloudfront.create_invalidation(
                    DistributionId=self.distribution_id,
                    InvalidationBatch={
                        "Paths": {
                            "Quantity": len(plan.invalidations),
                            "Items": plan.invalidations,
                        },
                        "CallerReference": f"jamtail-{uuid.uuid4().hex}",
                    },
                )
        except Exception as exc:
            from boto3.exceptions import S3UploadFailedError
            from botocore.exceptions import BotoCoreError, ClientError

            if isinstance(exc, BotoCoreError | ClientError | S3UploadFailedError):
                raise DeployError(f"S3 deploy to s3://{self.bucket} failed: {exc}") from exc
            raise
        return DeployResult(
            self.name,
            uploaded=len(plan.uploads),
            bytes=sent,
            deleted=len(plan.deletes),
            invalidated=len(plan.invalidations),
            seconds=time.monotonic() - started,
            url=self.params.get("public_url") or f"s3://{self.bucket}/{self.prefix}",
        )


def invalidation_paths(paths: list[str]) -> list[str]:
    """CloudFront paths for changed site paths; ``x/index.html`` is also served as ``/x/``."""
    out: set[str] = set()
    for path in paths:
        out.add("/" + path)
        if path == "index.html" or path.endswith("/index.html"):
            out.add("/" + path[: -len("index.html")])
    if len(out) > MAX_INVALIDATION_PATHS:
        return ["/*"]
    return sorted(out)
