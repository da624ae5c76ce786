"""Wagtail slugs from file names, ``path`` permalinks and titles.

Wagtail accepts ``[-\\w]+`` (Unicode word characters allowed). Everything
else (dots, spaces, punctuation) becomes ``-``; repeats collapse; the result
is lower case: ``"Rust-1.12"`` -> ``"rust-1-12"``, ``"Überblick 2.0"`` ->
``"überblick-2-0"``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

SLUG_MAX_LENGTH = 255
_NON_WORD = re.compile(r"[^\w]+")
_DASHES = re.compile(r"-{2,}")


def make_slug(text: str, fallback: str = "page") -> str:
    """Return a valid Wagtail slug for ``text``, or ``fallback`` when nothing is left."""
    text = unicodedata.normalize("NFKC", text).lower()
    slug = _DASHES.sub("-", _NON_WORD.sub("-", text)).strip("-_")
    return slug[:SLUG_MAX_LENGTH].strip("-") or fallback


def title_from_name(name: str) -> str:
    """A readable title from a file or folder name: ``"latest"`` -> ``"Latest"``."""
    words = re.sub(r"[-_\s]+", " ", name).strip()
    return (words[:1].upper() + words[1:]) or "Untitled"


def dedupe(slug: str, taken: Iterable[str] | set[str]) -> str:
    """Return ``slug`` or the first of ``slug-2``, ``slug-3``... not in ``taken``."""
    taken = taken if isinstance(taken, set) else set(taken)
    if slug not in taken:
        return slug
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = slug[: SLUG_MAX_LENGTH - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        n += 1


class SiblingSlugs:
    """The slugs taken under each parent page, read from the database once per parent.

    ``taken(parent)`` is a live set: add each new child's slug to it, so later
    :func:`dedupe` calls under the same parent see it without another query.
    """

    def __init__(self) -> None:
        self._by_parent: dict[int, set[str]] = {}

    def taken(self, parent: Any) -> set[str]:
        if parent.pk not in self._by_parent:
            from wagtail.models import Page  # the importer's pure parts load without Django

            children = Page.objects.filter(path__startswith=parent.path, depth=parent.depth + 1)
            self._by_parent[parent.pk] = set(children.values_list("slug", flat=True))
        return self._by_parent[parent.pk]
