"""Publish to live with real processes: the CMS (gunicorn), its task worker and the runner.

The CMS posts signed build hooks to ``jamtail runner`` on 127.0.0.1, which
builds and deploys (local target) and reports back; ``jamtail serve``'s
server serves the live release.
"""

from __future__ import annotations

import threading
import time

import pytest
import requests

from jamtail import webhooks
from tests.publishing_stack import SECRET, Stack, set_title, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("publishing-e2e"))
    stack.prepare([("demo/blog", "blog")])
    stack.start()
    try:
        stack.wait_for_first_build()
        yield stack
    finally:
        stack.stop()


def served(stack, path: str) -> requests.Response:
    return requests.get(stack.url + path, timeout=5)


def test_publishing_a_page_makes_the_new_html_live(stack):
    set_title(stack, "hello-jamtail", "Hello, live publishing")
    wait_for(
        lambda: "Hello, live publishing" in served(stack, "/blog/hello-jamtail/").text,
        90,
        "the new title on the served site",
    )
    listings = (stack.root / "deploy" / "current" / "blog").rglob("page/*/index.html")
    texts = [served(stack, "/blog/").text, *(p.read_text() for p in listings)]
    assert any("Hello, live publishing" in text for text in texts)


def test_unpublishing_removes_the_page_from_listing_tags_sitemap_and_feed(stack):
    page = served(stack, "/blog/hello-jamtail/")
    assert page.status_code == 200
    stack.shell(
        "from wagtail.models import Page; Page.objects.get(slug='hello-jamtail').unpublish()"
    )
    wait_for(lambda: served(stack, "/blog/hello-jamtail/").status_code == 404, 90, "the 404")
    live = stack.root / "deploy" / "current"
    outputs = [
        *live.glob("blog/index.html"),
        *live.glob("blog/page/*/index.html"),
        *live.glob("tags/**/*.html"),
        *live.rglob("*.xml"),  # the sitemap and the feeds
    ]
    assert any(p.name == "sitemap.xml" for p in outputs)
    assert any("tags" in p.parts for p in outputs)
    linking = [str(p.relative_to(live)) for p in outputs if "/blog/hello-jamtail/" in p.read_text()]
    assert linking == []  # listings, tag pages, sitemap and feeds
    stack.shell(
        "from wagtail.models import Page; "
        "Page.objects.get(slug='hello-jamtail').specific.save_revision().publish()"
    )


def test_a_burst_of_publishes_coalesces_into_one_or_two_builds(stack):
    before = len(stack.builds())
    stack.shell(
        "from wagtail.models import Page; "
        "p = Page.objects.get(slug='hello-jamtail').specific\n"
        "for i in range(50):\n"
        "    p.title = f'Burst {i}'; p.save_revision().publish()"
    )
    wait_for(lambda: "Burst 49" in served(stack, "/blog/hello-jamtail/").text, 120, "Burst 49")
    time.sleep(3)
    new = stack.builds()[before:]
    assert 1 <= len(new) <= 2, new
    assert all(b["status"] == "succeeded" for b in new)


def post_hook(stack, body: bytes, headers: dict) -> int:
    url = f"http://127.0.0.1:{stack.runner_port}/"
    return requests.post(url, data=body, headers=headers, timeout=5).status_code


def test_the_runner_rejects_a_bad_signature_or_an_old_timestamp(stack):
    body = b'{"trigger": "attacker"}'
    good = webhooks.sign(body, SECRET)
    forged = {**good, webhooks.SIGNATURE_HEADER: "sha256=" + "0" * 64}
    assert post_hook(stack, body, forged) == 401
    old = webhooks.sign(body, SECRET, timestamp=int(time.time()) - 3600)
    assert post_hook(stack, body, old) == 401
    assert post_hook(stack, body, {}) == 401
    assert stack.runner_status()["queued"] == 0


def test_a_failed_build_keeps_the_live_site_shows_its_log_and_retry_works(stack):
    template = stack.site_dir / "templates" / "article_page.html"
    good = template.read_text()
    template.write_text(good + "{% if %}")  # a template syntax error
    try:
        set_title(stack, "hello-jamtail", "Never live")
        build = wait_for(
            lambda: [b for b in stack.builds() if b["status"] == "failed"], 90, "a failed build"
        )[-1]
        assert "exit status" in build["log_tail"]
        assert "Never live" not in served(stack, "/blog/hello-jamtail/").text
        assert served(stack, "/blog/hello-jamtail/").status_code == 200
    finally:
        template.write_text(good)
    stack.shell(
        "from cms.publishing.models import BuildRecord; from cms.publishing.tasks import "
        f"request_build; request_build('retry', retry_of=BuildRecord.objects.get(pk={build['id']}))"
    )
    wait_for(lambda: "Never live" in served(stack, "/blog/hello-jamtail/").text, 90, "the retry")
    [retry] = [b for b in stack.builds() if b["retry_of_id"] == build["id"]]
    assert retry["status"] == "succeeded"


def test_killing_the_runner_mid_build_loses_no_request(stack):
    # The first change after a quiet period builds at once, and a one-page build takes
    # well under a second: watch the runner closely from before the publish.
    publish = threading.Thread(target=set_title, args=(stack, "hello-jamtail", "Survives a crash"))
    publish.start()
    building = lambda: (status := stack.runner_status()) is not None and status["building"]  # noqa: E731
    wait_for(building, 60, "a build", interval=0.01)
    publish.join()
    stack.kill_runner()
    stack.start_runner()
    wait_for(
        lambda: "Survives a crash" in served(stack, "/blog/hello-jamtail/").text, 90, "the rebuild"
    )
    assert stack.builds()[-1]["status"] == "succeeded"
