"""The benchmark's query set (bench/queries.txt), in our syntax and taken apart for the peers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

QUERIES = Path(__file__).resolve().parent / "queries.txt"
# the stopwords our analysis drops, read as data (the peers drop the same words)
STOPWORDS = frozenset(
    (Path(__file__).resolve().parent.parent / "indexer" / "stopwords_en.txt")
    .read_text("utf-8")
    .split()
)
# `--year Y` or `--year Y1-Y2` at the end of a line
_YEAR = re.compile(r"\s+--year\s+(\d{4})(?:-(\d{4}))?\s*$")


@dataclass(frozen=True)
class BenchQuery:
    """One line of bench/queries.txt: our query text, the year filter, words and phrases."""

    line: str
    text: str  # our query language, as typed after `search query`
    years: tuple[int, int] | None
    words: tuple[str, ...]  # bare words, lower case, stopwords dropped (as our engine does)
    phrases: tuple[str, ...]  # quoted phrases and hyphenated words, lower case, words spaced

    @property
    def year_arg(self) -> str | None:
        if self.years is None:
            return None
        first, last = self.years
        return str(first) if first == last else f"{first}-{last}"

    @property
    def plain(self) -> bool:
        """Keywords only: no phrase, no filter."""
        return not self.phrases and self.years is None

    @property
    def terms(self) -> tuple[str, ...]:
        """Phrases, then words: what a peer searches for, any of them."""
        return (*self.phrases, *self.words)


def parse_query_line(line: str) -> BenchQuery:
    text, years = line.strip(), None
    match = _YEAR.search(text)
    if match:
        first = int(match.group(1))
        years = (first, int(match.group(2) or first))
        text = text[: match.start()].strip()
    phrases = [" ".join(p.lower().split()) for p in re.findall(r'"([^"]+)"', text)]
    words: list[str] = []
    for word in re.sub(r'"[^"]*"', " ", text).lower().split():
        if "-" in word.strip("-"):
            phrases.append(" ".join(part for part in word.split("-") if part))
        elif word not in STOPWORDS and word.strip("-"):
            words.append(word.strip("-"))
    return BenchQuery(line.strip(), text, years, tuple(words), tuple(phrases))


def load_queries(path: Path = QUERIES) -> list[BenchQuery]:
    lines = path.read_text("utf-8").splitlines()
    return [parse_query_line(x) for x in lines if x.strip() and not x.lstrip().startswith("#")]
