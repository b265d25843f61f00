"""Dates with their precision: "2022-06-21" (day), "2022-06" (month) or "2022" (year).

A date is kept as ISO 8601 at the precision the source gives it, never padded into a
false day. Filters compare intervals: "2022" covers 2022-01-01 to 2022-12-31.

Parsing is regular expressions over the stdlib `datetime`: the forms in these documents
("17/04/25", "21 June 2022", "25 to 29 April 2022") are few and British (day first), and a
general parser guessing month-first would be wrong here.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import cache

from indexer.display import shown

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
_MONTH = r"(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"


class DateError(ValueError):
    """A date that cannot be read."""


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A calendar date known to a day, a month or a year."""

    iso: str  # "2022-06-21", "2022-06" or "2022"

    @property
    def precision(self) -> str:
        return {4: "year", 7: "month", 10: "day"}[len(self.iso)]

    @property
    def year(self) -> int:
        return int(self.iso[:4])

    @property
    def first(self) -> date:
        parts = [int(p) for p in self.iso.split("-")] + [1, 1]
        return date(parts[0], parts[1], parts[2])

    @property
    def last(self) -> date:
        parts = [int(p) for p in self.iso.split("-")]
        if len(parts) == 3:
            return date(*parts)
        month = parts[1] if len(parts) == 2 else 12
        return date(parts[0], month, calendar.monthrange(parts[0], month)[1])

    def human(self) -> str:
        """As a reader writes it: "21 June 2022", "June 2022", "2022"."""
        first = self.first
        if self.precision == "day":
            return f"{first.day} {calendar.month_name[first.month]} {first.year}"
        if self.precision == "month":
            return f"{calendar.month_name[first.month]} {first.year}"
        return str(first.year)


def parse_iso(text: str) -> PartialDate:
    """ "2022", "2022-06" or "2022-06-21" (also "2022/06/21"), validated."""
    cleaned = text.strip().replace("/", "-")
    match = re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", cleaned, re.ASCII)
    if not match:
        raise DateError(f"'{shown(text)}' is not a date: use YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = match.groups()
    try:
        if day:
            return PartialDate(date(int(year), int(month), int(day)).isoformat())
        if month:
            date(int(year), int(month), 1)
            return PartialDate(f"{int(year):04d}-{int(month):02d}")
        return PartialDate(f"{int(year):04d}")
    except ValueError as error:
        raise DateError(f"'{shown(text)}' is not a date: {error}") from None


def parse_dmy_numeric(text: str) -> PartialDate | None:
    """British numeric dates: "17/04/25", "17/04/2025", "17.04.2025"."""
    match = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{2}|\d{4})", text.strip())
    if not match:
        return None
    day, month, year = (int(g) for g in match.groups())
    if year < 100:
        year += 2000  # two-digit years in these sources are all this century
    try:
        return PartialDate(date(year, month, day).isoformat())
    except ValueError:
        return None


def parse_dmy_words(day: str | None, month: str, year: str) -> PartialDate | None:
    """ "21", "June", "2022" -> 2022-06-21; with no day, month precision."""
    number = MONTHS.get(month.lower().rstrip("."))
    if number is None:
        return None
    try:
        if day:
            return PartialDate(date(int(year), number, int(day)).isoformat())
        return PartialDate(f"{int(year):04d}-{number:02d}")
    except ValueError:
        return None


# "25 to 29 April 2022", "11 September 2017 to 5 October 2017", "28 Nov - 9 Dec 2022",
# "30 September 2019 to 4 October 2019": day [month [year]] (to|-|–) day month year.
@cache
def _date_range() -> re.Pattern[str]:
    return re.compile(
        rf"(\d{{1,2}})(?:st|nd|rd|th)?\s*(?:{_MONTH})?\s*(\d{{4}})?\s*(?:to|-|–|—|and)\s*"
        rf"(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH}\s+(\d{{4}})",
        re.IGNORECASE,
    )


@cache
def _date_in_words() -> re.Pattern[str]:
    return re.compile(rf"(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH}\s+(\d{{4}})", re.IGNORECASE)


def __getattr__(name: str) -> re.Pattern[str]:
    """DATE_RANGE and DATE_IN_WORDS are compiled on first use: a query that prints a date
    should not pay for the grammar of date ranges (PEP 562)."""
    if name == "DATE_RANGE":
        return _date_range()
    if name == "DATE_IN_WORDS":
        return _date_in_words()
    raise AttributeError(name)


def parse_range(text: str) -> tuple[PartialDate, PartialDate] | None:
    """The first date range in `text`, as (first day, last day)."""
    match = _date_range().search(text)
    if not match:
        return None
    d1, m1, y1, d2, m2, y2 = match.groups()
    end = parse_dmy_words(d2, m2, y2)
    start = parse_dmy_words(d1, m1 or m2, y1 or y2)
    if start is None or end is None:
        return None
    if start.first > end.first and y1 is None:  # "28 December to 3 January 2020"
        start = parse_dmy_words(d1, m1 or m2, str(int(y2) - 1))
    if start is None:
        return None
    return start, end


# Numeric dates inside running text ("Inspection date: 12/09/2016 to 06/10/2016").
_NUMERIC_IN_TEXT = re.compile(r"\b\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})\b")


def spell_numeric_dates(text: str) -> str:
    """ "12/09/2016 to 06/10/2016" -> "12 September 2016 to 6 October 2016", so that the
    word grammars (`DATE_IN_WORDS`, `parse_range`) read numeric dates too."""

    def spell(match: re.Match[str]) -> str:
        parsed = parse_dmy_numeric(match.group(0))
        return parsed.human() if parsed else match.group(0)

    return _NUMERIC_IN_TEXT.sub(spell, text)


def first_date(text: str) -> PartialDate | None:
    """The first day-precision date in `text`, in words or numeric: "3 February 2015"."""
    match = _date_in_words().search(spell_numeric_dates(text))
    return parse_dmy_words(*match.groups()) if match else None


def parse_periods(text: str) -> tuple[tuple[PartialDate, PartialDate], ...]:
    """Every period in `text`, in order, as (first day, last day): "19 November-11 December 2013
    and 28 – 30 January 2014" is two; a lone date ("28 July 2016") is a period of one day."""
    text = spell_numeric_dates(text)
    found: list[tuple[int, tuple[PartialDate, PartialDate]]] = []
    covered: list[range] = []
    for match in _date_range().finditer(text):
        span = parse_range(match.group(0))
        if span:
            found.append((match.start(), span))
            covered.append(range(match.start(), match.end()))
    for match in _date_in_words().finditer(text):
        day = parse_dmy_words(*match.groups())
        if day and not any(match.start() in r for r in covered):
            found.append((match.start(), (day, day)))
    return tuple(span for _, span in sorted(found, key=lambda item: item[0]))
