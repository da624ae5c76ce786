"""Deploy backends: ``jamtail deploy --target NAME``.

The registry below is the list of targets; each maps to one module and one
class implementing :class:`~jamtail.deploy.base.DeployBackend` (see its
docstring for the contract). Modules are imported on use, so ``boto3`` is
only loaded by the S3 target.
"""

from __future__ import annotations

import importlib

from ..exceptions import ConfigError
from .base import DeployBackend, DeployError, DeployPlan, DeployResult
from .files import SiteFiles

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


def get_backend(target: str) -> DeployBackend:
    """The backend for ``target``, configured from the environment."""
    return backend_class(target).from_environ()
