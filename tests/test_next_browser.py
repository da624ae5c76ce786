"""The Next site as readers and editors use it, in Debian's Chromium: search with and without
JavaScript, draft preview (of an edited page and of a never-published one), accessibility
(axe) and HTML validity (the Nu HTML checker).

The session's Next build of the demo CMS (``conftest.next_build``) is served by ``jamtail
serve``'s server with the functions mounted as ``JAMTAIL_FRONTEND=next jamtail serve``
mounts them: ``/api/search`` over the index the build wrote, ``/api/preview`` reading
drafts from the CMS.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from functions import preview_data
from functions import search as search_function
from jamtail.search.shards import INDEX_PATH
from jamtail.serve import make_server
from tests.demo_stack import new_page_preview_token, preview_token

pytestmark = [pytest.mark.slow, pytest.mark.browser]
REPO = Path(__file__).resolve().parents[1]
VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


@pytest.fixture(scope="module")
def served(next_build, demo_cms):
    site = next_build["next"]
    routes = {
        "/api/search": search_function.make_handler(site / INDEX_PATH, REPO / "site"),
        "/api/preview": preview_data.make_handler(demo_cms.api_url),
    }
    server = make_server(site, port=0, routes=routes)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"site": site, "url": f"http://127.0.0.1:{server.server_address[1]}"}
    server.shutdown()
    server.server_close()


def test_with_javascript_results_appear_as_the_reader_types(served, page):
    page.goto(served["url"] + "/search/")
    page.get_by_label("Words to find").fill("preview")
    hits = page.locator("[data-search-results] .search-hit h3 a")
    hits.first.wait_for()
    assert hits.count() > 0
    assert "q=preview" in page.url  # search.js keeps the query in the address
    with page.expect_navigation():
        hits.first.click()
    assert "/search/" not in page.url and page.locator("h1").count() == 1


def test_without_javascript_the_search_form_shows_the_results_page(served, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(served["url"] + "/search/")
        page.get_by_label("Words to find").fill("preview")
        with page.expect_navigation():
            page.get_by_role("button", name="Search", exact=True).last.click()
        assert "/api/search?q=preview" in page.url
        hits = page.locator(".search-hit h3 a")
        assert hits.count() > 0
        with page.expect_navigation():
            hits.first.click()
        assert "/api/search" not in page.url and page.locator("h1").count() == 1
    finally:
        context.close()


def test_preview_shows_an_edited_draft_with_the_sites_components(served, demo_cms, page):
    token = preview_token(demo_cms, "A title only the editor has seen")
    page.goto(f"{served['url']}/preview/?content_type=content.articlepage&token={token}")
    heading = page.get_by_role("heading", level=1)
    heading.filter(has_text="A title only the editor has seen").wait_for()
    assert page.get_by_role("status").first.inner_text().startswith("Draft preview")
    assert page.locator("article.article .prose").count() == 1
    assert page.locator('meta[name="robots"][content*="noindex"]').count() == 1


def test_preview_shows_a_never_published_draft(served, demo_cms, page):
    token = new_page_preview_token(demo_cms, "Not published, ever")
    page.goto(f"{served['url']}/preview/?content_type=content.articlepage&token={token}")
    page.get_by_role("heading", level=1, name="Not published, ever").wait_for()
    assert "Words nobody has read yet." in page.locator("main").inner_text()


def test_a_forged_preview_link_says_what_to_do(served, page):
    page.goto(f"{served['url']}/preview/?content_type=content.articlepage&token=forged")
    alert = page.locator("main").get_by_role("alert")
    alert.wait_for()
    assert "Preview in the Wagtail admin again" in alert.inner_text()


@pytest.mark.parametrize("path", ["/", "/blog/", "/search/", "/tags/", "/authors/"])
def test_pages_have_no_accessibility_violations(served, page, path):
    from axe_playwright_python.sync_playwright import Axe

    page.goto(served["url"] + path)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_an_article_has_no_accessibility_violations(served, page):
    article = next(
        p for p in served["site"].glob("blog/*/index.html") if "comment-form" in p.read_text()
    )
    page.goto(served["url"] + "/" + article.relative_to(served["site"]).parent.as_posix() + "/")
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_every_page_is_valid_html(served):
    if not (shutil.which("java") and VNU.exists()):
        pytest.skip(
            "the Nu HTML checker needs java and node_modules/vnu-jar (make test installs it)"
        )
    site = served["site"]
    # The demo content's pages: a third-party corpus brings HTML errors of its own.
    pages = [
        str(p)
        for p in sorted(site.rglob("*.html"))
        if not {"_next", "rust-blog"} & set(p.relative_to(site).parts)
    ]
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", *pages],
        capture_output=True,
        text=True,
        timeout=600,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    errors = [
        f"{m['url'].rsplit('/next/', 1)[-1]}:{m.get('lastLine')}: {m['message']}" for m in messages
    ]
    assert errors == [], errors[:10]
