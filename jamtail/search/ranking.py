"""Ranking across shards: each shard's best hits, merged on the whole index's BM25.

FTS5's ``bm25()`` (``fts5_aux.c``) scores a page ``d`` for phrases ``t`` as::

    -sum over t of IDF(t) * f(t, d) * (k1 + 1) / (f(t, d) + k1 * (1 - b + b * D(d) / avgdl))
    IDF(t) = log((N - n(t) + 0.5) / (n(t) + 0.5)), at least 1e-6

with ``f`` the column-weighted count of ``t`` in ``d``, ``D`` the page's
length in tokens, ``N``, ``n(t)`` and ``avgdl`` the table's page count,
pages holding ``t`` and mean length. In a shard these statistics are the
shard's, so the same page would score differently elsewhere. The merge puts
scores on the whole index's statistics, so the order is close to the one
a single index gives (``bench/search.py`` measures how close):

1. every shard answers its best hits (as many as the requested page needs,
   at least :data:`EXACT_HEAD`) with its own score, and its hit count;
2. ``n(t)`` is summed over the shards (a statement a shard, unless the query
   is one unfiltered term: then it is the hit count);
3. each shard's scores are scaled by the sum of the terms' whole-index IDFs
   over their sum in the shard (exact for one term but for ``avgdl``), and
   the hits merged on that. The scale keeps each shard's own order, so the
   merge of the shards' best hits is the merge of all their hits;
4. the first :data:`EXACT_HEAD` hits of that merge are scored exactly and
   ordered again: each term's ``bm25()`` alone on those pages gives
   ``IDF_shard(t)`` times the fraction (for one term, the hit's own score
   is that), from which ``f(t, d)`` is solved (``D`` from ``fts_docsize``),
   then scored with the whole index's ``IDF`` and ``avgdl``. The other
   hits keep the order of step 3.

The order is a function of the query alone (not of the page asked for), so
pages of results are disjoint and add up to the total.

A hit is ``(shard number, row)``, the row as :data:`jamtail.search.query`'s
hits query gives it: ``(id, url, date, titled, score, column sizes (FTS5's
varints), count)``.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Sequence
from typing import Any

from jamtail.search.reader import SearchIndex, varints

K1 = 1.2  # fts5_aux.c's BM25 constants
B = 0.75
EXACT_HEAD = 20  # the first hits (two pages) are scored exactly
DIGITS = 12  # significant digits of a score compared across shards
FREQUENCIES_KEPT = 4096  # terms whose page counts per shard an open index keeps
_URL, _DATE, _TITLED, _SCORE, _SIZES = 1, 2, 3, 4, 5

Hit = tuple[int, tuple[Any, ...]]


def ranked_hits(
    index: SearchIndex,
    sql: str,
    params: dict[str, Any],
    terms: Sequence[str],
    weights: str,
    window: int,
) -> tuple[list[Hit], int]:
    """The first ``window`` hits (or more) in ranking order, and the total hit count.

    ``sql`` is the per-shard hits query taking ``params`` and ``limit``;
    ``terms`` the query's FTS5 phrases; ``weights`` the ``bm25()`` column
    weights as SQL. The order does not depend on ``window``, so pages of
    results never overlap.
    """
    limit = max(window, EXACT_HEAD)
    params = {**params, "limit": limit}
    answers: list[list[Hit]] = []
    counts: dict[int, int] = {}
    for number, con in enumerate(index.shards):
        rows = con.execute(sql, params).fetchall()
        if rows:
            counts[number] = rows[0][-1]
            answers.append([(number, row) for row in rows])
    total = sum(counts.values())
    if len(index.shards) == 1 or not answers:
        return (answers[0] if answers else []), total
    filtered = bool(params.get("section") or params.get("tag"))
    stats = _Statistics(index, terms, None if filtered else counts)
    scales = [stats.scale(n) for n in range(len(index.shards))]

    def key(hit: Hit) -> tuple[Any, ...]:
        row = hit[1]
        return (-row[_TITLED], row[_SCORE] * scales[hit[0]], _Descending(row[_DATE]), row[_URL])

    # Each shard's hits are in its own order, which scaling keeps: merge lazily.
    hits = list(itertools.islice(heapq.merge(*answers, key=key), limit))
    head = hits[:EXACT_HEAD]
    exact = stats.exact_scores(head, weights)
    # Rounded: pages of equal text score alike in one index, so their order is
    # by date; computed through different shards they differ in the last bits.
    head = [
        (n, _with_score(row, float(f"{exact.get((n, row[0]), row[_SCORE]):.{DIGITS}g}")))
        for n, row in head
    ]
    head.sort(key=lambda h: (-h[1][_TITLED], h[1][_SCORE], _Descending(h[1][_DATE]), h[1][_URL]))
    return head + hits[EXACT_HEAD:], total


class _Descending:
    """A sort key ordering values (dates) from the greatest down."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value

    def __lt__(self, other: _Descending) -> bool:
        return bool(other.value < self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.value == other.value


def _with_score(row: tuple[Any, ...], score: float) -> tuple[Any, ...]:
    return (*row[:_SCORE], score, *row[_SCORE + 1 :])


def idf(rows: int, hits: int) -> float:
    """FTS5's BM25 IDF of a phrase found in ``hits`` of ``rows`` pages."""
    value = math.log((rows - hits + 0.5) / (hits + 0.5))
    return value if value > 0 else 1e-6


class _Statistics:
    """Each term's IDF in every shard and in the whole index, and the mean page lengths.

    A term's page count in each shard is kept in ``index.frequencies`` (the
    shards never change under an open index), so a term typed again, or
    kept while the reader types the next, is not counted again.
    """

    def __init__(self, index: SearchIndex, terms: Sequence[str], counts: dict[int, int] | None):
        self.index = index
        self.terms = list(terms)
        known = index.frequencies
        if counts is not None and len(terms) == 1:
            known[terms[0]] = tuple(counts.get(n, 0) for n in range(len(index.shards)))
        missing = [t for t in dict.fromkeys(terms) if t not in known]
        if missing:
            sql = "SELECT " + ", ".join(
                f"(SELECT count(*) FROM fts WHERE fts MATCH :t{i})" for i in range(len(missing))
            )
            args = {f"t{i}": term for i, term in enumerate(missing)}
            found = [con.execute(sql, args).fetchone() for con in index.shards]
            if len(known) + len(missing) > FREQUENCIES_KEPT:
                known.clear()
            for i, term in enumerate(missing):
                known[term] = tuple(f[i] for f in found)
        per_term = [known[t] for t in terms]
        rows = sum(index.rows)
        self.avgdl = sum(index.tokens) / rows if rows else 1.0
        self.idf = [idf(rows, sum(f)) for f in per_term]
        self.shard_idf = [[idf(r, f[n]) for f in per_term] for n, r in enumerate(index.rows)]

    def scale(self, shard: int) -> float:
        """A factor for the shard's scores: whole-index IDFs over the shard's, summed."""
        return sum(self.idf) / sum(self.shard_idf[shard])

    def exact_scores(self, hits: list[Hit], weights: str) -> dict[tuple[int, int], float]:
        """``{(shard, page id): BM25 score with the whole index's statistics}`` for ``hits``.

        One term: the hits' own scores are the term's. More: each term's
        ``bm25()`` on those pages, one statement a shard.
        """
        parts: dict[tuple[int, int], dict[int, float]] = {}
        if len(self.terms) == 1:
            parts = {(n, row[0]): {0: row[_SCORE]} for n, row in hits}
        else:
            ids: dict[int, list[int]] = {}
            for shard, row in hits:
                ids.setdefault(shard, []).append(int(row[0]))
            args = {f"t{i}": term for i, term in enumerate(self.terms)}
            for shard, pages in ids.items():
                listed = ", ".join(str(i) for i in pages)
                sql = " UNION ALL ".join(
                    f"SELECT {i}, rowid, bm25(fts, {weights}) FROM fts"
                    f" WHERE fts MATCH :t{i} AND rowid IN ({listed})"
                    for i in range(len(self.terms))
                )
                for term, page, value in self.index.shards[shard].execute(sql, args):
                    parts.setdefault((shard, page), {})[term] = value
        scores = {}
        for shard, row in hits:
            by_term = parts.get((shard, row[0]))
            if by_term is not None:
                length = sum(varints(row[_SIZES]))
                scores[(shard, row[0])] = self._score(by_term, length, shard)
        return scores

    def _score(self, by_term: dict[int, float], length: int, shard: int) -> float:
        """The page's whole-index score from its per-term scores in the shard."""
        rows, tokens = self.index.rows[shard], self.index.tokens[shard]
        here = K1 * (1 - B + B * length / (tokens / rows if rows else 1.0))
        there = K1 * (1 - B + B * length / self.avgdl)
        score = 0.0
        for term, value in by_term.items():
            fraction = -value / self.shard_idf[shard][term]  # f (k1 + 1) / (f + here)
            if fraction >= K1 + 1:  # rounding at a huge count: the fraction's limit
                score -= self.idf[term] * (K1 + 1)
                continue
            count = fraction * here / (K1 + 1 - fraction)
            score -= self.idf[term] * count * (K1 + 1) / (count + there)
        return score
