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


@pytest.fixture(scope="module")
def with_report(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The seeds plus the Camden 2022 report as a PDF (tests/fixtures)."""
    import shutil
    from pathlib import Path

    from indexer.pipeline import build_index

    from .conftest import SEEDS

    corpus = tmp_path_factory.mktemp("mixed")
    shutil.copytree(SEEDS, corpus / "seeds")
    fixtures = Path(__file__).parent / "fixtures"
    shutil.copytree(fixtures, corpus / "reports")
    index_dir = tmp_path_factory.mktemp("index")
    build_index([corpus], index_dir)
    return Engine.open(index_dir)


def test_local_authority_and_grade_filters(with_report: Engine) -> None:
    report = "reports/camden-childrens-services-inspection-21-june-2022"
    found = {
        h.citation.split("#")[0]
        for h in with_report.search("care", la="Camden", limit=None).results
    }
    assert found == {report}  # the news articles have no local authority of their own
    graded = with_report.search("care", grade="Outstanding", limit=None).results
    assert {h.citation.split("#")[0] for h in graded} == {report}
    assert with_report.search("care", grade="requires improvement to be good").total == 0
    assert with_report.search("care la:camden grade:outstanding").total == len(
        with_report.search("care", la="camden", limit=None).results
    )


def test_report_metadata_is_in_the_document(with_report: Engine) -> None:
    doc = with_report.store.documents["reports/camden-childrens-services-inspection-21-june-2022"]
    assert (doc.local_authority, doc.framework, doc.overall_effectiveness) == (
        "Camden",
        "short",
        "outstanding",
    )
    assert (doc.inspection_start, doc.inspection_end, doc.date) == (
        "2022-04-25",
        "2022-04-29",
        "2022-06-21",
    )
    assert doc.judgements[1] == (
        "The experiences and progress of children who need help and protection",
        "Good",
    )


@pytest.mark.parametrize(
    ("filters", "message"),
    [({"la": "Atlantis"}, "no indexed report"), ({"grade": "brilliant"}, "not a grade")],
)
def test_bad_report_filters(with_report: Engine, filters: dict, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        with_report.search("care", **filters)


def test_pdf_passages_cite_pages(with_report: Engine) -> None:
    hit = with_report.search('"leave care"', la="camden").results[0]
    assert hit.paragraph == "27" and hit.pages == (5, 5)
