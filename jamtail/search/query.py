"""Query the search index: user text in, ranked results with safe snippets out.

User input never reaches FTS5 query syntax. :func:`parse_terms` cuts the
text into words (letters and digits, joined by ``.``, ``'`` or ``-``, so
``1.52`` and ``don't`` stay whole); :func:`match_expression` quotes each as
an FTS5 string (``"1.52"``, which FTS5 reads as the phrase ``1 52``), so
quotes, ``NEAR``, ``AND``/``OR``/``NOT``, ``*``, ``^``, column filters
(``title:``) and parentheses are only ever words or separators. Every term
must match (implicit AND); the last one also matches as a prefix, for
results as the reader types.

Limits (a :class:`QueryError`, HTTP 400, when exceeded): a query of at most
:data:`MAX_QUERY_CHARS` characters; ``page`` from 1 to :data:`MAX_PAGE`;
filters of at most 200 characters. Terms beyond :data:`MAX_TERMS` are
ignored. Control characters are dropped.

Ranking: pages whose title holds every term come first (the title boost:
FTS5's BM25 normalises by the length of the whole page, so column weights
alone let a short page that names a term once beat the long page titled
with it); then BM25 (``bm25()``) with column weights :data:`WEIGHTS`; ties
go to the newer page. The index is sharded: every shard answers its best
hits, which are merged on BM25 with the whole index's statistics
(:mod:`jamtail.search.ranking`); the total is the sum of the shards'.
Snippets come from the body (else the summary) with ``snippet()``; the text
is HTML-escaped first, then the matches are wrapped in ``<mark>``.
"""

from __future__ import annotations

import html
import re
import sqlite3
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

from jamtail.search.ranking import Hit, ranked_hits
from jamtail.search.reader import IndexUnavailable, SearchIndex, open_index
from jamtail.search.text import MARK_CLOSE, MARK_OPEN

__all__ = ["IndexUnavailable", "SearchIndex", "open_index"]  # re-exported: the function's API

MAX_QUERY_CHARS = 200
MAX_TERMS = 16
MAX_PAGE = 100
MAX_FILTER_CHARS = 200
PER_PAGE = 10
MIN_PREFIX_CHARS = 2
SNIPPET_TOKENS = 24
WEIGHTS = {"title": 10.0, "summary": 4.0, "body": 1.0, "section": 2.0, "tags": 4.0, "authors": 2.0}
_APOSTROPHE = "\u2019"  # the typographic apostrophe: a word as typed with it, or not
_TERM = re.compile(r"\w+(?:['\u2019.\-]\w+)*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ue000-\uf8ff]")


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
        return asdict(self)


def parse_terms(query: str) -> list[str]:
    """The words of ``query``, lower-cased, at most :data:`MAX_TERMS`, in order."""
    text = unicodedata.normalize("NFKC", _CONTROL.sub(" ", query))
    terms = []
    for match in _TERM.finditer(text):
        term = match.group().replace(_APOSTROPHE, "'").strip("_").lower()
        if any(ch.isalnum() for ch in term):
            terms.append(term)
    return terms[:MAX_TERMS]


def match_expression(terms: list[str]) -> str:
    """The FTS5 query for ``terms``: each a quoted string, the last also a prefix.

    Not a prefix when the last word ends in a single letter (``a``, ``cargo's``):
    every word starting with one letter is a large share of the index, slow
    to merge and no help to the reader. A single digit stays a prefix
    (``rust 1.7`` finds 1.70).
    """
    return " ".join(phrases(terms))


def phrases(terms: list[str]) -> list[str]:
    """The FTS5 phrases of :func:`match_expression`, one per term."""
    quoted = ['"' + term.replace('"', '""') + '"' for term in terms]
    if quoted and _prefix_worthy(terms[-1]):
        quoted[-1] += "*"
    return quoted


def _prefix_worthy(term: str) -> bool:
    last = re.split(r"[^\w]+", term)[-1]
    return len(last) >= MIN_PREFIX_CHARS or last.isdigit()


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


def highlight(snippet: str) -> str:
    """HTML for a snippet with markers: escape the text, then turn markers into ``<mark>``."""
    return html.escape(snippet).replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")


# Rank every hit on the FTS table alone (auxiliary functions cannot run in a
# join or a window), then make snippets for the requested page only. Each
# shard gives its best :limit hits with the ranking key and the page's length
# (FTS5's column sizes), for merging on the whole index's BM25.
_HITS_SQL = """
WITH hits AS MATERIALIZED (
    SELECT rowid AS id, bm25(fts, {weights}) AS score FROM fts WHERE fts MATCH :match
), titled AS MATERIALIZED (
    SELECT rowid AS id FROM fts WHERE fts MATCH :title_match
), ranked AS (
    SELECT p.id, p.url, p.date, h.id IN (SELECT id FROM titled) AS titled, h.score
    FROM hits h JOIN pages p ON p.id = h.id
    WHERE 1 {filters}
    ORDER BY titled DESC, h.score, p.date DESC, p.url
    LIMIT :limit
)
SELECT r.*, d.sz, (SELECT count(*) FROM hits h WHERE 1 {filters})
FROM ranked r JOIN fts_docsize d ON d.id = r.id
ORDER BY r.titled DESC, r.score, r.date DESC, r.url
"""
_WEIGHTS_SQL = ", ".join(str(w) for w in WEIGHTS.values())
# The shown fields of the page of results only (a shard's hits carry what ranks them).
_SNIPPETS_SQL = """
SELECT rowid, snippet(fts, 2, :open, :close, '…', :tokens),
       snippet(fts, 1, :open, :close, '…', :tokens),
       (SELECT title FROM pages WHERE id = fts.rowid),
       (SELECT section FROM pages WHERE id = fts.rowid)
FROM fts WHERE fts MATCH :match AND rowid IN ({ids})
"""


def search(
    index: SearchIndex,
    query: str,
    section: str = "",
    tag: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> SearchResults:
    """Run ``query`` (user text) with optional ``section`` (URL) and ``tag`` (slug) filters.

    Returns page ``page`` of the ranked hits; no terms means no hits. Each
    shard is asked for its best hits, which are merged by the ranking key
    (title tier, BM25 score, newer date, URL) with BM25 put on the whole
    index's statistics (:func:`~jamtail.search.ranking.ranked_hits`);
    ``total`` is the sum of the shards' counts. Holds ``index.lock``.
    Raises :class:`IndexUnavailable` when the index cannot be queried.
    """
    started = time.perf_counter()
    terms = parse_terms(query)
    out = SearchResults(query, terms, section, tag, page, per_page)
    if terms:
        filters = ""
        if section:
            filters += (
                " AND h.id IN (SELECT page_id FROM page_sections WHERE section_url = :section)"
            )
        if tag:
            filters += " AND h.id IN (SELECT page_id FROM page_tags WHERE tag = :tag)"
        sql = _HITS_SQL.format(filters=filters, weights=_WEIGHTS_SQL)
        match = match_expression(terms)
        params = {
            "match": match, "section": section, "tag": tag,
            "title_match": f"title : ({match})",
        }  # fmt: skip
        with index.lock:
            try:
                hits, out.total = ranked_hits(
                    index, sql, params, phrases(terms), _WEIGHTS_SQL, page * per_page
                )
                chosen = hits[(page - 1) * per_page : page * per_page]
                snippets = _snippets(index, match, chosen)
            except sqlite3.Error as exc:
                raise IndexUnavailable(f"the search index cannot be queried: {exc}") from exc
        for shard, (page_id, url, date, *_) in chosen:
            body_snip, summary_snip, title, sect = snippets[(shard, page_id)]
            text = body_snip if MARK_OPEN in body_snip or not summary_snip else summary_snip
            out.results.append(Result(title, url, date, sect, highlight(text)))
        out.pages = -(-out.total // per_page)
    out.took_ms = round((time.perf_counter() - started) * 1000, 2)
    return out


def _snippets(
    index: SearchIndex, match: str, hits: list[Hit]
) -> dict[tuple[int, int], tuple[str, str, str, str]]:
    """``{(shard, page id): (body snippet, summary snippet, title, section)}``.

    Snippets have marker characters around the matches.
    """
    by_shard: dict[int, list[int]] = {}
    for shard, row in hits:
        by_shard.setdefault(shard, []).append(int(row[0]))
    params = {"open": MARK_OPEN, "close": MARK_CLOSE, "tokens": SNIPPET_TOKENS, "match": match}
    found = {}
    for shard, ids in by_shard.items():
        sql = _SNIPPETS_SQL.format(ids=", ".join(str(i) for i in ids))
        for row in index.shards[shard].execute(sql, params):
            found[(shard, row[0])] = (row[1] or "", row[2] or "", row[3], row[4])
    return found


def filter_choices(index: SearchIndex) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """``(sections, tags)`` stored in the index: ``[{"url", "title"}]``, ``[{"slug", "name"}]``.

    Sections by URL, tags by name (ASCII case folded), then slug.
    """
    return index.sections, index.tags


def stored_site(index: SearchIndex) -> dict[str, Any]:
    """The site dict the build stored (name, nav, language...), for the results page."""
    return index.site
