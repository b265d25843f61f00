"""The query language: what each operator does, and that no input breaks it."""

from __future__ import annotations

import pytest

from search.engine import Engine, QueryError
from search.query import Clause, parse_query


@pytest.mark.parametrize(
    ("text", "clauses"),
    [
        ("care leavers", [Clause("care", "should"), Clause("leavers", "should")]),
        ('"children in care"', [Clause("children in care", "should", phrase=True)]),
        (
            "+exploitation -adoption",
            [Clause("exploitation", "must"), Clause("adoption", "must_not")],
        ),
        ("section:leavers", [Clause("leavers", "should", "section")]),
        ('title:"care leavers"', [Clause("care leavers", "should", "title", phrase=True)]),
        ("inspect*", [Clause("inspect*", "should")]),
        ('"unclosed phrase', [Clause("unclosed phrase", "should", phrase=True)]),
        ("- + * ", []),
        ("http://example.org", [Clause("http", "should"), Clause("//example.org", "should")]),
        ("“curly quotes”", [Clause("curly quotes", "should", phrase=True)]),
        ('""', []),
    ],
)
def test_parse(text: str, clauses: list[Clause]) -> None:
    assert list(parse_query(text).clauses) == clauses


def test_prefix_flag() -> None:
    assert parse_query("inspect*").clauses[0].prefix
    assert not parse_query("inspect").clauses[0].prefix


@pytest.mark.parametrize(
    "text",
    [
        '"',
        '"""',
        "+",
        "-",
        "*",
        "-care",
        "the of and",
        ":",
        "title:",
        "year:abc",
        "+-+-",
        "\x00",
        "(((",
    ],
)
def test_hostile_queries_give_results_or_a_query_error(engine: Engine, text: str) -> None:
    try:
        result = engine.search(text)
    except QueryError as error:
        assert str(error)
    else:
        assert result.total >= 0


def test_phrase_is_exact_but_allows_inflections(engine: Engine) -> None:
    hits = engine.search('"children in care"', limit=None).results
    assert hits
    for hit in hits:
        assert any(hit.text[a:b].lower().startswith(("children in care", "child in care"))
                   for a, b in hit.matches)  # fmt: skip
    # The words apart ("children ... in ... care") are not the phrase:
    loose = {h.citation for h in engine.search("+children +care", limit=None).results}
    assert {h.citation for h in hits} < loose


def test_required_and_excluded(engine: Engine) -> None:
    required = engine.search("+exploitation", limit=None).results
    without = engine.search("+exploitation -missing", limit=None).results
    assert all("exploitation" in h.text.lower() for h in required)
    assert all("missing" not in h.text.lower() for h in without)
    assert 0 < len(without) < len(required)


def test_excluded_phrase_removes_only_the_exact_phrase(engine: Engine) -> None:
    hits = engine.search('care -"care leavers"', limit=None).results
    assert hits
    assert all("care leavers" not in h.text.lower() for h in hits)


def test_more_matching_words_rank_higher(engine: Engine) -> None:
    top = engine.search("care leavers accommodation").results[0]
    assert all(w in top.text.lower() for w in ("care", "leavers", "accommodation"))


def test_field_queries(engine: Engine) -> None:
    section = engine.search("section:leavers care", limit=None).results
    assert section and all("leavers" in h.section for h in section)
    assert {h.paragraph for h in engine.search("paragraph:27 care").results} == {"27"}
    assert all(h.inspection_year == 2017 for h in engine.search("year:2017 social").results)
    assert {h.publisher for h in engine.search("publisher:ofsted care").results} == {"Ofsted"}
    assert all(h.source.endswith("003_5bef9152e2e719c7.txt")
               for h in engine.search("source:003 camden").results)  # fmt: skip


def test_prefix_query(engine: Engine) -> None:
    hits = engine.search("inspect*", limit=None).results
    words = {h.text[a:b].lower() for h in hits for a, b in h.matches}
    assert {"inspection", "inspectors", "inspector"} <= words


def test_only_excluded_or_stopwords_is_a_query_error(engine: Engine) -> None:
    for text in ("-care", "the and of", "   "):
        with pytest.raises(QueryError, match="nothing to search for"):
            engine.search(text)
