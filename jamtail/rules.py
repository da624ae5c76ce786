"""Netlify-style ``_redirects`` and ``_headers`` files: parse and match.

Formats: https://docs.netlify.com/routing/redirects/ (``/from /to [status][!]``,
``*`` splats as ``:splat``, ``:name`` placeholders) and
https://docs.netlify.com/routing/headers/ (a path pattern line, then indented
``Name: value`` lines). ``jamtail serve`` uses them so the local server
behaves like the CDN the same files are deployed to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from urllib.parse import unquote


@dataclass(frozen=True)
class RedirectRule:
    """One ``_redirects`` line. ``status`` 200 is a rewrite; ``force`` is the ``!`` suffix."""

    source: str
    target: str
    status: int
    force: bool
    query: tuple[tuple[str, str], ...] = ()

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """The source as a case-insensitive regular expression (compiled on first use:
        an imported site may have thousands of rules, most of them plain paths)."""
        return _compile(unquote(self.source))

    @cached_property
    def _plain(self) -> str | None:
        """The decoded source, lower case, when it is an ASCII path with no splat or
        placeholder: then comparing strings is the same as matching the pattern."""
        source = unquote(self.source).rstrip("/") or "/"
        if not source.isascii() or _PLACEHOLDER.search(source):
            return None
        return source.lower()

    def match(self, path: str, query: dict[str, str] | None = None) -> str | None:
        """The target for ``path`` and its ``query`` parameters (placeholders filled in),
        or ``None``. A rule with query conditions (``/ p=123``, ``/store id=:id``) needs
        each parameter present, with the same value unless the value is a placeholder."""
        path = path.rstrip("/") or "/"
        plain = self._plain
        if plain is not None and path.isascii():
            if path.lower() != plain:
                return None
            values: dict[str, str] = {}
        elif m := self.pattern.fullmatch(path):
            values = {k: v or "" for k, v in m.groupdict().items()}
        else:
            return None
        for key, wanted in self.query:
            got = (query or {}).get(key)
            if got is None or (not wanted.startswith(":") and got != wanted):
                return None
            if wanted.startswith(":"):
                values[wanted[1:]] = got
        target = self.target
        for name, value in values.items():
            target = target.replace(f":{name}", value)
        return target


_PLACEHOLDER = re.compile(r"(\*|:[A-Za-z_]\w*)")


def _compile(source: str) -> re.Pattern[str]:
    source = source.rstrip("/") or "/"
    parts, named = [], set()
    # split() with one group alternates literal text (even) and a splat or placeholder (odd).
    for index, token in enumerate(_PLACEHOLDER.split(source)):
        if index % 2 == 0:
            parts.append(re.escape(token))
            continue
        name = "splat" if token == "*" else token[1:]
        body = ".*" if token == "*" else "[^/]+"
        # A name used twice captures its first value only (a regex group name is unique).
        parts.append(f"({body})" if name in named else f"(?P<{name}>{body})")
        named.add(name)
    return re.compile("".join(parts), re.IGNORECASE)


def parse_redirects(text: str) -> list[RedirectRule]:
    """Parse ``_redirects``; malformed lines raise ``ValueError`` naming the line."""
    rules = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split()
        if len(fields) < 2:
            raise ValueError(f"_redirects line {number}: expected 'from to [status]': {line!r}")
        conditions = []
        while len(fields) > 2 and "=" in fields[1] and not fields[1].startswith(("/", "http")):
            key, _, value = fields.pop(1).partition("=")
            conditions.append((unquote(key), unquote(value)))
        status_field = fields[2] if len(fields) > 2 else "301"
        force = status_field.endswith("!")
        try:
            status = int(status_field.rstrip("!"))
        except ValueError:
            raise ValueError(f"_redirects line {number}: bad status {status_field!r}") from None
        rules.append(
            RedirectRule(
                # Sources are percent-encoded in the file; paths are matched decoded.
                fields[0],
                fields[1],
                status,
                force,
                tuple(conditions),
            )
        )
    return rules


@dataclass(frozen=True)
class HeaderRule:
    """Headers applied to paths matching ``source`` (``*`` matches anything)."""

    source: str
    headers: tuple[tuple[str, str], ...]
    pattern: re.Pattern[str]


def parse_headers(text: str) -> list[HeaderRule]:
    """Parse ``_headers``; a header line before any path raises ``ValueError``."""
    rules: list[HeaderRule] = []
    current: tuple[str, list[tuple[str, str]]] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if not raw[0].isspace():
            if current:
                rules.append(_header_rule(*current))
            current = (raw.strip(), [])
            continue
        if current is None or ":" not in raw:
            raise ValueError(f"_headers line {number}: expected 'Name: value' under a path")
        name, value = raw.strip().split(":", 1)
        current[1].append((name.strip(), value.strip()))
    if current:
        rules.append(_header_rule(*current))
    return rules


def _header_rule(source: str, headers: list[tuple[str, str]]) -> HeaderRule:
    regex = "".join(".*" if t == "*" else re.escape(t) for t in re.split(r"(\*)", source))
    return HeaderRule(source, tuple(headers), re.compile(regex))


def headers_for(rules: list[HeaderRule], path: str) -> list[tuple[str, str]]:
    """Headers of every rule matching ``path``; a later rule's value replaces an earlier one."""
    merged: dict[str, tuple[str, str]] = {}
    for rule in rules:
        if rule.pattern.fullmatch(path):
            for name, value in rule.headers:
                merged[name.lower()] = (name, value)
    return list(merged.values())


def load_rules(site_dir: Path) -> tuple[list[RedirectRule], list[HeaderRule]]:
    """Read ``_redirects`` and ``_headers`` from a built site (either may be absent)."""
    redirects = site_dir / "_redirects"
    headers = site_dir / "_headers"
    return (
        parse_redirects(redirects.read_text()) if redirects.exists() else [],
        parse_headers(headers.read_text()) if headers.exists() else [],
    )
