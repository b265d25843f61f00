"""BM25, Lucene's variant, as small pure functions.

Robertson & Zaragoza, "The Probabilistic Relevance Framework: BM25 and Beyond" (2009), with
the idf that Lucene uses since 6.0 (always positive; `org.apache.lucene.search.similarities.
BM25Similarity`), as bm25s's "lucene" method and Pyserini do:

    idf(t)     = ln(1 + (N - n(t) + 0.5) / (n(t) + 0.5))
    score(d,q) = sum over t in q of idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * |d| / avgdl))

N: passages in the index; n(t): passages containing t; tf: occurrences of t in d; |d|: d's exact
length in analysed tokens; avgdl: the mean of |d|. Lucene drops the constant (k1 + 1) and
stores |d| lossily in a byte; we do neither, so scores equal bm25s's "lucene" method.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

K1 = 1.2
B = 0.75


@dataclass(frozen=True)
class Parameters:
    """BM25's k1 and b for an index, and how they were chosen (`search eval --tune`)."""

    k1: float = K1
    b: float = B
    chosen_by: str = "the usual defaults (Robertson & Zaragoza 2009; Lucene, Pyserini)"

    @classmethod
    def from_manifest(cls, data: object) -> Parameters:
        """The manifest's `ranking` entry; ValueError if it is not one (a damaged index)."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise ValueError(f"ranking is {type(data).__name__}, not an object")
        k1, b, why = data.get("k1"), data.get("b"), data.get("chosen_by")
        numbers = all(isinstance(v, int | float) and math.isfinite(v) for v in (k1, b))
        if not (numbers and 0 <= k1 <= 1000 and 0 <= b <= 1 and isinstance(why, str)):  # type: ignore[operator]
            raise ValueError(f"ranking {data!r} is not k1 (0-1000), b (0-1) and chosen_by")
        return cls(float(k1), float(b), why)  # type: ignore[arg-type]


def bm25_idf(doc_count: int, doc_frequency: int) -> float:
    """ln(1 + (N - n + 0.5) / (n + 0.5))."""
    return math.log(1.0 + (doc_count - doc_frequency + 0.5) / (doc_frequency + 0.5))


def bm25_term_weight(
    tf: float, length: float, avg_length: float, k1: float = K1, b: float = B
) -> float:
    """tf * (k1 + 1) / (tf + k1 * (1 - b + b * |d| / avgdl)): the saturating tf part."""
    return 0.0 if tf <= 0 else bm25_term_weights(tf, length, avg_length, k1, b)


def bm25_term_weights(tf: Any, length: Any, avg_length: float, k1: float = K1, b: float = B) -> Any:
    """The same for numbers or whole numpy arrays at once (every tf > 0, as postings are)."""
    norm = 1.0 - b + b * (length / avg_length if avg_length else 0.0 * length)
    return tf * (k1 + 1.0) / (tf + k1 * norm)


def bm25_length_norms(longest: int, avg_length: float, k1: float = K1, b: float = B) -> list[float]:
    """k1 * (1 - b + b * |d| / avgdl) for every length |d| from 0 to `longest`, each computed
    as bm25_term_weights computes it (so its results are equal to the last bit)."""
    if not avg_length:  # no passage has a word
        return [k1 * (1.0 - b + b * (0.0 * length)) for length in range(longest + 1)]
    return [k1 * (1.0 - b + b * (length / avg_length)) for length in range(longest + 1)]


def bm25_posting_scores(
    docnums: Iterable[int],
    tfs: Iterable[float],
    lengths: Sequence[int],
    norms: Sequence[float],
    idf: float,
    weight: float = 1.0,
    k1: float = K1,
) -> dict[int, float]:
    """(idf x bm25_term_weights) x weight for each posting (docnum, tf), with `lengths` by
    docnum and `norms` from bm25_length_norms: bm25_term_weights's operations in its order,
    one comprehension rather than a call a posting (plain Python, search.plain). A weight of
    1 is not multiplied (x * 1.0 is x)."""
    kp1 = k1 + 1.0
    if weight == 1.0:
        return {
            d: idf * (tf * kp1 / (tf + norms[lengths[d]]))
            for d, tf in zip(docnums, tfs, strict=True)
        }
    return {
        d: (idf * (tf * kp1 / (tf + norms[lengths[d]]))) * weight
        for d, tf in zip(docnums, tfs, strict=True)
    }


def bm25_score(
    query_terms: list[str],
    doc_terms: list[str],
    doc_frequency: dict[str, int],
    doc_count: int,
    avg_length: float,
    k1: float = K1,
    b: float = B,
) -> float:
    """The whole formula for one passage: the reference the index's scores are tested against."""
    score = 0.0
    for term in query_terms:
        tf = doc_terms.count(term)
        if tf:
            idf = bm25_idf(doc_count, doc_frequency[term])
            score += idf * bm25_term_weight(tf, len(doc_terms), avg_length, k1, b)
    return score
