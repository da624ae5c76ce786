"""Media on S3 (django-storages against moto's server): uploads, renditions, and the build."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from django.test import override_settings

from cms.settings import s3_media
from jamtail.build.pipeline import BuildConfig, build
from jamtail.deploy import SiteFiles
from jamtail.deploy.local import LocalBackend
from tests.factories import demo_site

moto_server = pytest.importorskip("moto.server")
REPO = Path(__file__).resolve().parents[1]
BUCKET = "jamtail-media"
PUBLIC_READ = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/*",
        }
    ],
}

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def media_bucket(monkeypatch):
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    # As in production: a bucket policy makes media public (no ACLs, no signed URLs).
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(PUBLIC_READ))
    storage, media_url = s3_media(
        {"JAMTAIL_MEDIA_S3_BUCKET": BUCKET, "JAMTAIL_MEDIA_S3_ENDPOINT_URL": endpoint}
    ) or ({}, "")
    with override_settings(
        STORAGES={
            "default": storage,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        MEDIA_URL=media_url,
    ):
        yield s3, media_url
    server.stop()


def keys(s3) -> set[str]:
    return {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_settings_store_media_on_s3_only_when_a_bucket_is_set():
    assert s3_media({}) is None
    storage, url = s3_media({"AWS_STORAGE_BUCKET_NAME": "b", "AWS_S3_CUSTOM_DOMAIN": "cdn.x.org"})
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"]["querystring_auth"] is False and url == "https://cdn.x.org/"


def test_images_and_renditions_land_in_the_bucket_and_the_build_copies_them(
    media_bucket, live_server, tmp_path
):
    s3, media_url = media_bucket
    site = demo_site(per_page=2)
    assert site["image"].file.url.startswith(media_url)
    assert any(k.startswith("original_images/") for k in keys(s3))

    out = tmp_path / "build"
    build(
        BuildConfig(
            api_url=f"{live_server.url}/api/v2/",
            out_dir=out,
            site_dir=REPO / "site",
            cache_dir=tmp_path / "cache",
        )
    )
    renditions = {k for k in keys(s3) if k.startswith("images/")}
    assert renditions, "the API made no renditions in the bucket"
    html = (out / "blog/hello-jamtail/index.html").read_text()
    assert 'srcset="/media/images/' in html and media_url not in html
    for src in {part.split('"')[0] for part in html.split('src="/media/')[1:]}:
        assert src in renditions | {k for k in keys(s3)}
        assert (out / "media" / src).read_bytes() == s3.get_object(Bucket=BUCKET, Key=src)[
            "Body"
        ].read()

    # and the real build deploys: every file once, then nothing
    target = LocalBackend({"dir": str(tmp_path / "deploy")})
    first = target.deploy(SiteFiles(out), target.plan(SiteFiles(out)))
    assert first.uploaded == len(SiteFiles(out).paths)
    assert target.plan(SiteFiles(out)).uploads == []
