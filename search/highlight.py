"""Highlighting: which characters of a passage matched the query, and how to show them.

Offsets come from the same analysis chain that indexed the passage, so "inspect" marks
"inspected" and "inspection", and a phrase is marked as one span from its first word to its
last.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from indexer.analysis import Token, analyse, analysed_words

BOLD_RED = "\x1b[1;31m"
RESET = "\x1b[0m"


class MatchSpec(Protocol):
    """What the highlighter needs of an analysed query clause."""

    terms: tuple[str, ...]
    sequence: tuple[Token, ...]
    prefix: str | None

    @property
    def is_phrase(self) -> bool: ...


def phrase_spans(phrase: Sequence[Token], tokens: Sequence[Token]) -> list[tuple[int, int]]:
    """Where the phrase occurs word for word (stopwords too, inflections allowed)."""
    width = len(phrase)
    wanted = [t.text for t in phrase]
    return [
        (tokens[i].start, tokens[i + width - 1].end)
        for i in range(len(tokens) - width + 1)
        if all(tokens[i + j].text == wanted[j] for j in range(width))
    ]


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, with overlapping spans joined."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def find_matches(text: str, clauses: Iterable[MatchSpec]) -> list[tuple[int, int]]:
    """Character spans in `text` of every word (or phrase) that the clauses match."""
    spans: list[tuple[int, int]] = []
    words: set[str] = set()
    prefixes: list[str] = []
    phrases = []
    for clause in clauses:
        if clause.prefix is not None:
            prefixes.append(clause.prefix)
        elif clause.is_phrase:
            phrases.append(clause.sequence)
        else:
            words.update(clause.terms)
    every: Iterable[tuple[str, bool, int, int]]
    if phrases:  # phrases need the tokens; the words are then read from them
        tokens = analyse(text, keep_stopwords=True)
        for phrase in phrases:
            spans.extend(phrase_spans(phrase, tokens))
        every = ((t.text, t.stop, t.start, t.end) for t in tokens)
    else:
        every = analysed_words(text)
    starts = tuple(prefixes)
    for word, stop, start, end in every:
        if not stop and (word in words or (starts and word.startswith(starts))):
            spans.append((start, end))
    return merge_spans(spans)


def render(
    text: str, spans: Sequence[tuple[int, int]], color: bool, *, start: str = BOLD_RED
) -> str:
    """The text with its spans marked: ANSI bold colour on a terminal, else unchanged."""
    if not color or not spans:
        return text
    out, last = [], 0
    for begin, end in spans:
        out.extend((text[last:begin], start, text[begin:end], RESET))
        last = end
    out.append(text[last:])
    return "".join(out)
