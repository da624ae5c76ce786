"""The deploy backend contract: one class per target, like Wagtail's frontend-cache backends.

A backend is constructed from a ``params`` dict (strings, as its
``from_settings()`` takes them from the :class:`~jamtail.settings.Settings`);
a missing required setting raises :class:`~jamtail.exceptions.ConfigError`
naming the environment variable.

    backend = get_backend("s3", settings)    # registry in jamtail/deploy/__init__.py
    plan = backend.plan(site)                # reads only: what would change
    result = backend.deploy(site, plan)      # applies the plan, returns counts
    release = backend.rollback(to=None)      # previous deploy live again (if supported)
    backend.live_broken_links()              # what the live site's build recorded, if known

- ``site`` is a :class:`~jamtail.deploy.files.SiteFiles` (the built directory,
  with per-file digests computed lazily).
- :meth:`DeployBackend.plan` never changes anything: ``jamtail deploy
  --dry-run`` prints it and stops.
- :meth:`DeployBackend.deploy` is atomic where the target allows it (local
  symlink swap, Netlify deploys) and otherwise orders its work so readers never
  see a page before its assets (S3: assets, then HTML, then deletions).
- Failures the user can act on raise :class:`DeployError` (one line, exit 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from jamtail.deploy.files import SiteFiles
from jamtail.exceptions import ConfigError, JamtailError
from jamtail.settings import Settings


class DeployError(JamtailError):
    """A deploy failed (target refused, retries exhausted, safety cap hit)."""


@dataclass
class DeployPlan:
    """What a deploy will do. Paths are site paths without a leading slash."""

    target: str
    uploads: list[str] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    invalidations: list[str] = field(default_factory=list)
    upload_bytes: int = 0
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The plan as printable lines (``upload``/``delete``/``invalidate`` PATH)."""
        return [
            *(f"  note: {n}" for n in self.notes),
            *(f"  upload /{p}" for p in self.uploads),
            *(f"  delete /{p}" for p in self.deletes),
            *(f"  invalidate {p}" for p in self.invalidations),
        ]

    def summary(self) -> str:
        return (
            f"Dry run ({self.target}): would upload {len(self.uploads)} files "
            f"({self.upload_bytes / 1e6:.2f} MB), delete {len(self.deletes)}, "
            f"invalidate {len(self.invalidations)} paths; nothing was changed"
        )


@dataclass
class DeployResult:
    """What a deploy did: counts, bytes uploaded, wall seconds and the deployed URL."""

    target: str
    uploaded: int
    bytes: int
    deleted: int
    invalidated: int
    seconds: float
    url: str
    release: str = ""

    def summary(self) -> str:
        return (
            f"Deployed to {self.target}: {self.uploaded} files uploaded "
            f"({self.bytes / 1e6:.2f} MB), {self.deleted} deleted, "
            f"{self.invalidated} paths invalidated in {self.seconds:.2f} s: {self.url}"
        )


class DeployBackend:
    """Base class; subclasses set :attr:`name` and implement :meth:`plan` and :meth:`deploy`."""

    name: ClassVar[str] = ""

    def __init__(self, params: Mapping[str, str | None]):
        self.params = dict(params)

    @classmethod
    def from_settings(cls, settings: Settings) -> DeployBackend:
        """The backend configured by ``settings`` (its section of them)."""
        raise NotImplementedError

    def require(self, key: str, env: str) -> str:
        """``params[key]``, or :class:`ConfigError` naming the variable ``env`` to set."""
        value = self.params.get(key)
        if not value:
            raise ConfigError(f"deploy target {self.name!r} needs {env} to be set")
        return value

    def number(self, key: str, default: float, kind: type[int] | type[float] = int, env: str = ""):
        """``params[key]`` as ``kind`` (``default`` when unset).

        Raises :class:`ConfigError` naming the environment variable ``env`` (or
        the setting ``key`` when no variable sets it) and the bad value.
        """
        raw = self.params.get(key)
        if raw is None or raw == "":
            return kind(default)
        try:
            return kind(raw)
        except (TypeError, ValueError):
            what = "a whole number" if kind is int else "a number"
            name = env or f"the {key} setting"
            raise ConfigError(
                f"deploy target {self.name!r}: {name} must be {what}, not {raw!r}"
            ) from None

    def plan(self, site: SiteFiles, force_delete: bool = False) -> DeployPlan:
        raise NotImplementedError

    def deploy(self, site: SiteFiles, plan: DeployPlan) -> DeployResult:
        raise NotImplementedError

    def live_broken_links(self) -> list[tuple[str, str]] | None:
        """The live site's broken internal links as its build recorded them; ``None`` when
        nothing is live or the target cannot tell (see :mod:`jamtail.links.gate`)."""
        return None

    def rollback(self, to: str | None = None) -> str:
        """Make deploy ``to`` (default: the one before the live one) live; return its id."""
        raise DeployError(f"the {self.name} target cannot roll back: deploy an earlier build")
