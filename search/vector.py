"""A whole query scored at once over numpy arrays: the path for queries with many matches.

whoosh's matcher scores one posting at a time in Python (about 4 µs each): "children" alone
holds 34,000 of the report corpus's 47,000 passages. Here each term's postings are read as two
arrays (passage numbers and counts, `Store.postings`: slices of the arrays the writer left in
the generation, indexer.arrays, mapped read-only), scored by the same BM25 functions in
one step (`indexer.bm25.bm25_term_weights`), and the clauses are combined as whoosh's boolean
queries combine them (Lucene's model, `indexer.clauses.BoolQuery`):

    should: any of them, scores added     must: all of them     must_not: none of them
    restrict (metadata fields) and the document filter narrow; they never score

A phrase ("children in care") is checked word for word, stopwords included, in the passages
that hold all its indexed words: every word of every passage is in one array of word numbers
(`Store.sequences`, indexer.words), and the phrase's numbers are compared with it at every
place a phrase could start in those passages, all at once.

The results equal whoosh's to the last bit of ranking (tests/test_vector.py runs every query
of the judged set both ways); the engine picks this path when a query's postings are many.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from indexer.bm25 import bm25_idf, bm25_term_weights
from indexer.clauses import TEXT_FIELD, TermClause, count_phrase
from indexer.store import Store

PLACES_PER_BATCH = 1 << 21  # phrase check: 2M places (16 MB an index array) at a time


class VectorScorer:
    """Scores queries against one open store; remembers the arrays it has read."""

    def __init__(self, store: Store, k1: float, b: float) -> None:
        self.store, self.k1, self.b = store, k1, b
        self.count = store.passage_count()
        self.avgdl = store.average_length()
        self.lengths = store.lengths()
        self.size = len(self.lengths)

    def rank(
        self,
        should: Sequence[TermClause],
        must: Sequence[TermClause],
        must_not: Sequence[TermClause],
        restrict: Sequence[TermClause] = (),
        allowed: frozenset[str] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, docnums) of every matching passage, best first, ties in index order."""
        # Where a passage may match at all (metadata, filters): worked out first, so that
        # phrases are checked only there ("children in care" --year 2022). Deleted passages
        # are gone already: Store.postings leaves them out, as whoosh's queries do.
        narrow: np.ndarray | None = None
        for clause in restrict:
            narrow = self._and(narrow, self._marks(self._docnums(clause)))
        if allowed is not None:
            narrow = self._and(narrow, self._marks(self.store.passage_docnums(sorted(allowed))))
        scores = np.zeros(self.size, dtype=np.float64)
        hits = np.ones(self.size, dtype=bool)  # metadata clauses alone: every passage
        if should:
            hits = np.zeros(self.size, dtype=bool)
            for clause in should:
                docnums, clause_scores = self._clause(clause, narrow)
                hits[docnums] = True
                scores[docnums] += clause_scores
        if must:
            required = np.zeros(self.size, dtype=np.int32)
            must_scores = np.zeros(self.size, dtype=np.float64)
            for clause in must:
                docnums, clause_scores = self._clause(clause, narrow)
                required[docnums] += 1
                must_scores[docnums] += clause_scores
            hits = required == len(must)  # AndMaybe: the should clauses only add
            scores += must_scores
        if narrow is not None:
            hits &= narrow
        for clause in must_not:
            if clause.field == TEXT_FIELD and clause.kind != "any":
                docnums, _ = self._clause(clause, hits)
            else:
                docnums = self._docnums(clause)
            hits[docnums] = False
        docnums = np.flatnonzero(hits)
        found = scores[docnums]
        order = np.lexsort((docnums, -found))
        return found[order], docnums[order]

    # one clause --------------------------------------------------------------------------------

    def _clause(
        self, clause: TermClause, narrow: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Docnums (sorted, unique) a text clause matches, with its score for each; within
        `narrow` (a mask) only, when given."""
        if clause.kind == "prefix":
            words = self.store.text_terms_with_prefix(clause.terms[0])
            return self._union([self._term(t, clause.weight) for t in words])
        if clause.kind == "synonym":
            return self._synonym(clause)
        parts = [self._term(t, clause.weight) for t in clause.terms]
        docnums, scores = parts[0]
        for other_docnums, other_scores in parts[1:]:  # every word of the clause
            docnums, mine, theirs = np.intersect1d(
                docnums, other_docnums, assume_unique=True, return_indices=True
            )
            scores = scores[mine] + other_scores[theirs]
        if clause.kind == "phrase":
            if narrow is not None:  # spare the word-for-word check outside it
                keep = narrow[docnums]
                docnums, scores = docnums[keep], scores[keep]
            keep = self._in_a_row(clause.sequence, docnums)
            docnums, scores = docnums[keep], scores[keep]
        return docnums, scores

    def _term(self, term: str, weight: float) -> tuple[np.ndarray, np.ndarray]:
        docnums, counts = self.store.postings(term)
        idf = bm25_idf(self.count, self.store.doc_frequency(term))
        tf_part = bm25_term_weights(counts, self.lengths[docnums], self.avgdl, self.k1, self.b)
        return docnums, (idf * tf_part) * weight if weight != 1.0 else idf * tf_part

    def _synonym(self, clause: TermClause) -> tuple[np.ndarray, np.ndarray]:
        """A word and a phrase as one term (Lucene's SynonymQuery, extended to a phrase): its
        passages hold either, its document frequency is their union's size, its count in a
        passage the sum of both forms' occurrences."""
        word_docnums, word_counts = self.store.postings(clause.terms[0])
        counts = np.zeros(self.size, dtype=np.float64)
        counts[word_docnums] += word_counts
        phrase = clause.terms[1:]
        one_word = len(phrase) == 1 and len(clause.sequence) == 1
        numbers = None if one_word else self.store.words.phrase(clause.sequence)
        if one_word:  # a one-word form: its postings
            other, other_counts = self.store.postings(phrase[0])
            counts[other] += other_counts
        elif phrase and numbers is not None:  # (None: a word of it is in no passage)
            candidates = self.store.postings(phrase[0])[0]
            for term in phrase[1:]:
                candidates = np.intersect1d(candidates, self.store.postings(term)[0])
            flat, starts, lengths = self.store.sequences()
            for docnum in candidates.tolist():
                run = flat[starts[docnum] : starts[docnum] + lengths[docnum]].tobytes()
                counts[docnum] += count_phrase(run, numbers, flat.itemsize)
        docnums = np.flatnonzero(counts)
        idf = bm25_idf(self.count, len(docnums))
        tf_part = bm25_term_weights(
            counts[docnums], self.lengths[docnums], self.avgdl, self.k1, self.b
        )
        return docnums, idf * tf_part * clause.weight

    def _union(self, parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        if not parts:
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        scores = np.zeros(self.size, dtype=np.float64)
        hits = np.zeros(self.size, dtype=bool)
        for docnums, part in parts:
            scores[docnums] += part
            hits[docnums] = True
        docnums = np.flatnonzero(hits)
        return docnums, scores[docnums]

    def _in_a_row(self, phrase: tuple[str, ...], docnums: np.ndarray) -> np.ndarray:
        """Which of `docnums` hold the phrase's words one after another."""
        flat, starts, lengths = self.store.sequences()
        numbers = self.store.words.phrase(phrase)
        if numbers is None:  # a word of it is in no passage
            return np.zeros(len(docnums), dtype=bool)
        wanted = np.frombuffer(numbers, dtype=flat.dtype)
        width = len(wanted)
        room = np.maximum(lengths[docnums] - width + 1, 0)  # where the phrase could start
        found = np.zeros(len(docnums), dtype=bool)
        # a batch at a time: every place in a batch is an index, and the 10x corpus has
        # tens of millions of them for "children in care"
        ends = np.cumsum(room)
        first = 0
        while first < len(docnums):
            last = int(np.searchsorted(ends, ends[first] - room[first] + PLACES_PER_BATCH))
            last = max(last, first + 1)
            batch = slice(first, last)
            counts = room[batch]
            owner = np.repeat(np.arange(first, last), counts)
            before = np.cumsum(counts) - counts
            places = np.repeat(starts[docnums[batch]], counts) + (
                np.arange(len(owner)) - np.repeat(before, counts)
            )
            for k in range(width):
                keep = flat[places + k] == wanted[k]
                places, owner = places[keep], owner[keep]
            found[owner] = True
            first = last
        return found

    # metadata clauses --------------------------------------------------------------------------

    def _docnums(self, clause: TermClause) -> np.ndarray:
        if clause.kind == "any" and clause.field == "doc_id":
            return self.store.passage_docnums(clause.terms)
        return self.store.matching_docnums(clause)

    @staticmethod
    def _and(mask: np.ndarray | None, other: np.ndarray) -> np.ndarray:
        return other.copy() if mask is None else mask & other

    def _marks(self, docnums: np.ndarray) -> np.ndarray:
        marks = np.zeros(self.size, dtype=bool)
        marks[docnums] = True
        return marks


def reweighted(
    scores: np.ndarray, docnums: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Scores multiplied by each passage's weight, re-sorted best first (ties: docnum)."""
    scores = scores * weights[docnums]
    order = np.lexsort((docnums, -scores))
    return scores[order], docnums[order]


def as_pairs(scores: np.ndarray, docnums: np.ndarray, limit: int | None = None) -> list[Any]:
    """The first `limit` results as (score, docnum) pairs of Python numbers."""
    if limit is not None:
        scores, docnums = scores[:limit], docnums[:limit]
    return list(zip(scores.tolist(), docnums.tolist(), strict=True))
