"""`--per-document N` and "did you mean", checked against the plain ranking and the corpus's
own words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from search.cli import cli
from search.engine import Engine
from search.grouping import group_by_document
from search.suggest import closest_word, corrected


def _document(citation: str) -> str:
    return citation.rsplit("#", 1)[0]


@pytest.mark.parametrize("per_document", [1, 2, 3])
def test_grouping_keeps_each_documents_best_passages_in_the_rankings_order(
    engine: Engine, per_document: int
) -> None:
    plain = engine.search("children care plans", limit=None).results
    grouped = engine.search("children care plans", limit=None, per_document=per_document)
    # the truth, from the plain ranking: documents by their best passage, each one's first N
    expected: dict[str, list[str]] = {}
    for hit in plain:
        taken = expected.setdefault(_document(hit.citation), [])
        if len(taken) < per_document:
            taken.append(hit.citation)
    assert [h.citation for h in grouped.results] == [c for cs in expected.values() for c in cs]
    assert grouped.total == len(plain)  # every match still counted
    assert [h.rank for h in grouped.results] == list(range(1, len(grouped.results) + 1))


def test_grouping_respects_the_limit_and_refuses_zero() -> None:
    ranked = [(9.0, 0), (8.0, 1), (7.0, 2), (6.0, 3)]
    owner = {0: "a", 1: "a", 2: "b", 3: "a"}.__getitem__
    assert group_by_document(ranked, owner, 2, None) == [(9.0, 0), (8.0, 1), (7.0, 2)]
    assert group_by_document(ranked, owner, 1, 1) == [(9.0, 0)]
    with pytest.raises(ValueError):
        group_by_document(ranked, owner, 0, None)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("safegaurding", "safeguarding"), ("childern", "children"), ("placments", "placements")],
)
def test_a_misspelt_word_gets_the_corpus_word_it_resembles(
    engine: Engine, typed: str, meant: str
) -> None:
    assert engine.search(meant, limit=1).total > 0  # the word is in the seeds
    result = engine.search(f"care {typed}")
    assert result.did_you_mean == f"care {meant}"


def test_no_suggestion_when_every_word_is_indexed_or_nothing_is_close(engine: Engine) -> None:
    assert engine.search("children in care").did_you_mean is None
    assert engine.search("care zzqxv").did_you_mean is None


def test_a_suggestion_is_a_word_some_passage_holds() -> None:
    vocabulary = [("leavers", "leaver"), ("leaves", "leav")]
    frequency = {"leaver": 3, "leav": 0}.get
    assert closest_word("leavrs", vocabulary, lambda s: frequency(s) or 0) == "leavers"
    assert closest_word("lea", vocabulary, lambda s: 1) is None  # too short to guess
    assert corrected("Care LEAVRS now", {"leavrs": "leavers"}) == "Care leavers now"


def test_cli_per_document_and_did_you_mean(seed_index: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli, ["query", "care", "--per-document", "1", "--json", "--index", str(seed_index)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    documents = [_document(h["citation"]) for h in data["results"]]
    assert len(documents) == len(set(documents)) > 1
    assert data["did_you_mean"] is None
    result = runner.invoke(cli, ["query", "safegaurding", "--index", str(seed_index)])
    assert result.exit_code == 0
    assert "Did you mean: safeguarding?" in result.stdout
    result = runner.invoke(
        cli, ["query", "care", "--per-document", "0", "--index", str(seed_index)]
    )
    assert result.exit_code == 2
