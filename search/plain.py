"""A whole query scored in plain Python over the memory-mapped arrays: no numpy import.

The same postings as search.vector (`Store.postings_lists`: memoryviews of the arrays the
writer left in the generation, indexer.arrays), scored by the same BM25 function one posting
at a time and combined by the same rules (Lucene's model, `indexer.clauses.BoolQuery`):

    should: any of them, scores added     must: all of them     must_not: none of them
    restrict (metadata fields) and the document filter narrow; they never score

Every sum is taken in search.vector's order, so the scores are the same to the last bit
(tests/test_vector.py runs every judged query all ways). A posting costs about 0.3 µs here
against numpy's few nanoseconds, but numpy's import costs ~60 ms: a one-shot process (`search
query`) takes this path unless a query reads more postings than that import would pay for
(search.ranking).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence

from indexer.bm25 import bm25_idf, bm25_length_norms, bm25_posting_scores
from indexer.clauses import TEXT_FIELD, TermClause, count_phrase, holds_phrase
from indexer.store import Store

Scores = dict[int, float]  # docnum -> score, for the passages a clause matches


class PlainScorer:
    """Scores queries against one open store with BM25's k1 and b."""

    def __init__(self, store: Store, k1: float, b: float) -> None:
        self.store, self.k1, self.b = store, k1, b
        self.count = store.passage_count()
        self.avgdl = store.average_length()
        self.lengths = store.length_list().tolist()  # a list indexes faster than a view
        self.norms = bm25_length_norms(max(self.lengths, default=0), self.avgdl, k1, b)

    def rank(
        self,
        should: Sequence[TermClause],
        must: Sequence[TermClause],
        must_not: Sequence[TermClause],
        restrict: Sequence[TermClause] = (),
        allowed: frozenset[str] | None = None,
    ) -> Scores:
        """The score of every matching passage, by docnum (unordered: `best` orders them)."""
        narrow: set[int] | None = None  # where a passage may match at all
        for clause in restrict:
            narrow = _and(narrow, self._docnums(clause))
        if allowed is not None:
            narrow = _and(narrow, self.store.passage_docnum_list(sorted(allowed)))
        scores: Scores = {}
        for clause in should:
            _add(scores, self._clause(clause, narrow))
        hits: set[int] | None = None  # None: the passages `scores` holds
        if not should:
            hits = set(range(len(self.lengths)))  # metadata clauses alone: every passage
        if must:
            matched = [self._clause(clause, narrow) for clause in must]
            hits = set(matched[0]).intersection(*matched[1:])  # should clauses only add
            scores = {d: scores.get(d, 0.0) + _summed(d, matched) for d in hits}
        if narrow is not None:
            hits = (scores.keys() if hits is None else hits) & narrow
        for clause in must_not:
            within = scores.keys() if hits is None else hits
            if clause.field == TEXT_FIELD and clause.kind != "any":
                excluded = self._clause(clause, set(within)).keys()
            else:
                excluded = self._docnums(clause)
            hits = within - excluded
        if hits is None:
            return scores
        return {d: scores.get(d, 0.0) for d in hits}

    # one clause --------------------------------------------------------------------------------

    def _clause(self, clause: TermClause, narrow: set[int] | None = None) -> Scores:
        """The passages a text clause matches, with its score in each; within `narrow` only,
        when given (a phrase is checked word for word only there)."""
        if clause.kind == "prefix":
            words = self.store.text_terms_with_prefix(clause.terms[0])
            union: Scores = {}
            for word in words:
                _add(union, self._term(word, clause.weight))
            return union
        if clause.kind == "synonym":
            return self._synonym(clause)
        if len(clause.terms) == 1 and clause.kind != "phrase":
            return self._term(clause.terms[0], clause.weight)
        # every word of the clause: the passages holding all of them first, then (a phrase)
        # word for word, then each word's score where the clause matched, summed in order
        counts = [dict(zip(*self.store.postings_lists(t), strict=True)) for t in clause.terms]
        common = set(min(counts, key=len)).intersection(*counts)
        if clause.kind == "phrase":
            common = self._in_a_row(clause.sequence, common, narrow)
        scores: Scores = {}
        for term, held in zip(clause.terms, counts, strict=True):
            idf = bm25_idf(self.count, self.store.doc_frequency(term))
            part = self._weighted(common, [held[d] for d in common], idf, clause.weight)
            scores = {d: scores[d] + s for d, s in part.items()} if scores else part
        return scores

    def _in_a_row(
        self, words: tuple[str, ...], docnums: set[int], narrow: set[int] | None
    ) -> set[int]:
        """Which of `docnums` (within `narrow`, if given) hold the phrase's words in a row."""
        numbers = self.store.words.phrase(words)
        if numbers is None:  # a word of it is in no passage
            return set()
        (flat, starts), width = self.store.sequence_views(), self.store.words.width
        return {
            d
            for d in docnums
            if (narrow is None or d in narrow)
            and holds_phrase(flat[starts[d] : starts[d + 1]].tobytes(), numbers, width)
        }

    def _term(self, term: str, weight: float) -> Scores:
        docnums, counts = self.store.postings_lists(term)
        idf = bm25_idf(self.count, self.store.doc_frequency(term))
        return self._weighted(docnums, counts, idf, weight)

    def _weighted(
        self, docnums: Iterable[int], counts: Iterable[float], idf: float, weight: float
    ) -> Scores:
        return bm25_posting_scores(docnums, counts, self.lengths, self.norms, idf, weight, self.k1)

    def _synonym(self, clause: TermClause) -> Scores:
        """A word and a phrase as one term (search.vector's `_synonym`): either form's
        passages, their union's document frequency, both forms' occurrences summed."""
        docnums, word_counts = self.store.postings_lists(clause.terms[0])
        counts: dict[int, float] = dict(zip(docnums, map(float, word_counts), strict=True))
        phrase = clause.terms[1:]
        one_word = len(phrase) == 1 and len(clause.sequence) == 1
        numbers = None if one_word else self.store.words.phrase(clause.sequence)
        if one_word:  # a one-word form: its postings
            for d, c in zip(*self.store.postings_lists(phrase[0]), strict=True):
                counts[d] = counts.get(d, 0.0) + c
        elif phrase and numbers is not None:  # (None: a word of it is in no passage)
            candidates = set(self.store.postings_lists(phrase[0])[0])
            for term in phrase[1:]:
                candidates &= set(self.store.postings_lists(term)[0])
            (flat, starts), width = self.store.sequence_views(), self.store.words.width
            for d in candidates:
                run = flat[starts[d] : starts[d + 1]].tobytes()
                counts[d] = counts.get(d, 0.0) + count_phrase(run, numbers, width)
        held = sorted(d for d, c in counts.items() if c)
        idf = bm25_idf(self.count, len(held))
        return self._weighted(held, [counts[d] for d in held], idf, clause.weight)

    # metadata clauses --------------------------------------------------------------------------

    def _docnums(self, clause: TermClause) -> set[int]:
        if clause.kind == "any" and clause.field == "doc_id":
            return self.store.passage_docnum_list(clause.terms)
        return set(self.store.matching(clause))


def best(scores: Scores, limit: int | None = None) -> list[tuple[float, int]]:
    """The first `limit` (all: None) as (score, docnum), best first, ties in index order."""
    if limit is not None and limit < len(scores):
        # the limit-th best score first (floats only: fast), then order what reaches it
        floor = heapq.nlargest(limit, scores.values())[-1]
        scores = {d: s for d, s in scores.items() if s >= floor}
    ranked = sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))
    return [(score, docnum) for docnum, score in ranked[:limit]]


def _add(total: Scores, part: Scores) -> None:
    """Add a clause's scores into a running total, passage by passage."""
    if not total:
        total.update(part)  # 0.0 + x is x: the first clause's scores as they are
        return
    for docnum, score in part.items():
        total[docnum] = total.get(docnum, 0.0) + score


def _summed(docnum: int, parts: list[Scores]) -> float:
    """One passage's scores of several clauses, added in their order from 0.0 (numpy's)."""
    total = 0.0
    for part in parts:
        total += part[docnum]
    return total


def _and(narrow: set[int] | None, other: set[int]) -> set[int]:
    return set(other) if narrow is None else narrow & other
