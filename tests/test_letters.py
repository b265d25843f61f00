"""Ofsted's focused-visit letters (../shared/corpora/ofsted-focused-visits): indexed once, then
checked against a truth table this test derives on its own, without the code under test.

The truth for each letter comes from (PROVENANCE.md):
- the folder name, `<urn>_<local authority>`: the authority;
- the opening sentence, read here from PDFium's raw text by one plain regular expression
  ("... focused visit to X children's services on 25 and 26 January 2023"): the visit's dates
  and so the inspection year;
- the date line printed at the top of the letter, or the file name's date where none is
  printed or the printed one is before the visit: the publication date.

Marked `corpus`; the 371 letters index in about 30-60 s, once for the module.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest

from indexer.pipeline import IndexReport, build_index
from search.cite import reference
from search.engine import Engine

from .conftest import ROOT

pytestmark = pytest.mark.corpus

LETTERS = ROOT.parent / "shared" / "corpora" / "ofsted-focused-visits"
ENOUGH = 0.99  # each field right for at least 99% of the letters

MONTHS = {dt.date(2000, k, 1).strftime("%B").lower(): k for k in range(1, 13)}
_MONTH = "(" + "|".join(MONTHS) + ")"
# The test's own reading of the opening sentence: day [month] [year] (and|to) day month year,
# or one day. Deliberately simple: what it cannot read has no truth and is counted apart.
OPENING = re.compile(
    r"findings of (?:a|the) focused visit\b.{0,160}?\b(?:on|between)\s+(?:the\s+)?"
    rf"(\d{{1,2}})(?:\s+of)?(?:\s+{_MONTH})?,?(?:\s+(\d{{4}}))?"
    rf"(?:,?\s+(?:and|to)\s+(\d{{1,2}})(?:\s+of)?)?\s+{_MONTH}\s+(\d{{4}})",
    re.IGNORECASE,
)
PRINTED = re.compile(rf"(\d{{1,2}})\s+{_MONTH}\s+(\d{{4}})", re.IGNORECASE)
FILE_DATE = re.compile(rf"- (\d{{1,2}}) {_MONTH} (\d{{4}})\.pdf$", re.IGNORECASE)
# Names an authority goes by besides its folder's (the folder of the City of London is its
# corporation's; some letters use the short name)
ALIASES = {
    "london corporation": {"city of london"},
    "newcastle upon tyne": {"newcastle"},
    "east riding of yorkshire": {"east riding"},
    "kingston upon hull": {"hull"},
}


def _day(day: str, month: str, year: str) -> dt.date:
    return dt.date(int(year), MONTHS[month.lower()], int(day))


def _authority_key(name: str) -> str:
    """Spellings of one authority made equal: case, "&", hyphens, "the", "Council", "City",
    "Borough", "County", "Metropolitan", "London Borough of"."""
    name = name.casefold().replace("&", " and ").replace("-", " ").replace("’", "'")
    name = re.sub(
        r"\b(the|london borough of|royal borough of|city of|metropolitan|borough|county|city"
        r"|council|district|mbc)\b",
        " ",
        name,
    )
    return " ".join(re.sub(r"[^a-z ]", " ", name).split())


def _first_page(path: Path) -> str:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path.read_bytes())
    try:
        textpage = document[0].get_textpage()
        return textpage.get_text_range()
    finally:
        document.close()


def _truth(path: Path) -> dict[str, object]:
    first = _first_page(path)
    flat = " ".join(first.split())
    truth: dict[str, object] = {
        "local_authority": path.parent.name.split("_", 1)[1],
        "kind": "focused-visit",  # every letter here is one (PROVENANCE.md)
    }
    named = FILE_DATE.search(path.name)
    file_date = _day(*named.groups()) if named else None
    if opening := OPENING.search(flat):
        d1, m1, y1, d2, m2, y2 = opening.groups()
        end = _day(d2 or d1, m2, y2)
        start = _day(d1, m1 or m2, y1 or y2)
        if start > end:  # the printed start year is a misprint (the visit is days long)
            start = start.replace(year=end.year)
        truth.update(start=start.isoformat(), end=end.isoformat(), year=start.year)
    printed = next(
        (
            _day(*m.groups())
            for line in first.splitlines()[:40]
            if (m := PRINTED.fullmatch(" ".join(line.split())))
        ),
        None,
    )
    end_date = dt.date.fromisoformat(str(truth["end"])) if "end" in truth else None
    if printed and (end_date is None or printed >= end_date):
        truth["date"] = printed.isoformat()
    elif file_date:
        truth["date"] = file_date.isoformat()
    return truth


@pytest.fixture(scope="module")
def letters_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, IndexReport]:
    if not LETTERS.is_dir():
        pytest.skip(f"the shared letters corpus is not at {LETTERS}")
    index_dir = tmp_path_factory.mktemp("letters-index")
    return index_dir, build_index([LETTERS], index_dir, progress=False)


@pytest.fixture(scope="module")
def engine(letters_index: tuple[Path, IndexReport]) -> Engine:
    return Engine.open(letters_index[0])


@pytest.fixture(scope="module")
def letters(engine: Engine) -> list[tuple[dict[str, object], object]]:
    """(truth, indexed document) for every letter."""
    by_file = {Path(d.path).resolve(): d for d in engine.documents()}
    pdfs = sorted(LETTERS.glob("letters/*/*.pdf"))
    assert len(pdfs) == 371
    return [(_truth(pdf), by_file[pdf.resolve()]) for pdf in pdfs]


@pytest.fixture(scope="module")
def passages(engine: Engine) -> list:
    return [
        engine.passage(row.citation)
        for document in engine.documents()
        if document.doc_id.startswith("letters/")
        for row in engine.store.passages_of(document.doc_id)
    ]


def test_every_letter_is_indexed(letters_index) -> None:
    _, report = letters_index
    assert report.failed == [] and report.skipped == []
    assert len([d for d in report.added if d.startswith("letters/")]) == 371


def test_the_truth_table_reads_nearly_every_letter(letters) -> None:
    """The test's own regex must read the visit's dates in nearly every letter, or the
    checks below would prove little."""
    read = [truth for truth, _ in letters if "start" in truth]
    assert len(read) >= 360
    assert all("date" in truth for truth, _ in letters)


@pytest.mark.parametrize(
    ("field", "truth_key"),
    [
        ("local_authority", "local_authority"),
        ("date", "date"),
        ("inspection_start", "start"),
        ("inspection_end", "end"),
        ("inspection_year", "year"),
        ("kind", "kind"),
    ],
)
def test_metadata_agrees_with_the_truth_table(letters, field: str, truth_key: str) -> None:
    compared = [(truth, doc) for truth, doc in letters if truth_key in truth]
    wrong = []
    for truth, doc in compared:
        value, expected = getattr(doc, field), truth[truth_key]
        if field == "local_authority":
            key = _authority_key(str(expected))
            names = {key} | {_authority_key(alias) for alias in ALIASES.get(key, ())}
            ok = value is not None and _authority_key(value) in names
        else:
            ok = value == expected
        if not ok:
            wrong.append((doc.doc_id, value, expected))
    assert len(wrong) <= len(compared) * (1 - ENOUGH), wrong


def test_values_say_where_they_came_from(letters) -> None:
    for _, doc in letters:
        for field in ("kind", "local_authority", "date", "inspection_start", "title"):
            assert doc.provenance[field].startswith(("text:", "file name:", "composed:"))
        assert doc.provenance["kind"].startswith("text:")
        assert doc.provenance["local_authority"].startswith("text:")


def test_the_inspection_year_is_never_a_previous_inspections(letters) -> None:
    """ "since the last inspection in 2018" is not the year of the visit."""
    for _, doc in letters:
        assert doc.inspection_year == int(doc.inspection_start[:4])
        assert doc.date >= doc.inspection_end


def test_an_impossible_printed_date_gives_way_to_the_file_names(letters) -> None:
    """One letter prints 21 January 2019 for a visit in December 2019."""
    conflicts = [doc for _, doc in letters if "is before the visit" in doc.provenance["date"]]
    assert conflicts
    for doc in conflicts:
        assert doc.provenance["date"].startswith("file name:")
        assert doc.date > doc.inspection_end


def test_every_letter_has_a_title_that_names_the_visit_and_the_authority(letters) -> None:
    for _, doc in letters:
        assert re.match(r"Focused visit to .+ (children|Children)", doc.title), doc.title
        assert not re.search(r"\bDear\b|\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b|/|\.pdf", doc.title)
        assert _authority_key(doc.local_authority) in _authority_key(doc.title)


def test_kinds_are_counted(engine: Engine) -> None:
    kinds = Counter(d.kind for d in engine.documents())
    assert kinds == {"focused-visit": 371, "other": 1}  # and PROVENANCE.md


ADDRESS = re.compile(r"Piccadilly Gate|M1 2WD|enquiries@ofsted|0300 123 1231|Textphone")


def test_no_passage_holds_an_address_a_salutation_or_a_signature(passages) -> None:
    assert len(passages) > 7000
    assert [p.text[:80] for p in passages if ADDRESS.search(p.text)] == []
    assert [p.text[:80] for p in passages if re.match(r"\W*Dear\b", p.text)] == []
    assert [p.text for p in passages if re.match(r"Yours (sincerely|faithfully)", p.text)] == []
    assert [p.text for p in passages if re.search(r"Majesty’s Inspector$", p.text)] == []
    sections = {p.section for p in passages if p.section}
    assert [s for s in sections if re.search(r"\d[A-Z]{2}$|^Dear\b|Director", s)] == []


def test_passages_are_whole_paragraphs(passages) -> None:
    lower = [p.text[:80] for p in passages if p.text[:1].islower()]
    assert len(lower) < len(passages) * 0.003, lower
    long = [len(p.text) for p in passages if len(p.text) > 3000 and "\t" not in p.text]
    assert long == []


def test_a_bulleted_finding_is_a_passage_of_its_own(passages) -> None:
    """A finding written as a bulleted paragraph is one passage, under its section heading; a
    list of short items ("What needs to improve") stays one passage."""
    findings = [p for p in passages if p.text.startswith("- ") and "\n" not in p.text]
    assert len([p for p in findings if len(p.text) > 300]) > 1000
    assert all(p.section for p in findings)
    lists = [p.text.split("\n") for p in passages if p.text.startswith("- ") and "\n" in p.text]
    items = [item for items in lists for item in items]
    assert lists and all(len(item) <= 300 for item in items)


def test_every_reference_has_a_title_a_date_and_a_place_and_no_path(passages) -> None:
    for passage in passages:
        cited = reference(passage)
        assert cited.startswith(f"Ofsted, {passage.title}, "), cited
        assert re.search(r", \d{1,2} [A-Z][a-z]+ \d{4}, (paragraph \d+|pages? \d+(-\d+)?)$", cited)
        assert "n.d." not in cited and ".pdf" not in cited and "/" not in cited


def test_letter_queries_find_the_letters(engine: Engine) -> None:
    result = engine.search('"COVID-19 pandemic"', year="2020")
    assert result.total > 10
    for hit in result.results[:5]:
        assert len(hit.text) < 3000
        assert engine.store.documents[hit.citation.rsplit("#", 1)[0]].inspection_year == 2020
    barnsley = engine.search("children", la="barnsley")
    assert barnsley.total > 0
