"""Decode JSON, keeping the text of some objects' members as received.

The content cache stores each synced page as JSON text (a head and its lazy
fields, see :mod:`jamtail.content.cache`). Decoding a sync answer and then
encoding every page again cost a full sync of 10,000 pages about a second:
:func:`loads_keeping` decodes the answer once and keeps, for the objects at
a given path, the JSON text of each member, so they are stored as they came.

The text is the member's value exactly as in the document (RFC 8259): for
Jamtail's CMS, compact JSON, byte-equal to what the content cache would
encode (:func:`jamtail.content.cache.page_json`); from another encoder it
may differ in spacing or escapes and is still the same JSON value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

__all__ = ["EVERY", "Members", "loads_keeping"]

EVERY = "*"  # a path step: every element of an array

_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")
# A member's name without escapes, and its colon: one match instead of four steps.
_NAME = re.compile(r'[ \t\n\r]*"([^"\\\x00-\x1f]*)"[ \t\n\r]*:[ \t\n\r]*')
# What may follow a value inside an object or an array.
_AFTER = re.compile(r"[ \t\n\r]*([,}\]]?)[ \t\n\r]*")


class Members(dict[str, Any]):
    """A decoded JSON object that keeps each member's JSON text: ``texts[name]``."""

    __slots__ = ("texts",)

    def __init__(self) -> None:
        super().__init__()
        self.texts: dict[str, str] = {}


def loads_keeping(text: str, path: Sequence[str]) -> Any:
    """``json.loads(text)``, with each object at ``path`` decoded as :class:`Members`.

    ``path`` names members from the top, :data:`EVERY` standing for every
    element of an array: ``("items", EVERY, "data")`` keeps the members of
    ``doc["items"][i]["data"]`` for every ``i``. Where the document has
    another shape (no such member, a list where an object was expected)
    it is decoded as ``json.loads`` would. Raises ``json.JSONDecodeError``
    where ``json.loads`` would, with the position of the fault.
    """
    value, end = _value(text, _skip(text, 0), tuple(path))
    end = _skip(text, end)
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return value


def _skip(text: str, at: int) -> int:
    match = _SPACE.match(text, at)
    assert match is not None  # the pattern matches the empty string
    return match.end()


def _value(text: str, at: int, path: tuple[str, ...]) -> tuple[Any, int]:
    opening = text[at : at + 1]
    if not path:
        return _object(text, at, None, ()) if opening == "{" else _DECODER.raw_decode(text, at)
    if path[0] == EVERY and opening == "[":
        return _array(text, at, path[1:])
    if path[0] != EVERY and opening == "{":
        return _object(text, at, path[0], path[1:])
    return _DECODER.raw_decode(text, at)


def _array(text: str, at: int, path: tuple[str, ...]) -> tuple[list[Any], int]:
    items: list[Any] = []
    at = _skip(text, at + 1)
    if text[at : at + 1] == "]":
        return items, at + 1
    while True:
        item, at = _value(text, at, path)
        items.append(item)
        at, after = _after(text, at, "]")
        if after == "]":
            return items, at


def _object(
    text: str, at: int, follow: str | None, path: tuple[str, ...]
) -> tuple[dict[str, Any], int]:
    """The object at ``text[at]``; ``follow`` names the member the path goes on into.

    ``follow=None``: the path ends here; the object is :class:`Members`.
    """
    found: dict[str, Any]
    if follow is None:
        found = members = Members()
    else:
        found, members = {}, None
    at = _skip(text, at + 1)
    if text[at : at + 1] == "}":
        return found, at + 1
    while True:
        name, at = _name(text, at)
        start = at
        if name == follow:
            found[name], at = _value(text, at, path)
        else:
            found[name], at = _DECODER.raw_decode(text, at)
        if members is not None:
            members.texts[name] = text[start:at]
        at, after = _after(text, at, "}")
        if after == "}":
            return found, at


def _name(text: str, at: int) -> tuple[str, int]:
    """A member's name at ``text[at]`` and where its value starts."""
    match = _NAME.match(text, at)
    if match is not None:
        return match.group(1), match.end()
    at = _skip(text, at)
    if text[at : at + 1] != '"':
        raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, at)
    name, at = _DECODER.raw_decode(text, at)  # a name with escapes
    at = _skip(text, at)
    if text[at : at + 1] != ":":
        raise json.JSONDecodeError("Expecting ':' delimiter", text, at)
    return name, _skip(text, at + 1)


def _after(text: str, at: int, closing: str) -> tuple[int, str]:
    """Past the ``,`` or ``closing`` that follows a value: ``(where the next starts, which)``."""
    match = _AFTER.match(text, at)
    assert match is not None  # every group may be empty
    found = match.group(1)
    if found != "," and found != closing:
        raise json.JSONDecodeError("Expecting ',' delimiter", text, match.start(1))
    return match.end(), found
