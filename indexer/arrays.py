"""The arrays the fast path reads, written by us at commit into the generation, mmapped on open.

whoosh stays the index of record; what `search.vector` needs from it is copied out at each
commit through whoosh's public reader API, into .npy files of ours beside whoosh's (as bm25s
keeps its index: `np.load(mmap_mode="r")`, nothing decoded when a query reads them):

    arrays-<field>.terms.npy     the field's vocabulary, sorted (bytes): a term's row
    arrays-<field>.offsets.npy   row r's postings are [offsets[r], offsets[r + 1])
    arrays-<field>.docnums.npy   passage numbers, ascending within a row (CSR)
    arrays-<field>.counts.npy    the term's count in each of them
    arrays-lengths.npy           each passage's exact analysed length
    arrays-live.npy              False for a deleted passage still in a segment
    arrays-sequence.npy          every passage's word numbers back to back (indexer.words)
    arrays-sequence.starts.npy   where passage d's run starts; passage d + 1's is its end

for FIELDS. The set is rewritten whole at each commit (each file new, then renamed into
place: indexer.generations never links them into the next generation), so a reader's
mapped files are never written to. This module does not import whoosh: it is handed an
open reader (indexer.store).
"""

from __future__ import annotations

import ast
import bisect
import math
import mmap
import os
import sys
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from indexer import generations

FIELDS = ("text", "doc_id", "role")  # the fields whose postings the fast path reads
# the word numbers a writer adds, by passage key, until its commit writes them here
ADDED_SEQUENCES = ".added-sequences.tmp"
PREFIX = "arrays-"
SUFFIX = ".npy"


def names() -> list[str]:
    """Every file of a complete set (a generation without one of them is damaged)."""
    per_field = [f"{field}.{part}" for field in FIELDS for part in _CSR]
    return [f"{PREFIX}{name}{SUFFIX}" for name in [*per_field, *_SINGLE]]


_CSR = ("terms", "offsets", "docnums", "counts")
_SINGLE = ("lengths", "live", "sequence", "sequence.starts")


# --- writing (at commit, from whoosh's public reader API) ----------------------------------


def write(generation: Path, reader: Any, flat: array, starts: array) -> None:
    """Write the set for an open whoosh reader of `generation` (public API only), with every
    passage's word numbers back to back (`flat`: typecode "H" or "I", indexer.words; kept
    nowhere else) and where passage d's start (`starts`, "q": d + 1's is its end)."""
    import numpy as np

    size = reader.doc_count_all()
    if len(starts) != size + 1:
        raise ValueError(f"{len(starts) - 1} runs of words for {size} passages")
    live = np.ones(size, dtype=bool)
    for docnum in range(size) if reader.has_deletions() else ():
        live[docnum] = not reader.is_deleted(docnum)
    for field in FIELDS:
        for part, values in zip(_CSR, _postings(reader, field, size), strict=True):
            _save(generation, f"{field}.{part}", values)
    lengths = np.zeros(size, dtype=np.uint32)
    if size:
        lengths[:] = list(reader.column_reader("length"))
    _save(generation, "lengths", lengths)
    _save(generation, "live", live)
    numbers = np.frombuffer(flat, dtype=np.uint16 if flat.itemsize == 2 else np.uint32)
    _save(generation, "sequence", numbers)
    _save(generation, "sequence.starts", np.frombuffer(starts, dtype=np.int64))


def _postings(reader: Any, field: str, size: int) -> tuple[Any, Any, Any, Any]:
    """(terms, offsets, docnums, counts) of a field: whoosh's postings, term by term, as its
    matcher gives them (deleted passages left out, as whoosh leaves them out)."""
    import numpy as np

    terms = list(reader.lexicon(field))
    offsets = np.zeros(len(terms) + 1, dtype=np.int64)
    # gathered as the arrays they become: 4 bytes a passage number (8 past 2^31 passages)
    # and 8 a count, rather than ~40 each as Python numbers (the 10x corpus: 21M postings)
    docnums, counts = array("i" if size < 2**31 else "q"), array("d")
    for row, term in enumerate(terms):
        for docnum, count in matches(reader.postings(field, term)):
            docnums.append(docnum)
            counts.append(count)
        offsets[row + 1] = len(docnums)
    width = max((len(t) for t in terms), default=1)
    counts_array = np.frombuffer(counts, dtype=np.float64)
    whole = counts_array.astype(np.uint32)
    if not np.array_equal(whole, counts_array):  # a format with boosts: keep the floats
        whole = counts_array
    elif len(whole):
        whole = whole.astype(np.min_scalar_type(int(whole.max())))
    return (
        np.asarray(terms, dtype=f"S{width}"),
        offsets,
        np.frombuffer(docnums, dtype=np.dtype(docnums.typecode)),
        whole,
    )


def matches(matcher: Any) -> Iterator[tuple[int, float]]:
    """(docnum, count) of each posting of a whoosh matcher (its public API)."""
    while matcher.is_active():
        yield matcher.id(), matcher.weight()
        matcher.next()


def _save(generation: Path, name: str, array: Any) -> None:
    """A new file under a temporary name, synced, then renamed into place: never in place."""
    import numpy as np

    path = generation / f"{PREFIX}{name}{SUFFIX}"
    contiguous = np.ascontiguousarray(array)
    generations.replace_atomically(
        path, lambda handle: np.save(handle, contiguous, allow_pickle=False)
    )


# --- reading -------------------------------------------------------------------------------


def problem(generation: Path) -> str | None:
    """What is wrong with `generation`'s set, if anything: a file missing, or one whose size is
    not what its .npy header says (cut short, or not an array). Reads each header only, and
    does not import numpy (a cold query may never need it)."""
    for name in names():
        path = generation / name
        try:
            with path.open("rb") as handle:
                head = handle.read(_HEAD)
                size = os.fstat(handle.fileno()).st_size
        except FileNotFoundError:
            return f"{path} is missing"
        except OSError as error:
            return f"{path}: {error.strerror}"
        if _expected_size(head) != size:
            return f"{path} is not a whole array"
    return None


_HEAD = 4096
_MAGIC = b"\x93NUMPY"


def _expected_size(head: bytes) -> int | None:
    """The file size an .npy header announces (numpy's format 1.0-3.0), None if unreadable."""
    layout = _layout(head)
    return None if layout is None else layout[0] + layout[2] * layout[3]


def _layout(head: bytes) -> tuple[int, str, int, int] | None:
    """(where the data starts, dtype descr, item count, item size) from an .npy header."""
    if not head.startswith(_MAGIC) or len(head) < 12:
        return None
    wide = head[6] >= 2
    length = int.from_bytes(head[8:12] if wide else head[8:10], "little")
    start = (12 if wide else 10) + length
    try:
        header = ast.literal_eval(head[12 if wide else 10 : start].decode("latin-1"))
        descr = str(header["descr"])
        itemsize = int(descr.lstrip("<>|=")[1:])
        count = math.prod(int(n) for n in header["shape"])
    except (ValueError, SyntaxError, KeyError, TypeError, MemoryError):
        return None
    return start, descr, count, itemsize


# The .npy types we write, as the struct codes of memoryview.cast (little-endian machines)
_CODES = {
    "<i4": "i",
    "<i8": "q",
    "<u8": "Q",
    "<u4": "I",
    "<u2": "H",
    "|u1": "B",
    "<f8": "d",
    "|b1": "?",
}


class Arrays:
    """One generation's set, each file mapped when first read (read-only views)."""

    def __init__(self, generation: Path) -> None:
        self.generation = generation
        self._loaded: dict[str, Any] = {}
        self._views: dict[str, tuple[memoryview, int]] = {}

    def get(self, name: str) -> Any:
        if name not in self._loaded:
            import numpy as np

            path = self.generation / f"{PREFIX}{name}{SUFFIX}"
            try:
                array = np.load(path, mmap_mode="r", allow_pickle=False)
            except ValueError:  # an empty array: nothing to map
                array = np.load(path, allow_pickle=False)
                array.setflags(write=False)
            self._loaded[name] = np.asarray(array)  # a plain read-only view of the map
        return self._loaded[name]

    def view(self, name: str) -> tuple[memoryview, int]:
        """A file's items as a flat memoryview of the map, and its item size, without numpy:
        numbers as their struct code, fixed-width bytes (terms) as bytes ("B")."""
        if name not in self._views:
            path = self.generation / f"{PREFIX}{name}{SUFFIX}"
            with path.open("rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
            layout = _layout(bytes(mapped[:_HEAD]))
            if layout is None or layout[0] + layout[2] * layout[3] != size:
                raise ValueError(f"{path} is not a whole array")
            start, descr, count, itemsize = layout
            code = "B" if descr.startswith("|S") else _CODES.get(descr)
            if code is None or (sys.byteorder != "little" and itemsize > 1):
                raise ValueError(f"{path}: {descr} arrays are not read without numpy")
            data = memoryview(mapped)[start : start + count * itemsize]
            self._views[name] = (data.cast(code), itemsize)
        return self._views[name]

    def owner_list(self, field: str) -> list[str | None]:
        """For each passage (by docnum) its value of a one-value-a-passage field (doc_id,
        role), None for a deleted one: from the field's postings, without numpy."""
        terms, width = self.view(f"{field}.terms")
        offsets, docnums = self.view(f"{field}.offsets")[0], self.view(f"{field}.docnums")[0]
        owners: list[str | None] = [None] * len(self.view("lengths")[0])
        for row, term in enumerate(_FixedWidth(terms, width)):
            value = term.rstrip(b"\0").decode("utf-8")
            for docnum in docnums[offsets[row] : offsets[row + 1]]:
                owners[docnum] = value
        return owners

    def run(self, docnum: int) -> memoryview:
        """One passage's word numbers (indexer.words), a view of the map, without numpy."""
        flat, starts = self.view("sequence")[0], self.view("sequence.starts")[0]
        return flat[starts[docnum] : starts[docnum + 1]]

    def sequence_of(self, docnum: int) -> bytes:
        """The same as bytes (2 or 4 a word), as phrases are compared."""
        return self.run(docnum).tobytes()

    def postings_lists(self, field: str, term: str) -> tuple[memoryview, memoryview]:
        """(docnums, counts) of a term as memoryviews of the maps: `postings` without numpy."""
        terms, width = self.view(f"{field}.terms")
        key = term.encode("utf-8")
        rows = _FixedWidth(terms, width)
        row = bisect.bisect_left(rows, key.ljust(width, b"\0")) if len(key) <= width else -1
        if row < 0 or row == len(rows) or rows[row] != key.ljust(width, b"\0"):
            first = last = 0
        else:
            offsets = self.view(f"{field}.offsets")[0]
            first, last = offsets[row], offsets[row + 1]
        docnums, counts = self.view(f"{field}.docnums")[0], self.view(f"{field}.counts")[0]
        return docnums[first:last], counts[first:last]

    def postings(self, field: str, term: str) -> tuple[Any, Any]:
        """(docnums, counts) of a term: slices of the mapped arrays, no copy."""
        import numpy as np

        terms = self.get(f"{field}.terms")
        key = term.encode("utf-8")
        row = int(np.searchsorted(terms, key))
        if row == len(terms) or terms[row] != key:
            first = last = 0
        else:
            offsets = self.get(f"{field}.offsets")
            first, last = int(offsets[row]), int(offsets[row + 1])
        return self.get(f"{field}.docnums")[first:last], self.get(f"{field}.counts")[first:last]


class _FixedWidth:
    """The rows of a fixed-width bytes array (numpy's "S" type: each row padded with NULs to
    the width) as a sequence of bytes, for bisect. NUL-padded rows sort as their terms do."""

    def __init__(self, data: memoryview, width: int) -> None:
        self.data, self.width = data, width

    def __len__(self) -> int:
        return len(self.data) // self.width

    def __getitem__(self, row: int) -> bytes:
        if not 0 <= row < len(self):
            raise IndexError(row)  # the end of iteration, too
        return bytes(self.data[row * self.width : (row + 1) * self.width])
