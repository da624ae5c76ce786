"""S3 + CloudFront target against moto's server mode over HTTP on 127.0.0.1."""

from __future__ import annotations

import io
import os

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from urllib3 import HTTPResponse

from jamtail.cli import main as jamtail_main
from jamtail.deploy import DeployError, SiteFiles
from jamtail.deploy.files import multipart_etag
from jamtail.deploy.s3 import S3Backend
from jamtail.exceptions import ConfigError
from jamtail.settings import Settings
from tests.test_deploy import change_one_page, make_site, tree

moto_server = pytest.importorskip("moto.server")
BUCKET = "jamtail-site"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="module")
def moto():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(moto, monkeypatch):
    """A fresh bucket and CloudFront distribution; the environment points boto3 at moto."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    s3 = boto3.client("s3", endpoint_url=moto, region_name="us-east-1")
    for bucket in s3.list_buckets()["Buckets"]:
        for obj in s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", []):
            s3.delete_object(Bucket=bucket["Name"], Key=obj["Key"])
        s3.delete_bucket(Bucket=bucket["Name"])
    s3.create_bucket(Bucket=BUCKET)
    cloudfront = boto3.client("cloudfront", endpoint_url=moto, region_name="us-east-1")
    distribution = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": os.urandom(8).hex(),
            "Comment": "test",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "s3",
                        "DomainName": f"{BUCKET}.s3.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "s3",
                "ViewerProtocolPolicy": "redirect-to-https",
                "MinTTL": 0,
            },
        }
    )["Distribution"]["Id"]
    return {"endpoint": moto, "s3": s3, "cloudfront": cloudfront, "distribution": distribution}


def backend(aws, **params: str) -> S3Backend:
    return S3Backend(
        {
            "bucket": BUCKET,
            "endpoint_url": aws["endpoint"],
            "distribution_id": aws["distribution"],
            **params,
        }
    )


def deploy(target: S3Backend, root, force_delete=False):
    site = SiteFiles(root)
    return target.deploy(site, target.plan(site, force_delete=force_delete))


def bucket(aws, prefix: str = "") -> dict[str, bytes]:
    objects = aws["s3"].list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return {
        o["Key"][len(prefix) :]: aws["s3"].get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read()
        for o in objects
    }


def invalidations(aws) -> list[list[str]]:
    cf = aws["cloudfront"]
    listed = cf.list_invalidations(DistributionId=aws["distribution"])["InvalidationList"]
    return [
        cf.get_invalidation(DistributionId=aws["distribution"], Id=item["Id"])["Invalidation"][
            "InvalidationBatch"
        ]["Paths"]["Items"]
        for item in listed.get("Items", [])
    ]


def test_first_deploy_uploads_every_file_but_the_rule_files(tmp_path, aws):
    root = make_site(tmp_path / "build")
    result = deploy(backend(aws), root)
    expected = {p: b for p, b in tree(root).items() if p not in {"_headers", "_redirects"}}
    assert result.uploaded == len(expected) and bucket(aws) == expected
    assert result.bytes == sum(len(b) for b in expected.values())


def test_content_types_and_cache_policies_follow_the_headers_file(tmp_path, aws):
    deploy(backend(aws), make_site(tmp_path / "build"))

    def head(key):
        return aws["s3"].head_object(Bucket=BUCKET, Key=key)

    immutable = "public, max-age=31536000, immutable"
    revalidate = "public, max-age=0, must-revalidate"
    for key, ctype, cache in [
        ("index.html", "text/html; charset=utf-8", revalidate),
        ("blog/x/index.html", "text/html; charset=utf-8", revalidate),
        ("blog/atom.xml", "application/xml; charset=utf-8", revalidate),
        ("sitemap.xml", "application/xml; charset=utf-8", revalidate),
        ("static/css/site.3f2a9c1b.css", "text/css; charset=utf-8", immutable),
        ("static/js/search.0badc0de.js", "application/javascript; charset=utf-8", immutable),
        ("media/images/sunset.width-400.png", "image/png", "public, max-age=86400"),
    ]:
        answer = head(key)
        assert (answer["ContentType"], answer["CacheControl"]) == (ctype, cache), key


def test_second_deploy_uploads_the_changed_page_its_listing_and_feed(tmp_path, aws):
    root = make_site(tmp_path / "build")
    target = backend(aws)
    deploy(target, root)
    changed = change_one_page(root)
    plan = target.plan(SiteFiles(root))
    assert sorted(plan.uploads) == changed
    result = target.deploy(SiteFiles(root), plan)
    assert result.uploaded == 3 and bucket(aws)["blog/x/index.html"] == b"<h1>X, edited</h1>"
    assert invalidations(aws)[-1] == [  # the latest
        "/blog/", "/blog/atom.xml", "/blog/index.html", "/blog/x/", "/blog/x/index.html"
    ]  # fmt: skip
    assert target.plan(SiteFiles(root)).uploads == []


def test_assets_are_uploaded_before_pages(tmp_path, aws):
    target = backend(aws)
    order: list[str] = []
    target.s3.meta.events.register(
        "before-parameter-build.s3.PutObject", lambda params, **kw: order.append(params["Key"])
    )
    target.workers = 1
    deploy(target, make_site(tmp_path / "build"))
    first_page = min(i for i, key in enumerate(order) if key.endswith((".html", ".xml")))
    assert all(k.startswith(("static/", "media/")) for k in order[:first_page])
    assert all(not k.startswith(("static/", "media/")) for k in order[first_page:])


def test_deletions_happen_last_and_are_invalidated(tmp_path, aws):
    root = make_site(tmp_path / "build")
    target = backend(aws)
    deploy(target, root)
    (root / "blog/y/index.html").unlink()
    result = deploy(target, root)
    assert (result.uploaded, result.deleted) == (0, 1)
    assert "blog/y/index.html" not in bucket(aws)
    assert invalidations(aws)[-1] == ["/blog/y/", "/blog/y/index.html"]


def test_deleting_most_of_the_bucket_needs_force(tmp_path, aws):
    root = make_site(tmp_path / "build")
    target = backend(aws)
    deploy(target, root)
    small = make_site(tmp_path / "small", {"index.html": "<h1>Only me</h1>"})
    with pytest.raises(DeployError, match=r"would delete 9 of 10 objects.*--force-delete"):
        target.plan(SiteFiles(small))
    assert len(bucket(aws)) == 10
    result = deploy(target, small, force_delete=True)
    assert result.deleted == 9 and list(bucket(aws)) == ["index.html"]


def test_an_upload_failing_twice_is_retried_and_completes(tmp_path, aws):
    target = backend(aws)
    failures = {"blog/x/index.html": 2}
    seen: list[str] = []

    def fail_twice(request, **kwargs):
        key = request.url.split(f"/{BUCKET}/", 1)[-1].split("?")[0]
        seen.append(key)
        if request.method == "PUT" and failures.get(key):
            failures[key] -= 1
            body = b"<Error><Code>InternalError</Code><Message>injected</Message></Error>"
            raw = HTTPResponse(body=io.BytesIO(body), status=500, preload_content=False)
            return AWSResponse(request.url, 500, {}, raw)
        return None

    target.s3.meta.events.register("before-send.s3.PutObject", fail_twice)
    root = make_site(tmp_path / "build")
    deploy(target, root)
    assert seen.count("blog/x/index.html") == 3 and failures["blog/x/index.html"] == 0
    assert bucket(aws)["blog/x/index.html"] == b"<h1>X</h1>"


def test_a_dry_run_changes_nothing(tmp_path, aws, monkeypatch, capsys):
    root = make_site(tmp_path / "build")
    deploy(backend(aws), root)
    before = (bucket(aws), invalidations(aws))
    change_one_page(root)
    monkeypatch.setenv("JAMTAIL_S3_BUCKET", BUCKET)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", aws["endpoint"])
    monkeypatch.setenv("JAMTAIL_CLOUDFRONT_DISTRIBUTION_ID", aws["distribution"])
    assert jamtail_main(["deploy", "--target", "s3", "--dir", str(root), "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "  upload /blog/x/index.html" in out and "  invalidate /blog/x/" in out
    assert out[-1].startswith("Dry run (s3): would upload 3 files")
    assert (bucket(aws), invalidations(aws)) == before


def test_large_files_compare_multipart_etags_and_a_prefix_is_honoured(tmp_path, aws):
    root = make_site(tmp_path / "build")
    video = root / "media" / "documents" / "talk.bin"
    video.parent.mkdir(parents=True)
    video.write_bytes(os.urandom(6 * 1024 * 1024))
    target = backend(aws, prefix="www", part_size=str(5 * 1024 * 1024))
    deploy(target, root)
    etag = aws["s3"].head_object(Bucket=BUCKET, Key="www/media/documents/talk.bin")["ETag"]
    assert etag.strip('"') == multipart_etag(video, 5 * 1024 * 1024)
    assert etag.strip('"').endswith("-2")
    assert target.plan(SiteFiles(root)).uploads == []
    assert set(bucket(aws, "www/")) == {p for p in tree(root) if not p.startswith("_")}


def test_a_deploy_configured_from_the_environment_reports_the_public_url(
    tmp_path, aws, monkeypatch
):
    # Issue 12: from_environ (now from_settings) never set public_url, so a production deploy said
    # s3://bucket and the runner had no address to link to.
    monkeypatch.setenv("JAMTAIL_S3_BUCKET", BUCKET)
    monkeypatch.setenv("JAMTAIL_S3_ENDPOINT_URL", aws["endpoint"])
    monkeypatch.setenv("JAMTAIL_CLOUDFRONT_DISTRIBUTION_ID", aws["distribution"])
    monkeypatch.setenv("JAMTAIL_CLOUDFRONT_ENDPOINT_URL", aws["endpoint"] + "/")
    monkeypatch.setenv("JAMTAIL_S3_PUBLIC_URL", "https://www.example.org/")
    target = S3Backend.from_settings(Settings.from_environ())
    result = deploy(target, make_site(tmp_path / "site"))
    assert result.url == "https://www.example.org/"
    assert result.uploaded > 0 and invalidations(aws)
    # CloudFront's endpoint is its own setting, not a copy of S3's.
    assert target.cloudfront.meta.endpoint_url == aws["endpoint"] + "/"
    assert target.s3.meta.endpoint_url == aws["endpoint"]


def test_a_bad_number_names_its_variable(aws, monkeypatch):
    monkeypatch.setenv("JAMTAIL_S3_BUCKET", BUCKET)
    monkeypatch.setenv("JAMTAIL_S3_MAX_DELETE_PERCENT", "half")
    with pytest.raises(ConfigError, match="JAMTAIL_S3_MAX_DELETE_PERCENT must be a number"):
        S3Backend.from_settings(Settings.from_environ())
