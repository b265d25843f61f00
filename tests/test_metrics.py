"""Metric arithmetic on hand-made runs (checked by hand here; against pytrec_eval in issue 4)."""

from __future__ import annotations

import math

import pytest

from search.metrics import average_precision, evaluate, mrr_at, ndcg_at, recall_at


def test_ndcg_graded_by_hand() -> None:
    qrels = {"a": 3, "b": 1, "c": 2}
    run = ["b", "x", "a"]
    dcg = 1 / math.log2(2) + 3 / math.log2(4)
    ideal = 3 / math.log2(2) + 2 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at(run, qrels, 10) == pytest.approx(dcg / ideal)
    assert ndcg_at(["a", "c", "b"], qrels, 10) == pytest.approx(1.0)
    assert ndcg_at(run, {"z": 0}, 10) == 0.0  # no relevant document


def test_cutoffs() -> None:
    qrels = {"a": 1, "b": 1}
    run = ["x", "y", "a", "b"]
    assert recall_at(run, qrels, 3) == 0.5
    assert mrr_at(run, qrels, 2) == 0.0
    assert mrr_at(run, qrels, 3) == pytest.approx(1 / 3)
    assert average_precision(run, qrels) == pytest.approx((1 / 3 + 2 / 4) / 2)


def test_means_count_judged_queries_without_runs_as_zero() -> None:
    scores = evaluate({"q1": ["a"]}, {"q1": {"a": 1}, "q2": {"b": 1}})
    assert scores.queries == 2
    assert scores.ndcg_at_10 == pytest.approx(0.5)
