"""Acronyms and spellings (search.synonyms): a word and its expansion count as one term, as
Lucene's SynonymQuery counts them, extended to a phrase: its passages hold either form, its
document frequency is their union's size, its count in a passage the sum of both forms'."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.analysis import terms
from indexer.bm25 import bm25_idf, bm25_term_weight
from indexer.pipeline import build_index
from search.engine import Engine
from search.synonyms import TABLE, table

from .conftest import write_corpus

DOCS = {
    "a.txt": "The LADO checks allegations.\n",
    "b.txt": "The local authority designated officer checks allegations.\n",
    "c.txt": "The LADO, the local authority designated officer, reviews allegations.\n",
    "d.txt": "The local authority reviews its designated officer role.\n",  # not the phrase
    "e.txt": "Foster carers support children.\n",
}


@pytest.fixture(scope="module", params=["arrays", "python"])  # the paths that expand
def small(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Engine:
    root = tmp_path_factory.mktemp("synonyms")
    build_index([write_corpus(root / "c", DOCS)], root / "index")
    return Engine.open(root / "index", ranking=request.param)


def _key(hit) -> str:
    return hit.citation.rsplit("#", 1)[0]


def test_an_acronym_finds_its_expansion_and_counts_both_forms_as_one_term(small: Engine) -> None:
    result = small.search("LADO", limit=None)
    assert {_key(h) for h in result.results} == {"a", "b", "c"}  # d lacks the phrase
    assert result.expanded == ({"short": "LADO", "long": "local authority designated officer",
                                "source": table()["LADO"].source},)  # fmt: skip
    # the scores, worked out from the definition: df = 3 passages, tf(c) = 2
    idf = bm25_idf(small.store.passage_count(), 3)
    avgdl = small.store.average_length()
    for hit in result.results:
        length = len(terms(hit.text))  # BM25 counts analysed terms
        tf = 2 if _key(hit) == "c" else 1
        assert hit.score == pytest.approx(idf * bm25_term_weight(tf, length, avgdl, 1.2, 0.75))
    assert _key(result.results[0]) == "c"


def test_both_forms_are_highlighted(small: Engine) -> None:
    hit = next(h for h in small.search("LADO").results if _key(h) == "c")
    marked = [hit.text[s:e] for s, e in hit.matches]
    assert marked == ["LADO", "local authority designated officer"]


def test_a_quoted_expansion_finds_the_acronym(small: Engine) -> None:
    result = small.search('"local authority designated officer"', limit=None)
    assert {_key(h) for h in result.results} == {"a", "b", "c"}


def test_exact_turns_it_off_and_lower_case_is_not_an_acronym(small: Engine) -> None:
    assert {_key(h) for h in small.search("LADO", exact=True).results} == {"a", "c"}
    assert small.search("LADO", exact=True).expanded == ()
    assert small.search("lado").expanded == ()  # typed in lower case: a word, not the acronym


def test_the_matcher_path_stays_plain_bm25(small: Engine) -> None:
    plain = Engine.open(small.store.folder, ranking="matcher").search("LADO", limit=None)
    assert {_key(h) for h in plain.results} == {"a", "c"}


def test_every_row_of_the_table_has_a_source() -> None:
    rows = table(TABLE)
    assert len(rows) >= 20
    acronyms = [r for r in rows.values() if r.is_acronym]
    assert {"CSE", "UASC", "PA", "IRO", "LADO", "EHE", "MASH", "SGO", "PLO", "NEET", "CIN", "CP",
            "EDT"} <= {r.short for r in acronyms}  # fmt: skip
    assert all(r.source.strip() for r in rows.values())


def test_a_malformed_table_is_refused(tmp_path: Path) -> None:
    from search.synonyms import SynonymTableError

    bad = tmp_path / "synonyms.tsv"
    bad.write_text("CSE\tchild sexual exploitation\n")
    with pytest.raises(SynonymTableError, match="expected short"):
        table(bad)
