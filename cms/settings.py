"""Settings for the Jamtail CMS, read from environment variables (12-factor).

Variables (all optional in development):

- ``DJANGO_DEBUG``: ``1``/``true`` for development mode. Default: on, unless
  ``JAMTAIL_ENV=production``.
- ``SECRET_KEY``: required in production; the development default is refused there.
- ``DATABASE_URL``: any URL dj-database-url understands. Default: SQLite at
  ``$JAMTAIL_DATA_DIR/db.sqlite3``.
- ``ALLOWED_HOSTS``: comma-separated host names. Default: localhost names in
  development, nothing in production.
- ``JAMTAIL_DATA_DIR``: where the default SQLite database and media live.
  Default: the project root.
- ``MEDIA_ROOT`` / ``MEDIA_URL``: uploaded images and documents.
- ``JAMTAIL_MEDIA_S3_BUCKET`` (or ``AWS_STORAGE_BUCKET_NAME``): store them on S3
  instead (django-storages); see ``s3_media()``.
- ``WAGTAILADMIN_BASE_URL``: the admin's public URL (used in emails and links).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("JAMTAIL_DATA_DIR", BASE_DIR))


def env_flag(name: str, default: bool) -> bool:
    """Read a boolean environment variable (``1``, ``true``, ``yes``, ``on``)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated environment variable as a list of non-empty items."""
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


PRODUCTION = os.environ.get("JAMTAIL_ENV", "development") == "production"
DEBUG = env_flag("DJANGO_DEBUG", not PRODUCTION)

INSECURE_SECRET_KEY = "django-insecure-jamtail-development-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", INSECURE_SECRET_KEY)
if not DEBUG and (SECRET_KEY == INSECURE_SECRET_KEY or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 32 characters when "
        "DEBUG is off (JAMTAIL_ENV=production); generate one with "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
    )

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "cms.content",
    "cms.publishing",
    "cms.comments",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "cms.sync",  # after redirects: its move handlers see the redirects Wagtail creates
    "wagtail.contrib.settings",
    "wagtail.contrib.typed_table_block",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "django.contrib.humanize",  # the Builds screen's "3 minutes ago"
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail.api.v2",
    "wagtail_headless_preview",
    "wagtail",
    "modelcluster",
    "taggit",
    "rest_framework",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "cms.urls"
WSGI_APPLICATION = "cms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "cms" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the builder read over HTTP while an import or an editor writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            # Seconds a writer waits for another's write lock before "database is
            # locked": long enough for an import's batch, short of gunicorn's timeout.
            "timeout": float(os.environ.get("JAMTAIL_SQLITE_TIMEOUT", "60")),
            # The task worker writes too: a transaction that reads then writes must
            # take the write lock up front, or SQLite fails it with "database is locked".
            "transaction_mode": "IMMEDIATE",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static-collected"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = os.environ.get("MEDIA_URL", "/media/")


def s3_media(env: Mapping[str, str]) -> tuple[dict, str] | None:
    """``(STORAGES["default"], MEDIA_URL)`` for media on S3, or ``None`` when no bucket is set.

    Objects are public and their URLs stable (no query-string signatures), so
    the builder can download them and the site never points at signed URLs.
    """
    bucket = env.get("JAMTAIL_MEDIA_S3_BUCKET") or env.get("AWS_STORAGE_BUCKET_NAME")
    if not bucket:
        return None
    endpoint = env.get("JAMTAIL_MEDIA_S3_ENDPOINT_URL") or env.get("AWS_ENDPOINT_URL_S3")
    region = env.get("AWS_S3_REGION_NAME") or "us-east-1"
    domain = env.get("AWS_S3_CUSTOM_DOMAIN")
    options = {
        "bucket_name": bucket,
        "region_name": region,
        "endpoint_url": endpoint or None,
        "custom_domain": domain or None,
        "querystring_auth": False,
        "file_overwrite": False,
        "default_acl": None,
    }
    if domain:
        media_url = f"https://{domain}/"
    elif endpoint:
        media_url = f"{endpoint.rstrip('/')}/{bucket}/"
    else:
        media_url = f"https://{bucket}.s3.{region}.amazonaws.com/"
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}, media_url


_S3_MEDIA = s3_media(os.environ)
if _S3_MEDIA:
    STORAGES = {
        "default": _S3_MEDIA[0],
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    MEDIA_URL = _S3_MEDIA[1]

# Wagtail
WAGTAIL_SITE_NAME = os.environ.get("WAGTAIL_SITE_NAME", "Jamtail")
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILIMAGES_EXTENSIONS = ["avif", "gif", "jpg", "jpeg", "png", "webp", "svg"]
WAGTAILDOCS_SERVE_METHOD = "direct"
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "key", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]
WAGTAILEMBEDS_RESPONSIVE_HTML = True

# The builder reads every page type in a few bulk requests (see jamtail/content/client.py),
# so a listing may return many pages at once.
WAGTAILAPI_LIMIT_MAX = int(os.environ.get("WAGTAILAPI_LIMIT_MAX", "500"))
# Rich text in the API is display HTML: internal links resolved to public URLs.
WAGTAILAPI_RICH_TEXT_FORMAT = "html"
WAGTAILAPI_BASE_URL = os.environ.get("WAGTAILAPI_BASE_URL", WAGTAILADMIN_BASE_URL)

# Draft preview (docs/preview.md): Preview redirects the editor to the front end's
# /preview/ (the dev server locally, the preview function in production), per site
# host when JAMTAIL_PREVIEW_SITE_URLS names one ("host=url,host=url").
WAGTAIL_HEADLESS_PREVIEW = {
    "CLIENT_URLS": {
        "default": os.environ.get("JAMTAIL_PREVIEW_URL", "http://127.0.0.1:8080/preview/"),
        **dict(item.split("=", 1) for item in env_list("JAMTAIL_PREVIEW_SITE_URLS", [])),
    },
    "REDIRECT_ON_PREVIEW": True,
    "ENFORCE_TRAILING_SLASH": True,
}
# Seconds a preview token is valid; the preview endpoint refuses older ones.
JAMTAIL_PREVIEW_MAX_AGE = int(os.environ.get("JAMTAIL_PREVIEW_MAX_AGE", "3600"))
# Key that signs shareable preview links (cms/content/preview_links.py); default SECRET_KEY.
# Changing it invalidates every link already shared.
JAMTAIL_PREVIEW_LINK_SECRET = os.environ.get("JAMTAIL_PREVIEW_LINK_SECRET", "")

# Wagtail looks renditions up in the "renditions" cache before the database,
# which saves a query per image when the API serialises image blocks.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "renditions": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "renditions",
        "TIMEOUT": 3600,
        "OPTIONS": {"MAX_ENTRIES": 20000},
    },
}

# Background work (build hooks, Wagtail's search and reference index updates) runs
# in `manage.py db_worker` with the database backend; "immediate" runs it inline
# (the unit tests use it; see docs/publishing.md).
TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
_tasks_backend = os.environ.get("JAMTAIL_TASKS_BACKEND", "database")
if _tasks_backend not in TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"JAMTAIL_TASKS_BACKEND must be one of {', '.join(TASK_BACKENDS)}, not {_tasks_backend!r}"
    )
TASKS = {"default": {"BACKEND": TASK_BACKENDS[_tasks_backend]}}

# Publishing: build hooks, their signing secret and retries, the debounce, the runner token.
JAMTAIL_BUILD_HOOKS = env_list("JAMTAIL_BUILD_HOOKS", [])
JAMTAIL_WEBHOOK_SECRET = os.environ.get("JAMTAIL_WEBHOOK_SECRET", "")
JAMTAIL_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("JAMTAIL_WEBHOOK_MAX_ATTEMPTS", "5"))
JAMTAIL_WEBHOOK_TIMEOUT = float(os.environ.get("JAMTAIL_WEBHOOK_TIMEOUT", "10"))
JAMTAIL_WEBHOOK_BACKOFF = float(os.environ.get("JAMTAIL_WEBHOOK_BACKOFF", "1"))
JAMTAIL_BUILD_QUIET_SECONDS = float(os.environ.get("JAMTAIL_BUILD_QUIET_SECONDS", "2"))
JAMTAIL_BUILD_MAX_WAIT_SECONDS = float(os.environ.get("JAMTAIL_BUILD_MAX_WAIT_SECONDS", "30"))
JAMTAIL_RUNNER_TOKEN = os.environ.get("JAMTAIL_RUNNER_TOKEN", "")
# Pipeline health (docs/publishing.md#health): a build service that is down is retried
# for as long as it takes, pauses capped at JAMTAIL_WEBHOOK_BACKOFF_MAX seconds; the
# worker's heartbeat, the scheduled-publishing check, and when editors are warned.
JAMTAIL_WEBHOOK_BACKOFF_MAX = float(os.environ.get("JAMTAIL_WEBHOOK_BACKOFF_MAX", "300"))
JAMTAIL_DB_LOCK_RETRY_SECONDS = float(os.environ.get("JAMTAIL_DB_LOCK_RETRY_SECONDS", "900"))
JAMTAIL_WORKER_HEARTBEAT_SECONDS = float(os.environ.get("JAMTAIL_WORKER_HEARTBEAT_SECONDS", "5"))
JAMTAIL_WORKER_STALE_SECONDS = float(os.environ.get("JAMTAIL_WORKER_STALE_SECONDS", "30"))
JAMTAIL_WORKER_RESTART_DELAY = float(os.environ.get("JAMTAIL_WORKER_RESTART_DELAY", "2"))
JAMTAIL_SCHEDULE_CHECK_SECONDS = float(os.environ.get("JAMTAIL_SCHEDULE_CHECK_SECONDS", "15"))
JAMTAIL_BUILD_WAIT_LIMIT_SECONDS = float(os.environ.get("JAMTAIL_BUILD_WAIT_LIMIT_SECONDS", "300"))
JAMTAIL_PIPELINE_NOTIFY = env_list("JAMTAIL_PIPELINE_NOTIFY", [])

# Comments (docs/comments.md): the comments function's service token, the key of the
# client-address hash, the per-client rate limit, and who is emailed about new comments.
JAMTAIL_COMMENTS_TOKEN = os.environ.get("JAMTAIL_COMMENTS_TOKEN", "")
JAMTAIL_COMMENTS_HASH_SALT = os.environ.get("JAMTAIL_COMMENTS_HASH_SALT", "")
JAMTAIL_COMMENTS_RATE_LIMIT = int(os.environ.get("JAMTAIL_COMMENTS_RATE_LIMIT", "5"))
JAMTAIL_COMMENTS_RATE_WINDOW = int(os.environ.get("JAMTAIL_COMMENTS_RATE_WINDOW", "600"))
JAMTAIL_COMMENTS_NOTIFY = env_list("JAMTAIL_COMMENTS_NOTIFY", [])
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "jamtail@localhost")

# Content sync (docs/sync.md): how long a sync cursor stays valid, in seconds; the
# change log keeps entries at least that long. Items per sync page.
JAMTAIL_SYNC_CURSOR_MAX_AGE = int(os.environ.get("JAMTAIL_SYNC_CURSOR_MAX_AGE", str(30 * 86400)))
JAMTAIL_SYNC_PAGE_SIZE = int(os.environ.get("JAMTAIL_SYNC_PAGE_SIZE", "500"))

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON with a size and depth limit (cms/parsers.py): 413 or 400, never a 500.
    "DEFAULT_PARSER_CLASSES": [
        "cms.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}

if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
    # HTTPS only (`manage.py check --deploy` is clean: W004, W005, W008, W021).
    SECURE_SSL_REDIRECT = env_flag("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 86400)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_flag("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_flag("SECURE_HSTS_PRELOAD", True)
    # Behind a proxy that terminates TLS: trust its X-Forwarded-Proto (and only then).
    if env_flag("JAMTAIL_BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
