"""The "Builds" admin view: the list, one build with its log, "Rebuild now" and "Retry".

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

VIEW = "publishing.view_buildrecord"
ADD = "publishing.add_buildrecord"


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
        },
    )


@require_POST
@permission_required(ADD, raise_exception=True)
def rebuild(request: HttpRequest) -> HttpResponse:
    build = request_build("rebuild", user=request.user)
    messages.success(request, f"Build #{build.pk} requested.")
    return redirect("publishing_builds:index")


@require_POST
@permission_required(ADD, raise_exception=True)
def retry(request: HttpRequest, build_id: int) -> HttpResponse:
    failed = get_object_or_404(BuildRecord, pk=build_id)
    if failed.status != BuildRecord.FAILED:
        messages.error(request, f"Build #{failed.pk} has not failed; only failed builds retry.")
        return redirect("publishing_builds:detail", failed.pk)
    build = request_build("retry", user=request.user, retry_of=failed)
    messages.success(request, f"Build #{build.pk} retries build #{failed.pk}.")
    return redirect("publishing_builds:index")
