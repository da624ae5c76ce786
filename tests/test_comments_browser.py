"""Comments in a real Chromium, with the whole publishing pipeline running.

The CMS (gunicorn), its task worker and ``jamtail runner`` run as processes
(``tests/publishing_stack.py``) on the demo blog; the built site is served by
``jamtail serve``'s server with the comments function at ``/api/comments``.
A reader posts a comment on a built article; a moderator approves it in the
Wagtail admin; the rebuilt page shows it, also without JavaScript. With the
CMS stopped, the reader's text survives a failed post and a reload, and goes
through once the CMS is back.
"""

from __future__ import annotations

import json
import re
import threading

import pytest
import requests
from playwright.sync_api import expect

from functions import comments
from functions.devserver import make_server
from tests.comments_helpers import SERVICE_TOKEN
from tests.publishing_stack import Stack, admin_login, wait_for

ADMIN = ("admin", "correct horse battery staple")
ARTICLE = "/blog/hello-jamtail/"

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("comments-browser"), quiet_seconds=0.5)
    stack.cms.env["JAMTAIL_COMMENTS_TOKEN"] = SERVICE_TOKEN
    stack.prepare([("demo/blog", "blog")])
    stack.create_user(*ADMIN, superuser=True)
    stack.start()
    config = comments.Config(
        api_url=stack.cms.api_url,
        service_token=SERVICE_TOKEN,
        form_secret=b"browser-test-form-secret",
        min_seconds=1.0,
    )
    routes = {"/api/comments": comments.make_handler(config)}
    site = make_server(stack.deploy_dir / "current", port=0, routes=routes)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    stack.site_url = f"http://127.0.0.1:{site.server_address[1]}"
    try:
        stack.wait_for_first_build()
        yield stack
    finally:
        site.shutdown()
        site.server_close()
        stack.stop()


def wait_for_form_token(page) -> None:
    """Until comments.js has filled in the form token (an assertion that polls without
    evaluating JavaScript strings, which the site's Content-Security-Policy forbids)."""
    expect(page.locator("#comment-form [name=form_token]")).not_to_have_value("", timeout=15_000)


def post_comment(page, name: str, text: str) -> None:
    page.get_by_label("Name").fill(name)
    page.get_by_label("Comment", exact=True).fill(text)
    page.get_by_role("button", name="Post comment").click()


def approve_in_admin(page, stack: Stack, name: str) -> None:
    """Approve the pending comment by ``name`` with one click in the Comments list."""
    base = stack.cms.base_url
    page.goto(base + "/admin/snippets/comments/comment/?status=pending")
    page.get_by_role("button", name=f"Approve the comment by {name}").click()
    # Back on the same filtered list, where the approved comment no longer waits.
    expect(page.locator(".messages")).to_contain_text(f"Approved: the comment by {name}")
    assert "status=pending" in page.url
    expect(page.locator("tr", has_text=name)).to_have_count(0)


def statuses(stack: Stack, *names: str) -> dict[str, str]:
    code = (
        "import json; from cms.comments.models import Comment as C; "
        f"print(json.dumps(dict(C.objects.filter(author_name__in={list(names)!r})"
        ".values_list('author_name', 'status'))))"
    )
    return json.loads(stack.shell(code).strip().splitlines()[-1])


def add_pending(stack: Stack, *names: str) -> None:
    """Pending comments on the article, stored as the comments function stores them."""
    code = (
        "from cms.comments.models import Comment as C; from wagtail.models import Page; "
        f"p = Page.objects.get(slug={ARTICLE.rstrip('/').split('/')[-1]!r}); "
        f"[C.objects.create(page_id=p.pk, author_name=n, body_markdown=n) for n in {list(names)!r}]"
    )
    stack.shell(code)


def built_page_has(stack: Stack, text: str) -> bool:
    response = requests.get(stack.site_url + ARTICLE, timeout=5)
    return response.ok and text in response.text


def test_a_comment_posted_on_the_site_and_approved_in_wagtail_appears_on_the_rebuilt_page(
    stack, page, browser
):
    page.goto(stack.site_url + ARTICLE)
    wait_for_form_token(page)
    post_comment(page, "Reader Rita", "What a **useful** article, rita-marker.")
    status = page.locator("#comment-form .comment-status")
    status.filter(has_text="awaiting moderation").wait_for(timeout=15_000)
    assert page.get_by_label("Comment", exact=True).input_value() == ""
    assert not built_page_has(stack, "rita-marker"), "pending comments are not published"

    admin = page.context.new_page()
    admin_login(admin, stack.cms.base_url, *ADMIN)
    approve_in_admin(admin, stack, "Reader Rita")
    wait_for(lambda: built_page_has(stack, "rita-marker"), 90, "the rebuilt page")

    page.goto(stack.site_url + ARTICLE)
    shown = page.locator(".comment", has_text="rita-marker")
    assert shown.locator(".comment-author").inner_text() == "Reader Rita"
    assert shown.locator(".comment-body strong").inner_text() == "useful"

    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    serious = [v["id"] for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], serious

    no_js = browser.new_context(java_script_enabled=False)
    try:
        static = no_js.new_page()
        static.goto(stack.site_url + ARTICLE)
        assert static.locator(".comment", has_text="rita-marker").is_visible()
    finally:
        no_js.close()


def test_a_moderator_sees_the_count_and_rejects_and_spams_with_one_click_each(stack, page):
    add_pending(stack, "Spammy Sam", "Off-topic Olga")
    base = stack.cms.base_url
    admin_login(page, base, *ADMIN)
    page.goto(base + "/admin/")
    menu = page.get_by_role("link", name=re.compile(r"^Comments \(\d+\)$"))
    waiting = int(menu.get_attribute("data-waiting") or 0)
    assert waiting >= 2, "the menu counts the comments waiting"
    panel = page.locator("[data-comments-waiting]")
    assert int(panel.get_attribute("data-comments-waiting") or 0) == waiting

    # On the dashboard: one click marks a comment as spam, and the count goes down.
    panel.get_by_role("button", name="Spam the comment by Spammy Sam").click()
    expect(page.locator(".messages")).to_contain_text("Marked as spam: the comment by Spammy Sam")
    assert page.url.rstrip("/").endswith("/admin")
    expect(page.locator("[data-comments-waiting]")).to_have_attribute(
        "data-comments-waiting", str(waiting - 1)
    )

    # In the article's editor, its own comments: one click rejects.
    page.goto(base + f"/admin/pages/{article_id(stack)}/edit/")
    comments = page.locator("[data-reader-comments]")
    comments.get_by_role("button", name="Reject the comment by Off-topic Olga").click()
    expect(page.locator(".messages")).to_contain_text("Rejected: the comment by Off-topic Olga")
    assert page.url.endswith(f"/admin/pages/{article_id(stack)}/edit/")
    row = page.locator("[data-reader-comments] tr", has_text="Off-topic Olga")
    expect(row.locator("[data-status]")).to_have_text("Rejected")
    assert statuses(stack, "Spammy Sam", "Off-topic Olga") == {
        "Spammy Sam": "spam",
        "Off-topic Olga": "rejected",
    }


def article_id(stack: Stack) -> int:
    slug = ARTICLE.rstrip("/").split("/")[-1]
    code = f"from wagtail.models import Page; print(Page.objects.get(slug={slug!r}).pk)"
    return int(stack.shell(code).split()[-1])


def test_a_reply_is_shown_under_its_comment(stack, page):
    wait_for(lambda: built_page_has(stack, "rita-marker"), 120, "the first comment's build")
    page.goto(stack.site_url + ARTICLE)
    page.locator(".comment", has_text="rita-marker").get_by_role("link", name="Reply").click()
    post_comment(page, "Replying Ravi", "Agreed, ravi-marker.")
    page.locator(".comment-status", has_text="awaiting moderation").wait_for(timeout=15_000)
    admin = page.context.new_page()
    admin_login(admin, stack.cms.base_url, *ADMIN)
    approve_in_admin(admin, stack, "Replying Ravi")
    wait_for(lambda: built_page_has(stack, "ravi-marker"), 90, "the rebuilt page")
    page.goto(stack.site_url + ARTICLE)
    parent = page.locator("li.comment", has_text="rita-marker").first
    assert parent.locator(".comment-replies .comment-author").inner_text() == "Replying Ravi"


def test_with_the_cms_down_the_readers_text_is_kept_and_posted_when_it_is_back(stack, page):
    page.goto(stack.site_url + ARTICLE)
    wait_for_form_token(page)
    stack.cms.stop()
    try:
        post_comment(page, "Patient Pat", "Kept while the CMS was down, pat-marker.")
        page.locator(".comment-status", has_text="Your text is kept").wait_for(timeout=15_000)
        page.reload()
        assert "pat-marker" in page.get_by_label("Comment", exact=True).input_value()
        assert page.get_by_label("Name").input_value() == "Patient Pat"
    finally:
        stack.cms.start()
    page.get_by_role("button", name="Post comment").click()
    page.locator(".comment-status", has_text="awaiting moderation").wait_for(timeout=20_000)
    stored = stack.shell(
        "from cms.comments.models import Comment\n"
        "print(Comment.objects.filter(body_markdown__contains='pat-marker').count())"
    )
    assert stored.split()[-1] == "1"
    page.reload()
    assert page.get_by_label("Comment", exact=True).input_value() == "", "the draft is cleared"


def test_without_javascript_a_reader_posts_in_two_steps(stack, browser):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(stack.site_url + ARTICLE)
        post_comment(page, "Plain Paula", "No script needed, paula-marker.")
        page.get_by_role("heading", name="Check your comment").wait_for()
        page.wait_for_timeout(1100)  # the function's minimum time for this test
        page.get_by_role("button", name="Post comment").click()
        page.get_by_role("heading", name="Comment received").wait_for()
        page.get_by_role("link", name="Back to the article").click()
        assert page.url == stack.site_url + ARTICLE + "#comments"
    finally:
        context.close()
    stored = stack.shell(
        "from cms.comments.models import Comment\n"
        "print(Comment.objects.get(body_markdown__contains='paula-marker').status)"
    )
    assert stored.split()[-1] == "pending"
