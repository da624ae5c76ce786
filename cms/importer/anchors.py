"""Heading ids as the old site's Markdown renderer wrote them, so old ``#fragment`` links work.

Pure. A link such as ``/blog/post/#abi-layout-handling`` (from another page,
another site or a bookmark) only scrolls to its heading if the imported
heading keeps the id the old site gave it, and each renderer derives that id
in its own way, some from the heading's text, some from its Markdown source:

=====================  =======================================================
style                  renderer (source); ``"ABI/Layout [handling](/h) (🦀)"``
=====================  =======================================================
``zola``               Zola, ``[slugify] anchors = "on"`` (the default): the
                       ``slug`` crate on the deunicode'd text
                       (getzola.org/documentation/getting-started/configuration/)
                       -> ``abi-layout-handling-crab``
``zola-safe``          Zola, ``anchors = "safe"`` or ``"off"``: the text, ASCII
                       whitespace -> ``_``
``hugo-github``        Hugo's default ``autoHeadingIDType``, on the heading's
                       Markdown source: letters, digits and ``_`` kept (lower
                       case), space and ``-`` -> ``-``, the rest dropped
                       (gohugo.io/configuration/markup/#goldmark)
                       -> ``abilayout-handlingh-``
``hugo-github-ascii``  Hugo ``github-ascii``: the same once accents are
                       stripped and other non-ASCII characters dropped
``hugo-blackfriday``   Hugo ``blackfriday``: runs of letters and digits of the
                       source joined by single ``-`` -> ``abi-layout-handling-h``
``kramdown-gfm``       Jekyll's default, kramdown's GFM parser: ``hugo-github``'s
                       rule on the text after SmartyPants (``--`` is a dash,
                       dropped) (github.com/kramdown/parser-gfm)
                       -> ``abilayout-handling-``
``kramdown``           kramdown's own input: on the source, leading non-letters
                       dropped, then all but ASCII letters, digits, space and
                       ``-`` (kramdown.gettalong.org/converter/html.html#auto-ids)
``python-markdown``    MkDocs (Python-Markdown's ``toc``) on the text: accents
                       stripped, ``[^\\w\\s-]`` dropped, runs of ``-`` and space
                       -> ``-``
=====================  =======================================================

A repeated id gets a counter as its renderer adds one (``-1``, ``-2``;
Python-Markdown ``_1``). ``""`` (Eleventy and plain Markdown, whose renderers
give headings no ids) leaves the id to the CMS's default, the slug of the text.
The tests compare each style with the renderer itself where it runs here
(``hugo``, Ruby's kramdown, Python-Markdown).
"""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

STYLES = (
    "zola",
    "zola-safe",
    "hugo-github",
    "hugo-github-ascii",
    "hugo-blackfriday",
    "kramdown-gfm",
    "kramdown",
    "python-markdown",
)
_FROM_SOURCE = {"hugo-github", "hugo-github-ascii", "hugo-blackfriday", "kramdown"}

# What a heading whose text gives no id is called (Hugo: "heading", then "heading-1").
_EMPTY = {"hugo-github": "heading", "hugo-github-ascii": "heading", "hugo-blackfriday": "heading"}
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class HeadingIds:
    """One page's heading ids in ``style`` (see the module docstring), unique on the page.

    ``ids = HeadingIds("zola"); ids("Intro") -> "intro"; ids("Intro") -> "intro-1"``.
    ``prefix`` goes before generated ids (kramdown's ``auto_id_prefix``). With
    ``terms``, definition list terms get ids too, from the same counter (Hugo's
    ``autoDefinitionTermID``). Raises ValueError for a style not in
    :data:`STYLES` (``""`` is allowed).
    """

    def __init__(self, style: str, prefix: str = "", terms: bool = False) -> None:
        if style and style not in STYLES:
            raise ValueError(f"unknown heading id style {style!r}; one of {', '.join(STYLES)}")
        self.style = style
        self.prefix = prefix
        self.terms = terms
        self.used: set[str] = set()
        self.repeats: dict[str, int] = {}

    def reserve(self, anchor: str) -> None:
        """Note an id the page sets itself (``## Title {#id}``), so none is generated twice."""
        self.used.add(anchor)

    def term(self, text: str, source: str | None = None) -> str:
        """A definition term's id, as :meth:`__call__`; ``""`` unless ``terms``."""
        return self(text, source) if self.terms else ""

    def __call__(self, text: str, source: str | None = None) -> str:
        """The id of a heading whose plain text is ``text`` and Markdown ``source`` (default:
        ``text``); ``""`` for the CMS default."""
        if not self.style:
            return ""
        given = source if source is not None and self.style in _FROM_SOURCE else text
        base = _SLUGGERS[self.style](given)[:255] or _EMPTY.get(self.style, "")
        if self.style == "python-markdown":
            anchor = _python_markdown_unique(base, self.used)
        elif self.style in ("kramdown", "kramdown-gfm"):
            # kramdown counts repeats of each generated id; it does not look at the ids it
            # made before, so "Intro", "Intro", "Intro-1" give intro, intro-1, intro-1.
            n = self.repeats.get(base, -1) + 1
            self.repeats[base] = n
            anchor = f"{base}-{n}" if n else base
        elif not base:
            return ""
        else:
            anchor, n = base, 0
            while anchor in self.used:
                n += 1
                anchor = f"{base}-{n}"
        self.used.add(anchor)
        return self.prefix + anchor


def _python_markdown_unique(anchor: str, used: set[str]) -> str:
    # markdown/extensions/toc.py unique(): an empty id is numbered too ("_1"), and a
    # numbered one counts on ("intro_1" taken -> "intro_2").
    while anchor in used or not anchor:
        numbered = re.match(r"^(.*)_([0-9]+)$", anchor)
        anchor = f"{numbered[1]}_{int(numbered[2]) + 1}" if numbered else f"{anchor}_1"
    return anchor


def _deunicode(text: str) -> str:
    # Zola's slug crate transliterates with deunicode, which spells an ideograph as a word
    # of its own ("日本" -> "Ri Ben"); anyascii runs them together, so space them apart.
    return anyascii(_CJK.sub(lambda m: f" {m.group(0)} ", text))


def _zola(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", _deunicode(text).lower()).strip("-")


def _zola_safe(text: str) -> str:
    return re.sub(r"[ \t\n\r\f\v]", "_", text)


def _github(text: str) -> str:
    # Go's unicode.IsLetter and IsDigit, and "_" (Hugo's markup/goldmark/autoid.go).
    return "".join(
        "-" if c in " -" else c.lower()
        for c in text
        if c in " -_" or unicodedata.category(c)[0] == "L" or unicodedata.category(c) == "Nd"
    )


def _kramdown_gfm(text: str) -> str:
    # Ruby's \p{Word} (letters, marks, decimal digits, connector punctuation), space, tab
    # and "-"; SmartyPants has made "--" and "---" dashes, which are not word characters.
    text = text.replace("---", "\u2014").replace("--", "\u2013")
    return "".join(
        "-" if c in " \t" else c.lower()
        for c in text
        if c in " \t-"
        or unicodedata.category(c)[0] in "LM"
        or unicodedata.category(c) in ("Nd", "Pc")
    )


def _github_ascii(text: str) -> str:
    return _github(_ascii(text))


def _blackfriday(text: str) -> str:
    return "-".join(re.findall(r"[^\W_]+", text.lower()))


def _kramdown(text: str) -> str:
    text = re.sub(r"^[^a-zA-Z]+", "", text)
    return re.sub(r"[^a-zA-Z0-9 -]", "", text).replace(" ", "-").lower() or "section"


def _python_markdown(text: str) -> str:
    text = _ascii(text)
    return re.sub(r"[-\s]+", "-", re.sub(r"[^\w\s-]", "", text).strip().lower())


def _ascii(text: str) -> str:
    """``text`` with accents stripped (``é`` -> ``e``) and other non-ASCII dropped."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


_SLUGGERS = {
    "zola": _zola,
    "zola-safe": _zola_safe,
    "hugo-github": _github,
    "hugo-github-ascii": _github_ascii,
    "hugo-blackfriday": _blackfriday,
    "kramdown-gfm": _kramdown_gfm,
    "kramdown": _kramdown,
    "python-markdown": _python_markdown,
}
