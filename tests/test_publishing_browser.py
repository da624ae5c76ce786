"""The "Builds" admin list in a real Chromium, with the whole publishing pipeline running.

The CMS (gunicorn), its task worker and ``jamtail runner`` run as processes
(``tests/publishing_stack.py``) on the demo content (docs/ and demo/blog/),
with a 0.5 s quiet period. An editor publishes an article in Wagtail's page
editor and watches its build appear in **Builds**, open in another tab, and
go to succeeded without a reload; a member of Wagtail's default "Editors" group sees **Builds** too.
"""

from __future__ import annotations

import time

import pytest

from tests.publishing_stack import Stack, admin_login, publish_title_in_admin, wait_for

ADMIN = ("admin", "correct horse battery staple")
EDITOR = ("edith", "another long passphrase")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("publishing-browser"), quiet_seconds=0.5)
    stack.prepare([("docs", "docs"), ("demo/blog", "blog")])
    stack.create_user(*ADMIN, superuser=True)
    stack.create_user(*EDITOR, groups=["Editors"])
    stack.start()
    try:
        stack.wait_for_first_build()
        yield stack
    finally:
        stack.stop()


def page_id(stack: Stack, slug: str) -> int:
    code = f"from wagtail.models import Page; print(Page.objects.get(slug={slug!r}).pk)"
    return int(stack.shell(code).split()[-1])


def statuses(page) -> dict[int, str]:
    """``{build id: status}`` of the rows the Builds list shows now ({} mid-update)."""
    try:
        rows = page.locator("tr[data-build-id]").evaluate_all(
            "rows => rows.map(r => [r.dataset.buildId,"
            " r.querySelector('[data-status]').textContent.trim()])"
        )
    except Exception:  # the list swaps its rows in place: a row may be going away
        return {}
    return {int(build): status for build, status in rows}


# The order a build goes through; the list polls every 0.5 s, and a small site
# builds in under that (the first change after a quiet period builds at once), so
# a reader may see any ordered part of it.
ORDER = ["pending", "running", "succeeded"]


@pytest.mark.slow
@pytest.mark.browser
def test_an_editor_publishes_and_watches_the_build_run_then_succeed(stack, page):
    base = stack.cms.base_url
    admin_login(page, base, *ADMIN)
    article = page_id(stack, "hello-jamtail")
    # The editor keeps Builds open in a tab of its own and publishes in another:
    # the new build can only reach the open tab by the list updating in place.
    builds = page.context.new_page()
    builds.goto(base + "/admin/builds/")
    known = set(statuses(builds))
    assert known, "the first build is listed"
    builds.evaluate("window.notReloaded = true")

    publish_title_in_admin(page, base, article, "Hello from the page editor")
    deadline = time.monotonic() + 30
    new: set[int] = set()
    while not new:  # the build record exists once the change is dispatched
        assert time.monotonic() < deadline, "no new build appeared in Builds"
        builds.wait_for_timeout(100)
        new = set(statuses(builds)) - known
    [build] = new
    seen = [statuses(builds)[build]]
    deadline = time.monotonic() + 90
    while seen[-1] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, f"build #{build} still {seen[-1]} after 90 s"
        builds.wait_for_timeout(100)
        status = statuses(builds).get(build)
        if status and status != seen[-1]:
            seen.append(status)
    assert seen[-1] == "succeeded", seen
    assert seen == sorted(seen, key=ORDER.index), f"states out of order: {seen}"
    assert builds.evaluate("window.notReloaded === true"), "the list reloaded the whole page"
    builds.locator(f'tr[data-build-id="{build}"] a').click()
    builds.wait_for_url(f"**/admin/builds/{build}/")
    assert builds.locator("dd[data-status]").inner_text() == "succeeded"
    times = builds.locator("dt:has-text('Started') + dd, dt:has-text('Finished') + dd")
    shown = times.all_inner_texts()
    assert len(shown) == 2 and "-" not in shown, f"a start and a finish time are shown: {shown}"
    live = builds.context.new_page()
    live.goto(stack.url + "/blog/hello-jamtail/")
    assert live.locator("h1").inner_text() == "Hello from the page editor"


def text(locator) -> str:
    """The element's text as written (the admin's CSS may show it in capitals)."""
    return (locator.text_content() or "").strip()


@pytest.mark.slow
@pytest.mark.browser
def test_an_editor_retries_a_failed_build_with_one_click_and_sees_what_it_did(stack, page):
    # A build that failed (its hooks could not be delivered, say), as the record has it.
    code = (
        "from cms.publishing.models import BuildRecord as B; "
        "print(B.objects.create(trigger='publish', status='failed', error='hook refused',"
        " events=['publish'], paths=['/blog/hello-jamtail/']).pk)"
    )
    failed = int(stack.shell(code).split()[-1])
    base = stack.cms.base_url
    admin_login(page, base, *EDITOR)
    page.goto(base + "/admin/builds/")
    row = page.locator(f'tr[data-build-id="{failed}"]')
    assert text(row.locator("[data-status]")) == "failed"
    row.get_by_role("button", name=f"Retry build #{failed}").click()
    page.wait_for_url("**/admin/builds/")
    retry = wait_for(
        lambda: [b for b in stack.builds() if b["retry_of_id"] == failed], 10, "the retry"
    )[0]
    new_row = page.locator(f'tr[data-build-id="{retry["id"]}"]')
    assert text(new_row.locator("[data-trigger]")) == f"retry of #{failed}"
    # The list updates itself until the runner reports the retry done, with its figures.
    new_row.locator("[data-status]", has_text="succeeded").wait_for(timeout=90_000)
    assert text(new_row.locator("[data-pages]")).split()[0].isdigit()
    assert text(new_row.locator("[data-size]")).endswith(("KB", "MB"))
    assert text(new_row.locator("[data-duration]")).endswith(("s", "min"))
    assert page.locator(f'tr[data-build-id="{retry["id"]}"] button').count() == 0  # no retry

    new_row.get_by_role("link", name=f"#{retry['id']}").click()
    page.wait_for_url(f"**/admin/builds/{retry['id']}/")
    assert page.locator("dd[data-kind]").inner_text().startswith(("incremental", "patch", "full"))
    assert " of " in page.locator("dd[data-pages]").inner_text()
    assert page.locator("dd[data-deploy]").inner_text().startswith("local: ")


@pytest.mark.browser
def test_a_member_of_editors_sees_builds_in_the_menu_and_the_list(stack, page):
    base = stack.cms.base_url
    admin_login(page, base, *EDITOR)
    menu = page.get_by_role("link", name="Builds")
    assert menu.locator("svg use").get_attribute("href") == "#icon-upload"  # it has an icon
    menu.click()
    page.wait_for_url("**/admin/builds/")
    assert page.locator("tr[data-build-id]").count() >= 1
    assert page.get_by_role("button", name="Rebuild now").is_visible()


@pytest.mark.django_db
def test_editors_and_moderators_may_view_builds_and_request_them():
    from django.contrib.auth.models import Group

    for name in ("Editors", "Moderators"):
        codenames = set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))
        assert {"view_buildrecord", "add_buildrecord"} <= codenames, name
