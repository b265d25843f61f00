"""Beyond plain BM25: three optional refinements, each a small pure function with its source.

All three re-score the best candidates of a first BM25 ranking (RM3 runs a second query).
Whether any is worth turning on is measured with `search eval` (README, "Ranking").

- heading boost: a query word found in the passage's heading (an Ofsted section, a paper's
  title) adds `weight * idf(word)`; a crude form of BM25F's field weights (Robertson,
  Zaragoza & Taylor, "Simple BM25 extension to multiple weighted fields", CIKM 2004).
- proximity: Büttcher, Clarke & Lushman, "Term proximity scoring for ad-hoc retrieval on
  very large text collections", SIGIR 2006: each occurrence of a query word gains
  idf(neighbour) / distance^2 from the nearest occurrence of a different query word next to
  it; a word's gains `acc` add min(1, idf) * acc * (k1 + 1) / (acc + K) to the score, K being
  BM25's length-normalised k1.
- RM3 pseudo-relevance feedback: Lavrenko & Croft, "Relevance-based language models", SIGIR
  2001, as RM3 in Abdul-Jaleel et al., "UMass at TREC 2004" and Anserini: P(w|R) = sum over
  the top documents of P(w|d) * P(d|q); keep the best terms; mix with the query,
  lambda * P(w|q) + (1 - lambda) * P(w|R); run the mixed query. Anserini's defaults: 10
  documents, 10 terms, lambda 0.5.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Refinements:
    """Which refinements to apply (all off: plain BM25)."""

    heading_boost: float = 0.0  # weight of a query word found in the heading; 0 = off
    proximity: bool = False
    rm3: bool = False
    rerank_depth: int = 100  # how many of the first ranking the re-scoring looks at
    fb_docs: int = 10
    fb_terms: int = 10
    original_weight: float = 0.5

    @property
    def any(self) -> bool:
        return bool(self.heading_boost or self.proximity or self.rm3)


def heading_bonus(
    query_terms: Sequence[str], heading_terms: set[str], idf: Callable[[str], float], weight: float
) -> float:
    """weight * sum of idf over the distinct query words that are in the heading."""
    return weight * sum(idf(t) for t in set(query_terms) if t in heading_terms)


def proximity_bonus(
    query_terms: Sequence[str],
    positions: Sequence[tuple[int, str]],
    idf: Callable[[str], float],
    k1: float,
    length_norm: float,
) -> float:
    """Büttcher et al. (2006). `positions` are (position, term) of the passage's words, in
    order; `length_norm` is (1 - b + b * |d| / avgdl)."""
    wanted = set(query_terms)
    hits = [(p, t) for p, t in positions if t in wanted]
    acc: Counter[str] = Counter()
    for (p1, t1), (p2, t2) in itertools.pairwise(hits):
        if t1 != t2:
            distance = max(1, p2 - p1)
            acc[t1] += idf(t2) / distance**2
            acc[t2] += idf(t1) / distance**2
    big_k = k1 * length_norm
    return sum(min(1.0, idf(t)) * a * (k1 + 1) / (a + big_k) for t, a in acc.items())


def rm3_weights(
    query_terms: Sequence[str],
    feedback: Sequence[tuple[float, Sequence[str]]],
    refinements: Refinements,
) -> dict[str, float]:
    """The expanded query: term -> weight. `feedback` is (score, terms) of the top documents."""
    query_model = Counter(query_terms)
    total = sum(query_model.values())
    original = {t: n / total for t, n in query_model.items()}
    scores = [s for s, _ in feedback]
    norm = sum(scores)
    relevance: Counter[float] = Counter()
    for score, terms in feedback:
        if not terms or norm <= 0:
            continue
        weight = score / norm
        for term, count in Counter(terms).items():
            relevance[term] += weight * count / len(terms)
    best = dict(relevance.most_common(refinements.fb_terms))
    best_total = sum(best.values()) or 1.0
    lam = refinements.original_weight
    mixed = {t: lam * w for t, w in original.items()}
    for term, w in best.items():
        mixed[term] = mixed.get(term, 0.0) + (1 - lam) * w / best_total
    return mixed


def mixed_counts(weights: Mapping[str, float]) -> dict[str, float]:
    """Scale weights so the largest is 1 (BM25 sums them; only their ratios matter)."""
    top = max(weights.values(), default=1.0) or 1.0
    return {t: w / top for t, w in weights.items()}
