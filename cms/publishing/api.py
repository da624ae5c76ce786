"""``/api/v2/builds/``: where build runners report back (token-authenticated).

- ``POST /api/v2/builds/`` creates a build record (a runner-started build);
  body ``{"trigger": "..."}``; answers 201 with the record.
- ``GET /api/v2/builds/<id>/`` reads a record.
- ``PATCH`` or ``POST /api/v2/builds/<id>/`` updates it with any of
  :data:`REPORTED_FIELDS`; times are ISO 8601. ``report`` is the build's
  :class:`jamtail.report.BuildReport` in its JSON form (a report of another
  version is refused with 400); the record's counts, kind and deploy URL are
  taken from it, never from the log.

Every request needs ``Authorization: Bearer $JAMTAIL_RUNNER_TOKEN``; with no
token configured the endpoint refuses everything (403).
"""

from __future__ import annotations

import hmac
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from jamtail.jsonlimits import JSONLimitError, loads
from jamtail.report import BuildReport, ReportError

from .models import BuildRecord
from .tasks import dispatch_after_build

REPORTED_FIELDS = {
    "status": str,
    "started_at": "datetime",
    "finished_at": "datetime",
    "duration": float,
    "log_tail": str,
    "runner": str,
    "error": str,
    "report": "report",
}
#: Read-only figures the record copies from the report.
FROM_REPORT = ["pages_rebuilt", "files_uploaded", "bytes", "kind", "deploy_url"]
LOG_TAIL_CHARS = 20_000


def as_json(build: BuildRecord) -> dict[str, Any]:
    data: dict[str, Any] = {"id": build.pk, "trigger": build.trigger}
    for name in ["requested_at", "events", "page_ids", "paths", "webhook_attempts"]:
        data[name] = getattr(build, name)
    for name in [*REPORTED_FIELDS, *FROM_REPORT]:
        data[name] = getattr(build, name)
    for name in ["requested_at", "started_at", "finished_at"]:
        data[name] = data[name].isoformat() if data[name] else None
    return data


def _authorised(request: HttpRequest) -> JsonResponse | None:
    token = settings.JAMTAIL_RUNNER_TOKEN
    if not token:
        return JsonResponse({"message": "JAMTAIL_RUNNER_TOKEN is not configured"}, status=403)
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        return JsonResponse({"message": "invalid or missing runner token"}, status=401)
    return None


def _update(build: BuildRecord, data: dict[str, Any]) -> list[str]:
    errors = []
    for name, value in data.items():
        kind = REPORTED_FIELDS.get(name)
        if kind is None:
            errors.append(f"unknown field {name!r}")
            continue
        if value is None:
            setattr(build, name, None if name not in ("log_tail", "error") else "")
            continue
        if kind == "report":
            try:
                build.apply_report(BuildReport.from_json(value))
            except ReportError as exc:
                errors.append(f"report: {exc}")
            continue
        try:
            if kind == "datetime":
                value = parse_datetime(value)
                if value is None:
                    raise ValueError("not an ISO 8601 time")
            else:
                value = kind(value)  # type: ignore[operator]
        except (TypeError, ValueError) as exc:
            errors.append(f"{name}: {exc}")
            continue
        if name == "status" and value not in dict(BuildRecord.STATUSES):
            errors.append(f"status must be one of {', '.join(dict(BuildRecord.STATUSES))}")
            continue
        if name == "log_tail":
            value = value[-LOG_TAIL_CHARS:]
        setattr(build, name, value)
    return errors


def _body(request: HttpRequest) -> dict[str, Any] | None:
    """The JSON object in the body; ``None`` when it is not one, too big or too deep."""
    try:
        data = loads(request.body, max_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440)
    except JSONLimitError:
        return None
    return data if isinstance(data, dict) else None


@csrf_exempt
def builds(request: HttpRequest) -> JsonResponse:
    if refused := _authorised(request):
        return refused
    if request.method != "POST":
        return JsonResponse({"message": "POST to create a build record"}, status=405)
    data = _body(request)
    if data is None:
        return JsonResponse({"message": "body must be a JSON object"}, status=400)
    build = BuildRecord(trigger=str(data.pop("trigger", "runner"))[:50])
    if errors := _update(build, data):
        return JsonResponse({"message": "; ".join(errors)}, status=400)
    build.save()
    return JsonResponse(as_json(build), status=201)


@csrf_exempt
def build_detail(request: HttpRequest, build_id: int) -> JsonResponse:
    if refused := _authorised(request):
        return refused
    build = BuildRecord.objects.filter(pk=build_id).first()
    if build is None:
        return JsonResponse({"message": f"no build #{build_id}"}, status=404)
    if request.method == "GET":
        return JsonResponse(as_json(build))
    if request.method not in ("PATCH", "POST", "PUT"):
        return JsonResponse({"message": "GET, PATCH or POST"}, status=405)
    data = _body(request)
    if data is None:
        return JsonResponse({"message": "body must be a JSON object"}, status=400)
    was = build.status
    if errors := _update(build, data):
        return JsonResponse({"message": "; ".join(errors)}, status=400)
    build.save()
    if build.status != was and build.status in (BuildRecord.SUCCEEDED, BuildRecord.FAILED):
        transaction.on_commit(dispatch_after_build)  # changes that waited for this build
    return JsonResponse(as_json(build))
