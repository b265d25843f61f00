"""BM25 scores: against a hand computation, and against the pure formula on the seeds."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from indexer.analysis import terms
from indexer.bm25 import (
    bm25_idf,
    bm25_length_norms,
    bm25_posting_scores,
    bm25_score,
    bm25_term_weight,
    bm25_term_weights,
)
from indexer.pipeline import build_index
from search.engine import Engine
from search.ranking import ROLE_WEIGHTS


def test_idf_and_tf_parts_by_hand() -> None:
    assert bm25_idf(3, 2) == pytest.approx(math.log(1 + 1.5 / 2.5))
    assert bm25_idf(1000, 1000) > 0  # Lucene's idf never goes negative
    # tf=2, |d| = avgdl: 2 * 2.2 / (2 + 1.2)
    assert bm25_term_weight(2, 10, 10) == pytest.approx(4.4 / 3.2)
    assert bm25_term_weight(0, 10, 10) == 0.0


def test_engine_scores_equal_a_hand_computation(tiny_corpus: Path, tmp_path: Path) -> None:
    build_index([tiny_corpus], tmp_path / "index")
    engine = Engine.open(tmp_path / "index")
    result = engine.search("children")
    # Analysed passages: a = foster carer support children (4 tokens);
    # b = children care see social worker children thrive (7; "in" is a stopword);
    # c = leader inspect practic (3). N = 3, avgdl = 14/3, n(children) = 2.
    idf = math.log(1 + (3 - 2 + 0.5) / (2 + 0.5))
    avgdl = 14 / 3
    score_a = idf * 1 * 2.2 / (1 + 1.2 * (1 - 0.75 + 0.75 * 4 / avgdl))
    score_b = idf * 2 * 2.2 / (2 + 1.2 * (1 - 0.75 + 0.75 * 7 / avgdl))
    assert [(h.citation, h.score) for h in result.results] == [
        ("b#1", pytest.approx(score_b, abs=1e-12)),
        ("a#1", pytest.approx(score_a, abs=1e-12)),
    ]
    assert result.total == 2


def test_k1_and_b_are_settable(tiny_corpus: Path, tmp_path: Path) -> None:
    build_index([tiny_corpus], tmp_path / "index")
    engine = Engine.open(tmp_path / "index")
    hit = engine.search("children", k1=0.9, b=0.0).results[0]
    idf = math.log(1 + 1.5 / 2.5)
    assert hit.score == pytest.approx(idf * 2 * 1.9 / (2 + 0.9), abs=1e-12)  # b=0: no length


@pytest.mark.parametrize(
    "query",
    [
        "care leavers accommodation",
        "inspection",
        "social workers caseloads",
        "exploitation missing",
    ],
)
def test_every_seed_hit_scores_as_the_formula_says(engine: Engine, query: str) -> None:
    """Recompute each hit from scratch: document frequencies counted over every passage."""
    passages = [
        engine.passage(f"{d.doc_id}#{n}")
        for d in engine.documents()
        for n in range(1, d.passages + 1)
    ]
    analysed = {p.citation: terms(p.text) for p in passages}
    avgdl = sum(map(len, analysed.values())) / len(analysed)
    query_terms = terms(query)
    df = {t: sum(t in set(a) for a in analysed.values()) for t in query_terms}
    for role_weights in (False, True):
        result = engine.search(query, limit=None, role_weights=role_weights)
        assert result.total == sum(any(t in a for t in query_terms) for a in analysed.values())
        for hit in result.results:
            expected = bm25_score(query_terms, analysed[hit.citation], df, len(analysed), avgdl)
            if role_weights:  # the default: a recommendation's score is multiplied by its weight
                expected *= dict(ROLE_WEIGHTS).get(hit.role, 1.0)
            assert hit.score == pytest.approx(expected, rel=1e-9)
        scores = [h.score for h in result.results]
        assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    ("k1", "b", "avgdl"), [(1.2, 0.75, 37.3), (2.0, 0.3, 5.0), (0.9, 1.0, 0.0)]
)
@pytest.mark.parametrize("weight", [1.0, 0.8, 2.5])
def test_the_per_posting_form_equals_the_formula_to_the_last_bit(
    k1: float, b: float, avgdl: float, weight: float
) -> None:
    """search.plain's one-comprehension form computes what bm25_term_weights does, in its
    order: equal with ==, not approximately (numpy's path uses the formula itself)."""
    lengths = [0, 1, 7, 36, 37, 38, 250, 1000]
    postings = [(d, tf) for d in range(len(lengths)) for tf in (1, 2, 3, 17)]
    norms = bm25_length_norms(max(lengths), avgdl, k1, b)
    idf = bm25_idf(1000, 37)
    for docnum, tf in postings:
        got = bm25_posting_scores([docnum], [tf], lengths, norms, idf, weight, k1)
        tf_part = bm25_term_weights(float(tf), float(lengths[docnum]), avgdl, k1, b)
        expected = (idf * tf_part) * weight if weight != 1.0 else idf * tf_part
        assert got == {docnum: expected}
