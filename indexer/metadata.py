"""Metadata: title, publisher, publication date and inspection year of a document.

Read from the text first; the corpus's facts file (`facts.toml` in the corpus folder) may
fill what the text lacks, each fact with its source. Nothing is guessed: a field no rule
finds and no fact supplies stays unknown. Every value records where it came from.
"""

from __future__ import annotations

import datetime
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from indexer.chunk import ChunkedDocument
from indexer.clean import CleanText
from indexer.dates import (
    _MONTH,
    DATE_IN_WORDS,
    MONTHS,
    PartialDate,
    parse_dmy_numeric,
    parse_dmy_words,
    parse_iso,
    parse_range,
)
from indexer.display import shown
from indexer.ofsted import (
    extract_report_metadata,
    extract_visit_metadata,
    from_file_name,
    inspection_kind,
    normalise_grade,
)
from indexer.records import Metadata

if TYPE_CHECKING:
    from indexer.html import PageMetadata

FACTS_FILE = "facts.toml"
FIELDS = (
    "title",
    "publisher",
    "date",
    "inspection_year",
    "inspection_start",
    "inspection_end",
    "local_authority",
    "framework",
    "overall_effectiveness",
)


class FactsError(ValueError):
    """The corpus's facts file is malformed."""


@dataclass(frozen=True)
class Fact:
    value: str | int
    source: str


Facts = Mapping[str, Mapping[str, Fact]]  # document id -> field -> fact


def load_facts(folder: Path) -> dict[str, dict[str, Fact]]:
    """Read `facts.toml` from a corpus folder (absent is fine: no facts). Anything malformed
    is a FactsError of one line naming the file, the entry and what is wrong."""
    path = folder / FACTS_FILE
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except UnicodeDecodeError as error:
        raise FactsError(f"{path}: not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise FactsError(f"{path}: cannot read: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise FactsError(f"{path}: not valid TOML: {' '.join(str(error).split())}") from None
    others = sorted(set(data) - {"fact"})
    if others:
        raise FactsError(f"{path}: unknown table '{others[0]}': facts are [[fact]] entries")
    entries = data.get("fact", [])
    if not isinstance(entries, list):
        raise FactsError(f"{path}: 'fact' must be [[fact]] entries, one per fact")
    facts: dict[str, dict[str, Fact]] = {}
    for i, entry in enumerate(entries, start=1):
        document, name, fact = _read_fact(entry, f"{path}: fact {i}")
        facts.setdefault(document, {})[name] = fact
    return facts


def _read_fact(entry: object, where: str) -> tuple[str, str, Fact]:
    """(document id, field, fact) of one [[fact]] entry, every part checked."""
    if not isinstance(entry, dict):
        raise FactsError(f"{where}: not a table of document, field, value and source")
    missing = [k for k in ("document", "field", "value", "source") if k not in entry]
    if missing:
        raise FactsError(f"{where} lacks {', '.join(missing)}")
    document, name, source = entry["document"], entry["field"], entry["source"]
    for key, given in (("document", document), ("field", name), ("source", source)):
        if not isinstance(given, str) or not given.strip():
            raise FactsError(f"{where}: {key} must be non-empty text")
    if name not in FIELDS:
        raise FactsError(f"{where}: unknown field '{name}' (one of {', '.join(FIELDS)})")
    try:
        value = _fact_value(name, entry["value"])
    except ValueError as error:
        raise FactsError(f"{where} (document '{document}', field '{name}'): {error}") from None
    return document, name, Fact(value, source)


def _fact_value(name: str, value: object) -> str | int:
    """A fact's value as the field holds it; ValueError says what is wrong with it."""
    if isinstance(value, bool) or not isinstance(value, (str, int, datetime.date)):
        raise ValueError(f"the value must be text or a number, not {type(value).__name__}")
    if name in ("date", "inspection_start", "inspection_end"):
        return parse_iso(str(value)).iso  # a TOML date (2022-06-21 unquoted) reads the same
    if name == "inspection_year":
        year = str(value).strip()
        if not re.fullmatch(r"(19|20)\d\d", year, re.ASCII):
            raise ValueError(f"'{shown(str(value))}' is not a year (such as 2017)")
        return int(year)
    if not isinstance(value, str) or not value.strip():
        raise ValueError("the value must be non-empty text")
    if name == "overall_effectiveness":
        return normalise_grade(value)
    return value.strip()


# --- rules over the text -------------------------------------------------------------------

_HEADER = re.compile(r"\s*date (\d{4}-\d{2}-\d{2}) (.+?)(?: \(source: ([^)]+)\))?\s*$", re.I)
_REPORT_PUBLISHED = re.compile(rf"report published:?\s*(\d{{1,2}})\s+{_MONTH}\s+(\d{{4}})", re.I)
_INSPECTION_DATES = re.compile(r"inspection dates?:?\s*(.+)", re.I)
# "inspection in 2009", "inspectors who examined the service in 2009"; not "last visited in 2012"
_INSPECTED_IN_YEAR = re.compile(
    r"\b(?:inspection|inspected|examined the service)\b[^.]{0,40}?\bin ((?:19|20)\d\d)\b", re.I
)
_INSPECTED_IN_MONTH = re.compile(
    rf"\b(?:an inspection|the inspection|inspected|visiting the authority|inspectors visited)"
    rf"\b[^.]{{0,30}}?\bin {_MONTH}(?!\s*\d)",
    re.I,
)
_MORE_FROM = re.compile(r"more from (.+)", re.I)
_COPYRIGHT = re.compile(r"©\s*(.+?)\s+(?:19|20)\d\d\s*$")


def _from_text(raw: str, cleaned: CleanText, chunked: ChunkedDocument) -> dict[str, tuple]:
    """Each found field -> (value, how it was found)."""
    found: dict[str, tuple] = {}
    dropped = [line.text.strip() for line, _ in cleaned.dropped]

    for line in dropped:
        header = _HEADER.fullmatch(line)
        if header:
            found["date"] = (header.group(1), f"text: header line '{line[:40]}...'")
            found["title"] = (header.group(2).strip(), "text: header line")
            if header.group(3):
                found["publisher"] = (header.group(3).strip(), "text: '(source: ...)'")
        elif "date" not in found and (numeric := parse_dmy_numeric(line)):
            found["date"] = (numeric.iso, f"text: date line '{line}'")

    if "title" not in found and chunked.title:
        found["title"] = (chunked.title, "text: first heading")

    if "date" not in found and (published := _REPORT_PUBLISHED.search(raw)):
        value = parse_dmy_words(*published.groups())
        if value:
            found["date"] = (value.iso, f"text: '{published.group(0)}'")

    for line in dropped:
        if "publisher" not in found and (more := _MORE_FROM.fullmatch(line)):
            found["publisher"] = (more.group(1).strip(), f"text: '{line}'")
        if "publisher" not in found and (mark := _COPYRIGHT.fullmatch(line)):
            owner = mark.group(1).strip()
            if owner.lower() == "crown copyright":
                if "ofsted.gov.uk" in raw.lower():
                    found["publisher"] = ("Ofsted", f"text: '{line}' and Ofsted's contact block")
            else:
                found["publisher"] = (owner, f"text: '{line}'")

    dates_line = _INSPECTION_DATES.search(raw)
    span = parse_range(dates_line.group(1)) if dates_line else None
    if span is None and dates_line and (single := DATE_IN_WORDS.search(dates_line.group(1))):
        one = parse_dmy_words(*single.groups())
        span = (one, one) if one else None
    if span:
        how = f"text: '{dates_line.group(0).strip()[:60]}'"
        found["inspection_start"] = (span[0].iso, how)
        found["inspection_end"] = (span[1].iso, how)
        found["inspection_year"] = (span[0].year, how)
    elif in_year := _INSPECTED_IN_YEAR.search(raw):
        found["inspection_year"] = (int(in_year.group(1)), f"text: '{in_year.group(0)}'")
    elif (in_month := _INSPECTED_IN_MONTH.search(raw)) and "date" in found:
        # "an inspection in April" in a piece dated June 2022: April 2022. A month later in
        # the year than the publication date means the previous year.
        published = PartialDate(found["date"][0])
        month = MONTHS[in_month.group(1).lower().rstrip(".")]
        if published.precision != "year":
            year = published.year if month <= published.first.month else published.year - 1
            found["inspection_year"] = (
                year,
                f"text: '{in_month.group(0)}', before publication ({published.iso})",
            )
    return found


def _from_report(pages: tuple[str, ...], file_name: str) -> dict[str, tuple]:
    """An Ofsted inspection report's own metadata (see indexer.ofsted), if it is one."""
    report = extract_report_metadata(list(pages), file_name)
    if report is None:
        return {}
    how = report.provenance
    found: dict[str, tuple] = {
        "publisher": ("Ofsted", "text: an Ofsted inspection report"),
        "date": (report.publication_date, how["publication_date"]),
        "inspection_start": (report.inspection_start, how["inspection_start"]),
        "inspection_end": (report.inspection_end, how["inspection_end"]),
        "inspection_year": (int(report.inspection_start[:4]), how["inspection_start"]),
        "local_authority": (report.local_authority, how["local_authority"]),
        "framework": (report.framework, how["framework"]),
    }
    if report.judgements:
        found["judgements"] = (report.judgements, how.get("judgements", "text"))
    if report.overall_effectiveness:
        found["overall_effectiveness"] = (
            report.overall_effectiveness,
            how.get("overall_effectiveness", "text"),
        )
    return found


def extract_metadata(
    doc_id: str,
    raw: str,
    cleaned: CleanText,
    chunked: ChunkedDocument,
    facts: Facts,
    *,
    pages: tuple[str, ...] | None = None,
    page: PageMetadata | None = None,
    file_name: str = "",
    folder: str = "",
) -> Metadata:
    """The document's metadata: an inspection report's own front matter first (for a PDF's
    `pages`), or a visit letter's own words (indexer.ofsted.extract_visit_metadata); then the
    general rules over the text; then, for an HTML page, what its markup says (`page`: title,
    site name, publication date); then the facts file for what is left; the corpus's naming
    convention (the file name, `folder` the name of the folder holding it) last."""
    found = _from_text(raw, cleaned, chunked)
    report = _from_report(pages, file_name) if pages else {}
    visit = (
        {}
        if report
        else extract_visit_metadata(list(pages or (raw,)), file_name, folder, _heading(chunked))
    )
    if report:
        found.update(report)
        found["kind"] = ("inspection", report["local_authority"][1])  # its title
    elif visit:
        # a letter's year is its visit's; "since the last inspection in 2018" is not
        for name in ("inspection_year", "inspection_start", "inspection_end"):
            found.pop(name, None)
        found.update({name: (evidence.value, evidence.source) for name, evidence in visit.items()})
    _fill_from_page(found, page)
    for name, fact in facts.get(doc_id, {}).items():
        if name not in found:
            found[name] = (fact.value, f"{FACTS_FILE}: {fact.source}")
    if "kind" not in found and (named := inspection_kind(pages[0] if pages else raw[:5000])):
        found["kind"] = (named.value, named.source)
    if "kind" not in found:
        found["kind"] = _other_kind(found, raw, file_name, folder)
    values = {name: found[name][0] for name in found}
    provenance = {name: found[name][1] for name in sorted(found)}
    return Metadata(**values, provenance=provenance)


def _fill_from_page(found: dict[str, tuple], page: PageMetadata | None) -> None:
    """An HTML page's own markup (its meta tags, JSON-LD, <time>) fills what the words of the
    page leave unknown, or know only from the file name: the markup is the publisher's own
    statement about this page, where a file name is only a convention of the corpus."""
    for name, (value, how) in (page.evidence if page else {}).items():
        if name in ("title", "publisher", "date") and value:
            known = found.get(name)
            if known is None or str(known[1]).startswith("file name:"):
                found[name] = (value, how)


def _heading(chunked: ChunkedDocument) -> str | None:
    """The document's first heading, or its first passage when that is a short line (a
    letter's heading printed with a full stop: "Focused visit to Oldham children's services.")."""
    if chunked.title:
        return chunked.title
    first = chunked.chunks[0].text if chunked.chunks else ""
    return first if len(first) <= 150 and "\n" not in first else None


# A piece about an inspection's outcome: its headline says what was found, and its text
# names the inspectorate.
_OUTCOME_HEADLINE = re.compile(
    r"\b(?:rated|rating|judged|praised?s?|celebrat\w*|criticis\w*|outstanding|inadequate"
    r"|requires improvement)\b",
    re.IGNORECASE,
)


def _other_kind(found: dict[str, tuple], text: str, file_name: str, folder: str) -> tuple[str, str]:
    """Not an Ofsted publication the text names: news, when a publisher other than Ofsted
    or a headline about an inspection says so; else the corpus's naming convention; else
    other."""
    publisher = found.get("publisher", (None,))[0]
    title = found.get("title", ("",))[0] or ""
    if publisher and publisher != "Ofsted" and found["publisher"][1].startswith("text:"):
        return "news", f"{found['publisher'][1]} (a publisher other than Ofsted)"
    headline = _OUTCOME_HEADLINE.search(title)
    if publisher != "Ofsted" and headline and re.search(r"\bofsted\b|\binspect", text, re.I):
        return "news", f"text: a headline about an inspection's outcome ('{headline.group(0)}')"
    if (named := from_file_name(folder, file_name).get("kind")) is not None:
        return str(named.value), named.source
    return "other", "no kind of document is named in the text or the file name"
