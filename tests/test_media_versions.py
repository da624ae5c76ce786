"""Media named only by URL in content (raw HTML, rich text, document links) gets a version
from the CMS (``POST /api/v2/media-versions/``), so a build downloads each file once
per version instead of revalidating it on every build; the media cache keeps the
files' digests, so a build without its dependency graph hashes none again."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model

from jamtail.build import pipeline
from jamtail.build.pipeline import BuildConfig, build
from jamtail.content.client import CMSClient
from jamtail.content.media import MediaStore
from jamtail.exceptions import CMSError
from jamtail.write.manifest import read_manifest
from tests.factories import article, demo_site

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def media(live_server):
    return url_only_media()


def url_only_media() -> dict:
    """The demo site, plus an article whose raw HTML names an original image, a
    rendition and a document by URL only (as imported Markdown and WordPress posts do)."""
    site = demo_site()
    image = site["image"]
    rendition = image.get_rendition("width-400")
    document = get_document_model().objects.create(
        title="Spec", file=ContentFile(b"the spec", name="spec.txt")
    )
    image.get_file_hash(), document.get_file_hash()  # as uploads through the admin have
    html = (
        f'<img src="{image.file.url}" alt="original">'
        f'<img src="{rendition.url}" alt="rendition">'
        f'<a href="{document.file.url}">spec</a>'
    )
    article(site["blog"], "Pictures", dt.date(2026, 3, 4), body=[("raw_html", html)])
    return {"image": image, "rendition": rendition, "document": document}


def config_for(live_server, tmp_path: Path, out: str) -> BuildConfig:
    return BuildConfig(
        api_url=f"{live_server.url}/api/v2/",
        out_dir=tmp_path / out,
        site_dir=REPO / "site",
        cache_dir=tmp_path / "cache",
    )


def ask(live_server, body) -> requests.Response:
    return requests.post(f"{live_server.url}/api/v2/media-versions/", json=body, timeout=10)


def test_the_cms_versions_originals_renditions_and_documents_by_their_hash(live_server, media):
    image, rendition, document = media["image"], media["rendition"], media["document"]
    paths = [image.file.name, rendition.file.name, document.file.name, "images/unknown.png"]
    answer = ask(live_server, {"paths": paths})
    assert answer.status_code == 200
    assert answer.json()["versions"] == {
        image.file.name: image.file_hash,
        rendition.file.name: f"{image.file_hash}.{rendition.pk}",
        document.file.name: document.file_hash,
    }


def test_a_rendition_made_again_has_a_new_version(live_server, media):
    image, old = media["image"], media["rendition"]
    image.renditions.all().delete()
    new = image.get_rendition("width-400")
    assert new.file.name == old.file.name and new.pk != old.pk
    versions = ask(live_server, {"paths": [new.file.name]}).json()["versions"]
    assert versions == {new.file.name: f"{image.file_hash}.{new.pk}"}


def test_a_hash_not_known_yet_is_computed_once_and_a_missing_file_is_left_out(live_server, media):
    image, document = media["image"], media["document"]
    type(document).objects.filter(pk=document.pk).update(file_hash="")
    versions = ask(live_server, {"paths": [document.file.name]}).json()["versions"]
    assert versions == {document.file.name: hashlib.sha1(b"the spec").hexdigest()}
    document.refresh_from_db()
    assert document.file_hash == versions[document.file.name]  # saved

    image.file.storage.delete(image.file.name)
    type(image).objects.filter(pk=image.pk).update(file_hash="")
    paths = [image.file.name, media["rendition"].file.name]
    assert ask(live_server, {"paths": paths}).json() == {"versions": {}}


@pytest.mark.parametrize(
    "body", [{"paths": "images/a.png"}, {"paths": [1, 2]}, ["images/a.png"], {}]
)
def test_a_malformed_question_is_a_400(live_server, body):
    answer = ask(live_server, body)
    assert answer.status_code == 400 and "paths" in answer.json()["message"]


def test_more_than_a_thousand_paths_is_a_400_the_builder_asks_in_batches(live_server, tmp_path):
    assert ask(live_server, {"paths": [f"x/{i}" for i in range(1001)]}).status_code == 400
    client = CMSClient(f"{live_server.url}/api/v2/")
    asked: list[int] = []
    real_post = client.post_json
    client.post_json = lambda path, body: asked.append(len(body["paths"])) or real_post(path, body)
    base = f"{live_server.url}/media/"
    files = {tmp_path / f"{i}.png": (f"{base}images/{i}.png", "") for i in range(2500)}
    assert MediaStore(client, tmp_path / "cache").with_versions(files, base) == files
    assert asked == [1000, 1000, 500]


def test_a_second_build_of_url_only_media_downloads_and_revalidates_nothing(
    live_server, media, tmp_path, monkeypatch
):
    first = build(config_for(live_server, tmp_path, "one"))
    assert first.downloaded > 0
    page = (tmp_path / "one" / "blog" / "pictures" / "index.html").read_text()
    for name in (media["image"].file.name, media["rendition"].file.name):
        assert f'src="/media/{name}"' in page
        assert (tmp_path / "one" / "media" / name).is_file()
    assert (tmp_path / "one" / "media" / media["document"].file.name).read_bytes() == b"the spec"

    downloads: list[tuple[str, bool]] = []
    real = CMSClient.download

    def spy(self, url, dest, revalidate=False):
        downloads.append((url, revalidate))
        return real(self, url, dest, revalidate)

    monkeypatch.setattr(CMSClient, "download", spy)
    # A new output folder: no staged file to keep, every file placed from the cache.
    build(config_for(live_server, tmp_path, "two"))
    assert downloads == []


def test_a_build_without_its_dependency_graph_hashes_no_media_file_again(
    live_server, media, tmp_path, monkeypatch
):
    build(config_for(live_server, tmp_path, "one"))
    (tmp_path / "cache" / "graph.sqlite3").unlink()
    hashed: list[Path] = []
    real = pipeline.digest_file
    monkeypatch.setattr(pipeline, "digest_file", lambda path: hashed.append(path) or real(path))
    build(config_for(live_server, tmp_path, "two"))
    assert not [p for p in hashed if "/media/" in p.as_posix()]
    manifest = read_manifest(tmp_path / "two")
    assert manifest is not None
    media_entries = {k: e for k, e in manifest.files.items() if k.startswith("media/")}
    assert len(media_entries) >= 4
    for key, entry in media_entries.items():
        data = (tmp_path / "two" / key).read_bytes()
        assert (entry.size, entry.sha1) == (len(data), hashlib.sha1(data).hexdigest()), key


def test_a_cms_without_the_endpoint_versions_nothing_and_files_are_revalidated(
    live_server, media, tmp_path
):
    # An API root where media-versions/ does not exist: a CMS from before it (404).
    client = CMSClient(f"{live_server.url}/no-such-api/")
    base = f"{live_server.url}/media/"
    name = media["image"].file.name
    files = {tmp_path / "out.png": (base + name, "")}
    store = MediaStore(client, tmp_path / "cache")
    assert store.with_versions(files, base) == files
    store.place(files)
    assert (tmp_path / "out.png").read_bytes() == media["image"].file.open("rb").read()


class _Answers(BaseHTTPRequestHandler):
    body = b""

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize(
    "answer", [{"versions": ["a"]}, {"versions": {"images/a.png": 3}}, {"other": 1}, [1]]
)
def test_a_malformed_answer_is_a_cms_error_not_a_guess(tmp_path, answer):
    """Against a local server answering what a broken CMS or a proxy might."""
    handler = type("Handler", (_Answers,), {"body": json.dumps(answer).encode()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_port}/media/"
        store = MediaStore(CMSClient(f"http://127.0.0.1:{server.server_port}/api/v2/"), tmp_path)
        with pytest.raises(CMSError, match="media-versions"):
            store.with_versions({tmp_path / "a.png": (base + "images/a.png", "")}, base)
    finally:
        server.shutdown()
        server.server_close()


def test_a_damaged_digest_store_is_hashed_around_not_a_failed_build(live_server, media, tmp_path):
    build(config_for(live_server, tmp_path, "one"))
    (tmp_path / "cache" / "media" / "digests.sqlite3").write_bytes(b"not a database" * 100)
    build(config_for(live_server, tmp_path, "two"))
    manifest = read_manifest(tmp_path / "two")
    assert manifest is not None
    name = "media/" + media["image"].file.name
    data = (tmp_path / "two" / name).read_bytes()
    assert manifest.files[name].sha1 == hashlib.sha1(data).hexdigest()
