"""Draft preview end to end: a real CMS, the built site with ``/preview/`` mounted, Chromium.

The CMS runs in its own process (gunicorn, SQLite) with ``JAMTAIL_PREVIEW_URL``
pointing at ``jamtail serve``'s server, which serves the static build and
mounts the preview function, as in production. An editor logs into the
Wagtail admin and works as editors do.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
import requests
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from functions.devserver import make_server
from functions.preview import make_handler
from jamtail.build.pipeline import BuildConfig, build
from tests.cms_process import CMSProcess, free_port

REPO = Path(__file__).resolve().parents[1]
USER, PASSWORD = "editor", "correct-horse-battery-staple"

SETUP = f"""
import datetime as dt
from django.contrib.auth.models import User
from cms.content.models import ArticlePage, HomePage, SectionPage, SiteSettings
User.objects.create_superuser({USER!r}, "editor@example.org", {PASSWORD!r})
home = HomePage.objects.get(depth=2)
settings = SiteSettings.for_site(home.get_site())
settings.site_name = "Preview Test Site"
settings.save()
blog = SectionPage(title="Blog", slug="blog")
home.add_child(instance=blog)
blog.save_revision().publish()
body = [
    ("heading", {{"text": "Original heading", "level": "2", "anchor": ""}}),
    ("paragraph", "<p>Original words.</p>"),
]
post = ArticlePage(title="Original title", slug="post", date=dt.date(2026, 1, 2), body=body)
blog.add_child(instance=post)
post.save_revision().publish()
never = ArticlePage(title="Never published", slug="never", date=dt.date(2026, 3, 4), live=False,
                    body=[("paragraph", "<p>Unseen words.</p>")])
blog.add_child(instance=never)
never.save_revision()
link = (f'<p>See <a linktype="page" id="{{post.id}}" fragment="original-heading">'
        'the heading</a>.</p>')
linked = ArticlePage(title="Linking post", slug="linking", date=dt.date(2026, 1, 3),
                     body=[("paragraph", link)])
blog.add_child(instance=linked)
linked.save_revision().publish()
print(f"ids {{post.id}} {{blog.id}} {{never.id}} {{linked.id}}")
"""

# The site's address: "View live" and the CMS's redirects point there.
BASE_URL = """
from wagtail.models import Site
from cms.content.models import SiteSettings
settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
settings.base_url = {!r}
settings.save()
"""

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    site_port = free_port()
    cms = CMSProcess(tmp_path_factory.mktemp("preview-cms"))
    cms.env["JAMTAIL_PREVIEW_URL"] = f"http://127.0.0.1:{site_port}/preview/"
    cms.env["JAMTAIL_TASKS_BACKEND"] = "immediate"
    cms.manage("migrate", "--no-input", "-v0")
    post_id, blog_id, never_id, linked_id = map(
        int,
        re.findall(r"ids (\d+) (\d+) (\d+) (\d+)", cms.manage("shell", "-c", SETUP).stdout)[0],
    )
    site_url = f"http://127.0.0.1:{site_port}"
    cms.manage("shell", "-c", BASE_URL.format(site_url))
    cms.start()
    out = tmp_path_factory.mktemp("preview-site") / "build"
    config = BuildConfig(cms.api_url, out, REPO / "site", out.parent / "cache", jobs=1)
    build(config)
    routes = {"/preview/": make_handler(cms.api_url, REPO / "site")}
    server = make_server(out, port=site_port, routes=routes)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {
        "cms": cms,
        "site": site_url,
        "post": post_id,
        "blog": blog_id,
        "never": never_id,
        "linked": linked_id,
        "rebuild": lambda: build(config),
    }
    server.shutdown()
    server.server_close()
    cms.stop()


def log_in(page, cms):
    page.goto(cms.base_url + "/admin/login/")
    page.fill("input[name=username]", USER)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))


def publish(page):
    """Choose Publish in the editor's footer menu; return once Wagtail says it is done
    (the edit page's own URL already looks like the one it redirects to)."""
    page.locator("button.dropdown-toggle, [data-w-dropdown-target='toggle']").last.click()
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".messages")).to_contain_text("has been published")


def open_preview_panel(page):
    """Click the editor's Preview toggle; return the panel's iframe."""
    page.get_by_role("button", name=re.compile("Preview", re.I)).first.click()
    return page.frame_locator("iframe#w-preview-iframe")


def test_an_editor_previews_a_draft_in_the_site_layout_and_the_public_page_waits(stack, page):
    cms, site = stack["cms"], stack["site"]
    log_in(page, cms)
    page.goto(f"{cms.base_url}/admin/pages/{stack['post']}/edit/")
    page.fill("#id_title", "Drafted title")
    page.fill("input[name='body-0-value-text']", "Drafted heading")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state()
    expect_text = page.get_by_text("Drafted title")
    assert expect_text.count() >= 1

    # Preview in a tab of its own: the redirect lands on the site's /preview/.
    with page.context.expect_page() as new_tab:
        open_preview_panel(page)
        page.get_by_role("link", name=re.compile("Preview in new tab", re.I)).click()
    preview = new_tab.value
    preview.wait_for_load_state()
    assert preview.url.startswith(site + "/preview/?")
    assert preview.locator("h1").inner_text() == "Drafted title"
    assert preview.locator("main h2", has_text="Drafted heading").count() == 1
    assert preview.get_by_role("status").inner_text().startswith("Draft preview")
    assert preview.locator(".site-header").get_by_role("link", name="Blog").count() == 1
    assert preview.locator('meta[name="robots"]').get_attribute("content") == "noindex"
    response = requests.get(preview.url, timeout=30)
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors" in response.headers["Content-Security-Policy"]
    preview.close()

    public = requests.get(site + "/blog/post/", timeout=10).text
    assert "Original title" in public and "Drafted" not in public
    stack["rebuild"]()  # a build now still reads only the published version
    public = requests.get(site + "/blog/post/", timeout=10).text
    assert "Original title" in public and "Drafted" not in public
    for path in ("/sitemap.xml", "/atom.xml", "/blog/", "/"):
        assert "Drafted" not in requests.get(site + path, timeout=10).text, path

    # Publishing, then building, updates the public page.
    page.goto(f"{cms.base_url}/admin/pages/{stack['post']}/edit/")
    publish(page)
    stack["rebuild"]()
    public = requests.get(site + "/blog/post/", timeout=10).text
    assert "Drafted title" in public and "Drafted heading" in public
    assert "Draft preview" not in public


def test_the_live_preview_panel_follows_the_editor_as_they_type(stack, page):
    cms = stack["cms"]
    log_in(page, cms)
    page.goto(f"{cms.base_url}/admin/pages/{stack['post']}/edit/")
    frame = open_preview_panel(page)
    frame.get_by_role("status").wait_for(timeout=20000)
    page.locator("#id_title").fill("")
    page.locator("#id_title").press_sequentially("Typed live", delay=20)
    page.locator("#id_title").press("Tab")
    heading = frame.locator("h1", has_text="Typed live")
    # The panel polls the form every 500 ms but skips a beat while a reload is
    # still loading; under load, the editor's next keystroke brings it along.
    for _ in range(3):
        try:
            heading.wait_for(timeout=15000)
            break
        except PlaywrightTimeoutError:
            page.locator("#id_title").press("End")
            page.locator("#id_title").press_sequentially("!", delay=20)
    heading.wait_for(timeout=15000)
    assert frame.locator(".site-header").count() == 1


def test_a_new_never_saved_page_previews_under_its_section(stack, page):
    cms = stack["cms"]
    log_in(page, cms)
    page.goto(f"{cms.base_url}/admin/pages/add/content/articlepage/{stack['blog']}/")
    page.fill("#id_title", "Not saved yet")
    page.fill("#id_date", "2026-02-03")
    frame = open_preview_panel(page)
    frame.locator("h1", has_text="Not saved yet").wait_for(timeout=20000)
    assert frame.get_by_role("status").inner_text().startswith("Draft preview")
    assert "Not saved yet" not in requests.get(cms.api_url + "pages/?limit=50", timeout=10).text


def test_a_tampered_or_missing_token_is_a_4xx_and_a_readable_page(stack, page):
    site = stack["site"]
    response = page.goto(site + "/preview/?content_type=content.articlepage&token=id%3D1:x:y")
    assert response.status == 403
    assert page.locator("h1").inner_text() == "This preview cannot be shown"
    assert "Click Preview" in page.locator("[data-preview-problem]").inner_text()
    response = page.goto(site + "/preview/")
    assert response.status == 400


def test_a_never_published_article_previews_in_the_panel_and_in_a_new_tab(stack, page):
    cms, site = stack["cms"], stack["site"]
    started = time.monotonic()
    log_in(page, cms)
    page.goto(f"{cms.base_url}/admin/pages/{stack['never']}/edit/")
    frame = open_preview_panel(page)
    frame.locator("h1", has_text="Never published").wait_for(timeout=20000)
    assert frame.get_by_role("status").inner_text().startswith("Draft preview")
    assert frame.locator("main", has_text="Unseen words.").count() == 1
    assert frame.locator(".site-header").get_by_role("link", name="Blog").count() == 1
    with page.context.expect_page() as new_tab:
        page.get_by_role("link", name=re.compile("Preview in new tab", re.I)).click()
    preview = new_tab.value
    preview.wait_for_load_state()
    assert preview.url.startswith(site + "/preview/?")
    assert preview.locator("h1").inner_text() == "Never published"
    assert "cms_error" not in preview.content()
    print(f"\nflow: never-published preview, panel and new tab: {time.monotonic() - started:.1f} s")


def reviewer_sees(context, url: str):
    """Open ``url`` in ``context`` (a browser with no CMS session): the response and the page."""
    tab = context.new_page()
    response = tab.goto(url)
    return response, tab


def test_a_shared_link_opens_without_a_session_until_revoked_or_expired(stack, page, browser):
    cms = stack["cms"]
    started = time.monotonic()
    log_in(page, cms)
    page.goto(f"{cms.base_url}/admin/pages/{stack['never']}/edit/")
    page.locator("#w-slim-header-buttons").get_by_role("button").last.click()
    page.get_by_role("link", name="Share preview").click()
    page.wait_for_url(f"**/admin/preview-links/{stack['never']}/")
    assert page.get_by_label("Valid for (days)").input_value() == "7"
    page.get_by_role("button", name="Make a preview link").click()
    row = page.locator("tr[data-link-id]").first
    assert row.get_attribute("data-status") == "active"
    assert "editor" in row.inner_text()
    url = row.locator("[data-link-url]").input_value()

    reviewer = browser.new_context()  # no cookies: not logged in to the CMS
    try:
        response, tab = reviewer_sees(reviewer, url)
        assert response.status == 200
        assert tab.locator("h1").inner_text() == "Never published"
        assert tab.get_by_role("status").inner_text().startswith("Draft preview")

        # The editor changes the draft: the same link shows the new draft.
        page.goto(f"{cms.base_url}/admin/pages/{stack['never']}/edit/")
        page.fill("#id_title", "Never published, revised")
        page.get_by_role("button", name="Save draft").click()
        page.wait_for_load_state()
        assert tab.reload().status == 200
        assert tab.locator("h1").inner_text() == "Never published, revised"
        shared = time.monotonic()

        page.goto(f"{cms.base_url}/admin/preview-links/{stack['never']}/")
        page.locator("tr[data-link-id]").first.get_by_role("button", name="Revoke").click()
        page.wait_for_load_state()
        assert page.locator("tr[data-link-id]").first.get_attribute("data-status") == "revoked"
        response = tab.reload()
        assert response.status == 410
        assert tab.locator("h1").inner_text() == "This preview cannot be shown"
        assert "revoked" in tab.locator("[data-preview-problem]").inner_text()
        assert "Never published" not in tab.content()
        assert tab.locator(".site-header").count() == 1  # the site's look
        revoked = time.monotonic()

        # A second link, past its lifetime (time moved on: its expiry set to yesterday).
        page.get_by_label("Valid for (days)").fill("30")
        page.get_by_role("button", name="Make a preview link").click()
        expiring = page.locator("tr[data-link-id]").first
        link_id = expiring.get_attribute("data-link-id")
        second = expiring.locator("[data-link-url]").input_value()
        assert reviewer_sees(reviewer, second)[0].status == 200
        cms.manage("shell", "-c", EXPIRE.format(link_id))
        response, tab = reviewer_sees(reviewer, second)
        assert response.status == 410
        assert "expired" in tab.locator("[data-preview-problem]").inner_text()
    finally:
        reviewer.close()
    print(
        f"\nflow: share link made and opened twice {shared - started:.1f} s, "
        f"revoked {revoked - shared:.1f} s, expired {time.monotonic() - revoked:.1f} s"
    )


EXPIRE = """
import datetime as dt
from django.utils import timezone
from cms.content.preview_links import PreviewLink
PreviewLink.objects.filter(pk={}).update(expires_at=timezone.now() - dt.timedelta(days=1))
"""


def test_view_live_lands_on_the_static_site(stack, page):
    cms, site = stack["cms"], stack["site"]
    started = time.monotonic()
    log_in(page, cms)
    page.goto(f"{cms.base_url}/admin/pages/{stack['post']}/edit/")
    live = page.get_by_role("link", name=re.compile("Visit the live page")).first
    assert live.get_attribute("href") == site + "/blog/post/"
    with page.context.expect_page() as new_tab:
        live.click()
    tab = new_tab.value
    tab.wait_for_load_state()
    assert tab.url == site + "/blog/post/"
    assert tab.locator(".site-header").count() == 1
    assert "Draft preview" not in tab.content()
    # The CMS host never renders the page: it sends readers to the site.
    page.goto(cms.base_url + "/blog/post/")
    assert page.url == site + "/blog/post/"
    # The explorer's "View live" too.
    page.goto(f"{cms.base_url}/admin/pages/{stack['blog']}/")
    hrefs = page.locator("a[href$='/blog/post/']").evaluate_all("els => els.map(e => e.href)")
    assert hrefs and all(h == site + "/blog/post/" for h in hrefs)
    print(f"\nflow: view live: {time.monotonic() - started:.1f} s")


def test_an_editor_gives_a_never_published_article_a_level_3_heading_and_publishes_it(stack, page):
    cms, site = stack["cms"], stack["site"]
    log_in(page, cms)
    page.goto(f"{cms.base_url}/admin/pages/{stack['never']}/edit/")
    page.get_by_role("button", name="Insert a block").last.click()
    page.get_by_role("option", name="Heading").click()
    page.fill("input[name='body-1-value-text']", "A third-level heading")
    page.select_option("select[name='body-1-value-level']", "3")
    publish(page)

    data = requests.get(f"{cms.api_url}pages/{stack['never']}/", timeout=10).json()
    assert {"type": "heading", "level": 3, "text": "A third-level heading"}.items() <= {
        "type": data["body"][1]["type"],
        **data["body"][1]["value"],
    }.items()
    stack["rebuild"]()
    public = requests.get(f"{site}/blog/never/", timeout=10).text
    # blocks/heading.html: the heading's text is its own permalink.
    assert re.search(r'<h3 id="a-third-level-heading"[^>]*><a [^>]*>A third-level heading<', public)


def test_a_link_to_another_pages_heading_keeps_its_fragment_when_an_editor_edits_the_page(
    stack, page
):
    """Wagtail's page links have no fragment; an imported one keeps it in the editor
    (cms/content/links.py), so editing the text around it and publishing loses nothing."""
    cms, site = stack["cms"], stack["site"]
    log_in(page, cms)
    page.goto(f"{cms.base_url}/admin/pages/{stack['linked']}/edit/")
    editor = page.locator(".Draftail-Editor [contenteditable='true']").first
    expect(editor).to_contain_text("See the heading")
    editor.click()
    expect(editor).to_be_focused()
    page.keyboard.press("Control+Home")
    page.keyboard.type("More words. ")
    expect(editor).to_contain_text("More words. See the heading")
    # Draftail writes its form field a moment after the keystrokes (debounced).
    field = page.locator("input[name='body-0-value']")
    expect(field).to_have_value(re.compile("More words"))
    publish(page)

    data = requests.get(f"{cms.api_url}pages/{stack['linked']}/", timeout=10).json()
    paragraph = data["body"][0]["value"]
    assert "<p>More words. See" in re.sub(r" data-block-key=\"\w+\"", "", paragraph)
    assert 'href="/blog/post/#original-heading"' in paragraph
    stack["rebuild"]()
    public = requests.get(f"{site}/blog/linking/", timeout=10).text
    assert 'href="/blog/post/#original-heading"' in public
