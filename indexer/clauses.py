"""Our own query clauses: what the engine describes and the store runs, whoosh never seen."""

from __future__ import annotations

from dataclasses import dataclass

TEXT_FIELD = "text"  # the passages' words; other fields are metadata
ROLE_FIELD = "role"  # a passage's role (indexer.roles)


@dataclass(frozen=True)
class TermClause:
    """One query element, analysed: `terms` are index terms (stems) in order."""

    field: str
    terms: tuple[str, ...]
    # "term", "phrase", "prefix", "any" (any of these exact values: documents) or "synonym":
    # terms[0] or the phrase of terms[1:] (its words in `sequence`) count as one term
    kind: str
    sequence: tuple[str, ...] = ()  # for phrases: every analysed word in order, stopwords too
    weight: float = 1.0  # a term's score is multiplied by this (a word said twice counts twice)


@dataclass(frozen=True)
class BoolQuery:
    """Lucene's boolean model: any of `should` (scored), all of `must` (scored), none of
    `must_not`, within every `restrict` (metadata clauses: they narrow, they do not score)."""

    should: tuple[TermClause, ...] = ()
    must: tuple[TermClause, ...] = ()
    must_not: tuple[TermClause, ...] = ()
    restrict: tuple[TermClause, ...] = ()


def count_phrase(run: bytes, phrase: bytes, width: int) -> int:
    """How many times a passage's run of word numbers (`width` bytes each) holds the phrase's,
    at word starts."""
    count, start = 0, run.find(phrase)
    while start != -1:
        if start % width == 0:
            count += 1
        start = run.find(phrase, start + 1)
    return count


def holds_phrase(run: bytes, phrase: bytes, width: int) -> bool:
    """Does a passage's run of word numbers (`width` bytes each) hold the phrase's, starting
    at a word?"""
    start = run.find(phrase)
    while start != -1:
        if start % width == 0:
            return True
        start = run.find(phrase, start + 1)
    return False
