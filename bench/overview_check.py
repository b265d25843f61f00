"""Check `indexer.ofsted.extract_report_metadata` against the third-party `overview.csv`.

Extracts the metadata of every PDF in the Ofsted ILACS corpus (two worker processes, nothing
cached), matches each `overview.csv` row to the report it describes (the authority's folder
by URN, the file whose publication date in its name equals the row's `publication_date`),
and prints, per field, how many agree out of how many were compared, then every
disagreement with the report's path and both values. A blank table cell ("", "None", "nan")
is not compared and is counted apart.

    .venv/bin/python bench/overview_check.py [--corpus DIR]

`tests/test_ofsted_metadata.py` runs the same comparison and pins its numbers; the
disagreements are investigated in `bench/OVERVIEW_CHECK.md`.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from multiprocessing import Pool
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from indexer.dates import parse_dmy_numeric
from indexer.ofsted import (
    ReportMetadata,
    extract_report_metadata,
    filename_date,
    judgement_areas,
)

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "ofsted-ilacs"
FIELDS = (
    "inspection_start",
    "inspection_end",
    "publication_date",
    "framework",
    "overall_effectiveness",
    "impact_of_leaders",
    "help_and_protection",
    "in_care",
    "care_leavers",
)
# overview.csv column of each field
COLUMNS = {
    "inspection_start": "inspection_start_date",
    "inspection_end": "inspection_end_date",
    "publication_date": "publication_date",
    "framework": "inspection_framework",
    "overall_effectiveness": "overall_effectiveness_grade",
    "impact_of_leaders": "impact_of_leaders_grade",
    "help_and_protection": "help_and_protection_grade",
    "in_care": "in_care_grade",
    "care_leavers": "care_leavers_grade",
}
BLANK = {"", "none", "nan"}
# What the table writes for care leavers when the report has one judgement for children in
# care and care leavers together (ILACS before January 2023).
PRE_DATES = "inspection_pre_dates_judgement"


@dataclass(frozen=True)
class Extracted:
    path: str  # below the corpus's reports/ folder
    metadata: ReportMetadata | None
    problem: str | None  # why there is no metadata: not a PDF, not a report


@dataclass(frozen=True)
class Disagreement:
    field: str
    path: str
    ours: str | None
    table: str


@dataclass(frozen=True)
class Comparison:
    rows: int
    matched: tuple[tuple[dict[str, str], str], ...]  # (row, report path)
    unmatched: tuple[dict[str, str], ...]
    agree: dict[str, int]
    compared: dict[str, int]
    blank: dict[str, int]  # table cells left blank, not compared
    disagreements: tuple[Disagreement, ...]
    gaps: tuple[tuple[str, str, str | None], ...]  # (field, report, our value) of blank cells


# --- extraction ----------------------------------------------------------------------------


def read_pages(path: Path) -> list[str] | None:
    """Every page's text as pypdfium2 gives it; None when the file is not a PDF."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError:
        return None
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()


def extract_one(job: tuple[str, str]) -> Extracted:
    """(reports folder, relative path) -> its metadata; in a worker process."""
    root, relative = job
    path = Path(root) / relative
    pages = read_pages(path)
    if pages is None:
        return Extracted(relative, None, "not a PDF")
    metadata = extract_report_metadata(pages, path.name)
    return Extracted(relative, metadata, None if metadata else "not an inspection report")


def extract_corpus(corpus: Path, processes: int = 2) -> dict[str, Extracted]:
    """Every report under `corpus`/reports, by its path below that folder."""
    root = corpus / "reports"
    jobs = [(str(root), str(p.relative_to(root))) for p in sorted(root.glob("*/*.pdf"))]
    with Pool(processes) as pool:
        return {e.path: e for e in pool.map(extract_one, jobs, chunksize=4)}


# --- the table -----------------------------------------------------------------------------


def load_overview(corpus: Path) -> list[dict[str, str]]:
    with (corpus / "overview.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def file_date(path: str) -> str | None:
    """The publication date in a report's file name, ISO."""
    day = filename_date(path)
    return day.iso if day else None


def match_rows(
    rows: Iterable[dict[str, str]], paths: Iterable[str]
) -> tuple[list[tuple[dict[str, str], str]], list[dict[str, str]]]:
    """Each row with the report it describes: same URN folder, same publication date."""
    by_key = {(p.split("_", 1)[0], file_date(p)): p for p in paths}
    matched, unmatched = [], []
    for row in rows:
        published = parse_dmy_numeric(row["publication_date"])
        path = by_key.get((row["urn"], published.iso if published else None))
        if path:
            matched.append((row, path))
        else:
            unmatched.append(row)
    return matched, unmatched


def table_value(field: str, cell: str) -> str | None:
    """A table cell in our vocabulary: ISO dates, normalised grades; None when blank."""
    cell = cell.strip()
    if cell.lower() in BLANK:
        return None
    if field in ("inspection_start", "inspection_end", "publication_date"):
        day = parse_dmy_numeric(cell)
        return day.iso if day else cell
    return cell.lower()


def our_value(field: str, metadata: ReportMetadata) -> str | None:
    """Our value of a field, in the table's vocabulary."""
    if field in ("inspection_start", "inspection_end", "publication_date", "framework"):
        return getattr(metadata, field)
    if field == "overall_effectiveness":
        return metadata.overall_effectiveness
    areas = judgement_areas(metadata.judgements)
    if field == "in_care":
        return areas.get("in_care", areas.get("in_care_and_care_leavers"))
    if field == "care_leavers" and "in_care_and_care_leavers" in areas:
        return PRE_DATES
    return areas.get(field)


def compare(rows: Sequence[dict[str, str]], extracted: dict[str, Extracted]) -> Comparison:
    matched, unmatched = match_rows(rows, extracted)
    agree = dict.fromkeys(FIELDS, 0)
    compared = dict.fromkeys(FIELDS, 0)
    blank = dict.fromkeys(FIELDS, 0)
    disagreements, gaps = [], []
    for row, path in matched:
        metadata = extracted[path].metadata
        for field in FIELDS:
            theirs = table_value(field, row[COLUMNS[field]])
            ours = our_value(field, metadata) if metadata else None
            if theirs is None:
                blank[field] += 1
                gaps.append((field, path, ours))
                continue
            compared[field] += 1
            if ours == theirs:
                agree[field] += 1
            else:
                disagreements.append(Disagreement(field, path, ours, theirs))
    return Comparison(
        rows=len(rows),
        matched=tuple(matched),
        unmatched=tuple(unmatched),
        agree=agree,
        compared=compared,
        blank=blank,
        disagreements=tuple(disagreements),
        gaps=tuple(gaps),
    )


# --- report --------------------------------------------------------------------------------


def first_period_days(metadata: ReportMetadata) -> int:
    """Days from the first to the last day of the report's first fieldwork period."""
    start, end = (date.fromisoformat(day) for day in metadata.periods[0])
    return (end - start).days


def framework_spans(
    extracted: dict[str, Extracted], comparison: Comparison
) -> dict[tuple[str, int], int]:
    """(the table's framework, days of the printed first fieldwork period) -> matched rows:
    the rule "short is one week, standard two" checked on every row the table fills."""
    spans: dict[tuple[str, int], int] = {}
    for row, path in comparison.matched:
        metadata = extracted[path].metadata
        if metadata is None:
            continue
        key = (
            table_value("framework", row[COLUMNS["framework"]]) or "(blank)",
            first_period_days(metadata),
        )
        spans[key] = spans.get(key, 0) + 1
    return spans


def render(extracted: dict[str, Extracted], comparison: Comparison) -> str:
    out = []
    reports = [e for e in extracted.values() if e.metadata]
    out.append(
        f"{len(extracted)} files: {len(reports)} reports read; "
        + "; ".join(f"{e.path}: {e.problem}" for e in extracted.values() if e.problem)
    )
    out.append(
        f"overview.csv: {comparison.rows} rows, {len(comparison.matched)} matched to a report "
        f"here, {len(comparison.unmatched)} describe a report that is not here"
    )
    out.append("")
    out.append(f"{'field':<24}{'agree':>7}{'compared':>10}{'blank in table':>16}")
    for field in FIELDS:
        out.append(
            f"{field:<24}{comparison.agree[field]:>7}{comparison.compared[field]:>10}"
            f"{comparison.blank[field]:>16}"
        )
    out.append("")
    out.append("framework in the table by days from start to end of the first fieldwork period:")
    for (table, days), count in sorted(framework_spans(extracted, comparison).items()):
        out.append(f"  {table:<10} {days:>3} days: {count}")
    out.append("")
    out.append(f"{len(comparison.disagreements)} disagreements:")
    for d in comparison.disagreements:
        out.append(f"  {d.field}: {d.path}\n      ours {d.ours!r}, table {d.table!r}")
    out.append("")
    out.append(f"{len(comparison.gaps)} blank table cells, and what the report says:")
    for field, path, ours in comparison.gaps:
        out.append(f"  {field}: {path}: {ours!r}")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args(argv)
    extracted = extract_corpus(args.corpus)
    comparison = compare(load_overview(args.corpus), extracted)
    print(render(extracted, comparison))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
