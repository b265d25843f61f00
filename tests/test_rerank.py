"""The refinements beyond BM25, on hand-worked numbers, and as options of the engine."""

from __future__ import annotations

import pytest

from search.engine import Engine
from search.rerank import Refinements, heading_bonus, mixed_counts, proximity_bonus, rm3_weights


def idf(term: str) -> float:
    return {"care": 0.5, "leaver": 2.0, "home": 1.0}.get(term, 1.0)


def test_heading_bonus_counts_each_query_word_once() -> None:
    assert heading_bonus(["care", "leaver", "care"], {"care", "leaver"}, idf, 2.0) == 5.0
    assert heading_bonus(["home"], {"care"}, idf, 2.0) == 0.0


def test_proximity_by_hand() -> None:
    # care at 0, leaver at 2: distance 2. acc(care) = idf(leaver)/4 = 0.5,
    # acc(leaver) = idf(care)/4 = 0.125; K = k1 * norm = 1.2
    positions = [(0, "care"), (1, "x"), (2, "leaver")]
    expected = 0.5 * 0.5 * 2.2 / (0.5 + 1.2) + 1.0 * 0.125 * 2.2 / (0.125 + 1.2)
    assert proximity_bonus(["care", "leaver"], positions, idf, 1.2, 1.0) == pytest.approx(expected)
    # the same word twice is not proximity
    assert proximity_bonus(["care"], [(0, "care"), (1, "care")], idf, 1.2, 1.0) == 0.0


def test_rm3_mixes_query_and_feedback() -> None:
    feedback = [(3.0, ["care", "leaver", "home"]), (1.0, ["home", "home"])]
    weights = rm3_weights(["care"], feedback, Refinements(rm3=True, fb_terms=2))
    # P(w|R): home = 0.75/3 + 0.25 = 0.5, care = 0.25, leaver = 0.25 (a tie: first seen kept)
    assert weights["care"] == pytest.approx(0.5 + 0.5 * 0.25 / 0.75)
    assert weights["home"] == pytest.approx(0.5 * 0.5 / 0.75)
    assert "leaver" not in weights
    assert max(mixed_counts(weights).values()) == 1.0


@pytest.mark.parametrize(
    "refine",
    [Refinements(heading_boost=1.0), Refinements(proximity=True), Refinements(rm3=True)],
)
def test_refinements_only_reorder_or_widen_the_plain_ranking(engine: Engine, refine) -> None:
    plain = engine.search("care leavers accommodation", limit=None)
    refined = engine.search("care leavers accommodation", limit=None, refine=refine)
    assert refined.results and refined.total >= plain.total
    if not refine.rm3:  # without expansion, the same passages, scores only ever higher
        assert {h.citation for h in refined.results} == {h.citation for h in plain.results}
        plain_score = {h.citation: h.score for h in plain.results}
        assert all(h.score >= plain_score[h.citation] - 1e-9 for h in refined.results)
