"""The builder's content cache (jamtail/content/sync.py) against a real CMS over HTTP."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from django.core import signing
from requests.adapters import HTTPAdapter
from wagtail.contrib.redirects.models import Redirect
from wagtail.models import Page, PageViewRestriction

from cms.content.models import SectionPage, SiteSettings, StandardPage
from jamtail.content import lazy
from jamtail.content.cache import CACHE_NAME, ContentCache
from jamtail.content.client import CMSClient
from jamtail.content.gather import gather
from jamtail.content.lazy import LazyPage
from jamtail.content.sync import read_content, sync, sync_content
from jamtail.exceptions import CMSError, CMSUnavailableError, ContentError
from jamtail.plan.incremental import page_hash
from jamtail.progress import ProgressBar
from tests.factories import article, demo_site, publish

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def site(live_server):
    return demo_site()


@pytest.fixture
def client(live_server) -> CMSClient:
    return CMSClient(f"{live_server.url}/api/v2/")


def cache_rows(cache_dir: Path) -> tuple[dict, list]:
    """The cache's state table and items, read without jamtail's code."""
    with sqlite3.connect(cache_dir / CACHE_NAME) as db:
        state = dict(db.execute("SELECT key, value FROM state"))
        items = db.execute(
            "SELECT kind, id, hash, url, data FROM items ORDER BY kind, id"
        ).fetchall()
    return state, items


def changes(delta) -> set[tuple[str, int, str]]:
    return {(c.kind, c.id, c.change) for c in delta.changes}


def test_the_first_sync_is_full_and_gives_the_same_content_as_gather(site, client, tmp_path):
    content, delta = sync_content(client, tmp_path)
    assert content == gather(client)
    assert delta.full and delta.reason == "the content cache is empty"
    assert delta.ids("page", "created") == {p["id"] for p in content.pages}
    assert delta.ids("author", "created") == {a.pk for a in site["authors"]}
    assert [p["url"] for p in content.pages][:3] == ["/", "/blog/", "/blog/hello-jamtail/"]


def test_after_each_of_a_series_of_edits_the_cache_equals_a_fresh_gather(site, client, tmp_path):
    sync_content(client, tmp_path)
    blog, posts, about = site["blog"], site["posts"], site["about"]

    def edit_title():
        posts[0].title = "Hello again"
        posts[0].save_revision().publish()
        return {("page", posts[0].pk, "updated")}

    def add_page():
        new = article(blog, "Fourth post", dt.date(2026, 3, 4), tags=["new"])
        return {("page", new.pk, "created")}

    def unpublish():
        posts[1].unpublish()
        return {("page", posts[1].pk, "deleted")}

    def rename_author():
        ada = site["authors"][0]
        ada.name = "Ada L."
        ada.save()
        return {("author", ada.pk, "updated"), ("page", posts[0].pk, "updated")}

    def move_about():
        company = publish(site["home"], SectionPage(title="Company", slug="company"))
        Page.objects.get(pk=about.pk).move(company, pos="last-child")
        # Wagtail adds a redirect from the old URL.
        [redirect] = Redirect.objects.filter(redirect_page=about, automatically_created=True)
        return {
            ("page", company.pk, "created"),
            ("page", about.pk, "updated"),
            ("redirect", redirect.pk, "created"),
        }

    def in_blog() -> set[int]:
        return {p["id"] for p in gather(client).pages if p["url"].startswith("/blog/")}

    def make_blog_private():
        public = in_blog()
        PageViewRestriction.objects.create(page=blog, restriction_type="login")
        return {("page", pk, "deleted") for pk in public}

    def lift_privacy_and_change_settings():
        PageViewRestriction.objects.filter(page=blog).delete()
        settings = SiteSettings.for_site(site["home"].get_site())
        settings.tagline = "Synced"
        settings.save()
        return {("page", pk, "created") for pk in in_blog()} | {("settings", 1, "updated")}

    def delete_page():
        Page.objects.get(pk=posts[2].pk).delete()
        return {("page", posts[2].pk, "deleted")}

    for step in (
        edit_title,
        add_page,
        unpublish,
        rename_author,
        move_about,
        make_blog_private,
        lift_privacy_and_change_settings,
        delete_page,
    ):
        expected = step()
        content, delta = sync_content(client, tmp_path)
        assert not delta.full, step.__name__
        assert content == gather(client), step.__name__
        assert changes(delta) == expected, step.__name__


def test_a_moved_page_reports_its_old_and_new_url(site, client, tmp_path):
    sync_content(client, tmp_path)
    blog = site["blog"]
    blog.slug = "news"
    blog.save_revision().publish()
    _, delta = sync_content(client, tmp_path)
    urls = {c.id: (c.old_url, c.new_url) for c in delta.of_kind("page")}
    assert urls[blog.pk] == ("/blog/", "/news/")
    assert urls[site["posts"][0].pk] == ("/blog/hello-jamtail/", "/news/hello-jamtail/")


def test_a_second_sync_without_changes_makes_one_request_and_changes_nothing(
    site, client, tmp_path
):
    first, _ = sync_content(client, tmp_path)
    items_before = cache_rows(tmp_path)[1]
    again, delta = sync_content(client, tmp_path)
    assert again == first
    assert delta.requests == 1 and delta.empty and not delta.full
    assert cache_rows(tmp_path)[1] == items_before


def test_a_full_sync_of_unchanged_content_reports_no_change(site, client, tmp_path):
    first, _ = sync_content(client, tmp_path)
    content, delta = sync_content(client, tmp_path, full=True)
    assert delta.full and delta.reason == "a full sync was requested"
    assert delta.empty and content == first


def test_a_forged_cursor_in_the_cache_leads_to_a_full_resync(site, client, tmp_path, caplog):
    sync_content(client, tmp_path)
    forged = signing.dumps({"mode": "delta", "since": 0, "epoch": "x"}, salt="not ours")
    with sqlite3.connect(tmp_path / CACHE_NAME) as db:
        db.execute("UPDATE state SET value = ? WHERE key = 'cursor'", (forged,))
    site["about"].title = "About us"
    site["about"].save_revision().publish()
    with caplog.at_level(logging.WARNING, logger="jamtail.content.sync"):
        content, delta = sync_content(client, tmp_path)
    assert delta.full and "invalid_cursor" in delta.reason
    assert "refused the stored sync cursor" in caplog.text
    assert changes(delta) == {("page", site["about"].pk, "updated")}
    assert content == gather(client)
    assert not sync_content(client, tmp_path)[1].full


def test_an_expired_cursor_leads_to_a_full_resync(site, client, tmp_path, settings):
    sync_content(client, tmp_path)
    settings.JAMTAIL_SYNC_CURSOR_MAX_AGE = -1
    content, delta = sync_content(client, tmp_path)
    assert delta.full and "cursor_expired" in delta.reason and delta.empty
    assert content == gather(client)


def test_a_cache_from_another_cms_or_a_corrupt_file_is_replaced(site, client, tmp_path):
    sync_content(client, tmp_path)
    with sqlite3.connect(tmp_path / CACHE_NAME) as db:
        db.execute("UPDATE state SET value = 'http://elsewhere/api/v2/' WHERE key = 'api_url'")
    _, delta = sync_content(client, tmp_path)
    assert delta.full and "http://elsewhere/api/v2/" in delta.reason
    (tmp_path / CACHE_NAME).write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(f"{tmp_path / CACHE_NAME}{suffix}").unlink(missing_ok=True)
    content, delta = sync_content(client, tmp_path)
    assert delta.full and content == gather(client)


class FailAfter(HTTPAdapter):
    """A transport that loses the connection after ``allowed`` requests."""

    def __init__(self, allowed: int):
        super().__init__()
        self.allowed = allowed

    def send(self, request, **kwargs):
        if self.allowed <= 0:
            raise requests.ConnectionError("connection lost (test)")
        self.allowed -= 1
        return super().send(request, **kwargs)


def test_a_sync_cut_off_midway_leaves_the_cache_as_it_was(site, client, tmp_path, settings):
    sync_content(client, tmp_path)
    before = cache_rows(tmp_path)
    for n in range(5):
        publish(site["home"], StandardPage(title=f"Extra {n}", slug=f"extra-{n}"))
    settings.JAMTAIL_SYNC_PAGE_SIZE = 2  # the delta now takes several requests
    broken = CMSClient(client.api_url)
    broken.session.mount("http://", FailAfter(allowed=2))
    with pytest.raises(CMSUnavailableError):
        sync_content(broken, tmp_path)
    assert cache_rows(tmp_path) == before
    content, delta = sync_content(client, tmp_path)
    assert len(delta.ids("page", "created")) == 5 and delta.requests >= 3
    assert content == gather(client)


def test_a_sync_reports_the_items_received_after_each_request(
    site, client, tmp_path, settings, capsys
):
    settings.JAMTAIL_SYNC_PAGE_SIZE = 3
    bar = ProgressBar("Syncing", enabled=True, unit="item")
    counts: list[int] = []

    def progress(received: int) -> None:
        counts.append(received)
        bar(received)

    delta = sync(client, tmp_path, progress=progress)
    bar.close()
    items = len(gather(client).pages) + 1  # the pages, the site's settings, authors...
    assert len(counts) == delta.requests >= 3
    assert counts == sorted(counts) and counts[0] == 3 and counts[-1] >= items
    assert f"Syncing: {counts[-1]}item" in capsys.readouterr().err


class Reencoder:
    """A proxy on 127.0.0.1 to the CMS API that writes its JSON as another encoder would.

    Indented, ASCII-escaped, and without the ``Link`` header; with ``damage``,
    every sync page after the first is cut short (not JSON any more); with
    ``rewrite``, each answer's JSON is first passed through it. Each request
    takes ``delay`` seconds more; ``most_at_once`` counts the requests served
    at the same time.
    """

    def __init__(self, api_url: str):
        self.api_url, self.damage = api_url.rstrip("/"), False
        self.rewrite: Callable[[dict], dict] = lambda data: data
        self.delay, self.at_once, self.most_at_once = 0.0, 0, 0
        self.connection_headers: list[str | None] = []
        lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with lock:
                    proxy.connection_headers.append(self.headers.get("Connection"))
                    proxy.at_once += 1
                    proxy.most_at_once = max(proxy.most_at_once, proxy.at_once)
                try:
                    time.sleep(proxy.delay)
                    self.answer()
                finally:
                    with lock:
                        proxy.at_once -= 1

            def answer(self) -> None:
                answer = requests.get(proxy.api_url + self.path.removeprefix("/api/v2"), timeout=30)
                data = proxy.rewrite(answer.json())
                body = json.dumps(data, indent=2, ensure_ascii=True).encode()
                if proxy.damage and "cursor=" in self.path:
                    body = body[: len(body) // 2]
                self.send_response(answer.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/v2/"


@pytest.fixture
def reencoder(live_server) -> Iterator[Reencoder]:
    proxy = Reencoder(f"{live_server.url}/api/v2/")
    thread = threading.Thread(target=proxy.server.serve_forever, daemon=True)
    thread.start()
    yield proxy
    proxy.server.shutdown()
    proxy.server.server_close()


def test_a_cms_writing_json_another_way_and_naming_no_next_page_syncs_the_same_content(
    site, client, reencoder, tmp_path, settings
):
    settings.JAMTAIL_SYNC_PAGE_SIZE = 3
    content, delta = sync_content(CMSClient(reencoder.url), tmp_path)
    assert delta.requests >= 3
    assert content == gather(client)
    assert [p.get("body") for p in content.pages] == [p.get("body") for p in gather(client).pages]


def test_a_sync_answer_that_is_not_json_is_refused_and_the_cache_kept(
    site, reencoder, tmp_path, settings
):
    settings.JAMTAIL_SYNC_PAGE_SIZE = 3
    proxied = CMSClient(reencoder.url)
    sync_content(proxied, tmp_path)
    before = cache_rows(tmp_path)
    for n in range(5):
        publish(site["home"], StandardPage(title=f"Extra {n}", slug=f"extra-{n}"))
    reencoder.damage = True
    with pytest.raises(CMSError, match=r"did not return JSON \(.* line \d+"):
        sync_content(proxied, tmp_path)
    assert cache_rows(tmp_path) == before


def test_a_full_sync_asks_for_the_pages_the_cms_lists_two_at_a_time(
    site, client, reencoder, tmp_path, settings
):
    settings.JAMTAIL_SYNC_PAGE_SIZE = 2
    reencoder.delay = 0.1  # a CMS serialising: long enough for the requests to overlap
    content, delta = sync_content(CMSClient(reencoder.url), tmp_path)
    assert reencoder.most_at_once == 2
    assert delta.requests >= 5
    # Each listed page on a connection of its own, so a free CMS worker takes it.
    listed = requests.get(client.url("sync/"), timeout=30).json()["following_pages"]
    assert reencoder.connection_headers.count("close") == len(listed) >= 3
    assert content == gather(client)


def test_an_item_changed_while_the_listed_pages_are_read_ends_in_its_current_state(
    site, client, tmp_path, settings
):
    # Pages read in parallel may show a newer state before an older one: the sync
    # catches up with one delta sync from its own cursor. The author is on the first
    # page, read before the change.
    settings.JAMTAIL_SYNC_PAGE_SIZE = 3
    author = site["authors"][0]

    def rename_once(received: int) -> None:
        if author.name != "Renamed meanwhile":
            author.name = "Renamed meanwhile"
            author.save()

    sync(client, tmp_path, progress=rename_once)
    content = read_content(tmp_path)
    assert "Renamed meanwhile" in {a["name"] for a in content.authors}
    assert content == gather(client)


@pytest.mark.parametrize(
    "following", [[], "not a list", [7], ["http://127.0.0.1:9/api/v2/sync/?cursor=other"]]
)
def test_a_malformed_list_of_following_pages_is_refused_and_the_cache_kept(
    site, reencoder, tmp_path, settings, following
):
    settings.JAMTAIL_SYNC_PAGE_SIZE = 3

    def damage(data: dict) -> dict:
        return {**data, "following_pages": following} if "following_pages" in data else data

    reencoder.rewrite = damage
    with pytest.raises(CMSError, match="following_pages"):
        sync_content(CMSClient(reencoder.url), tmp_path)
    assert not (tmp_path / CACHE_NAME).exists() or cache_rows(tmp_path)[1] == []


def test_an_error_while_applying_rolls_the_whole_sync_back(site, client, tmp_path):
    sync_content(client, tmp_path)
    before = cache_rows(tmp_path)
    cache = ContentCache.open(tmp_path / CACHE_NAME)
    from jamtail.content.cache import Delta

    good = {"kind": "page", "id": 999, "deleted": False, "order": "0001", "data": {"id": 999}}
    with pytest.raises(KeyError):
        cache.apply([good, {"kind": "page", "id": 1000}], Delta(cursor="new"), client.api_url)
    cache.close()
    assert cache_rows(tmp_path) == before


def test_pages_hold_their_heads_and_read_bodies_only_when_asked(site, client, tmp_path):
    content, _ = sync_content(client, tmp_path)
    fresh = {p["id"]: p for p in gather(client).pages}
    post = next(p for p in content.pages if p["id"] == site["posts"][0].pk)
    assert isinstance(post, LazyPage)
    assert not dict.__contains__(post, "body") and "body" not in list(post)
    assert "body" in post and post.get("body") == fresh[post["id"]]["body"]
    assert post["body"] == fresh[post["id"]]["body"] and post["body"]


def test_a_forked_worker_reads_bodies_through_its_own_connection(site, client, tmp_path):
    content, _ = sync_content(client, tmp_path)
    post = next(p for p in content.pages if p["id"] == site["posts"][0].pk)
    expected = post["body"]
    post.loader.forget()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: what a rendering worker does
        try:
            os.write(write, json.dumps(post["body"]).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        assert json.loads(pipe.read()) == expected
    os.waitpid(pid, 0)


def test_a_body_edit_changes_the_page_hash_without_reading_any_body(site, client, tmp_path):
    content, _ = sync_content(client, tmp_path)
    post = site["posts"][0]
    before = {p["id"]: page_hash(p) for p in content.pages}
    post.body = [("paragraph", "<p>A new body.</p>")]
    post.save_revision().publish()
    content, _ = sync_content(client, tmp_path)
    loader = content.pages[0].loader
    after = {p["id"]: page_hash(p) for p in content.pages}
    assert not loader._cache, "hashing read no body"
    assert {pid for pid in after if after[pid] != before.get(pid)} == {post.pk}


def test_values_derived_from_bodies_are_computed_once_per_body_version(site, client, tmp_path):
    content, _ = sync_content(client, tmp_path)
    seen: list[int] = []

    def count_blocks(fields):
        seen.append(len(fields.get("body", [])))
        return len(fields.get("body", []))

    pages = [p for p in content.pages if p.lazy_hashes]
    loader = pages[0].loader
    first = loader.derived("blocks", "v1", pages, count_blocks)
    assert len(seen) == len(pages) and first == {p["id"]: len(p["body"]) for p in pages}
    seen.clear()
    assert loader.derived("blocks", "v1", pages, count_blocks) == first and not seen
    site["posts"][0].body = [("paragraph", "<p>One</p>"), ("paragraph", "<p>Two</p>")]
    site["posts"][0].save_revision().publish()
    content, _ = sync_content(client, tmp_path)
    pages = [p for p in content.pages if p.lazy_hashes]
    assert loader.derived("blocks", "v1", pages, count_blocks)[site["posts"][0].pk] == 2
    assert seen == [2], "only the edited page was read again"
    loader.derived("blocks", "v2", pages, count_blocks)
    assert len(seen) == 1 + len(pages), "another key computes everything again"


def test_many_missing_derived_values_are_made_in_forked_workers_and_kept(
    site, client, tmp_path, monkeypatch
):
    content, _ = sync_content(client, tmp_path)
    pages = [p for p in content.pages if p.lazy_hashes]
    loader = pages[0].loader
    parent = os.getpid()
    made_in: list[int] = []

    def count_blocks(fields):
        made_in.append(os.getpid())  # only the parent's list is seen here
        return len(fields.get("body", []))

    assert loader.fill("blocks", "v1", pages, count_blocks, jobs=2) == 0, "too few to share"
    monkeypatch.setattr(lazy, "PARALLEL_DERIVED", 2)
    assert loader.fill("blocks", "v1", pages, count_blocks, jobs=2) == len(pages)
    assert made_in == [], "every value was made in a worker"
    derived = loader.derived("blocks", "v1", pages, count_blocks)
    assert derived == {p["id"]: len(p["body"]) for p in pages} and made_in == []
    assert loader.fill("blocks", "v1", pages, count_blocks, jobs=2) == 0, "nothing missing"
    assert os.getpid() == parent


def test_a_body_synced_again_during_a_build_is_refused_not_mixed(site, client, tmp_path):
    content, _ = sync_content(client, tmp_path)
    post = next(p for p in content.pages if p["id"] == site["posts"][0].pk)
    site["posts"][0].body = [("paragraph", "<p>Changed under the build.</p>")]
    site["posts"][0].save_revision().publish()
    sync_content(client, tmp_path)  # another build's sync lands
    with pytest.raises(ContentError, match="build again"):
        post["body"]
