"""Front matter and file-name conventions of Zola, Hugo and Jekyll -> ``Document``.

Front matter is TOML between ``+++`` lines or YAML between ``---`` lines, at
the very start of the file; a file without either has empty front matter.

Where each ``Document`` field comes from:

- ``title``: ``title``; else ``None`` (the planner derives one from the name).
- ``date``: ``date``; else a ``YYYY/MM/DD`` in the ``path`` key; else one in
  the file's relative path; else a Jekyll ``YYYY-MM-DD-`` file-name prefix.
- ``authors``: ``authors`` or ``author``: a list, a comma-separated list
  (``"A, B"``), a name, or ``{name: ...}`` tables; plus ``taxonomies.authors``.
- ``tags``: ``tags``, ``categories``, ``category`` (Jekyll's singular) and
  every other ``[taxonomies]`` list; ``categories`` are also kept apart
  (``categories``) for Jekyll's ``:categories`` permalinks.
- ``summary``: ``description``, else ``summary``.
- ``draft``: ``draft: true`` (Hugo, Zola) or ``published: false`` (Jekyll).
- ``aliases``: ``aliases`` (Hugo, Zola) and ``redirect_from`` (jekyll-redirect-from).
- ``slug``, ``path`` (Zola's permalink), ``url`` (Hugo's), ``permalink``
  (Jekyll's, Eleventy's) and ``link_title`` (Hugo's ``linkTitle``) as given.
- ``weight``: order among siblings (lower first; pages without one come after).
- ``per_page``: ``paginate_by`` (Zola) or ``paginate`` (Hugo), for sections.
- ``sort_by``: Zola's section ordering; ``date``/``update_date`` list newest
  first, anything else (``weight``, ``title``, ``none``...) keeps the tree order.

Everything else (``template``, ``extra``...) is ignored.
Errors: :class:`SourceError` for unterminated or invalid front matter, a
field of the wrong type, or an impossible date.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import yaml

from .errors import SourceError

_FENCES = {"+++": "TOML", "---": "YAML"}
_SLASH_DATE = re.compile(r"(?:^|/)(\d{4})/(\d{2})/(\d{2})(?=/|$|\.)")
_NAME_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[-_]")


@dataclass
class Document:
    """One Markdown source file, parsed. ``body`` is the Markdown after the front matter."""

    rel_path: str
    body: str
    title: str | None = None
    date: dt.date | None = None
    authors: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    summary: str = ""
    draft: bool = False
    aliases: list[str] = field(default_factory=list)
    slug: str | None = None
    path: str | None = None
    url: str | None = None
    permalink: str | None = None
    categories: list[str] = field(default_factory=list)
    link_title: str | None = None
    weight: int | None = None
    headless: bool = False
    """Hugo: ``headless: true``, or ``build.render: never`` here or cascaded from here."""
    params: dict[str, Any] = field(default_factory=dict)
    """The whole front matter, for ``{{ page.* }}`` and Hugo's ``param``."""
    body_line: int = 1
    """Line of the source file where ``body`` starts."""
    per_page: int | None = None
    sort_by: str | None = None


def parse_document(text: str, rel_path: str) -> Document:
    """Parse the source ``text`` of the file at ``rel_path`` (POSIX, relative to the root)."""
    meta, body = split_front_matter(text, rel_path)
    doc = Document(rel_path=rel_path, body=body)
    doc.body_line = text.count("\n") - body.count("\n") + 1
    params = meta.get("params")
    doc.params = {**meta, **params} if isinstance(params, dict) else meta
    doc.headless = _headless(meta)
    doc.title = _optional_str(meta, "title", rel_path)
    doc.slug = _optional_str(meta, "slug", rel_path)
    doc.path = _optional_str(meta, "path", rel_path)
    doc.summary = (
        _optional_str(meta, "description", rel_path) or _optional_str(meta, "summary", rel_path)
    ) or ""
    doc.url = _optional_str(meta, "url", rel_path)
    permalink = meta.get("permalink")
    doc.permalink = permalink.strip() or None if isinstance(permalink, str) else None
    doc.link_title = _optional_str(meta, "linkTitle", rel_path)
    doc.draft = bool(meta.get("draft", False)) or meta.get("published", True) is False
    doc.weight = _optional_int(meta, "weight", rel_path)
    doc.per_page = _optional_int(meta, "paginate_by", rel_path) or _optional_int(
        meta, "paginate", rel_path
    )
    doc.sort_by = _optional_str(meta, "sort_by", rel_path)
    doc.aliases = _unique(
        _str_list(meta, "aliases", rel_path, split=False)
        + _str_list(meta, "redirect_from", rel_path, split=False)
    )
    taxonomies = meta.get("taxonomies") or {}
    if not isinstance(taxonomies, dict):
        raise SourceError(rel_path, "front matter 'taxonomies' must be a table of lists")
    doc.authors = _unique(
        _names(meta, "authors", rel_path)
        + _names(meta, "author", rel_path)
        + _str_list(taxonomies, "authors", rel_path, split=False)
    )
    doc.categories = _unique(
        _str_list(meta, "categories", rel_path) + _str_list(meta, "category", rel_path)
    )
    tags = _str_list(meta, "tags", rel_path) + doc.categories
    for name in sorted(taxonomies):
        if name != "authors":
            tags += _str_list(taxonomies, name, rel_path, split=False)
    doc.tags = _unique(tags)
    doc.date = _document_date(meta.get("date"), doc.path, rel_path)
    return doc


def split_front_matter(text: str, rel_path: str) -> tuple[dict[str, Any], str]:
    """Return ``(front matter as a dict, body)``; ``({}, text)`` without front matter."""
    text = text.removeprefix("\ufeff")
    first, sep, rest = text.partition("\n")
    fence = first.strip()
    if fence not in _FENCES or not sep:
        return {}, text
    lines = rest.split("\n")
    for i, line in enumerate(lines):
        if line.rstrip() == fence:
            raw = "\n".join(lines[:i])
            body = "\n".join(lines[i + 1 :])
            break
    else:
        raise SourceError(rel_path, f"front matter opened with {fence} is never closed")
    kind = _FENCES[fence]
    try:
        meta = tomllib.loads(raw) if kind == "TOML" else yaml.safe_load(raw)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        reason = " ".join(str(exc).split())
        raise SourceError(rel_path, f"invalid {kind} front matter: {reason}") from exc
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise SourceError(rel_path, f"{kind} front matter must be a table of keys")
    return meta, body


def _document_date(value: Any, permalink: str | None, rel_path: str) -> dt.date | None:
    if value is not None:
        return _coerce_date(value, rel_path)
    for where in (permalink or "", rel_path):
        match = _SLASH_DATE.search(where)
        if match:
            return _ymd(match, rel_path)
    match = _NAME_DATE.match(PurePosixPath(rel_path).name)
    return _ymd(match, rel_path) if match else None


def _coerce_date(value: Any, rel_path: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        match = re.match(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:$|[T\s])", value)
        if match:
            return _ymd(match, rel_path)
    raise SourceError(rel_path, f"invalid date {value!r} (expected YYYY-MM-DD)")


def _ymd(match: re.Match[str], rel_path: str) -> dt.date:
    year, month, day = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise SourceError(rel_path, f"invalid date {match.group(0).strip('/-_')!r}") from exc


def _optional_str(meta: dict[str, Any], key: str, rel_path: str) -> str | None:
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value).strip() or None
    raise SourceError(rel_path, f"front matter '{key}' must be a string, not {value!r}")


def _optional_int(meta: dict[str, Any], key: str, rel_path: str) -> int | None:
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise SourceError(rel_path, f"front matter '{key}' must be an integer, not {value!r}")


def _str_list(meta: dict[str, Any], key: str, rel_path: str, split: bool = True) -> list[str]:
    """A list of strings; a bare string is one item (or, as Jekyll does, split on spaces)."""
    value = meta.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return value.split() if split else [value.strip()]
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return [str(v).strip() for v in value if str(v).strip()]
    raise SourceError(rel_path, f"front matter '{key}' must be a list of strings")


def _headless(meta: dict[str, Any]) -> bool:
    def never(value: Any) -> bool:
        return isinstance(value, dict) and value.get("render") in ("never", False)

    cascades = meta.get("cascade") or []
    cascades = cascades if isinstance(cascades, list) else [cascades]
    return (
        meta.get("headless") is True
        or never(meta.get("build") or meta.get("_build"))
        or any(isinstance(c, dict) and never(c.get("build") or c.get("_build")) for c in cascades)
    )


def _names(meta: dict[str, Any], key: str, rel_path: str) -> list[str]:
    """People: a list (one name per item), ``"A, B"``, ``"A"``, or ``[{name: A}]`` tables.

    Only a bare string is split on commas (``"A, B, and C"``): in a list, the
    author chose the items, so ``["Ada, Countess of Lovelace"]`` is one name.
    """
    value = meta.get(key)
    if isinstance(value, str):
        return [part.strip() for part in re.split(r",\s*(?:and\s+)?", value) if part.strip()]
    if isinstance(value, dict):
        value = [value]
    if isinstance(value, list):
        value = [v.get("name", "") if isinstance(v, dict) else v for v in value]
        meta = {key: [v for v in value if v]}
    return _str_list(meta, key, rel_path, split=False)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
