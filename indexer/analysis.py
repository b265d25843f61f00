"""The one analysis chain, used for passages at index time and for queries at search time.

    split_words | fold_characters | lowercase | mark_stopwords | stem

Each stage is a small generator over `Token`s. Character offsets always point into the
ORIGINAL text, so highlighting marks exactly the characters the reader sees. Folding maps
typographic quotes and dashes one character to one character, so offsets survive it.

nltk's Snowball stemmer is the only nltk part used (data-free, no downloads). It is imported
lazily: importing nltk costs ~170 ms, which a one-word query should not pay twice.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from indexer.records import Tokens

# One character in, one character out: offsets into the folded text equal offsets into the original.
_FOLD_TABLE = str.maketrans(
    {
        "\u2018": "'",  # left single quotation mark
        "\u2019": "'",  # right single quotation mark (and typographic apostrophe)
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",  # prime
        "\u02bc": "'",  # modifier letter apostrophe
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u2012": "-",  # figure dash
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2015": "-",
        "\u2212": "-",  # minus sign
        "\u00a0": " ",  # no-break space
        "\u00ad": "-",  # soft hyphen
    }
)

_FOLD_MAP = {chr(code): replacement for code, replacement in _FOLD_TABLE.items()}
_FOLDED = re.compile("[" + re.escape("".join(_FOLD_MAP)) + "]")

# A word: letters or digits, with internal apostrophes kept ("children's", "o'clock") so that
# the stemmer, not the tokenizer, decides what a possessive means.
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


@dataclass(slots=True)
class Token:
    """One word of a text: what is indexed (`text`) and where it stands in the original.

    Filters change a token in place (as whoosh's do): a passage has thousands of words and a
    new object per word per filter would double the cost of indexing.
    """

    text: str  # the word as it stands after the filters so far
    position: int  # index in the token stream, counting stopwords (phrases need the gaps)
    start: int  # character offsets into the original text
    end: int
    stop: bool = False  # a stopword: not indexed, but kept for exact phrase matching
    surface: str = ""  # the word before stemming (the stem table maps it to `text`)


Filter = Callable[[Iterable[Token]], Iterator[Token]]


def fold(text: str) -> str:
    """Typographic quotes, dashes and no-break spaces to ASCII, one character for one."""
    # str.translate() looks every character up (~40 ns each, 35 ms per 1,000 passages); a
    # regex finds the few that change in C (3 ms). Every character it maps is non-ASCII.
    if text.isascii():
        return text
    return _FOLDED.sub(_fold_one, text)


def _fold_one(match: re.Match[str]) -> str:
    return _FOLD_MAP[match.group()]


def split_words(text: str) -> Iterator[Token]:
    """Tokenizer: words of the folded text, with offsets into the original."""
    for position, match in enumerate(_WORD.finditer(fold(text))):
        yield Token(match.group(), position, match.start(), match.end())


def fold_characters(tokens: Iterable[Token]) -> Iterator[Token]:
    """Strip accents ("café" -> "cafe") so either spelling finds both."""
    for token in tokens:
        if token.text.isascii():
            yield token
        else:
            decomposed = unicodedata.normalize("NFKD", token.text)
            plain = "".join(c for c in decomposed if not unicodedata.combining(c))
            token.text = plain or token.text
            yield token


def lowercase(tokens: Iterable[Token]) -> Iterator[Token]:
    for token in tokens:
        token.text = token.text.casefold()
        yield token


@cache
def stopwords() -> frozenset[str]:
    """Lucene's English stop set (the one Pyserini and bm25s use), shipped in the repo."""
    # beside this module (package data); importlib.resources would cost 4 ms to import
    words = Path(__file__).with_name("stopwords_en.txt").read_text("utf-8")
    return frozenset(w.strip() for w in words.splitlines() if w.strip())


def mark_stopwords(tokens: Iterable[Token]) -> Iterator[Token]:
    """Common words, and words of one character ("a", "x", "4"), carry no weight of their own:
    they are not indexed for BM25 (as in scikit-learn's and bm25s's tokenizers), but stay in
    the token stream so that an exact phrase ("key stage 4") still matches them."""
    stop = stopwords()
    for token in tokens:
        token.stop = len(token.text) == 1 or token.text in stop
        yield token


@lru_cache(maxsize=1 << 16)
def stem_word(word: str) -> str:
    """Snowball (Porter2) English stem; cached, since running text repeats its words.

    A query first asks the index's stem table (every word of the corpus with its stem, written
    by the indexer), so that nltk is imported only for a word the corpus does not have.
    """
    if _stem_table is not None:
        known = _stem_table.get(word)
        if known is not None:
            return known
    return _stemmer().stem(word)


class StemTable:
    """A sorted file of "word<TAB>stem" lines, searched by bisection without reading it all:
    opening it costs nothing, a look-up a few dozen bytes."""

    def __init__(self, path: Path) -> None:
        self._data = path.read_bytes() if path.is_file() else b""

    def get(self, word: str) -> str | None:
        data, key = self._data, word.encode("utf-8") + b"\t"
        lo, hi = 0, len(data)
        while lo < hi:  # find the first line whose start is >= key
            mid = (lo + hi) // 2
            start = data.rfind(b"\n", 0, mid) + 1
            if data[start : start + len(key)] < key:
                lo = data.find(b"\n", mid)
                lo = len(data) if lo == -1 else lo + 1
            else:
                hi = start
        if data.startswith(key, lo):
            end = data.find(b"\n", lo)
            return data[lo + len(key) : end if end != -1 else len(data)].decode("utf-8")
        return None


_stem_table: StemTable | None = None


def use_stem_table(path: Path | None) -> None:
    """Look stems up in this table before asking the stemmer (None: stop)."""
    global _stem_table
    _stem_table = StemTable(path) if path is not None else None
    stem_word.cache_clear()
    _analysed_word.cache_clear()


def write_stem_table(path: Path, stems: dict[str, str]) -> None:
    """Replaced whole, never written in place: the file is a hard link shared with the
    generation readers are reading (indexer.generations)."""
    from indexer.generations import write_atomically

    lines = sorted(f"{w}\t{s}\n" for w, s in stems.items() if "\t" not in w and "\n" not in w)
    write_atomically(path, "".join(lines))


def read_stem_table(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    pairs = (line.split("\t", 1) for line in path.read_text("utf-8").splitlines())
    return {w: s for w, s in pairs}


@cache
def _stemmer():
    from nltk.stem.snowball import SnowballStemmer  # lazy: see module docstring

    return SnowballStemmer("english")


def stem(tokens: Iterable[Token]) -> Iterator[Token]:
    for token in tokens:
        if not token.stop:
            token.surface = token.text
            token.text = stem_word(token.text)
        yield token


FILTERS: tuple[Filter, ...] = (fold_characters, lowercase, mark_stopwords, stem)


def analyse(text: str, *, keep_stopwords: bool = False) -> list[Token]:
    """Run the whole chain. Stopwords are dropped unless asked for (phrase matching wants them).

    Every filter looks at one token alone, so a text's analysis is the analysis of each of its
    words in turn, and running text repeats its words: each distinct word runs the filters
    once (`_analysed_word`), a third of the time of running them over every token (the top
    ten hits are analysed again for every query, to highlight them)."""
    tokens = []
    for token in split_words(text):
        token.text, token.stop, token.surface = _analysed_word(token.text)
        if keep_stopwords or not token.stop:
            tokens.append(token)
    return tokens


def analysed_words(text: str) -> Iterator[tuple[str, bool, int, int]]:
    """(analysed word, is a stopword, start, end) for each word of `text`: `analyse` without
    a Token per word, for a caller that reads each word once (highlighting)."""
    for match in _WORD.finditer(fold(text)):
        word, stop, _ = _analysed_word(match.group())
        yield word, stop, match.start(), match.end()


@lru_cache(maxsize=1 << 16)
def _analysed_word(word: str) -> tuple[str, bool, str]:
    """The chain's FILTERS on one word as the tokenizer cut it: (text, stop, surface)."""
    tokens: Iterable[Token] = [Token(word, 0, 0, len(word))]
    for step in FILTERS:
        tokens = step(tokens)
    (token,) = tokens  # each filter yields one token for one token
    return token.text, token.stop, token.surface


def words_of(tokens: Iterable[Token]) -> tuple[str, ...]:
    """Every analysed word of these tokens in order, stopwords too (which must be among them):
    what a phrase is matched against, word for word (the index keeps each passage's as word
    numbers: indexer.words)."""
    return tuple(t.text for t in tokens)


@dataclass(frozen=True)
class AnalysedPassage:
    """A passage's text analysed once for everything the index keeps of it."""

    tokens: Tokens  # the indexed words: (stem, position, start, end), positions counting stopwords
    stems: dict[str, str]  # each indexed word as written (folded) -> its stem
    words: tuple[str, ...]  # every analysed word in order, stopwords too, for phrases


def analyse_passage(text: str) -> AnalysedPassage:
    """The one way a passage becomes tokens, stems and its words for phrases (indexing and the
    writer)."""
    every = analyse(text, keep_stopwords=True)
    indexed = [t for t in every if not t.stop]
    return AnalysedPassage(
        tuple((t.text, t.position, t.start, t.end) for t in indexed),
        {t.surface: t.text for t in indexed},
        words_of(every),
    )


def terms(text: str) -> list[str]:
    """The indexed terms of a text, in order: what BM25 counts."""
    return [t.text for t in analyse(text)]


def normalise_word(word: str) -> str:
    """A word as the chain sees it before stemming (for prefix queries such as `inspect*`)."""
    tokens = list(lowercase(fold_characters(split_words(word))))
    return tokens[0].text if tokens else ""
