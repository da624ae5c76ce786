"""Assets: copy ``site/static`` into the build with content-hashed file names.

``css/site.css`` becomes ``/static/css/site.3f2a9c1b.css``, so CDNs and
browsers may cache every asset forever (``Cache-Control: immutable``) and a
changed file always has a new URL. The stylesheet gets the Pygments token
styles appended (a light style, and a dark one under ``prefers-color-scheme``)
so highlighted code needs no extra request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from pygments.formatters import HtmlFormatter

from jamtail.exceptions import ConfigError

STATIC_PREFIX = "static"
STYLESHEET = "css/site.css"
# Every token colour of both styles has a contrast ratio of at least 4.5:1 on the style's
# background (WCAG 2.2 AA, 1.4.3; tests/test_assets.py checks): "friendly", the light style
# before, had 2.2:1 to 3.7:1 for constants, namespaces and comments.
LIGHT_STYLE = "xcode"
DARK_STYLE = "github-dark"


def code_styles() -> str:
    """CSS for Pygments tokens under ``.highlight``: light, and dark for dark schemes."""
    light = HtmlFormatter(style=LIGHT_STYLE).get_style_defs(".highlight")
    dark = HtmlFormatter(style=DARK_STYLE).get_style_defs(".highlight")
    return (
        f"\n/* Code: Pygments {LIGHT_STYLE} / {DARK_STYLE} */\n{light}\n"
        f"@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n"
    )


def fingerprinted(path: str, data: bytes) -> str:
    """``css/site.css`` + bytes -> ``css/site.<8 hex of SHA-256>.css``."""
    digest = hashlib.sha256(data).hexdigest()[:8]
    stem, dot, ext = path.rpartition(".")
    return f"{stem}.{digest}.{ext}" if dot else f"{path}.{digest}"


class AssetManifest:
    """The fingerprinted name of every static file, and their bytes.

    Raises :class:`ConfigError` from :meth:`url` for a file that does not exist,
    so a template asking for a missing asset fails the build with its name.
    """

    def __init__(self, static_dir: Path):
        self.files: dict[str, tuple[str, bytes]] = {}
        if not static_dir.is_dir():
            return
        for path in sorted(static_dir.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                rel = path.relative_to(static_dir).as_posix()
                data = path.read_bytes()
                if rel == STYLESHEET:
                    data += code_styles().encode()
                self.files[rel] = (f"{STATIC_PREFIX}/{fingerprinted(rel, data)}", data)

    def url(self, path: str) -> str:
        """Root-relative URL of the static file ``path`` (e.g. ``css/site.css``)."""
        try:
            return "/" + self.files[path.lstrip("/")][0]
        except KeyError:
            raise ConfigError(f"asset {path!r} not found in site/static") from None

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        """(output path, bytes) of every asset."""
        return iter(self.files.values())
