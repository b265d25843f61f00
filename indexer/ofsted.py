"""Metadata of an Ofsted children's-services inspection report, read from its PDF text.

`extract_report_metadata(pages, filename)` takes the text of each page (pypdfium2's
`get_text_range()`) and the file's name, and returns a `ReportMetadata`, or None when the
text is not such a report (an HTML error page saved as .pdf, a stand-alone review of a Local
Safeguarding Children Board). Every field says in `provenance` where it was read.

Three generations of report are told apart by the title on their first page:

| framework  | published  | first page                                                      |
| ---------- | ---------- | --------------------------------------------------------------- |
| `lac`      | 2012-2013  | "Inspection of looked after children services", four-point      |
|            |            | scale with "adequate", judgements on the last page              |
| `sif`      | 2013-2018  | "(Re-)inspection of services for children in need of help and   |
|            |            | protection, children looked after and care leavers": the single |
|            |            | inspection framework, often with an LSCB review in the report   |
| `standard` | 2018-      | ILACS: "Inspection of children's social care services" (2018-   |
| `short`    |            | 2020) or "Inspection of X local authority children's services"  |

ILACS reports do not print whether the inspection was short or standard. A short one is one
week of fieldwork (Monday to Friday) and a standard one two weeks, so the framework is read
from the printed dates: a first fieldwork period of at most 4 days is `short`, of 9 or more
`standard` (a paused inspection, "5 to 9 December 2022 and 14 to 15 February 2023", goes by
its first period). A span in between would be left unknown (None); the corpus has none.

`judgements` are the graded areas as the report writes them, in its order; the overall
judgement is not among them but in `overall_effectiveness`, normalised by `normalise_grade`.
A SIF report's LSCB judgement is the review of another body, not of the local authority's
services, and is left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from indexer.dates import PartialDate, first_date, parse_dmy_words, parse_periods

FRAMEWORKS = {
    "lac": "inspection of looked after children services (2012-2013)",
    "sif": "single inspection framework (2013-2018), re-inspections included",
    "standard": "ILACS standard inspection (2018-): two weeks of fieldwork",
    "short": "ILACS short inspection (2018-): one week of fieldwork",
}
GRADES = ("outstanding", "good", "requires improvement", "adequate", "inadequate", "not judged")
SHORT_MAX_DAYS = 4  # Monday to Friday (one small authority's short inspection: 2 days)
STANDARD_MIN_DAYS = 9  # two weeks: Monday to Friday of the next week is 11 days

Periods = tuple[tuple[PartialDate, PartialDate], ...]


@dataclass(frozen=True)
class ReportMetadata:
    """What an inspection report's pages say about the inspection."""

    local_authority: str  # as the report names it: "Camden", "Kent County Council"
    inspection_start: str  # ISO 8601: the first day of the first fieldwork period
    inspection_end: str  # the last day of the last fieldwork period
    publication_date: str  # "Report published: ..." if printed, else the file name's date
    framework: str | None  # a key of FRAMEWORKS
    judgements: tuple[tuple[str, str], ...]  # (area as written, grade as written), in order
    overall_effectiveness: str | None  # normalise_grade() of the overall judgement
    periods: tuple[tuple[str, str], ...] = ()  # every fieldwork period (start, end), ISO
    provenance: dict[str, str] = field(default_factory=dict)  # field -> where it was read


# --- text ----------------------------------------------------------------------------------

_APOSTROPHE = "['’]"
_GRADE = (
    r"(?:requires?\s+improvement(?:\s+to\s+be\s+good)?|outstanding|good|inadequate|adequate"
    r"|not\s+judged)"
)
# Dashes the date grammar does not know; U+FFFE is pdfium's mark of a hyphen at a line end.
_DASHES = str.maketrans({"─": "-", "‒": "-", "−": "-", "\ufffe": "-"})


def flatten(text: str) -> str:
    """Whitespace (line and page breaks included) collapsed to single spaces."""
    return " ".join(text.translate(_DASHES).split())


def _quote(text: str, limit: int = 100) -> str:
    """A short quotation of the words a value was read from, for provenance."""
    text = flatten(text)
    return f"'{text if len(text) <= limit else text[: limit - 3] + '...'}'"


def normalise_grade(text: str) -> str:
    """A grade as written, as one of GRADES: "Requires Improvement to be good" and "require
    improvement" -> "requires improvement", "Inadequate Grade 4" -> "inadequate".
    Raises ValueError for anything else."""
    words = re.sub(r"[^a-z]+", " ", text.lower()).split()
    phrase = " ".join(words)
    if re.match(r"requires? improvement\b", phrase):
        return "requires improvement"
    if phrase.startswith("not judged"):
        return "not judged"
    if words and words[0] in GRADES:
        return words[0]
    raise ValueError(f"not an Ofsted grade: {text!r}")


# --- dates ---------------------------------------------------------------------------------

_FILE_DATE = re.compile(r"(\d{1,2}) ([a-z]+) (\d{4})\.pdf$", re.IGNORECASE)
_PUBLISHED = re.compile(
    r"\b(?:report published:?|published:)\s*(\S+(?:\s+\S+){0,2})", re.IGNORECASE
)
_DATES_LABEL = re.compile(r"\binspection dates?:?\s*", re.IGNORECASE)
_DATES_END = re.compile(
    r"\s(?:lead|reporting) inspector|\sreport published|\sjudgement|\sthe overall|\sage group"
    r"|\schildren|\sthe local authority",
    re.IGNORECASE,
)


def _dates_text(flat: str) -> str | None:
    """ "Inspection dates: 25 to 29 April 2022", up to the next thing the first page says."""
    label = _DATES_LABEL.search(flat)
    if label is None:
        return None
    rest = flat[label.end() : label.end() + 160]
    stop = _DATES_END.search(rest)
    return label.group(0) + (rest[: stop.start()] if stop else rest)


def filename_date(filename: str) -> PartialDate | None:
    """The date a report's file name ends with: "... inspection - 21 june 2022.pdf"."""
    named = _FILE_DATE.search(filename)
    return parse_dmy_words(*named.groups()) if named else None


def _publication_date(flat: str, filename: str) -> tuple[str, str] | None:
    """(ISO date, provenance): the printed "Report published: ..." first, else the file name."""
    if (printed := _PUBLISHED.search(flat)) and (day := first_date(printed.group(1))):
        return day.iso, f"text: {_quote(printed.group(0))}"
    if day := filename_date(filename):
        return day.iso, f"file name: {_quote(_FILE_DATE.search(filename).group(0))}"
    return None


def ilacs_framework(start: date, end: date) -> str | None:
    """ "short" for one week of fieldwork, "standard" for two or more; None in between."""
    days = (end - start).days
    if 0 <= days <= SHORT_MAX_DAYS:
        return "short"
    if days >= STANDARD_MIN_DAYS:
        return "standard"
    return None


# --- the kind of report and the authority --------------------------------------------------

_NAME = r"((?:(?!Inspection of).){1,80}?)"  # an authority's name, not running into a title
_TITLES = (  # (framework, title, found anywhere on the page rather than at its start)
    (
        "lac",
        re.compile(rf"^Inspection of looked after children services {_NAME} Inspection"),
        False,
    ),
    (
        "sif",
        re.compile(
            rf"^(?:\d+ )?{_NAME} (?:Re-?)?inspection of services for children in need of help",
            re.IGNORECASE,
        ),
        False,
    ),
    (
        None,  # ILACS 2018-2020: the authority, then the title
        re.compile(
            rf"^(?:\d+ )?{_NAME} Inspection of (?:local authority )?children{_APOSTROPHE}s "
            r"(?:social care )?services Inspection date",
            re.IGNORECASE,
        ),
        False,
    ),
    (
        None,  # ILACS since 2019, maybe after a running header
        re.compile(
            rf"Inspection of (?:the )?{_NAME} (?:local authority )?children{_APOSTROPHE}s "
            r"services Inspection date",
            re.IGNORECASE,
        ),
        True,
    ),
)


@dataclass(frozen=True)
class _Kind:
    framework: str | None  # None: ILACS, short or standard by its dates
    local_authority: str
    title: str  # the words both were read from


def _kind(first_page: str) -> _Kind | None:
    """Which generation of report this is, and the authority as its first page names it."""
    for framework, title, anywhere in _TITLES:
        if match := (title.search if anywhere else title.match)(first_page):
            return _Kind(framework, match.group(1), match.group(0))
    return None


def _framework(kind: _Kind, periods: Periods, dates_text: str) -> tuple[str | None, str]:
    """(framework, provenance): the title says the older ones; the dates short or standard."""
    if kind.framework:
        return kind.framework, f"title: {_quote(kind.title)}"
    start, end = periods[0][0].first, periods[0][1].first
    return ilacs_framework(start, end), (
        f"ILACS title; first fieldwork period {(end - start).days} days: {_quote(dates_text)}"
    )


# --- judgements ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Judged:
    """The judgements a report prints, and the words each was read from."""

    areas: tuple[tuple[str, str], ...]
    areas_text: str
    overall: str | None  # the overall grade as written
    overall_text: str


_PAIR = re.compile(rf"(.+?)\s+({_GRADE})\b(?:\s+Grade \d)?", re.IGNORECASE)
_NUMBERED = re.compile(rf"(?<!\S)\d(?:\.\d)?\.? ([A-Z][^.\d]*?) ({_GRADE})\b", re.IGNORECASE)


def _pairs(block: str) -> tuple[tuple[str, str], ...]:
    """ "Name Grade Name Grade ..." -> ((name, grade), ...)."""
    return tuple((name.strip(" .:"), grade) for name, grade in _PAIR.findall(block))


_ILACS_TABLE = re.compile(
    rf"\bJudgement Grade (.+?)\b(Overall effectiveness ({_GRADE}))", re.IGNORECASE
)


def _ilacs_judgements(flat: str) -> _Judged | None:
    """The table on page 1: "Judgement Grade", a row per area, "Overall effectiveness ..."."""
    table = _ILACS_TABLE.search(flat)
    if table is None:
        return None
    return _Judged(_pairs(table.group(1)), table.group(0), table.group(3), table.group(2))


_SIF_AREAS = re.compile(
    rf"\b1\.? Children who need help and protection .+?"
    rf"Leadership, management and governance {_GRADE}\b",
    re.IGNORECASE,
)
_SIF_OVERALL = (
    re.compile(
        rf"The overall judgement is (?:that )?(?:children{_APOSTROPHE}s services? )?"
        rf"(?:are |is )?({_GRADE})",
        re.IGNORECASE,
    ),
    re.compile(
        rf"Children{_APOSTROPHE}s services (?:in .{{1,80}}? )?(?:are |is )?({_GRADE})",
        re.IGNORECASE,
    ),
)


def _sif_judgements(flat: str) -> _Judged | None:
    """The overall sentence ("Children's services in X are good", "The overall judgement is
    that children's services require improvement", ...), then the numbered list "1. Children
    who need help and protection Good ... 3. Leadership, management and governance Good"
    (a footnote or page number between two items is skipped)."""
    listed = _SIF_AREAS.search(flat)
    sentences = [m for pattern in _SIF_OVERALL if (m := pattern.search(flat))]
    overall = min(sentences, key=lambda m: m.start()) if sentences else None
    if listed is None and overall is None:
        return None
    return _Judged(
        tuple(_NUMBERED.findall(listed.group(0))) if listed else (),
        listed.group(0) if listed else "",
        overall.group(1) if overall else None,
        overall.group(0) if overall else "",
    )


_LAC_FINDINGS = re.compile(
    r"Record of main findings Services for looked after children (.{1,400})$"
)


def _lac_judgements(flat_all: str) -> _Judged | None:
    """The "Record of main findings" on the last page: "Overall effectiveness Inadequate",
    then capacity to improve, outcomes, quality of provision, leadership and management."""
    findings = _LAC_FINDINGS.search(flat_all)
    if findings is None:
        return None
    rows = _pairs(findings.group(1))
    if rows and rows[0][0].lower() == "overall effectiveness":
        return _Judged(rows[1:], findings.group(0), rows[0][1], " ".join(rows[0]))
    return _Judged(rows, findings.group(0), None, "")


# ILACS areas by key, recognised in the names as reports write them (capitals and line breaks
# vary). The older frameworks judged other areas, which have no key.
_PROGRESS = r"^the experiences and progress of "
_AREAS = (
    ("impact_of_leaders", re.compile(r"^the impact of leaders on social work practice\b")),
    ("help_and_protection", re.compile(_PROGRESS + r"children who need help and protection$")),
    ("in_care_and_care_leavers", re.compile(_PROGRESS + r"children in care and care leavers$")),
    ("in_care", re.compile(_PROGRESS + r"children in care$")),
    ("care_leavers", re.compile(_PROGRESS + r"care leavers$")),
)


def judgement_areas(judgements: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """ILACS judgements by area, grades normalised: "impact_of_leaders", "help_and_protection",
    "in_care", "care_leavers", or "in_care_and_care_leavers" for the single judgement of both
    in reports on inspections before 2023."""
    areas = {}
    for name, grade in judgements:
        key = next((k for k, rule in _AREAS if rule.search(flatten(name).lower())), None)
        if key:
            areas[key] = normalise_grade(grade)
    return areas


# --- the report ----------------------------------------------------------------------------


def extract_report_metadata(pages: list[str], filename: str) -> ReportMetadata | None:
    """The report's metadata, or None if `pages` are not an Ofsted inspection report of a
    local authority's children's services (or print no readable inspection dates: no report
    in the corpus). `filename` gives the publication date where the text prints none."""
    first = flatten(pages[0]) if pages else ""
    kind = _kind(first)
    dates_text = _dates_text(first) or ""
    periods = parse_periods(dates_text)
    published = _publication_date(first, filename)
    if kind is None or not periods or published is None:
        return None
    framework, framework_how = _framework(kind, periods, dates_text)
    if kind.framework == "lac":
        judged = _lac_judgements(flatten("\n".join(pages)))
    elif kind.framework == "sif":
        judged = _sif_judgements(flatten("\n".join(pages[:3])))
    else:
        judged = _ilacs_judgements(flatten("\n".join(pages[:3])))

    provenance = {
        "local_authority": f"text: {_quote(kind.title)}",
        "inspection_start": f"text: {_quote(dates_text)}",
        "inspection_end": f"text: {_quote(dates_text)}",
        "publication_date": published[1],
        "framework": framework_how,
    }
    if judged and judged.areas:
        provenance["judgements"] = f"text: {_quote(judged.areas_text)}"
    if judged and judged.overall:
        provenance["overall_effectiveness"] = f"text: {_quote(judged.overall_text)}"
    overall = judged.overall if judged else None
    return ReportMetadata(
        local_authority=kind.local_authority,
        inspection_start=periods[0][0].iso,
        inspection_end=periods[-1][1].iso,
        publication_date=published[0],
        framework=framework,
        judgements=judged.areas if judged else (),
        overall_effectiveness=normalise_grade(overall) if overall else None,
        periods=tuple((start.iso, end.iso) for start, end in periods),
        provenance=provenance,
    )
