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

Other kinds of Ofsted document are read by one general reader, `extract_visit_metadata`:
a focused visit's or monitoring visit's letter, a joint targeted area inspection (JTAI), an
area SEND inspection. Each names itself in its title or opening sentence ("Focused visit to
Barnsley children's services"; "This letter summarises the findings of the monitoring visit
to ..."; "Joint targeted area inspection of the multi-agency response to ... in Leeds";
"Area SEND inspection of Leeds Local Area Partnership"), and the same sentence, or an
"Inspection dates:" label, gives the authority and the dates of the visit. The letter's
printed date is its publication date unless it is impossible (before the visit); the
corpus's naming convention (`<urn>_<authority>/<kind> - <date>.pdf`) fills only what the
text leaves unknown, labelled "file name:"; a title the letter does not print is composed
from its kind and authority ("composed:").
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from datetime import date

from indexer.dates import _MONTH, MONTHS, PartialDate, first_date, parse_dmy_words, parse_periods

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


# --- the kind of document, and what a visit's letter says ----------------------------------

KINDS = ("inspection", "focused-visit", "monitoring-visit", "jtai", "send", "news", "other")
# Each kind of Ofsted publication names itself in its title and opening sentence. The first
# of these phrases on the first page says what the document is: a focused visit's letter may
# go on to mention "the last inspection" or "the monitoring visit in 2022".
_KIND_PHRASES = (
    ("jtai", re.compile(r"\bjoint targeted area inspection\b", re.IGNORECASE)),
    (
        "send",
        re.compile(
            r"\b(?:area|local area) SEND (?:re-?)?inspection\b|\bSEND (?:area )?(?:re-?)?inspection"
            r"\b|\binspection of (?:the )?local area.{0,60}?special educational needs",
            re.IGNORECASE,
        ),
    ),
    ("monitoring-visit", re.compile(r"\bmonitoring visit (?:on .{1,40}? )?(?:to|of)\b", re.I)),
    ("focused-visit", re.compile(r"\bfocused visit (?:on .{1,40}? )?(?:to|of)\b", re.IGNORECASE)),
)
_COMPOSED_TITLES = {
    "focused-visit": "Focused visit to {} children’s services",
    "monitoring-visit": "Monitoring visit to {} children’s services",
    "jtai": "Joint targeted area inspection of {}",
    "send": "Area SEND inspection of {}",
}


@dataclass(frozen=True)
class Evidence:
    """A value and where it was read ("text: '...'", "file name: '...'", "composed: ...")."""

    value: object
    source: str


def inspection_kind(first_page: str) -> Evidence | None:
    """ "inspection" when the first page carries the title of a full inspection report (any
    of the frameworks above), though its other front matter may be missing."""
    title = _kind(flatten(first_page))
    return Evidence("inspection", f"text: {_quote(title.title)}") if title else None


def visit_kind(first_page: str) -> Evidence | None:
    """The kind of an Ofsted visit or joint inspection, by the first phrase on the first page
    that names one; None if none does."""
    flat = flatten(first_page)
    found = [(m.start(), kind, m) for kind, rule in _KIND_PHRASES if (m := rule.search(flat))]
    if not found:
        return None
    _, kind, match = min(found, key=lambda item: item[0])
    # Named in the document's own title or opening, not in a piece that reports on a visit:
    # a line of its own that starts with the phrase (a title), or after a letter's salutation
    at = match.start()
    titled = any(
        " ".join(line.split()).casefold().startswith(match.group(0).casefold())
        for line in first_page.splitlines()
    )
    if at > 2000 or not (titled or re.search(r"\bDear\b", flat[:at])):
        return None
    return Evidence(kind, f"text: {_quote(flat[at : match.end() + 80])}")


_PRINTED_DATE = re.compile(rf"(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH}\s+(\d{{4}})", re.I)


def printed_date(first_page: str) -> Evidence | None:
    """The date a letter is dated: a line of the first page, before its salutation, that is
    a date and nothing else ("22 June 2023")."""
    for line in first_page.splitlines()[:60]:
        text = " ".join(line.split())
        if re.match(r"(?:\S+\s+){0,4}dear\b", text, re.IGNORECASE):
            break
        if (match := _PRINTED_DATE.fullmatch(text)) and (day := parse_dmy_words(*match.groups())):
            return Evidence(day, f"text: date line {_quote(text)}")
    return None


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z‘“])")
_LABELLED_DATES = re.compile(r"\binspection dates?:?\s*(.{1,60}?\d{4})", re.IGNORECASE)
_NO_YEAR = re.compile(
    rf"(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+{_MONTH})?(?:\s+(?:and|to|-|–)\s+(\d{{1,2}})"
    rf"(?:st|nd|rd|th)?)?\s+{_MONTH}(?!\s*,?\s*\d)",
    re.IGNORECASE,
)


def _ordinals(text: str) -> str:
    """ "the 15 and 16 of May 2018" -> "the 15 and 16 May 2018"."""
    return re.sub(r"(\d)(?:st|nd|rd|th)?\s+of\s+(?=[A-Za-z])", r"\1 ", text)


def visit_dates(first_page: str, dated: PartialDate | None) -> Evidence | None:
    """((start, end), source): the dates of the visit a letter reports on, from a labelled
    "Inspection dates:" or else the first sentence after the letter's kind phrase that gives
    a date ("... focused visit to Barnsley children's services on 25 and 26 January 2023").
    A date printed without its year ("on 30 and 31 January") takes the year of the letter's
    own date `dated` (the year before, if the month is later than the letter's)."""
    flat = _ordinals(flatten(first_page))
    if (label := _LABELLED_DATES.search(flat)) and (periods := parse_periods(label.group(1))):
        return Evidence((periods[0][0], periods[-1][1]), f"text: {_quote(label.group(0))}")
    kind = visit_kind(first_page)
    start = 0
    if kind is not None:
        rule = dict(_KIND_PHRASES)[str(kind.value)]
        start = rule.search(flat).start()  # type: ignore[union-attr]
    for sentence in _SENTENCE_END.split(flat[start : start + 3000])[:6]:
        if not re.search(r"\bvisit|\binspect", sentence, re.IGNORECASE):
            continue
        periods = [p for p in parse_periods(_years_carried(sentence)) if p != (dated, dated)]
        if periods:  # (a one-day period on the letter's own date is that date, not the visit)
            return _plausible_visit(periods[0][0], periods[-1][1], sentence)
        if dated is not None and (bare := _NO_YEAR.search(sentence)):
            d1, m1, d2, m2 = bare.groups()
            year = dated.year - (MONTHS[m2.lower().rstrip(".")] > dated.first.month)
            first = parse_dmy_words(d1, m1 or m2, str(year))
            last = parse_dmy_words(d2 or d1, m2, str(year))
            if first and last:
                how = f"text: {_tail(sentence)}, in the year of the letter's date"
                return Evidence((first, last), how)
    return None


# A visit lasts days; fieldwork of a joint inspection, weeks.
VISIT_MAX_DAYS = 62


def _tail(sentence: str, limit: int = 160) -> str:
    """A quotation of a sentence's end, where a letter gives its visit's dates."""
    text = flatten(sentence)
    return f"'{text if len(text) <= limit else '...' + text[3 - limit :]}'"


def _years_carried(sentence: str) -> str:
    """ "on 29 and 30 September, and 1 October 2020": the year of the last date carried to
    the dates before it that lack one."""
    bare = re.compile(
        rf"(\d{{1,2}}\s+{_MONTH})\b(?!\s*,?\s*\d)(?=[^.]{{0,40}}?\b((?:19|20)\d\d)\b)", re.I
    )
    return bare.sub(lambda m: f"{m.group(1)} {m.group(3)}", sentence)


def _plausible_visit(start: PartialDate, end: PartialDate, sentence: str) -> Evidence:
    """The visit's (start, end) as printed, unless the start's year is a misprint: "on 24
    October 2022 to 25 October 2023" is a visit of two days in 2023."""
    how = f"text: {_tail(sentence)}"
    if (end.first - start.first).days > VISIT_MAX_DAYS and start.year < end.year:
        with contextlib.suppress(ValueError):  # (29 February)
            moved = PartialDate(start.first.replace(year=end.year).isoformat())
            if 0 <= (end.first - moved.first).days <= VISIT_MAX_DAYS:
                return Evidence((moved, end), f"{how}; the start's year taken as the end's")
    return Evidence((start, end), how)


_POSSESSIVE = r"(?:['’]s)?"
_NAME_STOP = (
    r"(?=\s+(?:local\s+authority\s+)?(?i:children['’]s\s+(?:social\s+care\s+)?services)\b"
    r"|\s+(?i:local\s+area)\b|\s+(?:on|between|from|in)\s+(?:the\s+)?\d|\s*[.;:]|\s*$"
    r"|\s+(?:Inspection|Between|This|The)\b)"
)
_AUTHORITY = re.compile(
    r"\b(?i:visit|inspection)\b(?:\s+on\s+[^.]{1,40}?)?\s+(?:to|of|in)\s+(?:the\s+)?"
    rf"(?P<name>[A-Z][\w&,’'().\- ]{{1,90}}?){_POSSESSIVE}{_NAME_STOP}"
    r"|\bresponse to .{1,160}? in (?:the\s+)?"
    rf"(?P<area>[A-Z][\w&,’'().\- ]{{1,60}}?){_POSSESSIVE}{_NAME_STOP}"
)
_NOT_A_NAME = re.compile(r"^(?:Her|His|Ofsted|Children|Multi|This|Local|Area|SEND)\b|\d")


def visit_authority(texts: list[str]) -> Evidence | None:
    """The local authority a visit was to, as the letter's title or opening sentence names it
    ("Focused visit to Cheshire East local authority children's services" -> "Cheshire
    East"); the first of `texts` (title, then first page) that names one."""
    for text in texts:
        flat = flatten(text)
        for match in _AUTHORITY.finditer(flat):
            name = (match.group("name") or match.group("area") or "").strip(" ,")
            name = re.sub(r"\s+local\s+authority$", "", name, flags=re.IGNORECASE)
            # the trust or company that runs the council's services ("Sandwell Children's
            # Trust", "Slough Children First") is not the local authority
            name = re.sub(r"(?<=\w)\s+Children\b.*$", "", name)
            if name and not _NOT_A_NAME.match(name) and len(name.split()) <= 8:
                return Evidence(name, f"text: {_quote(flat[match.start() : match.end() + 40])}")
    return None


def visit_title(kind: str, authority: str | None, printed: str | None) -> Evidence | None:
    """The letter's own heading when it names the visit and the authority; else a title
    composed from the kind and the authority ("Focused visit to Barnsley children's services")."""
    names_both = bool(printed and authority and authority.casefold() in printed.casefold())
    if names_both and any(rule.search(printed or "") for _, rule in _KIND_PHRASES):
        return Evidence(printed.rstrip(". "), "text: the letter's heading")
    if authority is None or kind not in _COMPOSED_TITLES:
        return None
    return Evidence(
        _COMPOSED_TITLES[kind].format(authority), f"composed: kind {kind} and local authority"
    )


_SEND_OUTCOME = re.compile(
    r"(The local area partnership['’]s (?:special educational needs and/or disabilities \(SEND\) )?"
    r"arrangements (?:typically )?lead to (?:positive|inconsistent) experiences and outcomes"
    r"[^.]{0,200}\.(?: The local area partnership (?:is taking action|must work)[^.]{0,120}\.)?"
    r"|There are widespread and/or systemic failings[^.]{0,300}\.)",
    re.IGNORECASE,
)


def send_outcome(pages: list[str]) -> Evidence | None:
    """An area SEND inspection's outcome: one of three fixed sentences, kept as written."""
    flat = flatten("\n".join(pages[:2]))
    found = _SEND_OUTCOME.search(flat)
    return Evidence(found.group(1), f"text: {_quote(found.group(1))}") if found else None


# --- a corpus's naming convention: <urn>_<authority>/<kind> - <date>.pdf --------------------

_CONVENTION_FOLDER = re.compile(r"^\d{4,8}_(.+)$")
_CONVENTION_KINDS = (
    ("focused-visit", "focused visit"),
    ("monitoring-visit", "monitoring visit"),
    ("jtai", "joint targeted area inspection"),
    ("send", "send inspection"),
    ("inspection", "inspection"),
)
_SMALL_WORDS = {"and", "of", "upon", "on", "the", "with", "in", "under"}


def from_file_name(folder: str, file_name: str) -> dict[str, Evidence]:
    """What the corpus's naming convention says (`<urn>_<authority>/<kind> - <date>.pdf`):
    the authority, the kind and a date, each labelled as read from the file name."""
    found: dict[str, Evidence] = {}
    if folder_match := _CONVENTION_FOLDER.match(folder):
        words = folder_match.group(1).split()
        name = " ".join(w if w in _SMALL_WORDS else w[:1].upper() + w[1:] for w in words)
        found["local_authority"] = Evidence(name, f"file name: folder '{folder}'")
    stem = file_name.rsplit(" - ", 1)[0].casefold()
    for kind, words in _CONVENTION_KINDS:
        if words in stem:
            found["kind"] = Evidence(kind, f"file name: '{file_name}'")
            break
    if day := filename_date(file_name):
        found["date"] = Evidence(day, f"file name: '{file_name}'")
    return found


def extract_visit_metadata(
    pages: list[str], file_name: str = "", folder: str = "", heading: str | None = None
) -> dict[str, Evidence]:
    """An Ofsted visit letter's or joint inspection's metadata, each value with its evidence:
    its own words first (kind, authority, visit dates, printed date, heading), then the
    corpus's naming convention where the text is silent. Empty if the first page names no
    kind of visit. The inspection year is the year of the visit the letter reports on; the
    publication date is the date printed on the letter, unless none is printed or it comes
    before the visit (then the file name's, with the conflict in its source)."""
    first = pages[0] if pages else ""
    kind = visit_kind(first)
    if kind is None:
        return {}
    convention = from_file_name(folder, file_name)
    found: dict[str, Evidence] = {"kind": kind, "publisher": Evidence("Ofsted", kind.source)}
    printed = printed_date(first)
    dated = printed.value if printed else None
    dates = visit_dates(
        first, dated or (convention["date"].value if "date" in convention else None)
    )
    if dates is not None:
        start, end = dates.value  # type: ignore[misc]
        found["inspection_start"] = Evidence(start.iso, dates.source)
        found["inspection_end"] = Evidence(end.iso, dates.source)
        found["inspection_year"] = Evidence(start.year, dates.source)
    published = _letter_date(printed, convention.get("date"), dates)
    if published is not None:
        found["date"] = published
    authority = visit_authority([heading or "", first]) or convention.get("local_authority")
    if authority is not None:
        found["local_authority"] = authority
    title = visit_title(str(kind.value), authority.value if authority else None, heading)
    if title is not None:
        found["title"] = title
    if kind.value == "send" and (outcome := send_outcome(pages)):
        found["judgements"] = Evidence((("Outcome", outcome.value),), outcome.source)
    return found


def _letter_date(
    printed: Evidence | None, named: Evidence | None, dates: Evidence | None
) -> Evidence | None:
    """The printed date, unless it is before the visit's end; else the file name's date."""
    end = dates.value[1] if dates else None  # type: ignore[index]
    if printed is not None and (end is None or printed.value.first >= end.first):  # type: ignore[union-attr]
        return Evidence(printed.value.iso, printed.source)  # type: ignore[union-attr]
    if named is None:
        return None
    if printed is None:
        return Evidence(
            named.value.iso, f"{named.source}; no date that can be read is printed on the letter"
        )  # type: ignore[union-attr]
    return Evidence(
        named.value.iso,  # type: ignore[union-attr]
        f"{named.source}; the date printed on the letter, {printed.source[6:]}, is before "
        f"the visit it reports on (ended {end.iso})",  # type: ignore[union-attr]
    )
