"""The builder's exceptions.

    JamtailError                 any error the CLI reports in one line (exit 1)
    ├── ConfigError              a missing or invalid setting
    ├── CMSError                 the CMS API failed
    │   └── CMSUnavailableError  the CMS could not be reached at all (exit 75)
    ├── ContentError             the CMS returned data the build cannot use (names the page)
    ├── TemplateRenderError      a template failed (names the template and the page)
    ├── OutputError              two outputs claim one path, or a path escapes the site
    ├── BrokenLinksError         a deploy would add broken internal links (names each)
    └── BuiltNotDeployedError    ``jamtail build --deploy``: built, but the deploy failed (exit 3)

Anything else is a bug and is shown with its traceback. Each class carries the
exit status of the command it ends (``exit_code``); the statuses are below.
"""

from __future__ import annotations

from typing import Any

EXIT_OK = 0
#: Any :class:`JamtailError` but the one below.
EXIT_ERROR = 1
#: argparse's status for a bad command line.
EXIT_USAGE = 2
#: ``jamtail build --deploy``: the build succeeded and is in the output directory,
#: the deploy failed (so a runner can say "built; the deploy failed").
EXIT_DEPLOY_FAILED = 3
#: The CMS could not be reached: a passing condition (sysexits' EX_TEMPFAIL), so the
#: build service retries it with backoff, where another error (content, a template,
#: a setting) would fail the same way again and is not retried.
EXIT_UNAVAILABLE = 75
#: The exit statuses worth a retry: the same build may pass later.
RETRYABLE_EXITS = frozenset({EXIT_DEPLOY_FAILED, EXIT_UNAVAILABLE})


class JamtailError(Exception):
    """Base class: a build error with a message meant for the person running it."""

    exit_code: int = EXIT_ERROR


class ConfigError(JamtailError):
    """A setting is missing or invalid."""


class CMSError(JamtailError):
    """The CMS API answered with an error or something that is not JSON.

    For an error answer, ``status`` is its HTTP status and ``data`` its JSON
    body (``None`` when it had none), so a caller can act on the CMS's error code.
    """

    def __init__(self, message: str, status: int | None = None, data: Any = None):
        super().__init__(message)
        self.status = status
        self.data = data


class CMSUnavailableError(CMSError):
    """The CMS API could not be reached (connection refused, DNS, timeout) or kept
    answering 5xx (a locked database, a restart): exit 75, worth retrying."""

    exit_code = EXIT_UNAVAILABLE


class ContentError(JamtailError):
    """Content from the CMS cannot be built; the message names the page at fault."""


class TemplateRenderError(JamtailError):
    """A template failed to render; the message names the template and the page."""


class OutputError(JamtailError):
    """An output path is invalid or claimed twice."""


class BrokenLinksError(JamtailError):
    """A deploy was refused: the build has broken internal links the live site has not.

    ``links``: ``(source page URL, link target)`` for each new broken link.
    """

    def __init__(self, message: str, links: list[tuple[str, str]]):
        super().__init__(message)
        self.links = links


class BuiltNotDeployedError(JamtailError):
    """The build succeeded but the deploy after it failed (the message says why)."""

    exit_code = EXIT_DEPLOY_FAILED
