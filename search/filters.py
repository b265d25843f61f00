"""Filters: which documents a query may find passages in, from their metadata alone.

`--year`, `--from`, `--to`, `--source`, `--la`, `--grade`, `--kind` and the query's fields
(`year:`, `grade:`, `kind:`, `source:`, `la:`, `title:`, `publisher:`) all become a set of
document ids, worked out here once per query from the manifest's documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache

from indexer.analysis import terms
from indexer.dates import DateError, PartialDate, parse_iso
from indexer.display import shown
from indexer.records import Document
from search.errors import FieldValueError, FilterError


def parse_year_range(value: str) -> tuple[int, int]:
    """ "2022" or "2020-2022" (also "2020..2022")."""
    match = re.fullmatch(r"\s*(\d{4})\s*(?:(?:-|\.\.|–|to)\s*(\d{4}))?\s*", value, re.ASCII)
    if not match:
        raise FilterError(f"'{shown(value)}' is not a year: use YYYY or YYYY-YYYY")
    first = int(match.group(1))
    last = int(match.group(2) or first)
    if last < first:
        raise FilterError(f"'{shown(value)}': the range ends before it starts")
    return first, last


class DocumentFilter:
    """The documents of an open index, narrowed by their metadata."""

    def __init__(self, documents: Mapping[str, Document]) -> None:
        self.documents = documents

    def allowed(
        self,
        year: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        source: str | None = None,
        la: str | None = None,
        grade: str | None = None,
        kind: str | None = None,
    ) -> frozenset[str] | None:
        """The documents the filters allow (None: all of them)."""
        if kind is not None:
            kind = kind_filter(kind)
        if grade is not None:
            from indexer.ofsted import normalise_grade  # only when filtering by grade

            try:
                grade = normalise_grade(grade)
            except ValueError:
                raise FilterError(
                    f"'{shown(grade)}' is not a grade: use outstanding, good, "
                    "'requires improvement', adequate or inadequate"
                ) from None
        try:
            first = parse_iso(date_from).first if date_from else None
            last = parse_iso(date_to).last if date_to else None
        except DateError as error:
            raise FilterError(str(error)) from None
        if first and last and first > last:
            raise FilterError(f"--from {date_from} is after --to {date_to}")
        years = parse_year_range(year) if year is not None else None
        if source is not None and not self.match_sources(source):
            raise FilterError(
                f"no indexed document matches source '{shown(source)}' (see `search documents`)"
            )
        authorities = self.about_authority(la) if la is not None else None
        if la is not None and not authorities:
            raise FilterError(f"no indexed report is about a local authority named '{shown(la)}'")
        if (years, first, last, source, authorities, grade, kind) == (None,) * 7:
            return None
        allowed = set()
        for doc in self.documents.values():
            if authorities is not None and doc.doc_id not in authorities:
                continue
            if grade is not None and doc.overall_effectiveness != grade:
                continue
            if kind is not None and doc.kind != kind:
                continue
            if years and not (doc.inspection_year and years[0] <= doc.inspection_year <= years[1]):
                continue
            if first or last:
                if not doc.date:
                    continue  # an undated document cannot be placed in a date range
                span = PartialDate(doc.date)
                if (first and span.last < first) or (last and span.first > last):
                    continue
            allowed.add(doc.doc_id)
        if source is not None:
            allowed &= self.match_sources(source)
        return frozenset(allowed)

    def match_sources(self, pattern: str) -> frozenset[str]:
        """Documents whose id or file path contains `pattern` (case-insensitive)."""
        needle = pattern.casefold().strip()
        return frozenset(
            d.doc_id
            for d in self.documents.values()
            if needle and (needle in d.doc_id.casefold() or needle in d.source.casefold())
        )

    def about_authority(self, name: str) -> frozenset[str]:
        """Documents about the local authority `name`, however either spells it (see
        `authority_matches`)."""
        names = {d.local_authority for d in self.documents.values() if d.local_authority}
        named = {n for n in names if authority_matches(name, n)}  # each spelling read once
        return frozenset(d.doc_id for d in self.documents.values() if d.local_authority in named)

    def documents_where(self, name: str, text: str) -> frozenset[str]:
        """Documents whose metadata field `name` contains the words of `text`."""
        wanted = terms(text)
        found = set()
        for doc in self.documents.values():
            value = getattr(doc, name)
            have = set(terms(str(value))) if value else set()
            if wanted and set(wanted) <= have:
                found.add(doc.doc_id)
        return frozenset(found)

    def for_field(self, name: str, text: str) -> frozenset[str]:
        """The documents a metadata field of the query names (`year:2022`, `la:camden`...).
        `year:`, `grade:` and `kind:` are as strict as their options; an authority or source
        that names nothing matches no passage rather than being an error."""
        resolve: dict[str, Callable[[str], frozenset[str] | None]] = {
            "year": lambda v: self.allowed(year=v),
            "grade": lambda v: self.allowed(grade=v),
            "kind": lambda v: self.allowed(kind=v),
            "source": self.match_sources,
            "local_authority": self.about_authority,
            "title": lambda v: self.documents_where("title", v),
            "publisher": lambda v: self.documents_where("publisher", v),
        }
        try:
            return resolve[name](text) or frozenset()
        except FilterError as error:
            raise FieldValueError(str(error)) from None


def role_filter(role: str) -> str:
    """The role a filter names, one of indexer.roles.ROLES (any case, plural too)."""
    from indexer.roles import ROLES

    wanted = role.strip().casefold()
    for name in ROLES:
        if wanted in (name, name + "s"):
            return name
    raise FilterError(f"'{shown(role)}' is not a role: use {', '.join(ROLES)}")


METADATA_FIELDS = frozenset(
    {"year", "grade", "kind", "source", "local_authority", "title", "publisher"}
)


def kind_filter(kind: str) -> str:
    """The kind a filter names, one of indexer.ofsted.KINDS (any case); FilterError if none."""
    from indexer.ofsted import KINDS

    wanted = kind.strip().casefold()
    if wanted not in KINDS:
        raise FilterError(f"'{shown(kind)}' is not a kind of document: use {', '.join(KINDS)}")
    return wanted


# Words that say what sort of body an authority is, not which one: "Leeds City Council",
# "Dudley MBC", "London Borough of Camden", "the Royal Borough of Windsor and Maidenhead",
# "City of London Corporation"
_AUTHORITY_FILLER = re.compile(
    r"\b(?:the|london borough of|royal borough of|metropolitan borough of|borough of|city of"
    r"|metropolitan|borough|county|city|council|district|corporation|mbc)\b"
)
# words that join a name's parts, and are not needed to name it ("bournemouth christchurch
# poole"); of these, the ones a name's short form is cut at ("Hull" for "Kingston upon Hull")
_CONNECTIVES = frozenset({"and", "of", "upon", "on", "with", "in"})
_CUT_AT = frozenset({"upon", "on", "of"})


@lru_cache(maxsize=4096)  # an index names a few hundred authorities; each query reads them all
def authority_key(name: str) -> str:
    """One spelling for the ways a local authority is written: case, "&" for "and", hyphens,
    punctuation, and the words for the sort of council dropped ("Bournemouth, Christchurch &
    Poole" and "Bournemouth, Christchurch and Poole Council" -> "bournemouth christchurch and
    poole"; "Kingston-upon-Hull City Council" -> "kingston upon hull")."""
    text = name.casefold().replace("&", " and ").replace("’", "'")
    text = re.sub(r"[^\w']+|_", " ", text).replace("'", "")
    return " ".join(_AUTHORITY_FILLER.sub(" ", " ".join(text.split())).split())


def authority_matches(query: str, name: str) -> bool:
    """Whether `query` names the authority `name`, both read by `authority_key`: the query's
    words stand together, in order, in the name's ("yorkshire" and "North Yorkshire", "hull"
    and "Kingston upon Hull", not "north lincolnshire" and "North East Lincolnshire"); or the
    name is a short form of the query, one of its parts around "upon", "on" or "of" ("Hull"
    for "Kingston upon Hull", "East Riding" for "East Riding of Yorkshire"). Joining words
    ("and", "of") are not needed; a query of none but them ("the council") names nothing."""
    wanted = [w for w in authority_key(query).split() if w not in _CONNECTIVES]
    have = [w for w in authority_key(name).split() if w not in _CONNECTIVES]
    if not wanted or not have:
        return False
    size = len(wanted)
    if any(have[i : i + size] == wanted for i in range(len(have) - size + 1)):
        return True
    return have in _short_forms(authority_key(query).split())


def _short_forms(words: list[str]) -> list[list[str]]:
    """The parts of a name cut at "upon", "on" and "of" (none for a name of one part)."""
    parts, part = [], []
    for word in words:
        if word in _CUT_AT:
            parts.append(part)
            part = []
        elif word not in _CONNECTIVES:
            part.append(word)
    parts.append(part)
    return [p for p in parts if p] if len(parts) > 1 else []
