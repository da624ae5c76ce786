"""Query the search index: user text in, ranked results with safe snippets out.

User input never reaches a query language. :func:`parse_terms` cuts the
text into words (letters and digits, joined by ``.``, ``'`` or ``-``, so
``1.52`` and ``don't`` stay whole); each word is cut into tokens by the
index's own tokenizer and becomes a tantivy term query (one token) or
phrase query (``1.52`` is the phrase ``1 52``), built as objects
(:func:`term_query`), so quotes, ``AND``/``OR``/``NOT``, ``*``, ``^``,
field names (``title:``) and parentheses are only ever words or
separators. Every term must match (implicit AND); the last one also
matches as a prefix, for results as the reader types, unless it is a word
the index holds already (:func:`prefix_words`).

Limits (a :class:`QueryError`, HTTP 400, when exceeded): a query of at most
:data:`MAX_QUERY_CHARS` characters; ``page`` from 1 to :data:`MAX_PAGE`;
filters of at most 200 characters. Terms beyond :data:`MAX_TERMS` are
ignored. Control characters are dropped.

Ranking: pages whose title holds every term come first (a constant
:data:`TITLE_TIER` added to their score: BM25 normalises by a field's
length, so without it a short page naming a term once in its summary could
beat the long page titled with it); then BM25 summed over the fields, each
weighted by :data:`WEIGHTS`, with the whole index's statistics (tantivy
scores every segment with the statistics of all of them). Equal scores keep
the index's order (shard, then page id), so pages of results never overlap.
A prefix match of the last word scores a constant (its field's weight).
Snippets come from the body (else the summary): about
:data:`SNIPPET_TOKENS` words around the first match, HTML-escaped, the
matching words wrapped in ``<mark>``.
"""

from __future__ import annotations

import html
import re
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import tantivy

from jamtail.search.index import analyzer, schema, stored_parts, typed_analyzer
from jamtail.search.reader import IndexUnavailable, SearchIndex, open_index

__all__ = ["IndexUnavailable", "SearchIndex", "open_index"]  # re-exported: the function's API

MAX_QUERY_CHARS = 200
MAX_TERMS = 16
MAX_PAGE = 100
MAX_FILTER_CHARS = 200
PER_PAGE = 10
MIN_PREFIX_CHARS = 3
SNIPPET_TOKENS = 24
_CHARS_PER_WORD = 40  # a snippet's window: words are rarely longer
WEIGHTS = {"title": 10.0, "summary": 4.0, "body": 1.0, "section": 2.0, "tags": 4.0, "authors": 2.0}
# Above any BM25 sum a query of MAX_TERMS words reaches here, and small enough
# that a 32-bit float still tells scores apart by a thousandth above it.
TITLE_TIER = 10_000.0
PHRASE_EXPANSIONS = 16  # words a prefix ending a phrase (``async-awa``) stands for, at most
# Where a prefix ending a phrase is looked for: each expansion is a phrase query.
PHRASE_PREFIX_FIELDS = ("title", "summary", "body")
_APOSTROPHE = "\u2019"  # the typographic apostrophe: a word as typed with it, or not
_TERM = re.compile(r"\w+(?:['\u2019.\-]\w+)*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ue000-\uf8ff]")
_WORD = re.compile(r"\w+")


class QueryError(ValueError):
    """A request the search cannot answer as asked (HTTP 400): ``code`` and a message."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass
class Result:
    """One hit: ``snippet`` is HTML (escaped text, matches in ``<mark>``)."""

    title: str
    url: str
    date: str
    section: str
    snippet: str


@dataclass
class SearchResults:
    """A page of hits. ``total`` counts every hit; ``pages`` is ``ceil(total / per_page)``."""

    query: str
    terms: list[str]
    section: str
    tag: str
    page: int
    per_page: int
    total: int = 0
    pages: int = 0
    results: list[Result] = field(default_factory=list)
    took_ms: float = 0.0

    def as_json(self) -> dict[str, Any]:
        """The JSON shape of ``GET /api/search`` (see docs/search.md)."""
        # vars(), not asdict(): its deep copy took a tenth of a query's time.
        return {
            **vars(self),
            "terms": list(self.terms),
            "results": [dict(vars(r)) for r in self.results],
        }


def parse_terms(query: str) -> list[str]:
    """The words of ``query``, lower-cased, at most :data:`MAX_TERMS`, in order."""
    text = unicodedata.normalize("NFKC", _CONTROL.sub(" ", query))
    terms = []
    for match in _TERM.finditer(text):
        term = match.group().replace(_APOSTROPHE, "'").strip("_").lower()
        if any(ch.isalnum() for ch in term):
            terms.append(term)
    return terms[:MAX_TERMS]


def prefix_worthy(term: str) -> bool:
    """Whether ``term``, the last word, also matches as a prefix.

    Not when it ends in one or two letters (``a``, ``cargo's``, ``co``): the
    words starting so are a large share of the index, slow to gather (a
    milliseconds-long walk of every shard's term dictionary) and little help
    to the reader. A single digit may be one (``rust 1.7`` finds 1.70 when no
    page has a ``7`` of its own: see :func:`prefix_words`).
    """
    last = re.split(r"[^\w]+", term)[-1]
    return len(last) >= MIN_PREFIX_CHARS or last.isdigit()


def prefix_words(searcher: tantivy.Searcher, terms: list[str]) -> list[str]:
    """The last term's tokens as typed, when it also matches as a prefix; else ``[]``.

    Not a word that is not :func:`prefix_worthy`, nor one whose last token is
    a whole word some page holds (``rust``, ``cargo``, the ``2`` of ``1.2``):
    typing it is asking for it, and the words it starts (61 for ``rust`` in
    the Rust blog's bodies; at the end of a phrase, 16 phrase queries in
    three fields) would be gathered from every shard for every query: two
    thirds of a query's time at 10,000 pages. A part of a word (``borro``,
    ``async-awa``) still finds the words it starts.
    """
    if not terms or not prefix_worthy(terms[-1]):
        return []
    typed = _typed(terms[-1])
    if typed and any(searcher.doc_freq(name, typed[-1]) for name in WEIGHTS):
        return []
    return typed


def check_filter(name: str, value: str) -> str:
    """``value`` of the ``section``/``tag`` filter, stripped; :class:`QueryError` if too long."""
    value = _CONTROL.sub("", value or "").strip()
    if len(value) > MAX_FILTER_CHARS:
        raise QueryError("bad_filter", f"{name} is longer than {MAX_FILTER_CHARS} characters")
    return value


def check_page(value: str | None) -> int:
    """The 1-based page number in ``value`` (default 1); :class:`QueryError` if invalid."""
    if value is None or value == "":
        return 1
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
        raise QueryError("bad_page", f"page must be a whole number from 1 to {MAX_PAGE}")
    return int(value)


def check_query(value: str | None) -> str:
    """The query text; :class:`QueryError` when longer than :data:`MAX_QUERY_CHARS`."""
    value = value or ""
    if len(value) > MAX_QUERY_CHARS:
        raise QueryError("query_too_long", f"the query is longer than {MAX_QUERY_CHARS} characters")
    return value


def tokens(term: str) -> list[str]:
    """The index's tokens for ``term`` (stems): ``releases`` is ``["releas"]``."""
    return analyzer().analyze(term)


def _typed(term: str) -> list[str]:
    """``term``'s tokens as typed, not stemmed: a stem of a half-typed word is no prefix."""
    return typed_analyzer().analyze(term)


def term_query(name: str, words: list[str]) -> tantivy.Query:
    """The query for one term in field ``name``: its ``words`` (tokens) as a term or a phrase."""
    if len(words) == 1:
        return tantivy.Query.term_query(schema(), name, words[0], index_option="freq")
    phrase: list[str | tuple[int, str]] = list(words)
    return tantivy.Query.phrase_query(schema(), name, phrase)


def prefix_query(searcher: tantivy.Searcher, name: str, words: list[str]) -> tantivy.Query | None:
    """The query for ``words`` (tokens as typed) in field ``name``, the last a prefix; a
    constant score. ``None`` when no indexed word starts so.

    The prefix stands for every indexed word it starts, from the term
    dictionary of the whole index (tantivy's own prefix query expands each
    segment's first 50 words alone, so results would depend on the shards and
    miss words); at the end of a phrase (``async-awa``: ``async`` then a word
    starting ``awa``), for the :data:`PHRASE_EXPANSIONS` most frequent of them, each a
    phrase query (so only in :data:`PHRASE_PREFIX_FIELDS`).
    """
    q = tantivy.Query
    if len(words) == 1:
        expanded = [term for term, _ in searcher.terms_with_prefix(name, words[0])]
        return q.term_set_query(schema(), name, expanded) if expanded else None
    ends = searcher.terms_with_prefix(name, words[-1], limit=PHRASE_EXPANSIONS)
    if not ends:
        return None
    phrases = []
    for end, _ in sorted(ends):
        phrase: list[str | tuple[int, str]] = [*words[:-1], end]
        phrases.append((tantivy.Occur.Should, q.phrase_query(schema(), name, phrase)))
    return q.const_score_query(q.boolean_query(phrases), 1.0)


def build_query(
    searcher: tantivy.Searcher,
    terms: list[str],
    typed: list[str],
    section: str = "",
    tag: str = "",
) -> tantivy.Query | None:
    """The tantivy query for ``terms`` (from :func:`parse_terms`), the last also as the
    prefix ``typed`` (:func:`prefix_words`), and the filters; ``None`` when no term has
    a token (nothing to look for)."""
    q, must, should = tantivy.Query, tantivy.Occur.Must, tantivy.Occur.Should
    clauses, in_title = [], []
    for number, term in enumerate(terms):
        words = tokens(term)
        if not words:  # only words too long to be indexed: nothing can match or miss
            continue
        last = typed if number == len(terms) - 1 else []
        fields, title = [], [(should, term_query("title", words))]
        for name, weight in WEIGHTS.items():
            fields.append((should, q.boost_query(term_query(name, words), weight)))
            wanted = len(last) == 1 or (last and name in PHRASE_PREFIX_FIELDS)
            prefixed = prefix_query(searcher, name, last) if wanted else None
            if prefixed is not None:
                fields.append((should, q.boost_query(prefixed, weight)))
                if name == "title":
                    title.append((should, prefixed))
        clauses.append((must, q.boolean_query(fields)))
        in_title.append((must, q.boolean_query(title)))
    if not clauses:
        return None
    clauses.append((should, q.const_score_query(q.boolean_query(in_title), TITLE_TIER)))
    for name, value in (("section_urls", section), ("tag_slugs", tag)):
        if value:  # filters narrow, never score
            clauses.append((must, q.const_score_query(q.term_query(schema(), name, value), 0.0)))
    return q.boolean_query(clauses)


def search(
    index: SearchIndex,
    query: str,
    section: str = "",
    tag: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> SearchResults:
    """Run ``query`` (user text) with optional ``section`` (URL) and ``tag`` (slug) filters.

    Returns page ``page`` of the ranked hits and the number of all hits;
    no terms means no hits. Raises :class:`IndexUnavailable` when the
    index cannot be queried.
    """
    started = time.perf_counter()
    terms = parse_terms(query)
    out = SearchResults(query, terms, section, tag, page, per_page)
    typed = prefix_words(index.searcher, terms)
    built = build_query(index.searcher, terms, typed, section, tag) if terms else None
    if built is not None:
        try:
            found = index.searcher.search(built, per_page, offset=(page - 1) * per_page)
            docs = [index.searcher.doc(address)["doc"][0] for _, address in found.hits]
        except ValueError as exc:
            raise IndexUnavailable(f"the search index cannot be queried: {exc}") from exc
        out.total = found.count or 0  # type: ignore[attr-defined]  # not in the binding's stub
        marks = Marks(terms, typed)
        for raw in docs:
            doc, body = stored_parts(raw)
            text, at = body_window(body, marks)
            if at < 0 and doc["summary"]:
                text, at = doc["summary"], marks.first(doc["summary"])
            shown = snippet(text, marks, at)
            out.results.append(Result(doc["title"], doc["url"], doc["date"], doc["section"], shown))
        out.pages = -(-out.total // per_page)
    out.took_ms = round((time.perf_counter() - started) * 1000, 2)
    return out


class Marks:
    """Which words of a text match the query's ``terms``: the same stem as a term's
    token, or starting like the last ``typed`` token (:func:`prefix_words`)."""

    def __init__(self, terms: list[str], typed: list[str]):
        self.stems = {t for term in terms for t in tokens(term)}
        self.prefix = typed[-1] if typed else ""
        # Where to look first: a stem is the start of most of its word's forms.
        self.starts = sorted({s[: max(3, len(s) - 1)] for s in self.stems} | {self.prefix} - {""})
        # An ASCII word that starts like none of them is no match (most words):
        # telling so costs less than asking the tokenizer.
        self._heads = tuple({s[:2] for s in self.starts})
        self._seen: dict[str, bool] = {}

    def match(self, word: str) -> bool:
        """Whether ``word`` (one word of page text) is a match."""
        known = self._seen.get(word)  # ten snippets repeat most of their words
        if known is None:
            known = (not word.isascii() or word.lower().startswith(self._heads)) and (
                any(s in self.stems for s in tokens(word))
                or (bool(self.prefix) and any(t.startswith(self.prefix) for t in _typed(word)))
            )
            self._seen[word] = known
        return known

    def first(self, text: str) -> int:
        """Where the first matching word of ``text`` starts; -1 when none does.

        Substring searches for each word's start (as written, capitalised,
        in capitals), each checked as a word: lower-casing a long body, or a
        regular expression over it, costs more.
        """
        best = -1
        for start in self.starts:
            for form in {start, start.capitalize(), start.upper()}:
                at = text.find(form)
                while at >= 0 and (best < 0 or at < best):
                    begin = at
                    while begin > 0 and text[begin - 1].isalnum():
                        begin -= 1
                    end = at + len(form)
                    while end < len(text) and text[end].isalnum():
                        end += 1
                    if self.match(text[begin:end]):
                        best = begin
                        break
                    at = text.find(form, end)
        return best


def body_window(
    pieces: Iterator[str], marks: Marks, words: int = SNIPPET_TOKENS
) -> tuple[str, int]:
    """The start of a body (its ``pieces``, from :func:`stored_parts`) long enough for
    its :func:`snippet`, and where its first match starts (-1: none, the whole body).

    Reads pieces until the text holds a match and the snippet's window after
    it, so the snippet is the one the whole body gives.
    """
    text, checked, at = "", 0, -1
    for piece in pieces:
        text += piece
        if at < 0:
            # The last word may go on in the next piece: look up to the last space.
            upto = text.rfind(" ") + 1
            if upto > checked:
                found = marks.first(text[checked:upto])
                at, checked = (found + checked if found >= 0 else -1), upto
        if at >= 0 and len(text) > at + _CHARS_PER_WORD * words:
            return text, at
    if at < 0 and (rest := marks.first(text[checked:])) >= 0:
        at = rest + checked
    return text, at


def snippet(text: str, marks: Marks, found: int, words: int = SNIPPET_TOKENS) -> str:
    """About ``words`` words of ``text`` from a little before its first match (at
    ``found``, -1 for none: from the start), as HTML: the text escaped, matching words
    in ``<mark>``, ``…`` where the text was cut."""
    start = 0
    if found > 0:
        # A few words of context before the match.
        start = found
        for _ in range(4):
            start = text.rfind(" ", 0, max(0, start - 1)) + 1
            if start == 0:
                break
    end = start + _CHARS_PER_WORD * words  # a long body is not copied whole
    parts = text[start:end].split(" ", words)
    cut = len(parts) > words or end < len(text)
    if len(parts) <= words and end < len(text) and len(parts) > 1:
        parts.pop()  # a word the window cut in two
    window = " ".join(parts[:words])
    out = ["…" if start > 0 else ""]
    last = 0
    for match in _WORD.finditer(window):
        if marks.match(match.group()):
            out.append(html.escape(window[last : match.start()]))
            out.append(f"<mark>{html.escape(match.group())}</mark>")
            last = match.end()
    out.append(html.escape(window[last:]))
    if cut:
        out.append("…")
    return "".join(out)


def filter_choices(index: SearchIndex) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """``(sections, tags)`` stored in the index: ``[{"url", "title"}]``, ``[{"slug", "name"}]``.

    Sections by URL, tags by name (ASCII case folded), then slug.
    """
    return index.sections, index.tags


def stored_site(index: SearchIndex) -> dict[str, Any]:
    """The site dict the build stored (name, nav, language...), for the results page."""
    return index.site
