"""Change capture, debounce, dispatch, the runner API and the Builds admin view (in-process).

The end-to-end behaviour with real processes (CMS, worker, runner) is in
``tests/test_publishing_e2e.py``.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.auth.models import Permission, User
from django.db import transaction
from django.test import Client
from wagtail.contrib.redirects.models import Redirect

from cms.content.models import Author, SiteSettings, StandardPage
from cms.publishing import debounce
from cms.publishing.models import BuildRecord, BuildRequest
from cms.publishing.tasks import claim_pending, hook_backoff, resume_deliveries
from tests.factories import demo_site, make_image, publish
from tests.test_webhooks import SECRET, ScriptedHook

T0 = dt.datetime(2026, 11, 21, 10, 0, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


# -- debounce (plain arithmetic) ----------------------------------------------


def test_a_change_waits_for_the_quiet_period():
    assert debounce.seconds_to_wait(at(0.5), at(0), at(0), quiet=2, max_wait=30) == 1.5


def test_a_newer_change_pushes_the_build_back():
    assert debounce.seconds_to_wait(at(2.0), at(1.5), at(0), quiet=2, max_wait=30) == 1.5


def test_after_the_quiet_period_the_build_goes_now():
    assert debounce.seconds_to_wait(at(3.5), at(1.5), at(0), quiet=2, max_wait=30) == 0


def test_a_steady_stream_of_changes_still_builds_after_max_wait():
    assert debounce.seconds_to_wait(at(29), at(28.9), at(0), quiet=2, max_wait=30) == 1
    assert debounce.seconds_to_wait(at(31), at(30.9), at(0), quiet=2, max_wait=30) == 0


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
def test_the_runner_reports_status_with_its_token(client, token):
    build = BuildRecord.objects.create(trigger="publish")
    url = f"/api/v2/builds/{build.pk}/"
    report = {
        "status": "succeeded",
        "started_at": "2026-11-21T10:00:00+00:00",
        "finished_at": "2026-11-21T10:00:03+00:00",
        "pages_rendered": 27,
        "files_uploaded": 3,
        "bytes": 12345,
        "duration": 3.2,
        "log_tail": "Built 27 pages",
        "deploy_url": "http://127.0.0.1:8080/",
    }
    response = client.patch(url, json.dumps(report), content_type="application/json", **token)
    assert response.status_code == 200, response.content
    build.refresh_from_db()
    assert (build.status, build.pages_rendered, build.deploy_url) == (
        "succeeded",
        27,
        "http://127.0.0.1:8080/",
    )
    created = client.post(
        "/api/v2/builds/", {"trigger": "cron"}, content_type="application/json", **token
    )
    assert created.status_code == 201 and created.json()["trigger"] == "cron"


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
    assert BuildRecord.objects.filter(trigger="rebuild").count() == 1
    assert hook.received[-1][1]["trigger"] == "rebuild"


@pytest.mark.django_db
def test_the_builds_menu_item_shows_for_superusers(site, admin_client):
    response = admin_client.get("/admin/")
    assert "/admin/builds/" in response.text
