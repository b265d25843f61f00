"""Ranking-quality metrics, as trec_eval computes them (pure functions).

Conventions follow trec_eval 9.x and pytrec_eval (which BEIR and Pyserini report):
- a run is a ranked list of document ids; qrels map document id -> graded relevance;
  a grade <= 0 is not relevant;
- nDCG@k (trec_eval's ndcg_cut): gain = grade (linear), discount = log2(rank + 1); the ideal
  ranking sorts all judged grades; a query with no relevant document scores 0;
- Recall@k: relevant retrieved in the top k / all relevant;
- MRR@k (recip_rank cut at k): 1 / rank of the first relevant document in the top k;
- MAP (average precision over the whole run): mean of precision at each relevant document's
  rank, divided by the number of relevant documents.
Means are over the queries given (queries with judgements, as BEIR evaluates).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Run = Sequence[str]
Qrels = Mapping[str, int]


def dcg(grades: Sequence[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(grades) if g > 0)


def ndcg_at(run: Run, qrels: Qrels, k: int = 10) -> float:
    ideal = dcg(sorted((g for g in qrels.values() if g > 0), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([qrels.get(doc, 0) for doc in run[:k]]) / ideal


def recall_at(run: Run, qrels: Qrels, k: int = 100) -> float:
    relevant = {d for d, g in qrels.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(run[:k])) / len(relevant)


def mrr_at(run: Run, qrels: Qrels, k: int = 10) -> float:
    for rank, doc in enumerate(run[:k], start=1):
        if qrels.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def average_precision(run: Run, qrels: Qrels) -> float:
    relevant = sum(1 for g in qrels.values() if g > 0)
    if not relevant:
        return 0.0
    found, total = 0, 0.0
    for rank, doc in enumerate(run, start=1):
        if qrels.get(doc, 0) > 0:
            found += 1
            total += found / rank
    return total / relevant


@dataclass(frozen=True)
class Scores:
    """Mean metrics over a set of queries."""

    queries: int
    ndcg_at_10: float
    recall_at_100: float
    mrr_at_10: float
    map: float


def evaluate(runs: Mapping[str, Run], qrels: Mapping[str, Qrels]) -> Scores:
    """Mean metrics over every judged query (a judged query with no run scores 0)."""
    ids = sorted(qrels)
    if not ids:
        return Scores(0, 0.0, 0.0, 0.0, 0.0)

    def mean(metric) -> float:
        return sum(metric(runs.get(q, []), qrels[q]) for q in ids) / len(ids)

    return Scores(
        queries=len(ids),
        ndcg_at_10=mean(lambda r, q: ndcg_at(r, q, 10)),
        recall_at_100=mean(lambda r, q: recall_at(r, q, 100)),
        mrr_at_10=mean(lambda r, q: mrr_at(r, q, 10)),
        map=mean(average_precision),
    )
