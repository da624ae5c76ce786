"""``BuildReport``: what one build (and its deploy) did, as typed data with a JSON form.

This is the one contract between the parts that build, run and show builds:

    jamtail.build.pipeline.build()  ->  BuildResult.report()  ->  BuildReport
    jamtail build --report FILE / --json             ->  the JSON below
    jamtail runner                                   ->  reads FILE, PATCHes ``{"report": ...}``
    the CMS (cms/publishing/api.py)                  ->  validates it, fills the build record
    the Builds screen                                ->  shows the record

No part reads another's printed lines: ``BuildResult.summary()`` is for people.

The JSON form (``BuildReport.to_json()``), version 1::

    {"version": 1, "status": "succeeded" | "failed",
     "kind": "full" | "incremental" | "patch", "reason": "why this kind",
     "pages": 812, "pages_rebuilt": 3,
     "outputs_written": 5, "outputs_kept": 809, "outputs_deleted": 0,
     "files": 1190, "bytes": 23400000, "media_downloaded": 0,
     "seconds": 5.21, "durations": {"sync": 0.12, "render": 3.9, ...},
     "deploy": null | {"target": "netlify", "url": "https://...", "files_uploaded": 4,
                       "bytes_uploaded": 81234, "files_deleted": 0, "paths_invalidated": 0,
                       "seconds": 1.2, "release": "", "error": ""},
     "errors": ["..."], "warnings": ["..."],
     "broken_links": null | [{"source": "/a/", "target": "/missing/"}, ...],
     "new_broken_links": null | [...]}

``broken_links`` lists every broken internal link of the built site (null when
links were not checked); ``new_broken_links`` those the live site did not have,
which a deploy refuses (docs/building.md#links).

Counts are of site files; ``pages`` and ``pages_rebuilt`` count HTML page
outputs; bytes are bytes; durations and ``seconds`` are wall-clock seconds.
A reader refuses a report of another ``version`` (:class:`ReportError`): the
version changes whenever a field changes meaning or goes away; a new optional
field keeps it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from jamtail.exceptions import JamtailError

REPORT_VERSION = 1
SUCCEEDED, FAILED = "succeeded", "failed"
FULL, INCREMENTAL, PATCH = "full", "incremental", "patch"
KINDS = (FULL, INCREMENTAL, PATCH)


class ReportError(JamtailError):
    """A build report is not JSON, is of another version, or has a field of the wrong type."""


@dataclass
class DeployReport:
    """What the deploy after a build did (``error`` set when it failed)."""

    target: str
    url: str = ""
    files_uploaded: int = 0
    bytes_uploaded: int = 0
    files_deleted: int = 0
    paths_invalidated: int = 0
    seconds: float = 0.0
    release: str = ""
    error: str = ""


@dataclass
class BuildReport:
    """One build's outcome (see the module docstring for each field's unit)."""

    status: str = SUCCEEDED
    kind: str = INCREMENTAL
    reason: str = ""
    pages: int = 0
    pages_rebuilt: int = 0
    outputs_written: int = 0
    outputs_kept: int = 0
    outputs_deleted: int = 0
    files: int = 0
    bytes: int = 0
    media_downloaded: int = 0
    seconds: float = 0.0
    durations: dict[str, float] = field(default_factory=dict)
    deploy: DeployReport | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    broken_links: list[dict[str, str]] | None = None
    new_broken_links: list[dict[str, str]] | None = None
    version: int = REPORT_VERSION

    @property
    def files_uploaded(self) -> int | None:
        """Files the deploy uploaded; ``None`` when the build was not deployed."""
        return self.deploy.files_uploaded if self.deploy else None

    @property
    def deploy_url(self) -> str:
        return self.deploy.url if self.deploy else ""

    def fail(self, message: str) -> None:
        """Mark the report failed with ``message`` as its (last) error."""
        self.status = FAILED
        self.errors.append(message)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready plain data (the module docstring's shape).

        Lists are copied one level deep, not through ``dataclasses.asdict``: a
        report of a large site holds thousands of broken links, and a deep copy
        of them took 50 ms of a 0.5 s publish.
        """
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        for name, value in data.items():
            if isinstance(value, list | dict):
                data[name] = value.copy()
        data["deploy"] = None if self.deploy is None else asdict(self.deploy)
        return data

    def dumps(self) -> str:
        """The JSON text, one line (without ``indent`` the encoder runs in C)."""
        return json.dumps(self.to_json(), sort_keys=True)

    def write(self, path: Path) -> None:
        """Write the JSON to ``path`` (replaced atomically, so a reader never sees half)."""
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(self.dumps() + "\n", encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def from_json(cls, data: Any) -> BuildReport:
        """A report from its JSON form; :class:`ReportError` names what is wrong.

        Unknown keys are ignored (a newer builder may add optional fields).
        """
        if not isinstance(data, dict):
            raise ReportError("a build report must be a JSON object")
        version = data.get("version")
        if version != REPORT_VERSION:
            raise ReportError(
                f"build report version {version!r} is not supported (this reads {REPORT_VERSION})"
            )
        values = _fields(cls, data, skip=frozenset({"deploy"}))
        deploy = data.get("deploy")
        if deploy is not None:
            if not isinstance(deploy, dict):
                raise ReportError("deploy: must be an object or null")
            values["deploy"] = DeployReport(**_fields(DeployReport, deploy, prefix="deploy."))
        report = cls(**values)
        if report.status not in (SUCCEEDED, FAILED):
            raise ReportError(f"status: must be {SUCCEEDED!r} or {FAILED!r}")
        if report.kind not in KINDS:
            raise ReportError(f"kind: must be one of {', '.join(KINDS)}")
        for name in ("broken_links", "new_broken_links"):
            for link in getattr(report, name) or []:
                if not isinstance(link, dict) or not {"source", "target"} <= link.keys():
                    raise ReportError(f"{name}: each must be {{source, target}}")
        return report

    @classmethod
    def loads(cls, text: str) -> BuildReport:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ReportError(f"a build report must be JSON: {exc}") from None
        return cls.from_json(data)

    @classmethod
    def read(cls, path: Path) -> BuildReport:
        """The report in ``path``; :class:`ReportError` when it is missing or invalid."""
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ReportError(f"cannot read the build report {path}: {exc}") from None
        return cls.loads(text)


# What each annotation accepts in JSON (bool is an int in Python: refused for counts).
_CHECKS: dict[str, Any] = {
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "str": lambda v: isinstance(v, str),
    "dict[str, float]": lambda v: (
        isinstance(v, dict)
        and all(isinstance(s, str) and _CHECKS["float"](t) for s, t in v.items())
    ),
    "list[str]": lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v),
    "list[dict[str, str]] | None": lambda v: v is None or isinstance(v, list),
}


def _fields(
    cls: type, data: dict[str, Any], skip: frozenset[str] = frozenset(), prefix: str = ""
) -> dict[str, Any]:
    """The known fields of ``cls`` present in ``data``, each checked against its type."""
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.name in skip or f.name not in data:
            continue
        value = data[f.name]
        check = _CHECKS.get(str(f.type))
        if check is not None and not check(value):
            raise ReportError(f"{prefix}{f.name}: expected {f.type}, got {value!r:.80}")
        values[f.name] = float(value) if f.type == "float" else value
    if "target" in {f.name for f in fields(cls)} and "target" not in values:
        raise ReportError(f"{prefix}target: missing")
    return values
