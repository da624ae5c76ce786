"""The builder's, the deploy targets' and the functions' settings: one typed, frozen object.

Every environment variable Jamtail's Python reads outside the CMS (which has
Django's settings, ``cms/settings.py``) is a field here, with its type,
default and meaning (``docs/configuration.md`` lists them all;
``tests/test_docs.py`` checks it). The environment is read once, at an entry
point (the ``jamtail`` command, a function handler), and the object passed
down; nothing else reads ``os.environ``::

    settings = Settings.from_environ()          # or Settings.from_environ(a_dict)
    settings.api_url, settings.deploy.keep, settings.s3.bucket, settings.functions.timeout

``Settings()`` is every default, read from nothing. An unset or empty variable
means its default. A bad value raises :class:`~jamtail.exceptions.ConfigError`
naming the variable and the value (a bad whole number, number, boolean, URL or
choice), before any work starts. Secrets are never put in an error message.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jamtail.exceptions import ConfigError

DEFAULT_API_URL = "http://127.0.0.1:8000/api/v2/"
NETLIFY_API_URL = "https://api.netlify.com/api/v1/"
FRONTENDS = ("jinja", "next")

Parser = Callable[[str, str], Any]
"""``parse(variable, raw)``: the typed value, or :class:`ConfigError` naming ``variable``."""


def text(name: str, raw: str) -> str:
    """The value as given (a token, a path, an id)."""
    return raw


def path(name: str, raw: str) -> Path:
    """A filesystem path (not checked for existence: the stage that uses it says)."""
    return Path(raw)


def integer(minimum: int | None = None) -> Parser:
    """A whole number, at least ``minimum`` when given."""

    def parse(name: str, raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
        if minimum is not None and value < minimum:
            raise ConfigError(f"{name} must be at least {minimum}, not {value}")
        return value

    return parse


def number(minimum: float | None = None, maximum: float | None = None) -> Parser:
    """A number (``2``, ``0.5``), within ``[minimum, maximum]`` when given."""

    def parse(name: str, raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ConfigError(f"{name} must be a number, not {raw!r}") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ConfigError(f"{name} must be a finite number, not {raw!r}")
        if minimum is not None and value < minimum:
            raise ConfigError(f"{name} must be at least {minimum:g}, not {value:g}")
        if maximum is not None and value > maximum:
            raise ConfigError(f"{name} must be at most {maximum:g}, not {value:g}")
        return value

    return parse


TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


def boolean(name: str, raw: str) -> bool:
    """``1``/``true``/``yes``/``on`` or ``0``/``false``/``no``/``off``, in any case."""
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ConfigError(f"{name} must be one of {', '.join(TRUE + FALSE)}, not {raw!r}")


def url(name: str, raw: str) -> str:
    """An absolute ``http``/``https`` URL with a host."""
    value = raw.strip()
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- raises ValueError for a port out of range or not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name} must be an http:// or https:// URL with a host, not {raw!r}")
    return value


def choice(options: tuple[str, ...]) -> Parser:
    """One of ``options`` (matched in any case)."""

    def parse(name: str, raw: str) -> str:
        value = raw.strip().lower()
        if value not in options:
            raise ConfigError(f"{name}={raw!r}: choose one of {', '.join(options)}")
        return value

    return parse


def setting(env: str | tuple[str, ...], default: Any, doc: str, parse: Parser = text) -> Any:
    """A field read from ``env`` (the first set of several names wins), parsed by ``parse``."""
    names = (env,) if isinstance(env, str) else env
    return field(default=default, metadata={"env": names, "doc": doc, "parse": parse})


def section(cls: type) -> Any:
    """A field holding another settings class (a section such as ``deploy``)."""
    return field(default_factory=cls, metadata={"section": cls})


@dataclass(frozen=True)
class DeploySettings:
    """``jamtail deploy``, ``jamtail rollback`` and ``jamtail build --deploy``; the local target."""

    target: str = setting(
        "JAMTAIL_DEPLOY_TARGET",
        "local",
        "the deploy target (checked against jamtail.deploy.TARGETS when used)",
    )
    dir: Path = setting(
        "JAMTAIL_DEPLOY_DIR", Path("deploy"), "local target: releases/ and current", path
    )
    keep: int = setting("JAMTAIL_DEPLOY_KEEP", 5, "local target: releases kept", integer(1))
    allow_broken_links: bool = setting(
        "JAMTAIL_ALLOW_BROKEN_LINKS",
        False,
        "deploy even with new broken internal links (--allow-broken-links)",
        boolean,
    )


@dataclass(frozen=True)
class NetlifySettings:
    """The Netlify target (the token and site id are required when it is used)."""

    auth_token: str = setting("NETLIFY_AUTH_TOKEN", "", "a Netlify personal access token")
    site_id: str = setting("NETLIFY_SITE_ID", "", "the site's API id")
    api_url: str = setting("NETLIFY_API_URL", NETLIFY_API_URL, "the Netlify API root", url)


@dataclass(frozen=True)
class S3Settings:
    """The S3 + CloudFront target (the bucket is required when it is used)."""

    bucket: str = setting("JAMTAIL_S3_BUCKET", "", "the bucket the site is uploaded to")
    prefix: str = setting("JAMTAIL_S3_PREFIX", "", "a folder in the bucket")
    endpoint_url: str = setting(
        ("JAMTAIL_S3_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"), "", "an S3-compatible endpoint", url
    )
    region: str = setting(
        ("AWS_REGION", "AWS_DEFAULT_REGION"), "us-east-1", "the region of the bucket"
    )
    distribution_id: str = setting(
        "JAMTAIL_CLOUDFRONT_DISTRIBUTION_ID", "", "the CloudFront distribution to invalidate"
    )
    cloudfront_endpoint_url: str = setting(
        ("JAMTAIL_CLOUDFRONT_ENDPOINT_URL", "AWS_ENDPOINT_URL_CLOUDFRONT"),
        "",
        "a CloudFront-compatible endpoint",
        url,
    )
    public_url: str = setting(
        "JAMTAIL_S3_PUBLIC_URL", "", "the address readers use (the deploy's URL)", url
    )
    max_delete_percent: float = setting(
        "JAMTAIL_S3_MAX_DELETE_PERCENT",
        50.0,
        "a deploy deleting more than this share of the bucket needs --force-delete",
        number(0, 100),
    )


@dataclass(frozen=True)
class FunctionSettings:
    """The serverless functions (search, preview data, comments); also under ``jamtail serve``."""

    search_index: Path | None = setting(
        "JAMTAIL_SEARCH_INDEX", None, "the search index's index.json (default: the build's)", path
    )
    preview_timeout: float = setting(
        "JAMTAIL_PREVIEW_TIMEOUT", 10.0, "seconds /api/preview waits for the CMS", number(0)
    )
    comments_token: str = setting(
        "JAMTAIL_COMMENTS_TOKEN", "", "the service token the CMS expects for new comments"
    )
    comments_form_secret: str = setting(
        "JAMTAIL_COMMENTS_FORM_SECRET", "", "signs form tokens (default: from the token)"
    )
    comments_min_seconds: float = setting(
        "JAMTAIL_COMMENTS_MIN_SECONDS", 3.0, "a form token's minimum age", number(0)
    )
    comments_trusted_proxies: int = setting(
        "JAMTAIL_COMMENTS_TRUSTED_PROXIES", 0, "proxies in front of the function", integer(0)
    )
    comments_timeout: float = setting(
        "JAMTAIL_COMMENTS_TIMEOUT", 5.0, "seconds to wait for the CMS", number(0)
    )


@dataclass(frozen=True)
class RunnerSettings:
    """``jamtail runner``, the local build service."""

    webhook_secret: str = setting("JAMTAIL_WEBHOOK_SECRET", "", "the HMAC secret of build hooks")
    token: str = setting("JAMTAIL_RUNNER_TOKEN", "", "the bearer token for /api/v2/builds/")
    tolerance: int = setting(
        "JAMTAIL_WEBHOOK_TOLERANCE", 300, "the replay window, in seconds", integer(1)
    )
    max_body: int = setting(
        "JAMTAIL_RUNNER_MAX_BODY", 4 * 1024 * 1024, "the largest hook body, bytes", integer(1)
    )
    rate_limit: int = setting(
        "JAMTAIL_RUNNER_RATE_LIMIT", 60, "hook requests a minute from one address", integer(1)
    )
    state_dir: Path = setting(
        "JAMTAIL_RUNNER_STATE_DIR",
        Path(".jamtail-runner"),
        "the default broker, build logs and seen signatures",
        path,
    )
    queue_url: str = setting(
        "JAMTAIL_QUEUE_URL",
        "",
        "the build queue's broker: sqlite:///path/queue.db or redis://host:6379/0 "
        "(default: sqlite under the state dir)",
    )
    sites_file: Path | None = setting(
        "JAMTAIL_SITES_FILE", None, "a TOML file of the sites the service builds", path
    )
    worker_name: str = setting(
        "JAMTAIL_BUILD_WORKER_NAME", "", "a worker's name in build records (default HOST:PID)"
    )
    lease_seconds: float = setting(
        "JAMTAIL_QUEUE_LEASE_SECONDS",
        30.0,
        "a site's build lease, renewed while it builds",
        number(1),
    )
    sweep_seconds: float = setting(
        "JAMTAIL_QUEUE_SWEEP_SECONDS", 5.0, "how often workers look for stranded sites", number(0.1)
    )
    build_retries: int = setting(
        "JAMTAIL_BUILD_RETRIES",
        3,
        "retries of a build that failed for a passing reason",
        integer(0),
    )
    build_retry_delay: float = setting(
        "JAMTAIL_BUILD_RETRY_DELAY",
        10.0,
        "seconds before the first retry (doubled each time)",
        number(0),
    )
    build_fork: bool = setting(
        "JAMTAIL_BUILD_FORK",
        True,
        "fork builds from a fork server with the pipeline imported (0: a new Python each)",
        boolean,
    )


@dataclass(frozen=True)
class Settings:
    """Everything the builder, the deploy targets, the runner and the functions read.

    Top-level fields are shared (the builder, ``jamtail serve`` and the
    functions all read the CMS's address and the site folder); the sections
    belong to one part each. Build with :meth:`from_environ`.
    """

    api_url: str = setting("JAMTAIL_API_URL", DEFAULT_API_URL, "the CMS API root", url)
    site_dir: Path = setting(
        "JAMTAIL_SITE_DIR", Path("site"), "the folder with templates/ and static/", path
    )
    build_dir: Path = setting("JAMTAIL_BUILD_DIR", Path("build"), "where the site is built", path)
    cache_dir: Path = setting(
        "JAMTAIL_CACHE_DIR", Path(".jamtail-cache"), "caches kept between builds", path
    )
    functions_url: str = setting(
        "JAMTAIL_FUNCTIONS_URL", "", "the deployed functions' base URL (for _redirects)", url
    )
    frontend: str = setting(
        "JAMTAIL_FRONTEND", "jinja", "the front end that renders", choice(FRONTENDS)
    )
    next_dir: Path | None = setting(
        "JAMTAIL_NEXT_DIR", None, "the Next.js project (default: next/ beside jamtail/)", path
    )
    preview_frame_ancestors: str = setting(
        "JAMTAIL_PREVIEW_FRAME_ANCESTORS", "", "origins that may frame a preview"
    )
    deploy: DeploySettings = section(DeploySettings)
    netlify: NetlifySettings = section(NetlifySettings)
    s3: S3Settings = section(S3Settings)
    functions: FunctionSettings = section(FunctionSettings)
    runner: RunnerSettings = section(RunnerSettings)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """The settings ``environ`` (the process environment by default) gives.

        Raises :class:`ConfigError` naming the first variable with a bad value.
        """
        return _load(cls, environ)

    def fingerprint(self) -> list[tuple[str, str]]:
        """``(variable, value)`` of every ``JAMTAIL_*`` setting, for the build's dependency
        graph (an output may read any of them: a change means a full rebuild)."""
        return [
            (env[0], repr(value)) for env, value, _ in variables(self) if env[0][:8] == "JAMTAIL_"
        ]


def _load(cls: type, environ: Mapping[str, str]) -> Any:
    values: dict[str, Any] = {}
    for f in fields(cls):
        if "section" in f.metadata:
            values[f.name] = _load(f.metadata["section"], environ)
            continue
        for name in f.metadata["env"]:
            raw = environ.get(name, "")
            if raw.strip():
                values[f.name] = f.metadata["parse"](name, raw)
                break
    return cls(**values)


def variables(settings: Any = None) -> list[tuple[tuple[str, ...], Any, str]]:
    """``(variable names, value, doc)`` of every setting of ``settings`` (default: the
    defaults), sections included, in declaration order."""
    settings = Settings() if settings is None else settings
    found: list[tuple[tuple[str, ...], Any, str]] = []
    for f in fields(settings):
        value = getattr(settings, f.name)
        if "section" in f.metadata and is_dataclass(value):
            found.extend(variables(value))
        else:
            assert f.default is not MISSING
            found.append((f.metadata["env"], value, f.metadata["doc"]))
    return found
