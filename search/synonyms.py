"""Acronyms and spellings that mean the same, from a table shipped beside this module.

`synonyms.tsv` lists, one a line, a short form, what it stands for, and where that comes from
(the documents' own definitions, such as "personal advisers (PAs)", or a public glossary).
An acronym is expanded only as typed, in capitals ("CSE", not "cse": "send" and "pa" are words
too); a spelling (behavior / behaviour) in any case. Applied at query time: the word and its
expansion count as one term (search.vector's "synonym" clause); `--exact` turns it off.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

TABLE = Path(__file__).with_name("synonyms.tsv")


@dataclass(frozen=True)
class Synonym:
    """One row of the table: `short` stands for `long` (a phrase or a word)."""

    short: str
    long: str
    source: str

    @property
    def is_acronym(self) -> bool:
        return self.short.isupper()


class SynonymTableError(ValueError):
    """The synonyms table has a line that is not short<TAB>long<TAB>source."""


@cache
def table(path: Path = TABLE) -> dict[str, Synonym]:
    """The table by short form (acronyms as written, spellings in lower case)."""
    rows: dict[str, Synonym] = {}
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or not all(p.strip() for p in parts):
            raise SynonymTableError(f"{path}:{number}: expected short<TAB>long<TAB>source")
        row = Synonym(*(p.strip() for p in parts))
        rows[row.short if row.is_acronym else row.short.casefold()] = row
    return rows


def synonym_for(word: str) -> Synonym | None:
    """The row for a word as the user typed it, if any."""
    rows = table()
    return rows.get(word) or (None if word.isupper() else _spelling(rows, word.casefold()))


def _spelling(rows: dict[str, Synonym], folded: str) -> Synonym | None:
    row = rows.get(folded)
    return row if row is not None and not row.is_acronym else None


def synonym_for_phrase(phrase: str) -> Synonym | None:
    """The row whose long form is `phrase` (any case), so that a typed expansion finds the
    acronym too."""
    wanted = " ".join(phrase.casefold().split())
    for row in table().values():
        if row.is_acronym and row.long.casefold() == wanted:
            return row
    return None
