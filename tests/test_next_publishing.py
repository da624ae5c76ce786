"""A publish in Wagtail reaches the Next.js site through the webhook, as with the Jinja2 site.

The whole pipeline as real processes (tests/publishing_stack.py) with
``JAMTAIL_FRONTEND=next``: the CMS posts its signed build hook to ``jamtail runner``,
which runs the Next build and deploys it to the local target that is served. An editor
publishes a new title in Wagtail's page editor (real clicks in Chromium) and the served
Next page shows it. Skipped when node or npm is missing.
"""

from __future__ import annotations

import shutil

import pytest
import requests

from tests.publishing_stack import Stack, admin_login, publish_title_in_admin, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.browser]
ADMIN = ("next-editor", "correct horse battery staple")
# The Next build exports its own runtime under /_next/; the Jinja2 site has none.
NEXT_ASSETS = "/_next/static/"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if not (shutil.which("npm") and shutil.which("node")):
        pytest.skip("node and npm are not on PATH: the Next front end (next/) cannot be built")
    stack = Stack(tmp_path_factory.mktemp("next-publishing"), quiet_seconds=0.5)
    stack.cms.env["JAMTAIL_FRONTEND"] = "next"
    stack.prepare([("demo/blog", "blog")])
    stack.create_user(*ADMIN, superuser=True)
    stack.start()
    try:
        stack.wait_for_first_build(600)
        yield stack
    finally:
        stack.stop()


def test_a_publish_in_wagtail_reaches_the_next_site_through_the_webhook(stack, page):
    before = requests.get(stack.url + "/blog/hello-jamtail/", timeout=5)
    assert before.status_code == 200 and NEXT_ASSETS in before.text, "the Next site is live"
    article = int(
        stack.shell(
            "from wagtail.models import Page; print(Page.objects.get(slug='hello-jamtail').pk)"
        ).split()[-1]
    )

    admin_login(page, stack.cms.base_url, *ADMIN)
    publish_title_in_admin(page, stack.cms.base_url, article, "Published through to React")

    wait_for(
        lambda: (
            "Published through to React"
            in requests.get(stack.url + "/blog/hello-jamtail/", timeout=5).text
        ),
        600,
        "the new title on the served Next site",
    )
    page.goto(stack.url + "/blog/hello-jamtail/")
    assert page.get_by_role("heading", level=1).inner_text() == "Published through to React"
    assert page.locator(f'script[src^="{NEXT_ASSETS}"], link[href^="{NEXT_ASSETS}"]').count() > 0
    builds = stack.builds()
    assert len(builds) >= 2 and all(b["status"] == "succeeded" for b in builds), builds
