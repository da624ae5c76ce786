"""Read a built HTML file's outgoing links and the fragment ids it offers.

What counts, after the HTML Living Standard's URL-valued attributes:
``href`` (``a``, ``area``, ``link``), ``src`` (``img``, ``script``,
``iframe``, ``source``, ``audio``, ``video``, ``embed``, ``track``),
``srcset`` (each candidate's URL), ``poster`` and a form's ``action``.
Comments and the text of ``script``, ``style`` and ``template`` elements
are skipped: a link written inside a script or a code sample is not one.

Only links to the same site are kept: a relative URL, a path, or an
absolute URL whose scheme and host are the site's own (``origin``). Each is
resolved against the page's URL (RFC 3986 section 5), percent-decoded, and
kept as ``/path`` or ``/path#fragment`` (the query is dropped: the CDN
serves a file whatever the query). A link to the page itself with only a
fragment (``#main``) becomes the page's own path with that fragment.

Ids are what a fragment can point at (HTML "find a potential indicated
element"): every ``id`` attribute and the ``name`` of every ``a`` element.

The scanner is a few regular expressions, not a full HTML parser: it reads
a 20 KB page in a fraction of a millisecond, which is what lets the link
check run on every build (``html.parser`` is about ten times slower). A tag
is read up to its first ``>`` or ``<``, so an attribute value holding a raw
one (HTML allows ``>``; the templates escape it) is not read as a link.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import unquote, urljoin, urlsplit

# Elements whose content is not markup: their start tag is kept, their text skipped.
_RAW_START = re.compile(r"<!--|<(?:script|style|template)\b", re.IGNORECASE)
_RAW_CLOSE = {
    f"<{tag}": re.compile(f"</{tag}\\s*>", re.IGNORECASE) for tag in ("script", "style", "template")
}
_ATTR_PATTERN = (
    r"""[\s"'](href|src|srcset|poster|action|id)\s*=\s*"""
    r"""(?:"([^"<>]*)"|'([^'<>]*)'|([^\s"'=<>`]+))"""
)
# Names are case-insensitive, but matching them so costs twice the time: the
# case-blind scan runs only on pages that have an upper-case name at all.
_ATTR = re.compile(_ATTR_PATTERN)
_ATTR_ANY_CASE = re.compile(_ATTR_PATTERN, re.IGNORECASE)
_UPPER = ("HREF", "Href", "SRC", "Src")
# A start tag up to its end or the next "<": what a scan from a "<" reads before a ">".
_TAG = re.compile(r"<[A-Za-z][^<>]*")
_A_TAG = re.compile(r"<[aA]\s[^>]*")
_A_NAME = re.compile(
    r"""<a\s[^>]*?\bname\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""", re.IGNORECASE
)
_SCHEMES = ("", "http", "https")


@dataclass(frozen=True, slots=True)
class PageLinks:
    """One HTML file's same-site ``links`` (sorted, unique, ``/path[#fragment]``) and ``ids``."""

    links: tuple[str, ...]
    ids: frozenset[str]


def page_url(key: str) -> str:
    """The URL path a site file is served at: ``blog/x/index.html`` -> ``/blog/x/``."""
    if key == "index.html" or key.endswith("/index.html"):
        return "/" + key[: -len("index.html")]
    return "/" + key


def extract(text: str, url: str, origin: str) -> PageLinks:
    """The same-site links and the ids of the HTML ``text`` served at ``url`` (a path).

    ``origin``: the site's ``scheme://host[:port]`` (its base URL), so that
    absolute links to the site itself count; empty when it has none.
    """
    text = _without_raw_text(text)
    found: set[str] = set()
    ids: set[str] = set()
    origin = origin.rstrip("/").lower()
    # The tags alone, each closed by its ">": "href=" in a page's text is not a link,
    # and the scan finds every attribute in C (a page repeats its links: each is
    # taken once). No value crosses a ">".
    tags = ">".join(_TAG.findall(text))
    scan = _ATTR_ANY_CASE if any(name in tags for name in _UPPER) else _ATTR
    for name, double, single, bare in set(scan.findall(tags)):
        value = double or single or bare
        if not value:
            continue
        if "&" in value:
            value = html.unescape(value)
        name = name.lower()
        if name == "id":
            ids.add(value)
        elif name == "srcset":
            for candidate in value.split(","):
                if part := candidate.strip().split(maxsplit=1):
                    _add(found, part[0], url, origin)
        else:
            _add(found, value, url, origin)
    # Every page has a name attribute (its <meta> tags): look in the <a> tags alone.
    for tag in _A_TAG.findall(tags):
        if "name" in tag.lower() and (match := _A_NAME.match(tag)):
            value = next(v for v in match.groups() if v is not None)
            ids.add(html.unescape(value) if "&" in value else value)
    return PageLinks(tuple(sorted(found)), frozenset(ids))


def _without_raw_text(text: str) -> str:
    """``text`` without comments and the content of ``script``/``style``/``template``."""
    kept, pos = [], 0
    while match := _RAW_START.search(text, pos):
        marker = match.group().lower()
        if marker == "<!--":
            kept.append(text[pos : match.start()])
            close = text.find("-->", match.end())
            pos = len(text) if close < 0 else close + 3
            continue
        tag_end = text.find(">", match.end())
        if tag_end < 0:
            break
        kept.append(text[pos : tag_end + 1])  # the start tag: its src counts
        end = _RAW_CLOSE[marker].search(text, tag_end)
        pos = len(text) if end is None else end.start()
    kept.append(text[pos:])
    return "".join(kept) if pos else text


def _elsewhere(value: str, origin: str) -> bool:
    """Whether ``value`` is plainly an ``http(s)://`` URL of another host than ``origin``.

    The common external link, told without ``urljoin``/``urlsplit``: the
    authority runs to the first ``/``, ``?`` or ``#`` (RFC 3986 section 3.2).
    Values with characters ``urlsplit`` would remove (tab, CR, LF) are left to it.
    """
    head = value[:8].lower()
    if head.startswith("https://"):
        start = 8
    elif head.startswith("http://"):
        start = 7
    else:
        return False
    if "\t" in value or "\n" in value or "\r" in value:
        return False
    end = len(value)
    for stop in "/?#":
        found = value.find(stop, start)
        if 0 <= found < end:
            end = found
    return value[:end].lower() != origin


def _add(found: set[str], value: str, url: str, origin: str) -> None:
    """Add ``value`` as ``/path[#fragment]`` if it is a link to this site."""
    value = value.strip()
    if value.startswith("/") and not value.startswith("//") and "/." not in value:
        path, _, fragment = value.partition("#")  # the common case, without urljoin
        path = path.partition("?")[0]
    elif value.startswith("#"):
        path, fragment = url, value[1:]
    elif _elsewhere(value, origin):
        return
    else:
        try:
            parts = urlsplit(urljoin(url, value))
        except ValueError:  # e.g. an unbalanced "[" in a host: not a link to this site
            return
        if parts.scheme not in _SCHEMES:
            return  # mailto:, data:, javascript:, tel: ...
        if parts.netloc and f"{parts.scheme}://{parts.netloc}".lower() != origin:
            return
        path, fragment = parts.path, parts.fragment
    if "%" in path:
        path = unquote(path)
    if "%" in fragment:
        fragment = unquote(fragment)
    found.add(f"{path or '/'}#{fragment}" if fragment else path or "/")
