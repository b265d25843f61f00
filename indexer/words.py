"""Word numbers for phrases: every analysed word an index has held, numbered once for good.

Each passage's words, stopwords included, are kept in our arrays as numbers (indexer.arrays,
`arrays-sequence.npy`): two bytes a word while the index has at most 65,536 different words,
four beyond, so that a phrase is matched by comparing bytes, word for word and exactly. A
word keeps its number for the life of the index (the table only grows), so a passage kept
from the previous generation keeps its run as it was. `words.tsv` holds "word<TAB>number"
lines sorted by word, looked up by bisection (indexer.analysis.StemTable) without reading it
all; analysed words never hold a tab or a line break (indexer.analysis._WORD).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from pathlib import Path

from indexer.analysis import StemTable
from indexer.arrays import Arrays
from indexer.errors import IndexDamaged
from indexer.generations import write_atomically

NARROW_WORDS = 1 << 16  # up to this many words, a number fits in two bytes


def width_for(count: int) -> int:
    """Bytes a word's number takes in an index of `count` different words."""
    return 2 if count <= NARROW_WORDS else 4


class WordNumbers:
    """The writer's table: the previous generation's numbers, and new words numbered on."""

    def __init__(self, previous: Path | None = None) -> None:
        self._numbers: dict[str, int] = {}
        if previous is not None and previous.is_file():
            try:
                for line in previous.read_text("utf-8").splitlines():
                    word, number = line.split("\t")
                    self._numbers[word] = int(number)
            except ValueError:  # UnicodeDecodeError included
                raise _damaged(previous) from None

    def __len__(self) -> int:
        return len(self._numbers)

    def numbers(self, words: Iterable[str]) -> array:
        """The words' numbers (four bytes each until the commit narrows them)."""
        table = self._numbers  # a new word gets the next number: the table's size before it
        return array("I", [table.setdefault(word, len(table)) for word in words])

    def write(self, path: Path) -> None:
        """Replaced whole, never in place (the file is a hard link shared with readers)."""
        lines = sorted(f"{w}\t{n}\n" for w, n in self._numbers.items())
        write_atomically(path, "".join(lines))


class Sequences:
    """One generation's runs of word numbers (our arrays) and its table: what phrases are
    checked against, by every ranking path."""

    def __init__(self, arrays: Arrays, table: Path) -> None:
        self._arrays = arrays
        self._path = table
        self._table: StemTable | None = None  # read at the first phrase: a query may have none

    @property
    def width(self) -> int:
        return self._arrays.view("sequence")[1]

    def of(self, docnum: int) -> bytes:
        """One passage's word numbers, `width` bytes each."""
        return self._arrays.sequence_of(docnum)

    def phrase(self, words: Sequence[str]) -> bytes | None:
        """A phrase's words as the runs hold them; None if one of them is in no passage (the
        phrase then matches nothing)."""
        if self._table is None:
            self._table = StemTable(self._path)
        numbers = []
        for word in words:
            try:
                number = self._table.get(word)
            except UnicodeDecodeError:
                raise _damaged(self._path) from None
            if number is None:
                return None
            if not number.isdigit() or int(number) >= 1 << 8 * self.width:
                raise _damaged(self._path)
            numbers.append(int(number))
        return array("H" if self.width == 2 else "I", numbers).tobytes()


def _damaged(path: Path) -> IndexDamaged:
    return IndexDamaged(f"{path} is not a table of word numbers")
