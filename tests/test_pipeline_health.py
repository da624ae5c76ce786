"""The pipeline's health as editors see it, the warnings it emails, locked-write retries.

In-process, on the test database. The same behaviour with real processes (a
killed worker, a held write lock, scheduled publishing, a build service that
is down) is in ``tests/test_pipeline_e2e.py``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.db import OperationalError
from django.utils import timezone
from wagtail.log_actions import LogContext

from cms.publishing.dblock import retry_when_locked
from cms.publishing.health import human_duration, notify_editors, pipeline_health, publish_message
from cms.publishing.models import BuildRecord, BuildRequest, WorkerHeartbeat
from cms.publishing.worker import record_heartbeat
from tests.factories import demo_site


@pytest.fixture
def site(db, settings):
    settings.JAMTAIL_BUILD_HOOKS = ["http://127.0.0.1:9/never-called"]
    settings.JAMTAIL_WORKER_STALE_SECONDS = 30
    settings.JAMTAIL_BUILD_WAIT_LIMIT_SECONDS = 300
    settings.JAMTAIL_PIPELINE_NOTIFY = []
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    data = demo_site()
    BuildRequest.objects.all().delete()
    return data


def later(seconds: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)


@pytest.fixture
def editor(db):
    user = User.objects.create_user("eda", "eda@example.org", "pw", is_staff=True)
    user.groups.set(Group.objects.filter(name="Editors"))
    return user


def publish_as(user, page) -> BuildRequest:
    with LogContext(user=user):
        page.save_revision(user=user).publish(user=user, skip_permission_checks=True)
    return BuildRequest.objects.latest("id")


# -- worker liveness -------------------------------------------------------------


@pytest.mark.django_db
def test_a_worker_that_never_started_is_reported(site):
    health = pipeline_health()
    assert not health.worker_alive and health.worker_last_seen is None
    assert "The build worker has not started: changes are not built." in health.problems
    assert health.live_in_seconds is None


@pytest.mark.django_db
def test_a_fresh_heartbeat_means_alive_and_a_stale_one_means_down(site):
    record_heartbeat("w1", started_at=timezone.now().timestamp())
    assert pipeline_health().worker_alive
    assert pipeline_health().ok
    stale = pipeline_health(now=later(31))
    assert not stale.worker_alive
    assert stale.problems[0].startswith("The build worker is not running (last heard from 31 s")
    assert WorkerHeartbeat.objects.get().pid > 0


# -- waiting changes, failed builds, the message after Publish -----------------------


@pytest.mark.django_db
def test_a_change_waiting_past_the_limit_is_a_problem_and_emails_its_editor_once(site, editor):
    record_heartbeat("w1", started_at=timezone.now().timestamp())
    request = publish_as(editor, site["about"])
    assert request.requested_by == editor
    fresh = pipeline_health()
    assert fresh.waiting == 1 and fresh.oldest_waiting_since == request.created_at
    assert fresh.ok and not fresh.waited_too_long
    WorkerHeartbeat.objects.update(last_seen=later(301))  # the worker is alive then
    stuck = pipeline_health(now=later(301))
    assert stuck.waited_too_long
    assert stuck.problems == ["The oldest change has waited 5 min and is not live yet."]
    assert notify_editors(now=later(301)) == 1
    [email] = mail.outbox
    assert email.to == ["eda@example.org"]
    assert email.subject == "Jamtail: 1 change not live after 5 min"
    assert "publish: About" in email.body and "/admin/builds/" in email.body
    assert notify_editors(now=later(302)) == 0  # once per change
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_change_in_a_running_build_still_counts_as_waiting(site, editor):
    request = publish_as(editor, site["about"])
    build = BuildRecord.objects.create(trigger="publish", status=BuildRecord.RUNNING)
    BuildRequest.objects.filter(pk=request.pk).update(build=build)
    assert pipeline_health().waiting == 1
    BuildRecord.objects.filter(pk=build.pk).update(status=BuildRecord.SUCCEEDED)
    assert pipeline_health().waiting == 0


@pytest.mark.django_db
def test_a_failed_build_is_a_problem_and_emails_the_editors_whose_changes_it_carried(
    site, editor, settings
):
    settings.JAMTAIL_PIPELINE_NOTIFY = ["ops@example.org"]
    record_heartbeat("w1", started_at=timezone.now().timestamp())
    request = publish_as(editor, site["about"])
    build = BuildRecord.objects.create(
        trigger="publish",
        status=BuildRecord.FAILED,
        finished_at=timezone.now(),
        error="template article_page.html: unexpected end of template",
    )
    BuildRequest.objects.filter(pk=request.pk).update(build=build)
    health = pipeline_health()
    assert health.last_build is not None and health.last_build.status == "failed"
    assert health.problems == [
        f"The last build, #{build.pk}, failed: template article_page.html: "
        "unexpected end of template"
    ]
    assert notify_editors() == 1
    [email] = mail.outbox
    assert email.to == ["eda@example.org", "ops@example.org"]
    assert email.subject == f"Jamtail: build #{build.pk} failed"
    assert notify_editors() == 0


@pytest.mark.django_db
def test_after_publish_the_editor_is_told_when_or_why_not(site):
    record_heartbeat("w1", started_at=timezone.now().timestamp())
    BuildRecord.objects.create(
        trigger="publish", status=BuildRecord.SUCCEEDED, duration=4, finished_at=timezone.now()
    )
    # A change made 1.5 s ago is being built: this one waits the 2 s quiet period.
    running = BuildRecord.objects.create(trigger="publish", status=BuildRecord.RUNNING)
    made = BuildRequest.objects.create(event="publish", build=running)
    seconds_ago = timezone.now() - dt.timedelta(seconds=1.5)  # an editor's pace, no burst
    BuildRequest.objects.filter(pk=made.pk).update(created_at=seconds_ago)
    fine, sentence = publish_message(pipeline_health())
    assert fine and sentence.startswith("The site is rebuilt with this change: live in about 6 s")
    # That build finished: nothing to wait for, this change builds at once.
    BuildRecord.objects.filter(pk=running.pk).update(status=BuildRecord.SUCCEEDED, duration=4)
    fine, sentence = publish_message(pipeline_health())
    assert fine and sentence.startswith("The site is rebuilt with this change: live in about 4 s")
    # The first change after a quiet period builds at once, whatever is building.
    BuildRecord.objects.filter(pk=running.pk).update(status=BuildRecord.RUNNING)
    BuildRequest.objects.update(created_at=timezone.now() - dt.timedelta(minutes=5))
    fine, sentence = publish_message(pipeline_health())
    assert fine and sentence.startswith("The site is rebuilt with this change: live in about 4 s")
    fine, sentence = publish_message(pipeline_health(now=later(60)))
    assert not fine
    assert sentence.startswith("This change is saved but will not be live yet. The build worker")


@pytest.mark.django_db
def test_a_scheduled_publish_is_told_when_it_goes_live(site, settings):
    settings.JAMTAIL_SCHEDULE_CHECK_SECONDS = 15
    record_heartbeat("w1", started_at=timezone.now().timestamp())
    at = timezone.now() + dt.timedelta(hours=2)
    fine, sentence = publish_message(pipeline_health(), go_live_at=at)
    assert fine and sentence.startswith(
        f"Scheduled: the worker publishes and builds it at {at:%Y-%m-%d %H:%M}"
    )
    fine, sentence = publish_message(pipeline_health(now=later(60)), go_live_at=at)
    assert not fine and "the build worker is not running" in sentence


@pytest.mark.django_db
def test_a_build_service_that_is_down_shows_since_when(site):
    record_heartbeat("w1", started_at=timezone.now().timestamp())
    since = timezone.now()
    build = BuildRecord.objects.create(trigger="publish", hooks_waiting_since=since)
    health = pipeline_health()
    assert health.service_waiting_build == build.pk and health.service_waiting_since == since
    assert health.live_in_seconds is None
    assert any("is waiting for the build service since" in p for p in health.problems)


def test_durations_read_at_a_glance():
    assert [human_duration(s) for s in (4.4, 89, 300, 5400, 7500)] == [
        "4 s",
        "89 s",
        "5 min",
        "1 h 30 min",
        "2 h 5 min",
    ]


# -- locked database -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_locked_write_is_retried_with_growing_pauses_until_it_goes_through(settings):
    calls, pauses = [], []

    def write():
        calls.append(1)
        if len(calls) < 4:
            raise OperationalError("database is locked")
        return "written"

    wrapped = retry_when_locked(write, seconds=60, sleep=pauses.append)
    assert wrapped() == "written"
    assert pauses == [0.5, 1.0, 2.0]


@pytest.mark.django_db
def test_a_lock_that_outlasts_the_deadline_and_other_errors_are_raised():
    clock = iter(range(0, 1000, 5))

    def locked():
        raise OperationalError("database is locked")

    with pytest.raises(OperationalError, match="locked"):
        retry_when_locked(locked, seconds=20, sleep=lambda s: None, clock=lambda: next(clock))()

    def broken():
        raise OperationalError("no such table: x")

    with pytest.raises(OperationalError, match="no such table"):
        retry_when_locked(broken, seconds=20, sleep=lambda s: None)()


# -- the worker's console ------------------------------------------------------------


@pytest.mark.slow
def test_the_worker_logs_failed_tasks_only(tmp_path):
    """A calm console (issue 10 item 7): no line per task, a traceback per failure."""
    from tests.cms_process import CMSProcess

    cms = CMSProcess(tmp_path / "cms")
    cms.env.update(JAMTAIL_TASKS_BACKEND="database", JAMTAIL_BUILD_HOOKS="")
    cms.data_dir.mkdir(parents=True)
    cms.manage("migrate", "--no-input", "-v0")
    cms.manage(
        "shell",
        "-c",
        "from cms.publishing.tasks import dispatch_builds, send_build_hooks\n"
        "dispatch_builds.enqueue(); send_build_hooks.enqueue(424242)",
    )
    worker = cms.manage("pipeline_worker", "--batch", "--no-startup-delay", "--queue-name", "*")
    output = worker.stdout + worker.stderr
    assert "state=RUNNING" not in output and "state=SUCCESSFUL" not in output
    assert "send_build_hooks state=FAILED" in output
    assert "BuildRecord.DoesNotExist" in output
    assert "dispatch_builds" not in output
