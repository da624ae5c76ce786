"""The sites a build service builds: one by default, several from a TOML file.

``JAMTAIL_SITES_FILE`` (or ``--sites``) names a file like::

    [sites.blog]
    api = "http://127.0.0.1:8000/api/v2/"    # the CMS API: built from, reported to
    cache_dir = "/var/cache/jamtail/blog"     # the site's content cache (JAMTAIL_CACHE_DIR)
    deploy_target = "local"                   # jamtail build --deploy TARGET
    deploy = true                             # false: build only
    build_args = ["--site", "sites/blog"]     # more arguments for jamtail build
    command = []                              # instead of `python -m jamtail.cli build`
    [sites.blog.env]                          # more environment for its builds
    JAMTAIL_DEPLOY_DIR = "/srv/blog"

Without it there is one site, ``default``, made from the command line and the
environment exactly as ``jamtail runner`` always built. A hook names its
site by a ``"site"`` key in its body or by its URL (``POST /sites/blog/``).

The receiver stores each site's definition in the broker with every hook
(:meth:`Site.to_dict`), so a worker needs only the broker URL (and, on
another machine, where to keep the sites' caches: ``--cache-root``).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from jamtail.exceptions import ConfigError

DEFAULT_SITE = "default"
SITE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")


@dataclass
class Site:
    """One site's build settings (see the module docstring for each key)."""

    name: str = DEFAULT_SITE
    api: str = ""
    cache_dir: str = ""
    deploy: bool = True
    deploy_target: str = "local"
    build_args: list[str] = field(default_factory=list)
    command: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Site:
        """A site from its dict form; :class:`ConfigError` naming an unknown or wrong key."""
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"site {data.get('name')!r}: unknown setting(s) {unknown}")
        site = cls(**data)
        if not SITE_NAME.fullmatch(site.name):
            raise ConfigError(f"site name {site.name!r}: letters, digits, '.', '_', '-' only")
        lists = (site.build_args, site.command)
        if not all(isinstance(x, list) and all(isinstance(a, str) for a in x) for x in lists):
            raise ConfigError(f"site {site.name!r}: build_args and command are lists of strings")
        if not isinstance(site.env, dict):
            raise ConfigError(f"site {site.name!r}: env is a table of strings")
        site.env = {str(k): str(v) for k, v in site.env.items()}
        return site


def load_sites(path: Path) -> dict[str, Site]:
    """The sites of a TOML file (module docstring); :class:`ConfigError` when it is unusable."""
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"JAMTAIL_SITES_FILE {path}: {exc}") from exc
    tables = data.get("sites")
    if not isinstance(tables, dict) or not tables:
        raise ConfigError(f"JAMTAIL_SITES_FILE {path}: no [sites.NAME] table")
    sites = {}
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise ConfigError(f"JAMTAIL_SITES_FILE {path}: sites.{name} is not a table")
        sites[name] = Site.from_dict({**table, "name": name})
    return sites
