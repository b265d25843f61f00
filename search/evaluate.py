"""Evaluate ranking against judged queries: a person's own file over their own corpus.

The judged-queries file is tab-separated UTF-8, one judgement a line:

    # comment lines and blank lines are ignored
    query<TAB>citation key<TAB>grade

`grade` is a whole number: 3 = the passage to quote, 2 = clearly relevant, 1 = marginal;
passages not listed count as 0. A query may use the whole query language (`"phrase"`,
`year:2022`, ...). Every line of one query repeats its text exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from search.engine import Engine
from search.metrics import Scores, evaluate, ndcg_at


class JudgementsError(ValueError):
    """A judged-queries file that cannot be read."""


def load_judged_queries(path: Path) -> dict[str, dict[str, int]]:
    """query -> {citation: grade}, in the order the queries first appear."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise JudgementsError(f"{path}: cannot read: {error}") from None
    judged: dict[str, dict[str, int]] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise JudgementsError(f"{path}:{number}: expected query<TAB>citation<TAB>grade")
        query, citation, grade = (p.strip() for p in parts)
        if not grade.lstrip("-").isdigit():
            raise JudgementsError(f"{path}:{number}: grade '{grade}' is not a whole number")
        if "#" not in citation:
            raise JudgementsError(f"{path}:{number}: '{citation}' is not a citation key")
        judged.setdefault(query, {})[citation] = int(grade)
    if not judged:
        raise JudgementsError(f"{path}: no judgements")
    return judged


@dataclass(frozen=True)
class QueryScore:
    query: str
    ndcg_at_10: float
    ranking: list[str]


def run_judged(engine: Engine, judged: dict[str, dict[str, int]], *, depth: int = 100,
               **options: float) -> Iterator[QueryScore]:  # fmt: skip
    """Run each judged query; yield its ranking and nDCG@10."""
    for query, qrels in judged.items():
        ranking = [h.citation for h in engine.search(query, limit=depth, **options).results]
        yield QueryScore(query, ndcg_at(ranking, qrels, 10), ranking)


def evaluate_judged(engine: Engine, judged: dict[str, dict[str, int]], **options: float) -> Scores:
    runs = {s.query: s.ranking for s in run_judged(engine, judged, **options)}
    return evaluate(runs, judged)
