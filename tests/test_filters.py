"""Filters: inspection year, publication dates at any precision, source."""

from __future__ import annotations

import pytest

from search.engine import Engine, FilterError

# Publication dates of the seeds: 000 2022-06-22, 001 unknown, 002 2010 (year only),
# 003 2025-04-17, 004 2022-06-21. Inspection years: 2022, 2017, 2009, 2025, 2022.


def docs(engine: Engine, **filters) -> set[str]:
    return {
        h.citation.split("_")[0] for h in engine.search("camden", limit=None, **filters).results
    }


def test_year(engine: Engine) -> None:
    assert docs(engine, year="2022") == {"000", "004"}
    assert docs(engine, year="2017") == {"001"}
    assert docs(engine, year="2009-2017") == {"001", "002"}
    assert docs(engine, year="1999") == set()


@pytest.mark.parametrize(
    ("date_from", "date_to", "expected"),
    [
        ("2022-06-22", None, {"000", "003"}),
        ("2022-06", "2022-06", {"000", "004"}),
        (None, "2022-06-21", {"002", "004"}),
        ("2010-07", "2010-07", {"002"}),  # a year-precision date may fall in July 2010
        ("2023", None, {"003"}),
        (None, "2009", set()),
    ],
)
def test_publication_dates_at_any_precision(engine: Engine, date_from, date_to, expected) -> None:
    assert docs(engine, date_from=date_from, date_to=date_to) == expected


def test_undated_documents_are_left_out_of_date_filters(engine: Engine) -> None:
    assert "001" not in docs(engine, date_from="1900")


def test_source(engine: Engine) -> None:
    assert docs(engine, source="003_5bef") == {"003"}
    assert docs(engine, source="SEEDS/004") == {"004"}


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"year": "22"}, "not a year"),
        ({"year": "2022-2020"}, "ends before"),
        ({"date_from": "2022-13"}, "not a date"),
        ({"date_from": "2023", "date_to": "2022"}, "after"),
        ({"source": "nothing-like-this"}, "no indexed document"),
    ],
)
def test_bad_filters(engine: Engine, filters: dict, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        engine.search("camden", **filters)
