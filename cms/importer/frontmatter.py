"""Front matter and file-name conventions of Zola, Hugo and Jekyll -> ``Document``.

Front matter is TOML between ``+++`` lines, YAML between ``---`` lines, or a
JSON object (Hugo), at the very start of the file; a file without either has empty front matter.

Where each ``Document`` field comes from:

- ``title``: ``title``; else ``None`` (the planner derives one from the name).
- ``date``: ``date`` (else Hugo's ``publishDate``, ``pubdate``, ``published``,
  ``lastmod``; an Eleventy keyword such as ``git Last Modified`` is left to
  the planner, which reads the file's date); else a ``YYYY/MM/DD`` in the ``path`` key; else one in
  the file's relative path; else a Jekyll ``YYYY-MM-DD-`` file-name prefix.
- ``authors``: ``authors`` or ``author``: a list, a comma-separated list
  (``"A, B"``), a name, or ``{name: ...}`` tables (``display_name``/``login``
  too, as jekyll-import writes them); plus ``taxonomies.authors``.
- ``tags``: ``tags``, ``categories``, ``category`` (Jekyll's singular) and
  every other ``[taxonomies]`` list; ``categories`` are also kept apart
  (``categories``) for Jekyll's ``:categories`` permalinks.
- ``summary``: ``description``, else ``summary``, else ``excerpt`` (Jekyll).
- ``draft``: ``draft: true`` (Hugo, Zola), ``published: false`` (Jekyll), or
  a Hugo ``expiryDate`` that has passed (``expired``).
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
import email.utils
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import yaml

from .errors import SourceError

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML was built with it: the same documents, ~10x faster."""

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
    expired: bool = False
    """Hugo: ``expiryDate`` has passed, so the old site no longer showed the page (a draft)."""


def parse_document(
    text: str, rel_path: str, split_terms: bool = True, defaults: dict[str, Any] | None = None
) -> Document:
    """Parse the source ``text`` of the file at ``rel_path`` (POSIX, relative to the root).

    ``split_terms``: a bare string of ``tags``/``categories`` is split on
    spaces, as Jekyll does; without it (Hugo, Eleventy, Zola) it is one term.
    ``defaults`` are front matter values the file's own front matter overrides.
    Raises :class:`SourceError` (see the module docstring).
    """
    meta, body = split_front_matter(text, rel_path)
    if defaults:  # Jekyll's front matter defaults, Eleventy's directory data: the file wins
        meta = {**defaults, **meta}
    doc = Document(rel_path=rel_path, body=body)
    doc.body_line = text.count("\n") - body.count("\n") + 1
    params = meta.get("params")
    doc.params = {**meta, **params} if isinstance(params, dict) else meta
    doc.headless = _headless(meta)
    doc.title = _optional_str(meta, "title", rel_path)
    doc.slug = _optional_str(meta, "slug", rel_path)
    doc.path = _optional_str(meta, "path", rel_path)
    doc.summary = (
        _optional_str(meta, "description", rel_path)
        or _optional_str(meta, "summary", rel_path)
        or _optional_str(meta, "excerpt", rel_path)
    ) or ""
    doc.url = _optional_str(meta, "url", rel_path)
    permalink = meta.get("permalink")
    doc.permalink = permalink.strip() or None if isinstance(permalink, str) else None
    doc.link_title = _optional_str(meta, "linkTitle", rel_path)
    doc.draft = _flag(meta.get("draft"), False) or not _flag(meta.get("published"), True)
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
        _str_list(meta, "categories", rel_path, split_terms)
        + _str_list(meta, "category", rel_path, split_terms)
    )
    tags = _str_list(meta, "tags", rel_path, split_terms) + doc.categories
    for name in sorted(taxonomies):
        if name != "authors":
            tags += _str_list(taxonomies, name, rel_path, split=False)
    doc.tags = _unique(tags)
    doc.date = _document_date(_date_value(meta), doc.path, rel_path)
    expiry = next((meta[k] for k in _EXPIRY_KEYS if _is_date(meta.get(k))), None)
    if expiry is not None and _coerce_date(expiry, rel_path) <= dt.date.today():
        doc.draft = doc.expired = True
    return doc


_DATE_KEYS = ("date", "publishDate", "publishdate", "pubdate", "pubDate", "published")
"""Where a page's date is read, in order: Hugo's ``[frontmatter] date`` default
(``date``, ``publishDate``, ``pubdate``, ``published``), then ``lastmod``."""
_LASTMOD_KEYS = ("lastmod", "lastMod", "modified", "updated")
_EXPIRY_KEYS = ("expiryDate", "expirydate", "unpublishdate")
FILE_DATE_WORDS = {"last modified", "created", "git last modified", "git created"}
"""Eleventy's ``date`` keywords: the date comes from the file, not the front matter."""


def _is_date(value: Any) -> bool:
    if isinstance(value, (dt.date, dt.datetime)):
        return True
    return isinstance(value, str) and bool(re.match(r"\s*\d{4}-\d{1,2}-\d{1,2}", value))


def _date_value(meta: dict[str, Any]) -> Any:
    """The front matter's date: ``date``, else Hugo's other date keys; ``None`` if none.

    An Eleventy keyword (``Last Modified``, ``git Created``...) is no date here:
    the planner reads the file's own date instead. ``published: false``
    (Jekyll) is not a date.
    """
    value = meta.get("date")
    if isinstance(value, str) and value.strip().lower() in FILE_DATE_WORDS:
        return None
    if value is not None and value != "":
        return value
    for key in (*_DATE_KEYS[1:], *_LASTMOD_KEYS):
        if _is_date(meta.get(key)):
            return meta[key]
    return None


def split_front_matter(text: str, rel_path: str) -> tuple[dict[str, Any], str]:
    """Return ``(front matter as a dict, body)``; ``({}, text)`` without front matter.

    Hugo's JSON front matter, an object that opens the file (``{`` on the
    first line), is read too.
    """
    text = text.removeprefix("\ufeff")
    first, sep, rest = text.partition("\n")
    fence = first.strip()
    if fence.startswith("{") and not fence.startswith("{{"):
        return _json_front_matter(text, rel_path)
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
        meta = tomllib.loads(raw) if kind == "TOML" else yaml.load(raw, Loader=_YAML_LOADER)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        reason = " ".join(str(exc).split())
        raise SourceError(rel_path, f"invalid {kind} front matter: {reason}") from exc
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise SourceError(rel_path, f"{kind} front matter must be a table of keys")
    return meta, body


def _json_front_matter(text: str, rel_path: str) -> tuple[dict[str, Any], str]:
    try:
        meta, end = json.JSONDecoder().raw_decode(text)
    except ValueError as exc:
        raise SourceError(rel_path, f"invalid JSON front matter: {exc}") from exc
    if not isinstance(meta, dict):
        raise SourceError(rel_path, "JSON front matter must be an object")
    rest = text[end:]
    line_end = rest.find("\n")
    body = rest[line_end + 1 :] if line_end >= 0 and not rest[:line_end].strip() else rest
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
        written = _written_date(value)
        if written is not None:
            return written
    raise SourceError(rel_path, f"invalid date {value!r} (expected YYYY-MM-DD)")


_DATE_FORMATS = (
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%B %d, %Y",
    "%b %d, %Y",
    "%B %d %Y",
    "%b %d %Y",
    "%b. %d, %Y",
    "%d %B %Y",
    "%d %b %Y",
    "%A, %B %d, %Y",
    "%Y%m%d",
)
"""Dates as people write them, which Jekyll (Ruby's ``Time.parse``) and Hugo also read."""


def _written_date(value: str) -> dt.date | None:
    """``value`` read as a date in a common written form, or ``None``."""
    text = value.strip()
    head = re.split(r"[ T](?=\d{1,2}:\d{2})", text, maxsplit=1)[0].strip().rstrip(",")
    for candidate in (text, head):
        for fmt in _DATE_FORMATS:
            try:
                return dt.datetime.strptime(candidate, fmt).date()
            except ValueError:
                continue
    try:
        return email.utils.parsedate_to_datetime(text).date()  # RFC 2822, as in feeds
    except (TypeError, ValueError, IndexError):
        return None


def _flag(value: Any, default: bool) -> bool:
    """A YAML/TOML boolean, also written as a string (``"false"``, ``"no"``)."""
    if value is None:
        return default
    if isinstance(value, str):
        word = value.strip().lower()
        if word in ("false", "no", "off", "0", ""):
            return False
        if word in ("true", "yes", "on", "1"):
            return True
        return default
    return bool(value)


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
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)  # weight: "10", as Hugo reads it
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
        value = [_person(v) if isinstance(v, dict) else v for v in value]
        meta = {key: [v for v in value if v]}
    return _str_list(meta, key, rel_path, split=False)


def _person(table: dict[str, Any]) -> str:
    """A person's name from a table: ``name``, else ``display_name``/``login`` (jekyll-import)."""
    for key in ("name", "display_name", "displayName", "login"):
        if isinstance(table.get(key), str) and table[key].strip():
            return str(table[key]).strip()
    return ""


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
