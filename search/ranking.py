"""Ranking: BM25 over the whole index by one of three paths, and the refinements on top.

The three paths give the same ranking, order and scores (tests/test_vector.py):

- "arrays": numpy over whole postings lists memory-mapped from our own files (search.vector);
- "python": plain Python over the same files (search.plain): no numpy import (~60 ms), what
  a query in a one-shot process should not pay unless it reads very many postings;
- "matcher": whoosh's own matchers with our exact-length weighting (indexer.whoosh_index):
  the reference the other two are tested against (it has no acronym expansion).

Which one runs is the caller's explicit choice (`Ranking`). "auto", for a one-shot process
such as `search query`, takes plain Python for a query that reads up to PYTHON_MAX_POSTINGS
postings and numpy's arrays for one that reads more, and keeps the arrays once it has paid
for them. A long-lived process (a server, a benchmark) asks for "arrays".
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, Literal

from indexer.analysis import analyse, terms
from indexer.bm25 import bm25_idf
from indexer.clauses import ROLE_FIELD, TEXT_FIELD, BoolQuery, TermClause
from indexer.store import Store
from search.rerank import Refinements, heading_bonus, mixed_counts, proximity_bonus, rm3_weights

Ranking = Literal["auto", "arrays", "python", "matcher"]
RANKINGS: tuple[Ranking, ...] = ("auto", "arrays", "python", "matcher")

# Postings a query must read before numpy's arrays pay for numpy's import (~60 ms, once in a
# process). Measured on the report corpus: plain Python takes 0.2-0.4 µs a posting (1.5 ms for
# "adoption", 4,300 postings; 16 ms for "children social workers", 60,000; 53 ms for a query of
# 7 words and 129,000), numpy a few ms for any of them. Once the arrays are in use they are kept.
PYTHON_MAX_POSTINGS = 150_000

# A passage of one of these roles (indexer.roles) has its score multiplied by the weight: a
# recommendation ("Ensure that when a child goes missing ...") repeats a query's words in a
# line that is rarely the passage to quote. Measured on the Ofsted judged set (tests/judged):
# 0.5 to 0.9 all gained about 0.008 nDCG@10 on the tuning part (0.8007 -> 0.8085 at 0.8, 9
# queries up, 4 down, a gain of 1.6 standard errors), and 0.8, the one kept, then gained as
# much on the held-aside part (0.8269 -> 0.8353). A query for `role:recommendation` ranks as
# before: every passage it matches has the same weight.
ROLE_WEIGHTS: tuple[tuple[str, float], ...] = (("recommendation", 0.8),)
RoleWeights = tuple[tuple[str, float], ...]


class Ranker:
    """Ranks passages of one open store by BM25; remembers what it has read."""

    def __init__(self, store: Store, ranking: Ranking = "auto") -> None:
        if ranking not in RANKINGS:
            raise ValueError(f"ranking must be one of {', '.join(RANKINGS)}, not {ranking!r}")
        self.store = store
        self.ranking = ranking
        self._scorers: dict[tuple[float, float], Any] = {}  # numpy's, by (k1, b)
        self._plain_scorers: dict[tuple[float, float], Any] = {}
        self._idf_cache: Callable[[str], float] | None = None
        self.last_path: str | None = None  # which of the paths ranked the last query
        self._last: tuple[Any, Any, Any] | None = None  # (key, scores, docnums) of the last
        self._roles: dict[str, list[int]] = {}
        self._weight_arrays: dict[RoleWeights, Any] = {}  # by docnum, for the arrays
        self._weight_maps: dict[RoleWeights, dict[int, float]] = {}  # for the matcher

    def rank(
        self,
        q: BoolQuery,
        filters: frozenset[str] | None,
        k1: float,
        b: float,
        *,
        limit: int | None = None,
        weights: RoleWeights = (),
    ) -> tuple[int, list[tuple[float, int]]]:
        """(how many passages match, the first `limit` as (score, docnum), best first);
        `weights`: roles whose passages' scores are multiplied (ROLE_WEIGHTS)."""
        path = self._path_for(q, filtered=bool(q.restrict) or filters is not None)
        self.last_path = path
        if path == "arrays":
            from search import vector

            scores, docnums = self.scored(q, filters, k1, b, weights)
            return len(docnums), vector.as_pairs(scores, docnums, limit)
        if path == "python":
            from search.plain import best

            scores = self._plain(k1, b).rank(q.should, q.must, q.must_not, q.restrict, filters)
            for role, weight in weights:
                for docnum in self._role_docnums(role):
                    if docnum in scores:
                        scores[docnum] *= weight
            return len(scores), best(scores, limit or None)
        ranked = self.store.search(q, filters, k1=k1, b=b)
        if weights:
            ranked = self._role_weighted(ranked, weights)
        return len(ranked), ranked[:limit] if limit else ranked

    def _plain(self, k1: float, b: float) -> Any:
        from search.plain import PlainScorer

        if (k1, b) not in self._plain_scorers:
            self._plain_scorers[(k1, b)] = PlainScorer(self.store, k1, b)
        return self._plain_scorers[(k1, b)]

    def scored(
        self,
        q: BoolQuery,
        filters: frozenset[str] | None,
        k1: float,
        b: float,
        weights: RoleWeights = (),
    ) -> Any:
        """(scores, docnums) of every passage `q` matches (numpy, best first), from the
        arrays; the last query's are kept: a results page ranks its query and then counts
        its facets over the same matches."""
        key = (q, filters, k1, b, weights)
        if self._last is not None and self._last[0] == key:
            return self._last[1], self._last[2]
        from search import vector

        scorer = self._scorers.get((k1, b))
        if scorer is None:
            scorer = self._scorers[(k1, b)] = vector.VectorScorer(self.store, k1, b)
        scores, docnums = scorer.rank(q.should, q.must, q.must_not, q.restrict, filters)
        if weights:
            scores, docnums = vector.reweighted(scores, docnums, self._weight_array(weights))
        self._last = (key, scores, docnums)
        return scores, docnums

    def _role_docnums(self, role: str) -> list[int]:
        """The passages of one role (ascending), remembered: the index does not change."""
        if role not in self._roles:  # from our arrays: no whoosh query, no numpy
            self._roles[role] = list(self.store.postings_lists(role, ROLE_FIELD)[0])
        return self._roles[role]

    def _weight_array(self, weights: RoleWeights) -> Any:
        """Each passage's weight (numpy, by docnum), for the arrays."""
        import numpy as np

        if weights not in self._weight_arrays:
            array = np.ones(len(self.store.lengths()), dtype=np.float64)
            for role, weight in weights:
                array[self._role_docnums(role)] = weight
            self._weight_arrays[weights] = array
        return self._weight_arrays[weights]

    def _role_weighted(
        self, ranked: list[tuple[float, int]], weights: RoleWeights
    ) -> list[tuple[float, int]]:
        """The matcher's ranking with the role weights applied, in the arrays' order."""
        if weights not in self._weight_maps:
            self._weight_maps[weights] = {
                d: w for role, w in weights for d in self._role_docnums(role)
            }
        factor = self._weight_maps[weights]
        weighted = [(score * factor.get(docnum, 1.0), docnum) for score, docnum in ranked]
        return sorted(weighted, key=lambda pair: (-pair[0], pair[1]))

    def _path_for(self, q: BoolQuery, filtered: bool) -> str:
        if self.ranking != "auto":
            return self.ranking
        if self._scorers:
            return "arrays"  # paid for
        total = self.store.passage_count() if filtered else 0  # a filter lists its passages
        for clause in (*q.should, *q.must, *q.must_not):
            if clause.field != TEXT_FIELD:
                continue
            words = clause.terms
            if clause.kind == "prefix":
                words = tuple(self.store.text_terms_with_prefix(clause.terms[0]))
            total += sum(self.store.doc_frequency(t) for t in words)
            if total > PYTHON_MAX_POSTINGS:
                return "arrays"
        return "python"

    def idf(self) -> Callable[[str], float]:
        """idf of a term, remembered for the life of this ranker (its index does not change)."""
        if self._idf_cache is None:
            count = self.store.passage_count()

            @cache
            def idf(term: str) -> float:
                return bm25_idf(count, self.store.doc_frequency(term))

            self._idf_cache = idf
        return self._idf_cache

    def rm3(
        self, weights: dict[str, float], refine: Refinements, k1: float, b: float
    ) -> dict[str, float]:
        """The query expanded by RM3 feedback from its own best passages (search.rerank)."""
        _, first = self.rank(bag_of_words(weights), None, k1, b, limit=refine.fb_docs)
        feedback = [
            (score, terms(self.store.row(docnum).text)) for score, docnum in first[: refine.fb_docs]
        ]
        query = [t for t, w in weights.items() for _ in range(max(1, round(w)))]
        return mixed_counts(rm3_weights(query, feedback, refine))

    def refine(
        self,
        ranked: list[tuple[float, int]],
        query_terms: list[str],
        refine: Refinements,
        k1: float,
        b: float,
    ) -> list[tuple[float, int]]:
        """Heading boost and proximity over the first `rerank_depth` passages (search.rerank)."""
        idf = self.idf()
        avgdl = self.store.average_length()
        head, tail = ranked[: refine.rerank_depth], ranked[refine.rerank_depth :]
        rescored = []
        for score, docnum in head:
            row = self.store.row(docnum)
            if refine.heading_boost:
                heading = row.section or self.store.documents[row.doc_id].title or ""
                score += heading_bonus(query_terms, set(terms(heading)), idf, refine.heading_boost)
            if refine.proximity:
                positions = [(t.position, t.text) for t in analyse(row.text)]
                norm = 1 - b + b * (row.length / avgdl if avgdl else 0.0)
                score += proximity_bonus(query_terms, positions, idf, k1, norm)
            rescored.append((score, docnum))
        rescored.sort(key=lambda x: (-x[0], x[1]))
        # a re-scored passage only gains, so none of the tail can overtake the head's last
        return rescored + tail


def bag_of_words(weights: dict[str, float], base: BoolQuery | None = None) -> BoolQuery:
    """Weighted terms ORed (added to `base`'s optional clauses, if given)."""
    extra = tuple(TermClause(TEXT_FIELD, (t,), "term", weight=w) for t, w in weights.items())
    if base is None:
        return BoolQuery(should=extra)
    return BoolQuery(base.should + extra, base.must, base.must_not, base.restrict)
