"""Ranking quality on the judged seed queries (tests/judged/seeds.tsv).

The judgements were written by reading every passage, without looking at the engine's
rankings. MEASURED is what the engine scored when they were written; the suite fails if a
change makes ranking worse. Raise it when ranking improves.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from search.engine import Engine
from search.evaluate import JudgementsError, evaluate_judged_file, load_judged_queries

JUDGED = Path(__file__).parent / "judged" / "seeds.tsv"
# 0.8671 over 48 queries, BM25 k1=1.2 b=0.75. (It was 0.8737 while `year:2009` in a query
# was a required clause that let passages with none of the query's words through at score 0;
# now it is a restriction like --year, and a passage must match a word of the query.) With
# the acronym expansion 0.8751; with the role weights too (the default) 0.8709.
MEASURED_NDCG_AT_10 = 0.867


def test_judged_set_is_large_enough_and_every_key_exists(engine: Engine) -> None:
    judged = load_judged_queries(JUDGED)
    assert len(judged) >= 20
    for qrels in judged.values():
        for citation in qrels:
            engine.passage(citation)  # raises if the key does not exist


def test_ndcg_at_10_does_not_fall(engine: Engine) -> None:
    scores = evaluate_judged_file(engine, JUDGED, progress=False)
    assert scores.queries >= 20
    assert scores.ndcg_at_10 >= MEASURED_NDCG_AT_10


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("care\t004#1\n", "expected query<TAB>citation<TAB>grade"),
        ("care\t004#1\thigh\n", "not a whole number"),
        ("care\t004\t2\n", "not a citation key"),
        ("# only a comment\n", "no judgements"),
    ],
)
def test_malformed_judgement_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "judged.tsv"
    path.write_text(content)
    with pytest.raises(JudgementsError, match=message):
        load_judged_queries(path)
