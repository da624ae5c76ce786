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
   ``IDF_shard(t)`` times the fraction, from which ``f(t, d)`` is solved
   (``D`` from ``fts_docsize``), then scored with the whole index's ``IDF``
   and ``avgdl``. The other hits keep the order of step 3.

The order is a function of the query alone (not of the page asked for), so
pages of results are disjoint and add up to the total.

A hit is ``(shard number, row)``, the row as :data:`jamtail.search.query`'s
hits query gives it: ``(id, url, title, date, section, titled, score, count)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .reader import SearchIndex, varints

K1 = 1.2  # fts5_aux.c's BM25 constants
B = 0.75
EXACT_HEAD = 20  # the first hits (two pages) are scored exactly
DIGITS = 12  # significant digits of a score compared across shards
_TITLED, _SCORE = 5, 6

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
    params = {**params, "limit": max(window, EXACT_HEAD)}
    hits: list[Hit] = []
    counts: dict[int, int] = {}
    for number, con in enumerate(index.shards):
        rows = con.execute(sql, params).fetchall()
        if rows:
            counts[number] = rows[0][-1]
            hits.extend((number, row) for row in rows)
    total = sum(counts.values())
    if len(index.shards) > 1 and hits:
        filtered = bool(params.get("section") or params.get("tag"))
        stats = _Statistics(index, terms, None if filtered else counts)
        hits = [(n, _with_score(row, row[_SCORE] * stats.scale(n))) for n, row in hits]
        _sort(hits)
        head = hits[:EXACT_HEAD]
        exact = stats.exact_scores(head, weights)
        # Rounded: pages of equal text score alike in one index, so their order
        # is by date; computed through different shards they differ in the last bits.
        head = [
            (n, _with_score(row, float(f"{exact.get((n, row[0]), row[_SCORE]):.{DIGITS}g}")))
            for n, row in head
        ]
        _sort(head)
        return head + hits[EXACT_HEAD:], total
    _sort(hits)
    return hits, total


def _with_score(row: tuple[Any, ...], score: float) -> tuple[Any, ...]:
    return (*row[:_SCORE], score, *row[_SCORE + 1 :])


def _sort(hits: list[Hit]) -> None:
    """ORDER BY titled DESC, score, date DESC, url, as stable sorts from the last key."""
    hits.sort(key=lambda h: h[1][1])
    hits.sort(key=lambda h: h[1][3], reverse=True)
    hits.sort(key=lambda h: (-h[1][_TITLED], h[1][_SCORE]))


def idf(rows: int, hits: int) -> float:
    """FTS5's BM25 IDF of a phrase found in ``hits`` of ``rows`` pages."""
    value = math.log((rows - hits + 0.5) / (hits + 0.5))
    return value if value > 0 else 1e-6


class _Statistics:
    """Each term's IDF in every shard and in the whole index, and the mean page lengths."""

    def __init__(self, index: SearchIndex, terms: Sequence[str], counts: dict[int, int] | None):
        self.index = index
        self.terms = list(terms)
        if counts is not None and len(terms) == 1:
            found = [[counts.get(n, 0)] for n in range(len(index.shards))]
        else:
            sql = "SELECT " + ", ".join(
                f"(SELECT count(*) FROM fts WHERE fts MATCH :t{i})" for i in range(len(terms))
            )
            args = {f"t{i}": term for i, term in enumerate(terms)}
            found = [list(con.execute(sql, args).fetchone()) for con in index.shards]
        rows = sum(index.rows)
        self.avgdl = sum(index.tokens) / rows if rows else 1.0
        self.idf = [idf(rows, sum(f[i] for f in found)) for i in range(len(terms))]
        self.shard_idf = [[idf(r, n) for n in f] for r, f in zip(index.rows, found, strict=True)]

    def scale(self, shard: int) -> float:
        """A factor for the shard's scores: whole-index IDFs over the shard's, summed."""
        return sum(self.idf) / sum(self.shard_idf[shard])

    def exact_scores(self, hits: list[Hit], weights: str) -> dict[tuple[int, int], float]:
        """``{(shard, page id): BM25 score with the whole index's statistics}`` for ``hits``."""
        ids: dict[int, list[int]] = {}
        for shard, row in hits:
            ids.setdefault(shard, []).append(int(row[0]))
        scores = {}
        for shard, pages in ids.items():
            listed = ", ".join(str(i) for i in pages)
            arms = [
                f"SELECT {i}, rowid, bm25(fts, {weights}) FROM fts"
                f" WHERE fts MATCH :t{i} AND rowid IN ({listed})"
                for i in range(len(self.terms))
            ]
            arms.append(f"SELECT -1, id, sz FROM fts_docsize WHERE id IN ({listed})")
            args = {f"t{i}": term for i, term in enumerate(self.terms)}
            parts: dict[int, dict[int, float]] = {}
            length: dict[int, int] = {}
            for term, page, value in self.index.shards[shard].execute(
                " UNION ALL ".join(arms), args
            ):
                if term < 0:
                    length[page] = sum(varints(value))
                else:
                    parts.setdefault(page, {})[term] = value
            rows, tokens = self.index.rows[shard], self.index.tokens[shard]
            avgdl = tokens / rows if rows else 1.0
            for page, by_term in parts.items():
                scores[(shard, page)] = self._score(by_term, length.get(page, 0), avgdl, shard)
        return scores

    def _score(self, by_term: dict[int, float], length: int, avgdl: float, shard: int) -> float:
        """The page's whole-index score from its per-term scores in the shard."""
        here = K1 * (1 - B + B * length / avgdl)
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
