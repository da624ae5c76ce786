"""Deploy backends: ``jamtail deploy --target NAME``.

The registry below is the list of targets; each maps to one module and one
class implementing :class:`~jamtail.deploy.base.DeployBackend` (see its
docstring for the contract). Modules are imported on use, so ``boto3`` is
only loaded by the S3 target.
"""

from __future__ import annotations

import importlib

from jamtail.deploy.base import DeployBackend, DeployError, DeployPlan, DeployResult
from jamtail.deploy.files import SiteFiles
from jamtail.exceptions import ConfigError
from jamtail.settings import Settings

__all__ = [
    "TARGETS",
    "DeployBackend",
    "DeployError",
    "DeployPlan",
    "DeployResult",
    "SiteFiles",
    "get_backend",
]

#: target name -> "module:Class"
TARGETS = {
    "local": "jamtail.deploy.local:LocalBackend",
    "netlify": "jamtail.deploy.netlify:NetlifyBackend",
    "s3": "jamtail.deploy.s3:S3Backend",
}


def backend_class(target: str) -> type[DeployBackend]:
    """The class registered for ``target``; :class:`ConfigError` for an unknown name."""
    try:
        module, cls = TARGETS[target].split(":")
    except KeyError:
        raise ConfigError(
            f"unknown deploy target {target!r}: choose one of {', '.join(TARGETS)}"
        ) from None
    backend: type[DeployBackend] = getattr(importlib.import_module(module), cls)
    return backend


def get_backend(target: str, settings: Settings) -> DeployBackend:
    """The backend for ``target``, configured by ``settings`` (:class:`ConfigError` when
    ``target`` is unknown or a setting it needs is missing)."""
    return backend_class(target).from_settings(settings)
