"""The Next site as readers and editors use it, in Debian's Chromium: search with and without
JavaScript, draft preview (of an edited page and of a never-published one), a comment posted,
approved in Wagtail and shown by the rebuilt site, accessibility (axe) and HTML validity (the
Nu HTML checker).

The session's Next build of the demo CMS (``conftest.next_build``) is served by ``jamtail
serve``'s server with the functions mounted as ``JAMTAIL_FRONTEND=next jamtail serve``
mounts them: ``/api/search`` over the index the build wrote, ``/api/preview`` reading
drafts from the CMS, ``/api/comments`` storing comments in it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect

from functions import comments, preview_data
from functions import search as search_function
from functions.devserver import make_server
from jamtail.build.nextjs import build_next
from jamtail.build.pipeline import BuildConfig
from jamtail.search.shards import INDEX_PATH
from tests.comments_helpers import SERVICE_TOKEN
from tests.demo_stack import new_page_preview_token, preview_token, section_preview_token
from tests.publishing_stack import admin_login

pytestmark = [pytest.mark.slow, pytest.mark.browser]
REPO = Path(__file__).resolve().parents[1]
ADMIN = ("next-moderator", "correct horse battery staple")
CREATE_ADMIN = (
    "from django.contrib.auth.models import User; "
    f"User.objects.filter(username={ADMIN[0]!r}).exists() or "
    f"User.objects.create_superuser({ADMIN[0]!r}, 'mod@example.org', {ADMIN[1]!r})"
)
VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


@pytest.fixture(scope="module")
def served(next_build, demo_cms):
    """The session's Next build, served on the port the CMS's Preview button points at."""
    site = next_build["next"]
    url, server = serve(site, demo_cms, port=demo_cms.site_port or 0)
    yield {"site": site, "url": url}
    server.shutdown()
    server.server_close()


def serve(site: Path, cms, port: int = 0) -> tuple[str, object]:
    """``(base URL, server)``: ``site`` served on ``port`` (0: a free one) with the three
    functions."""
    comments_config = comments.Config(
        api_url=cms.api_url,
        service_token=SERVICE_TOKEN,
        form_secret=b"next-browser-test-form-secret",
        min_seconds=1.0,
    )
    routes = {
        "/api/search": search_function.make_handler(site / INDEX_PATH, REPO / "site"),
        "/api/preview": preview_data.make_handler(cms.api_url),
        "/api/comments": comments.make_handler(comments_config),
    }
    server = make_server(site, port=port, routes=routes)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


def article_with_comment_form(site: Path) -> str:
    """The site path (``/blog/slug/``) of a built blog article that shows the comment form."""
    article = next(
        p for p in sorted(site.glob("blog/*/index.html")) if "comment-form" in p.read_text()
    )
    return "/" + article.relative_to(site).parent.as_posix() + "/"


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


NEVER_PUBLISHED = """
import datetime
from cms.content.models import ArticlePage, SectionPage
blog = SectionPage.objects.get(slug="blog")
page = ArticlePage(title="Drafted in Wagtail, never published", slug="drafted-never-published",
    date=datetime.date(2026, 12, 5), summary="Only editors have seen this.", live=False,
    body=[("paragraph", "<p>Words for the preview button alone.</p>")])
blog.add_child(instance=page)
page.save_revision()
print("page", page.pk)
"""


def test_the_admins_preview_button_opens_a_never_published_draft_on_the_next_site(
    served, demo_cms, page
):
    out = demo_cms.manage("shell", "-c", NEVER_PUBLISHED).stdout
    page_id = int(out.split("page", 1)[1].split()[0])
    demo_cms.manage("shell", "-c", CREATE_ADMIN)
    admin_login(page, demo_cms.base_url, *ADMIN)
    page.goto(f"{demo_cms.base_url}/admin/pages/{page_id}/edit/")
    page.get_by_role("button", name=re.compile("Preview", re.I)).first.click()
    with page.context.expect_page() as new_tab:
        page.get_by_role("link", name=re.compile("Preview in new tab", re.I)).click()
    preview = new_tab.value
    preview.wait_for_load_state()
    assert preview.url.startswith(served["url"] + "/preview/?")
    preview.get_by_role("heading", level=1, name="Drafted in Wagtail, never published").wait_for()
    assert "Words for the preview button alone." in preview.locator("main").inner_text()
    assert preview.get_by_role("status").first.inner_text().startswith("Draft preview")
    # The draft is nowhere on the published site.
    assert not list(served["site"].rglob("drafted-never-published*"))


def test_a_sections_preview_lists_its_published_articles_as_its_page_does(served, demo_cms, page):
    page.goto(served["url"] + "/blog/")
    published = listing(page)
    assert published["cards"], "the built blog listing has cards"

    token = section_preview_token(demo_cms, "blog", "The blog, renamed in a draft")
    page.goto(f"{served['url']}/preview/?content_type=content.sectionpage&token={token}")
    page.get_by_role("heading", level=1, name="The blog, renamed in a draft").wait_for()
    assert listing(page) == published


def listing(page) -> dict[str, object]:
    """The cards (title, link) and the pagination status of the listing on ``page``."""
    cards = page.locator("main .cards .card-title a")
    return {
        "cards": [(a.inner_text(), a.get_attribute("href")) for a in cards.all()],
        "pagination": page.locator("main .pagination-status").all_inner_texts(),
        "next": [a.get_attribute("href") for a in page.locator("main a[rel=next]").all()],
    }


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
    page.goto(served["url"] + article_with_comment_form(served["site"]))
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


def test_a_comment_posted_and_approved_in_wagtail_shows_on_the_rebuilt_next_page(
    served, demo_cms, next_build, page, tmp_path
):
    path = article_with_comment_form(served["site"])
    page.goto(served["url"] + path)
    # comments.js fills in the form token (polled: the site's CSP forbids evaluated strings).
    form = page.locator("#comment-form")
    expect(form.locator("[name=form_token]")).not_to_have_value("", timeout=15_000)
    form.get_by_label("Name").fill("Next Nora")
    form.get_by_label("Comment", exact=True).fill("Built by **React**, nora-marker.")
    form.get_by_role("button", name="Post comment").click()
    expect(form.locator(".comment-status")).to_contain_text("awaiting moderation", timeout=15_000)

    demo_cms.manage("shell", "-c", CREATE_ADMIN)
    admin = page.context.new_page()
    admin_login(admin, demo_cms.base_url, *ADMIN)
    admin.goto(demo_cms.base_url + "/admin/snippets/comments/comment/?status=pending")
    admin.get_by_role("button", name="Approve the comment by Next Nora").click()
    expect(admin.locator(".messages")).to_contain_text("Approved: the comment by Next Nora")

    # The rebuild `JAMTAIL_FRONTEND=next jamtail build` runs, on the session build's cache
    # (an incremental sync), into a directory of its own: the served site stays as it was.
    rebuilt = tmp_path / "rebuilt"
    cache = next_build["next"].parent / "next-cache"
    build_next(BuildConfig(demo_cms.api_url, rebuilt, REPO / "site", cache))

    url, server = serve(rebuilt, demo_cms)
    try:
        page.goto(url + path)
        shown = page.locator(".comment", has_text="nora-marker")
        expect(shown.locator(".comment-author")).to_have_text("Next Nora")
        expect(shown.locator(".comment-body strong")).to_have_text("React")
    finally:
        server.shutdown()
        server.server_close()
