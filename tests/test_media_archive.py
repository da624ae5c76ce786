"""A first build fetches the CMS's media files in tar archives (``POST
/api/v2/media-archive/``), a thousand files a request, instead of one GET each;
only what may be served is in an archive, and an archive that is refused, cut
short or damaged costs single downloads, never a missing or partial file."""

from __future__ import annotations

import hashlib
import io
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model
from wagtail.models import Collection, CollectionViewRestriction

from cms.content import media_archive
from jamtail.build import pipeline
from jamtail.build.pipeline import build
from jamtail.content.client import CMSClient
from jamtail.content.media import MediaStore
from jamtail.write.manifest import read_manifest
from tests.test_media_versions import config_for, url_only_media

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def media(live_server):
    return url_only_media()


def archive(live_server, paths: list[str]) -> requests.Response:
    url = f"{live_server.url}/api/v2/media-archive/"
    return requests.post(url, json={"paths": paths}, timeout=10)


def members(answer: requests.Response) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(answer.content)) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]


def private_document():
    root = Collection.get_first_root_node()
    secret = root.add_child(name="Board papers")
    CollectionViewRestriction.objects.create(
        collection=secret, restriction_type=CollectionViewRestriction.LOGIN
    )
    return get_document_model().objects.create(
        title="Minutes", file=ContentFile(b"private", name="minutes.txt"), collection=secret
    )


def test_the_archive_holds_originals_renditions_and_public_documents_in_the_order_asked(
    live_server, media
):
    image, rendition, document = media["image"], media["rendition"], media["document"]
    secret = private_document()
    paths = [
        document.file.name,
        rendition.file.name,
        "images/unknown.png",
        secret.file.name,
        "../../../etc/passwd",
        image.file.name,
    ]
    answer = archive(live_server, paths)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/x-tar"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    files = members(answer)
    assert list(files) == [document.file.name, rendition.file.name, image.file.name]
    for item in (image, rendition, document):
        with item.file.open("rb") as handle:
            assert files[item.file.name] == handle.read()


def test_a_file_missing_from_the_storage_is_left_out_and_the_others_served(live_server, media):
    image, document = media["image"], media["document"]
    document.file.storage.delete(document.file.name)
    files = members(archive(live_server, [document.file.name, image.file.name]))
    assert list(files) == [image.file.name]


def test_a_file_larger_than_the_limit_is_left_to_a_download_of_its_own(
    live_server, media, monkeypatch
):
    image, document = media["image"], media["document"]
    monkeypatch.setattr(media_archive, "MAX_FILE_BYTES", document.file.size)
    assert image.file.size > document.file.size
    files = members(archive(live_server, [image.file.name, document.file.name]))
    assert list(files) == [document.file.name]


@pytest.mark.parametrize("body", [{"paths": "images/a.png"}, {"paths": [1]}, [], {}])
def test_a_malformed_question_is_a_400(live_server, body):
    answer = requests.post(f"{live_server.url}/api/v2/media-archive/", json=body, timeout=10)
    assert answer.status_code == 400 and "paths" in answer.json()["message"]


def test_a_first_build_fetches_the_cms_media_in_archives_and_no_file_singly(
    live_server, media, tmp_path, monkeypatch
):
    singly: list[str] = []
    real = CMSClient.download
    monkeypatch.setattr(
        CMSClient,
        "download",
        lambda self, url, *a, **k: singly.append(url) or real(self, url, *a, **k),
    )
    hashed: list[Path] = []
    real_digest = pipeline.digest_file
    monkeypatch.setattr(pipeline, "digest_file", lambda p: hashed.append(p) or real_digest(p))
    build(config_for(live_server, tmp_path, "one"))
    assert singly == []
    assert not [p for p in hashed if "/media/" in p.as_posix()]  # hashed as they came
    manifest = read_manifest(tmp_path / "one")
    assert manifest is not None
    out = tmp_path / "one" / "media"
    for item in (media["image"], media["rendition"], media["document"]):
        with item.file.open("rb") as handle:
            data = handle.read()
        assert (out / item.file.name).read_bytes() == data
        entry = manifest.files[f"media/{item.file.name}"]
        assert (entry.size, entry.sha1, entry.md5) == (
            len(data),
            hashlib.sha1(data).hexdigest(),
            hashlib.md5(data).hexdigest(),
        )


class Proxy:
    """A local stand-in for a CMS whose media-archive/ answer goes wrong as ``how`` says;
    every other request is passed to the real CMS."""

    def __init__(self, cms: str, how: str):
        proxy = self
        self.how, self.cms = how, cms

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                answer = requests.post(
                    proxy.cms + self.path,
                    data=body,
                    timeout=10,
                    headers={"Content-Type": "application/json"},
                )
                data = answer.content
                if proxy.how == "refused":
                    self.send_response(404)
                    data = b'{"message": "no such endpoint"}'
                elif proxy.how == "cut short":
                    self.send_response(200)
                    data = data[: len(data) // 2]
                else:  # "not a tar"
                    self.send_response(200)
                    data = b"<html>a proxy's error page</html>" * 100
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                answer = requests.get(proxy.cms + self.path, timeout=10)
                self.send_response(answer.status_code)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("how", ["refused", "cut short", "not a tar"])
def test_an_archive_refused_cut_short_or_damaged_leaves_the_rest_to_single_downloads(
    live_server, media, tmp_path, how
):
    proxy = Proxy(live_server.url, how)
    try:
        base = f"{proxy.url}/media/"
        items = [media["image"], media["rendition"], media["document"]]
        files = {
            tmp_path / "out" / Path(item.file.name).name: (base + item.file.name, f"v{n}")
            for n, item in enumerate(items)
        }
        for target in files:
            target.parent.mkdir(parents=True, exist_ok=True)
        store = MediaStore(CMSClient(f"{proxy.url}/api/v2/"), tmp_path / "cache")
        store.place(files, base)
    finally:
        proxy.close()
    for item in items:
        with item.file.open("rb") as handle:
            assert (tmp_path / "out" / Path(item.file.name).name).read_bytes() == handle.read()
    assert not list((tmp_path / "cache").rglob("*.part"))


def test_media_on_another_host_is_fetched_from_there_never_through_the_cms(
    live_server, media, tmp_path
):
    # A CDN or S3 in front of the media: here a loopback server on another port.
    cdn = Proxy(live_server.url, "refused")
    client = CMSClient(f"{live_server.url}/api/v2/")
    archives: list[dict] = []
    real = client.post_stream
    client.post_stream = lambda path, body: archives.append(body) or real(path, body)
    try:
        base = f"{cdn.url}/media/"
        image = media["image"]
        files = {tmp_path / "a.png": (base + image.file.name, "v1")}
        MediaStore(client, tmp_path / "cache").place(files, base)
    finally:
        cdn.close()
    assert archives == []
    with image.file.open("rb") as handle:
        assert (tmp_path / "a.png").read_bytes() == handle.read()
