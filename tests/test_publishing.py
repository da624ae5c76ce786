"""Change capture, debounce, dispatch, the runner API and the Builds admin view (in-process).

The end-to-end behaviour with real processes (CMS, worker, runner) is in
``tests/test_publishing_e2e.py``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import time

import pytest
from django.contrib.auth.models import Permission, User
from django.db import transaction
from django.test import Client
from wagtail.contrib.redirects.models import Redirect

from cms.content.models import Author, SiteSettings, StandardPage
from cms.publishing import debounce
from cms.publishing.models import BuildRecord, BuildRequest
from cms.publishing.tasks import (
    claim_pending,
    hook_backoff,
    resume_deliveries,
    seconds_to_dispatch,
)
from tests.factories import demo_site, make_image, publish
from tests.test_webhooks import SECRET, ScriptedHook

T0 = dt.datetime(2026, 11, 21, 10, 0, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


# -- debounce (plain arithmetic) ----------------------------------------------


def wait(now: float, newest: float, oldest: float, last_change: float | None) -> float:
    """The debounce wait with a 2 s quiet period and a 30 s limit; times in seconds.
    ``last_change``: the newest change already built."""
    last = None if last_change is None else at(last_change)
    return debounce.seconds_to_wait(at(now), at(newest), at(oldest), 2, 30, last_change=last)


def test_the_first_change_after_a_quiet_period_builds_at_once():
    assert wait(0.1, newest=0, oldest=0, last_change=None) == 0
    assert wait(60.1, newest=60, oldest=60, last_change=0) == 0
    assert wait(3.1, newest=3, oldest=2, last_change=0) == 0  # quiet since the last change


def test_changes_a_few_seconds_apart_each_build_at_once():
    # An editor publishing every 3.5 s: the quiet period runs from the last change,
    # so it does not matter that the previous build was dispatched late (at 3.9 s).
    assert wait(5.6, newest=5.5, oldest=5.5, last_change=1.9) == 0


def test_a_change_soon_after_a_build_waits_for_the_quiet_period():
    assert wait(0.5, newest=0.2, oldest=0.2, last_change=0) == 1.7


def test_a_newer_change_pushes_the_build_back():
    assert wait(2.0, newest=1.5, oldest=0.5, last_change=0) == 1.5


def test_after_the_quiet_period_the_build_goes_now():
    assert wait(3.5, newest=1.5, oldest=0.5, last_change=0) == 0


def test_a_steady_stream_of_changes_still_builds_after_max_wait():
    assert wait(29, newest=28.9, oldest=0.5, last_change=0) == 1.5
    assert wait(31, newest=30.9, oldest=0.5, last_change=0) == 0


def test_once_the_last_build_is_reported_finished_a_change_builds_at_once():
    # 1.2 s after the change before it: a person's pace, and nothing is building.
    assert debounce.seconds_to_wait(at(1.3), at(1.2), at(1.2), 2, 30, at(0), settled=True) == 0


def test_a_burst_waits_for_the_quiet_period_even_when_nothing_is_building():
    # 0.2 s apart: a script or an import, built once the burst is over.
    assert debounce.seconds_to_wait(at(0.5), at(0.2), at(0.2), 2, 30, at(0), settled=True) == 1.7


def test_nothing_pending_means_no_wait():
    assert debounce.seconds_to_wait(at(0), None, None, quiet=2, max_wait=30) == 0


# -- change capture ----------------------------------------------------------


@pytest.fixture
def site(db):
    data = demo_site()
    BuildRequest.objects.all().delete()
    return data


def events():
    return [r.event for r in BuildRequest.objects.order_by("id")]


@pytest.mark.django_db
def test_publishing_a_page_records_a_build_request_with_its_id_and_path(site):
    post = site["posts"][1]
    post.title = "Second post, revised"
    post.save_revision().publish()
    [request] = BuildRequest.objects.all()
    assert request.event == "publish"
    assert request.page_ids == [post.pk]
    assert request.paths == ["/blog/second-post/"]
    assert request.build is None and request.request_id


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_change_that_rolls_back_leaves_no_build_request():
    site = demo_site()
    BuildRequest.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        site["about"].save_revision().publish()
        assert BuildRequest.objects.count() == 1
        raise RuntimeError("the editor's request failed")
    assert BuildRequest.objects.count() == 0


@pytest.mark.django_db
def test_unpublish_move_slug_change_and_delete_are_recorded(
    site, django_capture_on_commit_callbacks
):
    about, post = site["about"], site["posts"][2]
    about.unpublish()
    with django_capture_on_commit_callbacks(execute=True):  # Wagtail sends it after commit
        post.slug = "third"
        post.save_revision().publish()
    publish(site["home"], StandardPage(title="Moving", slug="moving"))
    moving = StandardPage.objects.get(slug="moving")
    moving.move(site["blog"], pos="last-child")
    site["posts"][1].delete()
    recorded = events()
    for event in ["unpublish", "slug_change", "move", "delete"]:
        assert event in recorded, recorded
    slug = BuildRequest.objects.get(event="slug_change")
    assert {"/blog/third/", "/blog/third-post/"} <= set(slug.paths)
    assert BuildRequest.objects.get(event="delete").paths == ["/blog/second-post/"]


@pytest.mark.django_db
def test_media_authors_settings_and_redirects_are_recorded(site):
    make_image("Another")
    Author.objects.create(name="Grace")
    settings = SiteSettings.objects.get()
    settings.tagline = "New tagline"
    settings.save()
    Redirect.objects.create(old_path="/x", redirect_link="https://example.org/")
    Redirect.objects.get(old_path="/x").delete()
    assert {"image_change", "author_change", "settings_change"} <= set(events())
    assert {"redirect_change", "redirect_delete"} <= set(events())


# -- dispatch -----------------------------------------------------------------


@pytest.mark.django_db
def test_claiming_takes_every_pending_request_into_one_build(site):
    for post in site["posts"]:
        post.save_revision().publish()
    build = claim_pending()
    assert build is not None and build.status == "pending"
    assert build.requests.count() == 3
    assert build.page_ids == sorted(p.pk for p in site["posts"])
    assert claim_pending() is None  # nothing left: no empty build


def claimed_trigger() -> str:
    build = claim_pending()
    assert build is not None
    return build.trigger


@pytest.mark.django_db
def test_a_build_says_what_triggered_it_in_editors_words(site):
    from cms.comments.models import Comment

    site["posts"][0].save_revision().publish()
    assert claimed_trigger() == "publish"
    site["about"].unpublish()
    assert claimed_trigger() == "unpublish"
    comment = Comment.objects.create(page=site["posts"][0], author_name="R", body_markdown="Hi")
    assert claim_pending() is None  # a pending comment changes nothing anyone sees
    comment.status = Comment.APPROVED
    comment.save()
    assert claimed_trigger() == "comment"
    make_image("Another")
    assert claimed_trigger() == "image"
    Author.objects.create(name="Grace")
    Redirect.objects.create(old_path="/x", redirect_link="https://example.org/")
    assert claimed_trigger() == "snippet"
    publish(site["home"], StandardPage(title="Moving", slug="moving"))
    StandardPage.objects.get(slug="moving").move(site["blog"], pos="last-child")
    site["posts"][1].delete()
    assert claimed_trigger() == "publish, move, delete"


@pytest.mark.django_db
def test_a_page_published_or_expired_by_its_schedule_says_schedule(site):
    from django.core.management import call_command
    from django.utils import timezone

    post = site["posts"][0]
    post.go_live_at = timezone.now() + dt.timedelta(seconds=0.5)
    post.save_revision().publish()  # scheduled: the editor's action
    assert "publish_scheduled" not in events()
    BuildRequest.objects.all().delete()
    time.sleep(0.6)
    call_command("publish_scheduled", stdout=io.StringIO())
    assert events() == ["publish_scheduled"]
    assert claimed_trigger() == "schedule"

    about = site["about"]
    type(about).objects.filter(pk=about.pk).update(expire_at=timezone.now())
    call_command("publish_scheduled", stdout=io.StringIO())
    assert events() == ["publish_scheduled", "unpublish_expired"]
    assert claimed_trigger() == "schedule"


def test_many_kinds_of_change_fit_the_trigger_field():
    from cms.publishing.triggers import MAX_LENGTH, trigger_for

    events = ["publish", "unpublish", "move", "delete", "image_change", "document_delete"]
    events += ["author_change", "comment_approve", "publish_scheduled"]
    text = trigger_for(events)
    assert text == "publish, move, delete, image, document, snippet +2"
    assert len(text) <= MAX_LENGTH


@pytest.fixture
def hook(settings):
    server = ScriptedHook([])
    settings.JAMTAIL_BUILD_HOOKS = [server.url]
    settings.JAMTAIL_WEBHOOK_SECRET = SECRET
    settings.JAMTAIL_WEBHOOK_BACKOFF = 0.01
    yield server
    server.close()


@pytest.mark.django_db
def test_after_commit_the_task_posts_a_signed_payload_to_each_hook(
    site, hook, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        site["about"].save_revision().publish()
    [(_path, payload, valid)] = hook.received
    assert valid
    build = BuildRecord.objects.get()
    request = BuildRequest.objects.get()
    assert payload == {
        "build_id": build.pk,
        "trigger": "publish",
        "events": ["publish"],
        "page_ids": [site["about"].pk],
        "paths": ["/about/"],
        "request_ids": [str(request.request_id)],
        "time": build.requested_at.isoformat(),
    }
    assert build.webhook_attempts[0]["ok"] and build.status == "pending"


@pytest.mark.django_db
def test_a_build_service_that_is_down_keeps_the_build_waiting_until_it_answers(
    site, settings, django_capture_on_commit_callbacks
):
    # Issue 13 item 3: the trigger survives any outage. 12 rounds of 3 attempts
    # fail (more than the 5 attempts that used to give up), then the service answers.
    server = ScriptedHook([500] * 36)
    settings.JAMTAIL_BUILD_HOOKS = [server.url]
    settings.JAMTAIL_WEBHOOK_SECRET = SECRET
    settings.JAMTAIL_WEBHOOK_BACKOFF = 0.001
    settings.JAMTAIL_WEBHOOK_BACKOFF_MAX = 0.004
    settings.JAMTAIL_WEBHOOK_MAX_ATTEMPTS = 3
    try:
        with django_capture_on_commit_callbacks(execute=True):
            site["about"].save_revision().publish()
        build = BuildRecord.objects.get()
        assert build.status == "pending"
        assert build.error.startswith("waiting for the build service since ")
        assert "gave up after 3 attempts: HTTP 500" in build.error
        first_wait = build.hooks_waiting_since
        for _round in range(11):
            assert build.next_hook_attempt_at is not None
            assert resume_deliveries(now=build.next_hook_attempt_at) == [build.pk]
            build.refresh_from_db()
            assert build.status == "pending" and build.hooks_waiting_since == first_wait
        assert build.hook_rounds == 12
        assert resume_deliveries(now=build.next_hook_attempt_at) == [build.pk]
    finally:
        server.close()
    build.refresh_from_db()
    assert build.status == "pending"  # delivered: now the runner reports on it
    assert build.hooks_waiting_since is None and build.next_hook_attempt_at is None
    assert build.error == ""
    assert build.webhook_attempts[-1]["ok"]
    assert len(server.received) == 37
    assert resume_deliveries() == []


def test_the_pause_between_delivery_rounds_doubles_up_to_its_cap(settings):
    settings.JAMTAIL_WEBHOOK_BACKOFF = 1
    settings.JAMTAIL_WEBHOOK_BACKOFF_MAX = 300
    pauses = [hook_backoff(n) for n in range(1, 13)]
    assert pauses == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]


@pytest.mark.django_db
def test_a_hook_that_refuses_fails_the_build_with_the_reason(
    site, settings, django_capture_on_commit_callbacks
):
    server = ScriptedHook([401])
    settings.JAMTAIL_BUILD_HOOKS = [server.url]
    settings.JAMTAIL_WEBHOOK_SECRET = SECRET
    try:
        with django_capture_on_commit_callbacks(execute=True):
            site["about"].save_revision().publish()
    finally:
        server.close()
    build = BuildRecord.objects.get()
    assert build.status == "failed"
    assert "refused: HTTP 401" in build.error
    assert build.next_hook_attempt_at is None


@pytest.mark.django_db
def test_without_hooks_requests_wait_in_the_outbox(site, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        site["about"].save_revision().publish()
    assert BuildRecord.objects.count() == 0
    assert BuildRequest.objects.filter(build__isnull=True).count() == 1


# -- the runner API -------------------------------------------------------------


@pytest.fixture
def token(settings):
    settings.JAMTAIL_RUNNER_TOKEN = "runner-token"
    return {"HTTP_AUTHORIZATION": "Bearer runner-token"}


@pytest.mark.django_db
def test_the_runner_reports_status_and_the_build_report_with_its_token(client, token):
    from jamtail.report import BuildReport, DeployReport

    build = BuildRecord.objects.create(trigger="publish")
    url = f"/api/v2/builds/{build.pk}/"
    built = BuildReport(
        kind="patch",
        pages=812,
        pages_rebuilt=27,
        outputs_written=29,
        outputs_kept=785,
        files=1190,
        bytes=12345,
        deploy=DeployReport(target="netlify", url="https://example.netlify.app/", files_uploaded=3),
        broken_links=[{"source": "/a/", "target": "/gone/"}],
    )
    fields = {
        "status": "succeeded",
        "started_at": "2026-11-21T10:00:00+00:00",
        "finished_at": "2026-11-21T10:00:03+00:00",
        "duration": 3.2,
        "log_tail": "Built 27 pages",
        "report": built.to_json(),
    }
    response = client.patch(url, json.dumps(fields), content_type="application/json", **token)
    assert response.status_code == 200, response.content
    build.refresh_from_db()
    assert (build.status, build.pages_rebuilt, build.files_uploaded, build.bytes) == (
        "succeeded",
        27,
        3,
        12345,
    )
    assert (build.kind, build.deploy_url) == ("patch", "https://example.netlify.app/")
    assert BuildReport.from_json(build.report) == built
    assert build.broken_links == [{"source": "/a/", "target": "/gone/"}]
    assert response.json()["pages_rebuilt"] == 27
    created = client.post(
        "/api/v2/builds/", {"trigger": "cron"}, content_type="application/json", **token
    )
    assert created.status_code == 201 and created.json()["trigger"] == "cron"


@pytest.mark.django_db
def test_a_change_made_during_a_build_goes_out_when_that_build_is_reported_finished(
    site, hook, client, token, django_capture_on_commit_callbacks
):
    earlier = BuildRequest.objects.create(event="publish")
    running = claim_pending("publish")  # being built now
    assert running is not None
    BuildRecord.objects.filter(pk=running.pk).update(status=BuildRecord.RUNNING)
    seconds_ago = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1.5)
    BuildRequest.objects.filter(pk=earlier.pk).update(created_at=seconds_ago)
    BuildRequest.objects.create(event="publish")  # made during that build, 1.5 s later
    assert seconds_to_dispatch(dt.datetime.now(dt.UTC)) > 1.5  # waits: a build runs
    body = json.dumps({"status": "succeeded"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch(
            f"/api/v2/builds/{running.pk}/", body, content_type="application/json", **token
        )
    assert response.status_code == 200
    [(_path, payload, valid)] = hook.received  # the waiting change, built at once
    assert valid and payload["build_id"] != running.pk
    assert not BuildRequest.objects.filter(build__isnull=True).exists()


@pytest.mark.django_db
def test_a_report_of_another_version_or_shape_is_refused_and_changes_nothing(client, token):
    build = BuildRecord.objects.create(trigger="publish")
    url = f"/api/v2/builds/{build.pk}/"
    for report, words in [
        ({"version": 99, "pages_rebuilt": 1}, "version 99"),
        ({"version": 1, "pages_rebuilt": "many"}, "pages_rebuilt"),
        ("Built 27 pages", "JSON object"),
    ]:
        body = json.dumps({"status": "succeeded", "report": report})
        response = client.patch(url, body, content_type="application/json", **token)
        assert response.status_code == 400 and words in response.json()["message"]
    build.refresh_from_db()
    assert (build.status, build.report, build.pages_rebuilt) == ("pending", None, None)


@pytest.mark.django_db
def test_the_runner_api_refuses_a_wrong_or_missing_token_and_bad_fields(client, token, settings):
    build = BuildRecord.objects.create(trigger="publish")
    url = f"/api/v2/builds/{build.pk}/"
    body = json.dumps({"status": "succeeded"})
    assert client.patch(url, body, content_type="application/json").status_code == 401
    wrong = {"HTTP_AUTHORIZATION": "Bearer nope"}
    assert client.patch(url, body, content_type="application/json", **wrong).status_code == 401
    bad = json.dumps({"status": "done", "colour": "red"})
    response = client.patch(url, bad, content_type="application/json", **token)
    assert response.status_code == 400 and "colour" in response.json()["message"]
    deep = "[" * 100_000 + "]" * 100_000  # a RecursionError (500) before
    response = client.patch(url, deep, content_type="application/json", **token)
    assert response.status_code == 400 and "JSON object" in response.json()["message"]
    settings.JAMTAIL_RUNNER_TOKEN = ""
    assert client.patch(url, body, content_type="application/json", **token).status_code == 403
    build.refresh_from_db()
    assert build.status == "pending"


# -- the admin view ---------------------------------------------------------------


def editor(*perms: str) -> User:
    """A user who may use the admin and holds only the given Builds permissions.

    Not in the "Editors" group: migration 0002 gives that group both permissions.
    """
    user = User.objects.create_user("editor", password="pw")
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin", content_type__app_label="wagtailadmin")
    )
    for codename in perms:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


@pytest.mark.django_db
def test_builds_need_the_view_permission(site):
    client = Client()
    client.force_login(editor())
    response = client.get("/admin/builds/")
    # Wagtail's admin turns PermissionDenied into a redirect to the dashboard.
    assert (response.status_code, response.url) == (302, "/admin/")


@pytest.mark.django_db
def test_an_editor_sees_builds_and_their_log(site):
    failed = BuildRecord.objects.create(trigger="publish", status="failed", log_tail="Boom: x.html")
    client = Client()
    client.force_login(editor("view_buildrecord"))
    listing = client.get("/admin/builds/")
    assert listing.status_code == 200
    assert f'data-build-id="{failed.pk}"' in listing.text and "failed" in listing.text
    assert "Retry" not in listing.text  # no add permission
    detail = client.get(f"/admin/builds/{failed.pk}/")
    assert "Boom: x.html" in detail.text
    assert client.post(f"/admin/builds/{failed.pk}/retry/").url == "/admin/"
    assert not BuildRecord.objects.filter(retry_of=failed).exists()


@pytest.mark.django_db
def test_retry_and_rebuild_are_csrf_protected_posts(site, hook, django_capture_on_commit_callbacks):
    failed = BuildRecord.objects.create(trigger="publish", status="failed", paths=["/about/"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor("view_buildrecord", "add_buildrecord"))
    assert client.post(f"/admin/builds/{failed.pk}/retry/").status_code == 403  # no token
    assert client.get(f"/admin/builds/{failed.pk}/retry/").status_code == 405
    page = client.get(f"/admin/builds/{failed.pk}/")
    csrf = page.cookies["csrftoken"].value
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/builds/{failed.pk}/retry/", {"csrfmiddlewaretoken": csrf})
    assert response.status_code == 302
    retry = BuildRecord.objects.get(retry_of=failed)
    assert (retry.trigger, retry.paths) == ("retry", ["/about/"])
    assert hook.received[-1][1]["build_id"] == retry.pk
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/builds/rebuild/", {"csrfmiddlewaretoken": csrf})
    assert BuildRecord.objects.filter(trigger="manual").count() == 1
    assert hook.received[-1][1]["trigger"] == "manual"


@pytest.mark.django_db
def test_the_builds_menu_item_shows_for_superusers(site, admin_client):
    response = admin_client.get("/admin/")
    assert "/admin/builds/" in response.text


@pytest.mark.django_db
def test_the_builds_menu_item_has_an_icon_wagtail_draws(site, admin_client):
    from wagtail.admin.icons import get_icons

    from cms.publishing.views import ICON

    menu = admin_client.get("/admin/").text
    assert f'"icon_name": "{ICON}"' in menu.replace("&quot;", '"') or f"#icon-{ICON}" in menu
    assert f'id="icon-{ICON}"' in get_icons()  # the sprite has the symbol the menu names


@pytest.mark.django_db
def test_the_list_shows_pages_rebuilt_human_sizes_and_times_and_links_the_live_page(
    site, admin_client
):
    from jamtail.report import BuildReport, DeployReport

    report = BuildReport(
        kind="patch",
        reason="only what pages say changed",
        pages=812,
        pages_rebuilt=3,
        outputs_written=5,
        outputs_kept=809,
        files=1190,
        bytes=23_400_000,
        durations={"sync": 0.12, "render": 3.9},
        deploy=DeployReport(target="netlify", url="https://example.netlify.app", files_uploaded=4),
        warnings=["no base_url: the sitemap's URLs are relative"],
        broken_links=[{"source": "/blog/a/", "target": "/blog/gone/"}],
    )
    build = BuildRecord.objects.create(
        trigger="unpublish, comment",
        status="succeeded",
        duration=125.0,
        paths=["/blog/second-post/", "/blog/"],
    )
    build.apply_report(report)
    build.save()
    listing = admin_client.get("/admin/builds/").text
    row = listing[listing.index(f'data-build-id="{build.pk}"') :].split("</tr>")[0]
    assert ">unpublish, comment<" in row
    assert "data-duration>2 min 5 s<" in row
    assert "data-pages>3 <" in row and "(patch)" in row
    assert "data-size>22.3\xa0MB<" in row
    assert 'href="https://example.netlify.app/blog/second-post/"' in row and "(+1)" in row

    detail = admin_client.get(f"/admin/builds/{build.pk}/").text
    assert "3 of 812" in detail and "patch: only what pages say changed" in detail
    assert "netlify: 4 files uploaded" in detail
    assert "no base_url: the sitemap" in detail
    assert "<td>/blog/a/</td><td>/blog/gone/</td>" in detail
    assert "<td>render</td><td>3.9 s</td>" in detail


@pytest.mark.django_db
def test_a_local_deploy_links_the_site_settings_address(site, admin_client):
    from jamtail.report import BuildReport

    settings_row = SiteSettings.objects.get()
    settings_row.base_url = "http://127.0.0.1:8080"
    settings_row.save()
    build = BuildRecord.objects.create(
        trigger="publish", status="succeeded", deploy_url="file:///srv/deploy/current"
    )
    listing = admin_client.get("/admin/builds/").text
    assert 'href="http://127.0.0.1:8080/"' in listing and "View site" in listing
    # A build whose changes an earlier build already carried says so, not a bare 0.
    carried = BuildRecord.objects.create(trigger="publish", status="succeeded", events=["publish"])
    carried.apply_report(BuildReport(kind="patch", pages=10, pages_rebuilt=0))
    carried.save()
    listing = admin_client.get("/admin/builds/").text
    row = listing[listing.index(f'data-build-id="{carried.pk}"') :].split("</tr>")[0]
    assert "already live" in row
    build.status = "failed"
    build.save()
    listing = admin_client.get("/admin/builds/").text
    row = listing[listing.index(f'data-build-id="{build.pk}"') :].split("</tr>")[0]
    assert "View site" not in row


def test_durations_read_as_people_say_them():
    from cms.publishing.templatetags.publishing_tags import seconds

    assert [seconds(s) for s in (0.42, 12.4, 60, 125, 3600, 3780)] == [
        "0.4 s",
        "12 s",
        "1 min",
        "2 min 5 s",
        "1 h",
        "1 h 3 min",
    ]
    assert seconds(None) == ""
