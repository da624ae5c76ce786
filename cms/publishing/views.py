"""The "Builds" admin view: the list, one build with its report and log, "Rebuild now", "Retry".

Counts, sizes and stage times come from the build's report
(:class:`jamtail.report.BuildReport`, kept on the record); links to the live
site use the deploy's web address, else the site settings' ``base_url``.

Viewing needs ``publishing.view_buildrecord``; rebuilding and retrying need
``publishing.add_buildrecord`` and a POST with Django's CSRF token.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .health import pipeline_health
from .models import BuildRecord, BuildRequest
from .tasks import request_build
from .triggers import MANUAL, RETRY

VIEW = "publishing.view_buildrecord"
ADD = "publishing.add_buildrecord"
#: A Wagtail icon (wagtailadmin/icons/): the menu item and the screen's header.
ICON = "upload"


def _site_url() -> str:
    """The static site's address from the site settings (``base_url``; may be empty)."""
    from cms.content.models import SiteSettings

    row = SiteSettings.objects.order_by("pk").first()
    return row.base_url if row else ""


def _active(builds) -> bool:
    return any(b.status in (BuildRecord.PENDING, BuildRecord.RUNNING) for b in builds)


@permission_required(VIEW, raise_exception=True)
def index(request: HttpRequest) -> HttpResponse:
    builds = list(BuildRecord.objects.select_related("requested_by")[:50])
    # Changes still in their quiet period: a build is about to appear, so the
    # list keeps refreshing quickly until it has run.
    waiting = BuildRequest.objects.filter(build__isnull=True).count()
    return render(
        request,
        "publishing/index.html",
        {
            "builds": builds,
            "waiting": waiting,
            "refresh": bool(waiting) or _active(builds),
            "can_rebuild": request.user.has_perm(ADD),
            "hooks": settings.JAMTAIL_BUILD_HOOKS,
            "icon": ICON,
            "site_url": _site_url(),
            "health": pipeline_health(),
        },
    )


@permission_required(VIEW, raise_exception=True)
def detail(request: HttpRequest, build_id: int) -> HttpResponse:
    build = get_object_or_404(BuildRecord, pk=build_id)
    return render(
        request,
        "publishing/detail.html",
        {
            "build": build,
            "title": f"Build #{build.pk}",
            "refresh": _active([build]),
            "can_rebuild": request.user.has_perm(ADD),
            "requests": build.requests.order_by("id")[:200],
            "icon": ICON,
            "site_url": _site_url(),
        },
    )


@require_POST
@permission_required(ADD, raise_exception=True)
def rebuild(request: HttpRequest) -> HttpResponse:
    build = request_build(MANUAL, user=request.user)
    messages.success(request, f"Build #{build.pk} requested.")
    return redirect("publishing_builds:index")


@require_POST
@permission_required(ADD, raise_exception=True)
def retry(request: HttpRequest, build_id: int) -> HttpResponse:
    failed = get_object_or_404(BuildRecord, pk=build_id)
    if failed.status != BuildRecord.FAILED:
        messages.error(request, f"Build #{failed.pk} has not failed; only failed builds retry.")
        return redirect("publishing_builds:detail", failed.pk)
    build = request_build(RETRY, user=request.user, retry_of=failed)
    messages.success(request, f"Build #{build.pk} retries build #{failed.pk}.")
    return redirect("publishing_builds:index")
