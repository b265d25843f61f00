"""Choose BM25's k1 and b for an index from a person's judged queries, by cross-validation.

Every (k1, b) of a small grid is scored on every judged query once (nDCG@10, as `search eval`
scores it). The queries are dealt into `folds` folds in the file's order (query i goes to fold
i mod folds); for each fold the grid point best on the other folds is scored on that fold, so
the cross-validated nDCG@10 is what choosing by this procedure earns on queries it did not
see (Hastie, Tibshirani & Friedman, *The Elements of Statistical Learning*, 7.10). The index
keeps the usual defaults unless the cross-validated choice beats the defaults on the same
queries by more than one standard error of the per-query gain; then the grid point best on
all the queries is chosen.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import product

from indexer.bm25 import K1, B, Parameters

# Around the usual values, from a light saturation and length normalisation to a strong one
# (a short grid: 35 runs of the judged queries, and few points to overfit with; k1 reaches
# 3 because on the Ofsted set the best k1 sat at 2, the edge of a first grid that stopped there).
GRID_K1 = (0.5, 0.8, 1.2, 1.6, 2.0, 2.5, 3.0)
GRID_B = (0.3, 0.45, 0.6, 0.75, 0.9)
FOLDS = 5

Point = tuple[float, float]
PerQuery = Mapping[Point, Mapping[str, float]]  # (k1, b) -> query -> nDCG@10
Held = dict[str, Point]  # query -> the point chosen on the folds it is not in


@dataclass(frozen=True)
class Fold:
    """One fold: the point chosen on the other folds, and what it scored on this one."""

    queries: int
    k1: float
    b: float
    ndcg_at_10: float


@dataclass(frozen=True)
class TuneReport:
    """What `search eval --tune` measured and chose."""

    collection: str
    queries: int
    folds: tuple[Fold, ...]
    defaults_ndcg_at_10: float  # k1 = 1.2, b = 0.75 on every query
    cross_validated_ndcg_at_10: float  # each query scored by the point chosen without it
    gain: float  # cross-validated minus defaults, per query on average
    gain_standard_error: float
    best_k1: float  # the grid point best on every query
    best_b: float
    best_ndcg_at_10: float  # in-sample: optimistic, shown for comparison only
    chosen: Parameters  # the defaults unless cross-validation beats them
    query_seconds: float


def grid() -> list[Point]:
    """The (k1, b) points tried, the defaults among them."""
    points = list(product(GRID_K1, GRID_B))
    assert (K1, B) in points
    return points


def score_grid(
    queries: Sequence[str],
    ndcg: Callable[[float, float], Mapping[str, float]],
    *,
    progress: bool = False,
) -> PerQuery:
    """nDCG@10 per query at every grid point; `ndcg(k1, b)` runs them all once."""
    from tqdm import tqdm

    table = {}
    for k1, b in tqdm(grid(), unit="setting", disable=not progress, leave=False):
        scores = ndcg(k1, b)
        table[(k1, b)] = {q: scores.get(q, 0.0) for q in queries}
    return table


def best_point(table: PerQuery, queries: Sequence[str]) -> Point:
    """The point with the highest mean over `queries`; ties go to the defaults, then to the
    point nearest them (a change must earn its place)."""

    def key(point: Point) -> tuple[float, int, float]:
        mean = sum(table[point][q] for q in queries) / len(queries)
        distance = abs(point[0] - K1) / K1 + abs(point[1] - B) / B
        return (round(mean, 12), point == (K1, B), -distance)

    return max(table, key=key)


def cross_validate(
    table: PerQuery, queries: Sequence[str], folds: int = FOLDS, held: Held | None = None
) -> list[Fold]:
    """Each fold scored by the point best on the others (query i in fold i mod folds);
    `held`: held_out_points, if the caller has them already."""
    held = held or held_out_points(table, queries, folds)
    result = []
    for fold in range(folds):
        members = [q for i, q in enumerate(queries) if i % folds == fold]
        point = held[members[0]]
        score = sum(table[point][q] for q in members) / len(members)
        result.append(Fold(len(members), point[0], point[1], score))
    return result


def held_out_points(table: PerQuery, queries: Sequence[str], folds: int) -> Held:
    """For each query, the point chosen on the folds it is not in."""
    if not 2 <= folds <= len(queries):
        raise ValueError(
            f"{folds} folds need 2 to {len(queries)} of them for {len(queries)} queries"
        )
    chosen = {}
    for fold in range(folds):
        rest = [q for i, q in enumerate(queries) if i % folds != fold]
        point = best_point(table, rest)
        chosen.update({q: point for i, q in enumerate(queries) if i % folds == fold})
    return chosen


def earns_its_place(table: PerQuery, queries: Sequence[str], held: Held) -> tuple[float, float]:
    """The mean per-query gain of the cross-validated choice over the defaults, and its
    standard error. A change is kept only when the gain exceeds one standard error (the
    one-standard-error rule, Hastie, Tibshirani & Friedman 7.10): a gain of 0.001 on 48
    queries is noise, not a reason to move an index off the usual values."""
    gains = [table[held[q]][q] - table[(K1, B)][q] for q in queries]
    mean = sum(gains) / len(gains)
    spread = math.sqrt(sum((g - mean) ** 2 for g in gains) / (len(gains) - 1))
    return mean, spread / math.sqrt(len(gains))


def choose(table: PerQuery, queries: Sequence[str], folds: int, source: str) -> TuneReport:
    """What the cross-validation measured, and the parameters to keep (the defaults unless
    the gain earns its place); `query_seconds` is left for the caller to fill."""
    held = held_out_points(table, queries, folds)
    scored = cross_validate(table, queries, folds, held)
    cv = sum(f.ndcg_at_10 * f.queries for f in scored) / len(queries)
    defaults = mean_of(table, (K1, B), queries)
    best = best_point(table, queries)
    gain, error = earns_its_place(table, queries, held)
    chosen = Parameters()
    if gain > error and best != (K1, B):
        why = (
            f"search eval --tune on {source}: {len(queries)} queries, {folds}-fold "
            f"cross-validated nDCG@10 {cv:.4f} against {defaults:.4f} for k1={K1:g} b={B:g} "
            f"(gain {gain:.4f}, standard error {error:.4f})"
        )
        chosen = Parameters(best[0], best[1], why)
    return TuneReport(
        collection=source,
        queries=len(queries),
        folds=tuple(scored),
        defaults_ndcg_at_10=defaults,
        cross_validated_ndcg_at_10=cv,
        gain=gain,
        gain_standard_error=error,
        best_k1=best[0],
        best_b=best[1],
        best_ndcg_at_10=mean_of(table, best, queries),
        chosen=chosen,
        query_seconds=0.0,
    )


def mean_of(table: PerQuery, point: Point, queries: Sequence[str]) -> float:
    return sum(table[point][q] for q in queries) / len(queries)
