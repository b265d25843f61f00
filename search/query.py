"""The query language, parsed without ever failing on what a person types.

    care leavers            passages with any of the words; more matches rank higher
    "children in care"      the exact phrase (stopwords included, inflections allowed)
    +exploitation           must contain the word (or +"phrase")
    -adoption               must not contain it (or -"phrase")
    inspect*                words starting with "inspect"
    section:leavers         a metadata field: section, title, publisher, paragraph, source,
                            year, la (local authority), grade (overall effectiveness),
                            kind (inspection, focused-visit, ...: indexer.ofsted.KINDS)
    title:"care leavers"    a field with a phrase

Anything else is a word: an unclosed quote runs to the end, a lone "-", "+" or "*" is ignored,
an unknown `name:` prefix is read as the words themselves ("http://x" is just words). The
parse is pure: analysis into index terms happens in the engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FIELDS = {
    "section": "section",
    "title": "title",
    "publisher": "publisher",
    "paragraph": "paragraph",
    "para": "paragraph",
    "source": "source",
    "year": "year",
    "la": "local_authority",
    "grade": "grade",
    "kind": "kind",
    "role": "role",
    "text": "text",
}

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "″": '"'})
_CLAUSE = re.compile(
    r"""
    (?P<occur>[+-]?)
    (?:(?P<field>[A-Za-z]+):)?
    (?:"(?P<phrase>[^"]*)(?:"|$) | (?P<word>[^\s"]+))
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Clause:
    """One element of a query as typed: words, how they must occur, and the field."""

    text: str  # the words (a phrase's words, or one word; may end in '*' for a prefix)
    occur: str  # "should", "must" or "must_not"
    field: str = "text"
    phrase: bool = False

    @property
    def prefix(self) -> bool:
        return not self.phrase and self.text.endswith("*") and len(self.text.rstrip("*")) > 0


@dataclass(frozen=True)
class ParsedQuery:
    clauses: tuple[Clause, ...]

    @property
    def positive(self) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if c.occur != "must_not")


def parse_query(text: str) -> ParsedQuery:
    """Split a query into clauses. Total: every string parses (possibly to no clauses)."""
    text = text.translate(_QUOTES)
    clauses: list[Clause] = []
    position = 0
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        match = _CLAUSE.match(text, position)
        if match is None or match.end() == position:  # a stray quote or sign: skip it
            position += 1
            continue
        position = match.end()
        occur = {"+": "must", "-": "must_not"}.get(match.group("occur"), "should")
        field_name = (match.group("field") or "").lower()
        phrase = match.group("phrase")
        word = match.group("word")
        if match.group("field") and field_name not in FIELDS:
            # "http://example" or "foo:bar": not a field, so the whole thing is words
            raw = match.group(0).lstrip("+-")
            clauses.extend(_words(raw.replace(":", " "), occur))
            continue
        target = FIELDS.get(field_name, "text")
        if phrase is not None:
            if phrase.strip():
                clauses.append(Clause(" ".join(phrase.split()), occur, target, phrase=True))
        elif word is not None:
            clauses.extend(_words(word, occur, target))
    return ParsedQuery(tuple(clauses))


def _words(raw: str, occur: str, target: str = "text") -> list[Clause]:
    out = []
    for word in raw.split():
        stripped = word.strip("+-")
        if not stripped or set(stripped) <= {"*"}:  # a lone "-", "+" or "*"
            continue
        out.append(Clause(stripped, occur, target))
    return out
