"""Metadata of each seed, read from its text or the facts file, with provenance."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.dates import DateError, PartialDate, parse_iso, parse_range
from indexer.metadata import FactsError, load_facts

EXPECTED = {
    # doc id: (title start, publisher, date, inspection year)
    "000_da6e26722b277179": (
        "Camden council staff celebrate",
        "Camden council",
        "2022-06-22",
        2022,
    ),
    "001_d51274d8d114c741": ("Ofsted praises children", "Community Care", None, 2017),
    "002_16789941fdd990c1": ("Camden children’s services rated", None, "2010", 2009),
    "003_5bef9152e2e719c7": (
        "Local authority first to be rated",
        "Social Work Today",
        "2025-04-17",
        2025,
    ),
    "004_26166e069228efdc": ("Inspection of Camden local authority", "Ofsted", "2022-06-21", 2022),
}


@pytest.mark.parametrize("doc_id", sorted(EXPECTED))
def test_seed_metadata(engine, doc_id: str) -> None:
    title, publisher, date, year = EXPECTED[doc_id]
    document = engine.store.documents[doc_id]
    assert document.title.startswith(title)
    assert (document.publisher, document.date, document.inspection_year) == (publisher, date, year)


def test_every_known_field_says_where_it_came_from(engine) -> None:
    for document in engine.documents():
        for name in ("title", "publisher", "date", "inspection_year"):
            if getattr(document, name) is not None:
                assert document.provenance[name].startswith(("text:", "facts.toml:"))


def test_previous_inspection_is_not_taken_for_the_inspection_year(engine) -> None:
    # 001 says "last visited in 2012": that is the previous inspection; 2017 comes from a fact
    document = engine.store.documents["001_d51274d8d114c741"]
    assert document.inspection_year == 2017
    assert document.provenance["inspection_year"].startswith("facts.toml:")


def test_text_wins_over_facts_and_unknown_stays_unknown(engine) -> None:
    ofsted = engine.store.documents["004_26166e069228efdc"]
    assert (ofsted.inspection_start, ofsted.inspection_end) == ("2022-04-25", "2022-04-29")
    assert ofsted.provenance["inspection_year"] == "text: 'Inspection dates: 25 to 29 April 2022'"
    assert engine.store.documents["001_d51274d8d114c741"].date is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[[fact]]\ndocument = "a"\nfield = "date"\nvalue = "2020"\n', "lacks source"),
        ('[[fact]]\ndocument = "a"\nfield = "colour"\nvalue = 1\nsource = "x"\n', "unknown field"),
        (
            '[[fact]]\ndocument = "a"\nfield = "date"\nvalue = "2020-13"\nsource = "x"\n',
            "not a date",
        ),
        ("[[fact]\n", "facts.toml"),
    ],
)
def test_malformed_facts_are_refused(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "facts.toml").write_text(content)
    with pytest.raises((FactsError, DateError), match=message):
        load_facts(tmp_path)


@pytest.mark.parametrize(
    ("text", "iso", "precision", "first", "last"),
    [
        ("2022", "2022", "year", "2022-01-01", "2022-12-31"),
        ("2024-02", "2024-02", "month", "2024-02-01", "2024-02-29"),
        ("2022/6/21", "2022-06-21", "day", "2022-06-21", "2022-06-21"),
    ],
)
def test_partial_dates_keep_their_precision(text, iso, precision, first, last) -> None:
    date = parse_iso(text)
    assert (date.iso, date.precision) == (iso, precision)
    assert (date.first.isoformat(), date.last.isoformat()) == (first, last)


@pytest.mark.parametrize("text", ["22", "2022-13", "2022-02-30", "June 2022", ""])
def test_bad_dates_are_refused(text: str) -> None:
    with pytest.raises(DateError):
        parse_iso(text)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("25 to 29 April 2022", "2022-04-25", "2022-04-29"),
        ("11 September 2017 to 5 October 2017", "2017-09-11", "2017-10-05"),
        ("28 November to 2 December 2022", "2022-11-28", "2022-12-02"),
        ("30 December to 3 January 2020", "2019-12-30", "2020-01-03"),
    ],
)
def test_inspection_date_ranges(text: str, start: str, end: str) -> None:
    first, last = parse_range(text)
    assert (first.iso, last.iso) == (start, end)


def test_human_dates() -> None:
    assert PartialDate("2022-06-21").human() == "21 June 2022"
    assert PartialDate("2022-06").human() == "June 2022"
    assert PartialDate("2010").human() == "2010"
