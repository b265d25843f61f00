"""The index, open for reading: documents from the manifest, passages through the whoosh seam
(`indexer.whoosh_index`), the fast path's arrays memory-mapped (`indexer.arrays`).

Speaks only our own types: clauses (`indexer.clauses`) in, records (`indexer.records`) out.
"""

from __future__ import annotations

import errno
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from indexer import arrays, generations
from indexer.bm25 import Parameters
from indexer.clauses import BoolQuery, TermClause
from indexer.errors import IndexDamaged, IndexOutdated
from indexer.generations import WORDS
from indexer.manifest import (
    FORMAT_VERSION,
    MANIFEST,
    document_of,
    has_toc,
    made_by_us,
    shaped_like_ours,
    without_current,
)
from indexer.records import Document, PassageRow
from indexer.words import Sequences

_UNREADABLE = (errno.EACCES, errno.EPERM)  # whose a folder is cannot be told


class Store:
    """An open index: whoosh for passages, the manifest for documents, our arrays for speed."""

    def __init__(
        self,
        folder: Path,
        documents: dict[str, Document],
        roots: list[str],
        problems: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.folder = folder
        self.documents = documents
        self.roots = roots  # the folders and files indexed, absolute
        # files passed over (path -> size, mtime_ns, reason, failed), so that an unchanged
        # bad file does not make the index look out of date
        self.problems = problems or {}
        self.follow_links = False  # built with --follow-links: its change check walks so too
        self.parameters = Parameters()  # BM25's, as `search eval --tune --save` chose them
        self._whoosh: Any = None  # indexer.whoosh_index.WhooshReader, set by open
        self.generation: Path | None = None
        self._count: int | None = None
        self._average: float | None = None
        self._lengths: Any = None
        self._live: Any = False  # not looked at yet
        self._sequences: Any = None
        self._owners: dict[str, Any] = {}
        self._doc_ids: list[str | None] | None = None  # by docnum, when first asked
        self._arrays: arrays.Arrays = arrays.Arrays(Path())  # set by open
        self.words: Sequences = Sequences(self._arrays, Path())  # the passages' words, for phrases

    # reading ---------------------------------------------------------------------------------

    @classmethod
    def open(cls, folder: Path) -> Store:
        """Open the current generation of the index in `folder` (see indexer.generations).

        Raises IndexMissing (no index yet), IndexOutdated (one of another version of this
        tool), IndexDamaged (one that cannot be read, CURRENT lost included) or
        generations.NotOurs (a folder this tool did not make). Writes nothing."""
        ours = generations.marked(folder)
        for attempt in range(3):
            try:
                generation = generations.current(folder)
            except (OSError, ValueError) as error:  # unreadable, a link, or names nothing
                unreadable = isinstance(error, OSError) and error.errno in _UNREADABLE
                if not ours and not unreadable and not made_by_us(folder):
                    raise generations.not_ours(folder) from None
                raise IndexDamaged(f"{folder}: {error}") from None
            if generation is None:
                raise without_current(folder, ours)
            if generation.is_dir() or attempt == 2:
                return cls._open_generation(folder, generation, ours)
            # a writer replaced the generation between our two reads: read CURRENT again
        raise AssertionError("unreachable")

    @classmethod
    def _open_generation(cls, folder: Path, generation: Path, ours: bool) -> Store:
        manifest = generation / MANIFEST
        try:
            if not ours and not (manifest.is_file() and has_toc(generation)):
                raise generations.not_ours(folder)  # no marker, and nothing else of ours
            if not manifest.is_file():
                raise IndexDamaged(f"{manifest} is missing")
            data = json.loads(manifest.read_text("utf-8"))
            if not ours and not shaped_like_ours(data):
                raise generations.not_ours(folder)
            if data.get("format") != FORMAT_VERSION:
                raise IndexOutdated(f"{folder} was built by another version of this tool")
            from indexer.whoosh_index import WHOOSH_VERSION, WhooshReader

            if data.get("whoosh") != WHOOSH_VERSION:
                raise IndexOutdated(
                    f"{folder} was written by whoosh {data.get('whoosh')}, "
                    f"this is whoosh {WHOOSH_VERSION}"
                )
            damage = arrays.problem(generation)
            if damage:
                raise IndexDamaged(damage)
            documents = {d["doc_id"]: document_of(d) for d in data["documents"]}
            store = cls(
                folder, documents, list(data.get("roots", [])), dict(data.get("problems", {}))
            )
            store.follow_links = data.get("follow_links") is True
            store.parameters = Parameters.from_manifest(data.get("ranking"))
            words = generation / WORDS
            if not words.is_file():
                raise IndexDamaged(f"{words} is missing")
            if words.stat().st_size != data.get("words_bytes"):
                raise IndexDamaged(f"{words} is not the table of word numbers its index wrote")
            store.generation = generation
            store._arrays = arrays.Arrays(generation)
            store.words = Sequences(store._arrays, generation / WORDS)
            store._whoosh = WhooshReader(generation, store.words)
        except (IndexDamaged, generations.NotOurs):
            raise
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise IndexDamaged(f"{folder}: {error}") from None
        except Exception as error:  # whoosh raises many kinds on a damaged TOC or segment
            raise IndexDamaged(f"{folder}: {type(error).__name__}: {error}") from None
        return store

    def close(self) -> None:
        if self._whoosh is not None:
            self._whoosh.close()
            self._whoosh = None

    def passage_count(self) -> int:
        """N of BM25 (the store's documents do not change while it is open)."""
        if self._count is None:
            self._count = sum(d.passages for d in self.documents.values())
        return self._count

    def average_length(self) -> float:
        if self._average is None:
            count = self.passage_count()
            tokens = sum(d.tokens for d in self.documents.values())
            self._average = tokens / count if count else 0.0
        return self._average

    def search(
        self, q: BoolQuery, doc_ids: frozenset[str] | None, *, k1: float, b: float
    ) -> list[tuple[float, int]]:
        """Every passage matching `q` within `doc_ids` (None: all), as (score, docnum), best
        first; ties in index order. BM25 with exact lengths (whoosh's matchers)."""
        from indexer.whoosh_index import ExactBM25

        weighting = ExactBM25(k1, b, self.average_length(), self.passage_count())
        return self._whoosh.search(q, doc_ids, weighting)

    def doc_id_of(self, docnum: int) -> str:
        """The document a passage belongs to, from our arrays (no stored fields are loaded)."""
        if self._doc_ids is None:
            self._doc_ids = self._arrays.owner_list("doc_id")
        doc_id = self._doc_ids[docnum]
        if doc_id is None:
            raise LookupError(f"passage {docnum} is deleted")
        return doc_id

    def row(self, docnum: int) -> PassageRow:
        """The stored passage behind a search result."""
        return self._whoosh.row(docnum)

    def get(self, citation: str) -> PassageRow | None:
        """The passage a citation key names ("<document id>#<n>", indexer.pipeline): the
        document's passages from our arrays, then the one whose number is n."""
        doc_id, _, number = citation.rpartition("#")
        if not (doc_id and number.isdigit()):
            return None
        for docnum in self.postings_lists(doc_id, "doc_id")[0]:
            if self._whoosh.number_of(docnum) == int(number):
                return self.row(docnum)
        return None

    def get_by_paragraph(self, doc_id: str, label: str) -> PassageRow | None:
        return self._whoosh.find(doc_id=doc_id, paragraph=label)

    def passages_of(self, doc_id: str) -> list[PassageRow]:
        return self._whoosh.passages_of(doc_id)

    def doc_frequency(self, term: str) -> int:
        return self._whoosh.doc_frequency(term)

    # arrays for the vectorised scorer (search.vector) ---------------------------------------

    def postings(self, term: str, field: str = "text") -> tuple[Any, Any]:
        """Every passage holding `term`, as numpy arrays: docnums (ascending) and term counts.

        Slices of the arrays written at commit (indexer.arrays), mapped read-only: nothing is
        decoded, and what one query reads, the next reads again for free. Deleted passages
        are left out, as whoosh leaves them out. `field`: one of indexer.arrays.FIELDS."""
        return self._arrays.postings(field, term)

    def sequences(self) -> tuple[Any, Any, Any]:
        """Every passage's word numbers (indexer.words) as one numpy array, with where each
        passage's run starts in it and how long it is (in words), by docnum. Read-only."""
        if self._sequences is None:
            import numpy as np

            bounds = self._arrays.get("sequence.starts")
            self._sequences = (self._arrays.get("sequence"), bounds[:-1], np.diff(bounds))
        return self._sequences

    def lengths(self) -> Any:
        """Every passage's exact analysed length, by docnum (float64, read-only)."""
        if self._lengths is None:
            import numpy as np

            self._lengths = self._arrays.get("lengths").astype(np.float64)
            self._lengths.setflags(write=False)
        return self._lengths

    # the same arrays without numpy, for plain Python (search.plain) -------------------------

    def postings_lists(self, term: str, field: str = "text") -> tuple[memoryview, memoryview]:
        """`postings` as memoryviews of the same maps (docnums and counts): no numpy."""
        return self._arrays.postings_lists(field, term)

    def length_list(self) -> memoryview:
        """Every passage's exact analysed length, by docnum (ints), without numpy."""
        return self._arrays.view("lengths")[0]

    def sequence_views(self) -> tuple[memoryview, memoryview]:
        """`sequences` without numpy: every word number and where passage d's run starts
        (d + 1's is its end), as memoryviews of the maps."""
        return self._arrays.view("sequence")[0], self._arrays.view("sequence.starts")[0]

    def passage_docnum_list(self, doc_ids: Iterable[str]) -> set[int]:
        """`passage_docnums` as a set, without numpy."""
        return {d for doc_id in doc_ids for d in self.postings_lists(doc_id, "doc_id")[0]}

    def live_mask(self) -> Any:
        """False for deleted passages still in a segment (None: there are none)."""
        if self._live is False:
            live = self._arrays.get("live")
            self._live = None if live.all() else live
        return self._live

    def passage_docnums(self, doc_ids: Iterable[str]) -> Any:
        """The docnums of every passage of these documents (a sorted numpy array)."""
        import numpy as np

        parts = [self.postings(doc_id, "doc_id")[0] for doc_id in doc_ids]
        return np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)

    def owners(self, field: str) -> tuple[list[str], Any]:
        """The values of a one-value-a-passage field (doc_id, role), and for each passage (by
        docnum) the index of its value among them (numpy; -1 for none): from our arrays."""
        if field not in self._owners:
            import numpy as np

            terms = self._arrays.get(f"{field}.terms")
            offsets = self._arrays.get(f"{field}.offsets")
            docnums = self._arrays.get(f"{field}.docnums")
            owners = np.full(len(self.lengths()), -1, dtype=np.int64)
            owners[docnums] = np.repeat(np.arange(len(terms)), np.diff(offsets))
            self._owners[field] = ([t.decode("utf-8") for t in terms.tolist()], owners)
        return self._owners[field]

    def matching_docnums(self, clause: TermClause) -> Any:
        """Docnums of the passages a field clause matches (a sorted numpy array), unscored."""
        import numpy as np

        return np.asarray(self.matching(clause), dtype=np.int64)

    def matching(self, clause: TermClause) -> list[int]:
        """The same as a list, without numpy."""
        return self._whoosh.matching(clause)

    def text_terms_with_prefix(self, prefix: str) -> list[str]:
        return self._whoosh.terms_with_prefix(prefix)
