"""The index on disk. The only module that imports whoosh.

Whoosh keeps the inverted index (postings with counts, no positions) and the stored passages.
What it does not do to the letter, this module does:

- document lengths: whoosh stores a field's length lossily in one byte; BM25 here uses each
  passage's EXACT analysed length, kept in a numeric column (`length`);
- the weighting: whoosh's BM25F uses another idf; `ExactBM25` below scores with the pure
  functions in `search.bm25` (Lucene's variant);
- phrases: each passage's words in order, stopwords too, as 8-byte fingerprints in a column
  (`sequence`, indexer.analysis.sequence_of); a phrase matches where its fingerprints stand
  in a row. Exact for stopwords (which are not indexed) and 6x cheaper to read than whoosh's
  positions, which are not kept;
- document metadata lives beside the whoosh files in `documents.json`, written atomically;
- the arrays the fast path reads (search.vector: postings, lengths, fingerprints) are
  copied out of whoosh through its public reader API at each commit (indexer.arrays).

whoosh is used through its public API and extension points only (a WeightingModel, query
and matcher classes, writer options): nothing here patches it or reads a private field. The
whoosh version that wrote an index is in its manifest; another version rebuilds it.

The schema is declared once, here.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import weakref
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import whoosh
from whoosh import analysis, columns, fields, index, matching, query, scoring, searching
from whoosh.filedb.filestore import FileStorage

from indexer import arrays, generations
from indexer.analysis import analyse, read_stem_table, sequence_of, write_stem_table
from indexer.identity import Given, registry_of
from indexer.records import Document
from search.bm25 import bm25_idf, bm25_term_weight

# the names of our files are indexer.generations's: it knows what a folder of ours holds
MANIFEST, STEMS, INDEX_NAME = generations.MANIFEST, generations.STEMS, generations.INDEX_NAME
# 4: phrases from the sequence column, no positions; 5: document kinds, and indexer.arrays
FORMAT_VERSION = 5
# the whoosh that wrote an index is recorded in its manifest; another one rebuilds it
WHOOSH_VERSION = whoosh.versionstring()
# whoosh's writer sorts postings in memory up to this, then spills runs to disk and merges
# them back. At 128 MB the reports spilled: 46% of the writer's time. At 512 MB they fit:
# PDFs to index 45 -> 32 s, peak 206 -> 611 MB; the 10x corpus peaks at 787 MB.
WRITER_POOL_MB = 512


class IndexMissing(FileNotFoundError):
    """There is no index at the given place."""


class IndexBeingBuilt(IndexMissing):
    """The index's first build (or a rebuild after its CURRENT was lost) is under way."""


class IndexDamaged(RuntimeError):
    """The index exists but cannot be read."""


class IndexOutdated(IndexDamaged):
    """The index was built by another version of this tool (it is rebuilt, not read)."""


class DiskFull(OSError):
    """The disk (or a file size limit) ran out while writing the index; it is as it was."""

    def __init__(self, folder: Path, error: OSError) -> None:
        reason = os.strerror(error.errno or errno.ENOSPC).lower()
        place = str(folder).rstrip("/") + "/"
        super().__init__(error.errno, f"{reason} while writing {place}; the index is as it was")

    def __str__(self) -> str:
        return str(self.strerror)


_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_UNREADABLE = (errno.EACCES, errno.EPERM)  # whose a folder is cannot be told


@contextlib.contextmanager
def _full_disk_reported(folder: Path) -> Iterator[None]:
    """A full disk (or quota, or file size limit) while writing is DiskFull, one line."""
    try:
        yield
    except OSError as error:
        if error.errno in _FULL and not isinstance(error, DiskFull):
            raise DiskFull(folder, error) from None
        raise


Tokens = tuple[tuple[str, int, int, int], ...]  # (term, position, start, end)


class Analysed(str):
    """A passage's text with its tokens already analysed (in a worker process), so that the
    writer does not analyse it a second time. Stored as plain text (`_stored_text`)."""

    tokens: Tokens

    def __new__(cls, text: str, tokens: Tokens) -> Analysed:
        value = super().__new__(cls, text)
        value.tokens = tokens
        return value


class ChainTokenizer(analysis.Tokenizer):
    """Whoosh adapter for `indexer.analysis`: the same chain indexes passages and parses queries.

    Positions count stopwords, so that "children in care" can be matched exactly later.
    """

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChainTokenizer)

    def __hash__(self) -> int:
        return hash(ChainTokenizer)

    def __call__(  # whoosh's protocol
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[analysis.Token]:
        token = analysis.Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        analysed = getattr(value, "tokens", None)
        if analysed is None:
            analysed = tuple((t.text, t.position, t.start, t.end) for t in analyse(value))
        for text, position, start, end in analysed:
            token.text = text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = value[start:end]
            if positions:
                token.pos = start_pos + position
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


def _schema() -> fields.Schema:
    chain = ChainTokenizer()
    return fields.Schema(
        # Document metadata (title, dates, years...) lives in the manifest; filters on it
        # become a set of document ids. A passage carries only what is its own.
        citation=fields.ID(stored=True, unique=True),
        doc_id=fields.ID(stored=True, sortable=True),  # a column: ranking by document is cheap
        n=fields.STORED,
        paragraph=fields.ID(stored=True),
        section=fields.TEXT(analyzer=chain, stored=True, phrase=False),
        text=fields.TEXT(analyzer=chain, stored=True, phrase=False),
        # every word's fingerprint in order, stopwords too: phrases (see the module docstring)
        sequence=fields.COLUMN(columns.VarBytesColumn()),
        # exact analysed length of `text`, for BM25 (whoosh's own is lossy)
        length=fields.NUMERIC(int, bits=32, signed=False, sortable=True),
        line_start=fields.STORED,
        line_end=fields.STORED,
        page_start=fields.STORED,
        page_end=fields.STORED,
    )


SCHEMA = _schema()
TEXT_FIELD = "text"


@dataclass(frozen=True)
class PassageRow:
    """A passage as stored: what the indexer writes and the engine reads back."""

    citation: str
    doc_id: str
    n: int
    paragraph: str | None
    section: str | None
    text: str
    line_start: int
    line_end: int
    length: int
    page_start: int | None = None
    page_end: int | None = None
    # analysed tokens of the text and of the section heading, filled by the indexer's
    # workers so that the writer does not analyse again; empty when read back
    tokens: Tokens = ()
    section_tokens: Tokens = ()
    sequence: bytes = b""  # every word's fingerprint, for phrases (filled like `tokens`)


class ColumnCache:
    """Column readers, built once per open reader: whoosh reads a whole column's offsets
    each time one is opened, which cost more than the search itself. Kept as long as the
    reader lives (a store keeps its reader open until it is closed)."""

    def __init__(self) -> None:
        self._readers: weakref.WeakKeyDictionary[Any, dict[tuple[str, bool], Any]] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, reader: Any, name: str, *, translate: bool = True) -> Any:
        """`translate=False`: the column's bytes as stored (no conversion per value)."""
        columns = self._readers.setdefault(reader, {})
        key = (name, translate)
        if key not in columns:
            columns[key] = reader.column_reader(name, translate=translate)
        return columns[key]


COLUMNS = ColumnCache()  # shared by the store and the queries it builds (_InSequence)


class ExactBM25(scoring.WeightingModel):
    """Lucene's BM25 with exact passage lengths (formula in `search.bm25`)."""

    use_final = False

    def __init__(self, k1: float, b: float, avgdl: float, doc_count: int) -> None:
        self.k1, self.b, self.avgdl, self.doc_count = k1, b, avgdl, doc_count

    def scorer(self, searcher: Any, fieldname: str, text: bytes, qf: int = 1) -> scoring.BaseScorer:
        if fieldname != TEXT_FIELD:  # metadata fields filter; they do not score
            return _ConstantScorer(0.0)
        n = searcher.get_parent().doc_frequency(fieldname, text)
        idf = bm25_idf(self.doc_count, n)
        lengths = COLUMNS.get(searcher.reader(), "length")
        return _ExactBM25Scorer(idf * qf, lengths, self.k1, self.b, self.avgdl)


class _ExactBM25Scorer(scoring.BaseScorer):
    def __init__(self, idf: float, lengths: Any, k1: float, b: float, avgdl: float) -> None:
        self.idf, self.lengths, self.k1, self.b, self.avgdl = idf, lengths, k1, b, avgdl

    def score(self, matcher: Any) -> float:
        tf = matcher.weight()
        dl = self.lengths[matcher.id()]
        return self.idf * bm25_term_weight(tf, dl, self.avgdl, self.k1, self.b)

    def max_quality(self) -> float:
        # tf * (k1 + 1) / (tf + k1 * norm) stays below k1 + 1 for any tf and length
        return self.idf * (self.k1 + 1.0)

    def block_quality(self, matcher: Any) -> float:
        return self.max_quality()


class _ConstantScorer(scoring.BaseScorer):
    def __init__(self, value: float) -> None:
        self.value = value

    def score(self, matcher: Any) -> float:
        return self.value

    def max_quality(self) -> float:
        return self.value

    def block_quality(self, matcher: Any) -> float:
        return self.value


# --- query construction: the engine describes, this module builds whoosh objects ---------------


@dataclass(frozen=True)
class TermClause:
    """One query element, analysed: `terms` are index terms (stems) in order."""

    field: str
    terms: tuple[str, ...]
    kind: str  # "term", "phrase", "prefix" or "any" (any of these exact values: documents)
    sequence: bytes = b""  # for phrases: every word's fingerprint in order, stopwords too
    weight: float = 1.0  # a term's score is multiplied by this (a word said twice counts twice)


class _Unscored(query.ConstantScoreQuery):
    """Matches what `child` matches and adds 0 to the score.

    whoosh 2.7's ConstantScoreQuery(q, 0.0) adds 1.0: its ListMatcher tests the constant for
    truth (`if self._all_weights:`) and falls back to 1.0. Zeros given one by one are kept.
    """

    def __init__(self, child: query.Query) -> None:
        super().__init__(child, 0.0)

    def _rewrap(self, child: query.Query) -> query.Query:
        return self.__class__(child)

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        m = self.child.matcher(searcher, context)
        if isinstance(m, matching.NullMatcherClass):
            return m
        ids = array("I", m.all_ids())
        return matching.ListMatcher(ids, weights=array("f", bytes(4 * len(ids))), term=m.term())


class _InSequence(_Unscored):
    """The passages `child` matches whose `sequence` column holds `phrase` (fingerprints,
    8 bytes a word) at a word boundary. Adds 0 to the score."""

    def __init__(self, child: query.Query, phrase: bytes) -> None:
        super().__init__(child)
        self.phrase = phrase

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _InSequence) and (self.child, self.phrase) == (
            other.child,
            other.phrase,
        )

    def __hash__(self) -> int:
        return hash((self.child, self.phrase))

    def _rewrap(self, child: query.Query) -> query.Query:
        return self.__class__(child, self.phrase)

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        m = self.child.matcher(searcher, context)
        if isinstance(m, matching.NullMatcherClass):
            return m
        column = COLUMNS.get(searcher.reader(), "sequence", translate=False)
        ids = array("I", (d for d in m.all_ids() if holds_phrase(column[d], self.phrase)))
        if not ids:
            return matching.NullMatcher()
        return matching.ListMatcher(ids, weights=array("f", bytes(4 * len(ids))), term=m.term())


def holds_phrase(sequence: bytes, phrase: bytes) -> bool:
    """Does a passage's fingerprint sequence hold the phrase's, starting at a word?"""
    start = sequence.find(phrase)
    while start != -1:
        if start % 8 == 0:
            return True
        start = sequence.find(phrase, start + 1)
    return False


def _whoosh_clause(clause: TermClause, scoring_on: bool) -> query.Query:
    if clause.kind == "any":  # any of these exact values (documents)
        alternatives = [query.Term(clause.field, t) for t in clause.terms]
        return _Unscored(query.Or(alternatives)) if alternatives else query.NullQuery
    if clause.kind == "prefix":
        q: query.Query = query.Prefix(clause.field, clause.terms[0])
        return q if scoring_on and clause.field == TEXT_FIELD else _Unscored(q)
    terms = [query.Term(clause.field, t, boost=clause.weight) for t in clause.terms]
    if clause.kind == "phrase":
        # the passages holding every word, then those where the words stand in a row
        exact = _InSequence(query.And(terms) if len(terms) > 1 else terms[0], clause.sequence)
        return query.And([exact, *terms])  # scores as the sum of its words
    if len(terms) == 1:
        return terms[0]
    return query.And(terms)


def build_query(
    should: Sequence[TermClause],
    must: Sequence[TermClause],
    must_not: Sequence[TermClause],
    restrict: Sequence[TermClause] = (),
) -> query.Query:
    """OR of `should`, AND of `must` (Lucene's boolean model), within `restrict` (metadata
    clauses: they narrow, they do not score). `must_not` is left to `Store.search`'s
    `exclude`: whoosh 2.7's AndNot let through a passage holding the excluded word
    ("care -children" returned Dorset 2021's judgement table, which says "children")."""
    del must_not
    positive: query.Query | None = None
    if should:
        positive = query.Or([_whoosh_clause(c, True) for c in should])
    if must:
        required = query.And([_whoosh_clause(c, True) for c in must])
        positive = query.AndMaybe(required, positive) if positive is not None else required
    if restrict:
        limits = [_Unscored(_whoosh_clause(c, False)) for c in restrict]
        positive = query.And([positive, *limits] if positive is not None else limits)
    if positive is None:
        raise ValueError("a query needs at least one positive clause")
    return positive


def _filter_query(doc_ids: frozenset[str] | None) -> query.Query | None:
    """Only passages of these documents (None: no restriction)."""
    if doc_ids is None:
        return None
    if not doc_ids:
        return query.NullQuery
    return query.Or([query.Term("doc_id", d) for d in sorted(doc_ids)])


# --- the store ------------------------------------------------------------------------------


def _row(stored: dict[str, Any], length: int = 0) -> PassageRow:
    return PassageRow(
        citation=stored["citation"],
        doc_id=stored["doc_id"],
        n=stored["n"],
        paragraph=stored.get("paragraph") or None,
        section=stored.get("section") or None,
        text=stored["text"],
        line_start=stored["line_start"],
        line_end=stored["line_end"],
        length=length,
        page_start=stored.get("page_start"),
        page_end=stored.get("page_end"),
    )


def write_json_atomically(path: Path, data: Any) -> None:
    """Write a new file beside the target (no link followed, the umask's permissions),
    fsync, then rename over the target (generations.write_atomically). Under the lock."""
    generations.write_atomically(path, json.dumps(data, ensure_ascii=False, indent=1))


def _document(data: dict[str, Any]) -> Document:
    judgements = tuple(tuple(pair) for pair in data.get("judgements", ()))
    return Document(**{**data, "judgements": judgements})


class Store:
    """An open index: whoosh for passages, the manifest for documents."""

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
        self._index: Any = None
        self._searcher: Any = None
        self.generation: Path | None = None
        self._count: int | None = None
        self._average: float | None = None
        self._lengths: Any = None
        self._live: Any = False  # not looked at yet
        self._sequences: Any = None
        self._arrays: arrays.Arrays = arrays.Arrays(Path())  # set by open

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
                if not ours and not unreadable and not _made_by_us(folder):
                    raise generations.not_ours(folder) from None
                raise IndexDamaged(f"{folder}: {error}") from None
            if generation is None:
                raise _without_current(folder, ours)
            if generation.is_dir() or attempt == 2:
                return cls._open_generation(folder, generation, ours)
            # a writer replaced the generation between our two reads: read CURRENT again
        raise AssertionError("unreachable")

    @classmethod
    def _open_generation(cls, folder: Path, generation: Path, ours: bool) -> Store:
        manifest = generation / MANIFEST
        try:
            if not ours and not (manifest.is_file() and _has_toc(generation)):
                raise generations.not_ours(folder)  # no marker, and nothing else of ours
            if not manifest.is_file():
                raise IndexDamaged(f"{manifest} is missing")
            data = json.loads(manifest.read_text("utf-8"))
            if not ours and not _shaped_like_ours(data):
                raise generations.not_ours(folder)
            if data.get("format") != FORMAT_VERSION:
                raise IndexOutdated(f"{folder} was built by another version of this tool")
            if data.get("whoosh") != WHOOSH_VERSION:
                raise IndexOutdated(
                    f"{folder} was written by whoosh {data.get('whoosh')}, "
                    f"this is whoosh {WHOOSH_VERSION}"
                )
            damage = arrays.problem(generation)
            if damage:
                raise IndexDamaged(damage)
            documents = {d["doc_id"]: _document(d) for d in data["documents"]}
            store = cls(
                folder, documents, list(data.get("roots", [])), dict(data.get("problems", {}))
            )
            store.follow_links = data.get("follow_links") is True
            store._index = index.open_dir(str(generation), indexname=INDEX_NAME)
            store._searcher = store._index.searcher()  # reads the TOC and segments now
            store.generation = generation
            store._arrays = arrays.Arrays(generation)
        except (IndexDamaged, generations.NotOurs):
            raise
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise IndexDamaged(f"{folder}: {error}") from None
        except Exception as error:  # whoosh raises many kinds on a damaged TOC or segment
            raise IndexDamaged(f"{folder}: {type(error).__name__}: {error}") from None
        return store

    @property
    def searcher(self) -> Any:
        """A searcher over the one reader this store keeps open (weighting set per search)."""
        if self._searcher is None:
            self._searcher = self._index.searcher()
        return self._searcher

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None

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
        self,
        q: query.Query,
        doc_ids: frozenset[str] | None,
        *,
        k1: float,
        b: float,
        exclude: Sequence[TermClause] = (),
    ) -> list[tuple[float, int]]:
        """Every matching passage as (score, docnum), best first; ties in index order.
        Passages that match any clause of `exclude` are left out."""
        weighting = ExactBM25(k1, b, self.average_length(), self.passage_count())
        searcher = searching.Searcher(
            self.searcher.reader(), weighting=weighting, closereader=False
        )
        mask = None
        if exclude:
            unwanted = query.Or([_whoosh_clause(c, False) for c in exclude])
            mask = set(self.searcher.docs_for_query(unwanted))
        results = searcher.search(q, limit=None, filter=_filter_query(doc_ids), mask=mask)
        return sorted(results.top_n, key=lambda hit: (-hit[0], hit[1]))

    def doc_id_of(self, docnum: int) -> str:
        """The document a passage belongs to, from a column (no stored fields are loaded)."""
        return COLUMNS.get(self.searcher.reader(), "doc_id")[docnum]

    def row(self, docnum: int) -> PassageRow:
        """The stored passage behind a search result."""
        reader = self.searcher.reader()
        return _row(reader.stored_fields(docnum), COLUMNS.get(reader, "length")[docnum])

    def get(self, citation: str) -> PassageRow | None:
        stored = self.searcher.document(citation=citation)
        return _row(stored) if stored else None

    def get_by_paragraph(self, doc_id: str, label: str) -> PassageRow | None:
        stored = self.searcher.document(doc_id=doc_id, paragraph=label)
        return _row(stored) if stored else None

    def passages_of(self, doc_id: str) -> list[PassageRow]:
        rows = [_row(s) for s in self.searcher.documents(doc_id=doc_id)]
        return sorted(rows, key=lambda r: r.n)

    def doc_frequency(self, term: str) -> int:
        return self.searcher.doc_frequency(TEXT_FIELD, term)

    # arrays for the vectorised scorer (search.vector) ---------------------------------------

    def postings(self, term: str, field: str = TEXT_FIELD) -> tuple[Any, Any]:
        """Every passage holding `term`, as numpy arrays: docnums (ascending) and term counts.

        Slices of the arrays written at commit (indexer.arrays), mapped read-only: nothing is
        decoded, and what one query reads, the next reads again for free. Deleted passages
        are left out, as whoosh leaves them out. `field`: one of indexer.arrays.FIELDS."""
        return self._arrays.postings(field, term)

    def sequences(self) -> tuple[Any, Any, Any]:
        """Every passage's word fingerprints as one numpy array (uint64), with where each
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

    def matching_docnums(self, q: query.Query) -> Any:
        """Docnums of the passages a (non-scoring) whoosh query matches: field clauses."""
        import numpy as np

        found = sorted(self.searcher.docs_for_query(q))
        return np.asarray(found, dtype=np.int64)

    def text_terms_with_prefix(self, prefix: str) -> list[str]:
        return [
            t.decode("utf-8") if isinstance(t, bytes) else t
            for t in self.searcher.reader().expand_prefix(TEXT_FIELD, prefix)
        ]


def _without_current(folder: Path, ours: bool) -> Exception:
    """What a folder without CURRENT is: no index yet, one of an earlier version, damage
    (generations but no pointer to one), or not ours."""
    if not folder.is_dir():
        return IndexMissing(f"no index at {folder}")
    if _our_manifest(folder) is not None:  # the single-folder layout of earlier versions
        return IndexOutdated(f"{folder} was built by another version of this tool")
    if not ours and not generations.holds_nothing(folder) and not _made_by_us(folder):
        return generations.not_ours(folder)
    if generations.writer_at_work(folder):  # a first build, between its manifest and CURRENT
        return IndexBeingBuilt(f"the index at {folder} is being built and has nothing to read yet")
    if any(generations.is_complete(g) for g in generations.generation_folders(folder)):
        return IndexDamaged(
            f"{folder / generations.CURRENT} is missing: it names the generation to read"
        )
    return IndexMissing(f"no index at {folder}")


_TOC = re.compile(rf"_{INDEX_NAME}_\d+\.toc")


def _has_toc(place: Path) -> bool:
    try:
        return any(_TOC.fullmatch(e.name) and e.is_file() for e in os.scandir(place))
    except OSError:
        return False


def _shaped_like_ours(data: Any) -> bool:
    """A manifest of any version of ours: {"format": int, "documents": [...], ...}."""
    if not isinstance(data, dict) or not isinstance(data.get("documents"), list):
        return False
    return type(data.get("format")) is int


def _our_manifest(place: Path) -> dict[str, Any] | None:
    """The manifest in `place` (a generation, or a folder of the single-folder layout) if it
    is one of ours, beside a whoosh TOC; else None."""
    if not _has_toc(place):
        return None
    try:
        data = json.loads(generations.read_file(place / MANIFEST))
    except (OSError, ValueError):
        return None
    return data if _shaped_like_ours(data) else None


def _made_by_us(folder: Path) -> bool:
    """An index of an earlier version of this tool, from before the marker: documents.json
    and whoosh's TOC in the folder (until format 3) or in a generation (CURRENT, gen-*)."""
    places = [folder, *reversed(generations.generation_folders(folder))]
    return any(_our_manifest(place) is not None for place in places)


def _recorded_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of the index of ours in `folder`, read alone (so that an index from
    another version, one whoosh cannot open or one whose CURRENT is lost can be rebuilt from
    what it records): the current generation's, else the newest generation's, else the
    single-folder layout's. Empty for a folder that is not ours."""
    try:
        now = generations.current(folder)
    except (OSError, ValueError):
        now = None
    places = [now] if now else []
    places += [*reversed(generations.generation_folders(folder)), folder]
    for place in places:
        data = _our_manifest(place)
        if data is not None:
            return data
    return {}


def indexed_roots(folder: Path) -> list[str]:
    """The folders the index in `folder` was built from."""
    roots = _recorded_manifest(folder).get("roots", [])
    return [str(r) for r in roots] if isinstance(roots, list) else []


def given_keys(folder: Path) -> dict[str, Given]:
    """The keys an index has given (file path -> key), read from its manifest alone, so that
    they outlive a rebuild: each document's, and those of files since removed
    (`retired_keys`; a manifest of format 4 before them has none)."""
    data = _recorded_manifest(folder)
    try:
        keys = {
            path: Given(given["key"], given.get("sha256", ""))
            for path, given in (data.get("retired_keys") or {}).items()
        }
        for d in data.get("documents", []):
            if d.get("path"):
                keys[d["path"]] = Given(d["doc_id"], d.get("sha256", ""))
        return keys
    except (KeyError, TypeError, AttributeError):
        return {}


def _follow_links(folder: Path) -> bool:
    """Was the index built with `--follow-links`? (Its updates walk the same way.)"""
    return _recorded_manifest(folder).get("follow_links") is True


class StoreWriter:
    """Adds and deletes documents in a new generation of the index, then publishes it.

    Writes only into a folder of ours (generations.claim: else NotOurs, nothing touched).
    Holds the folder's write lock from creation to commit or cancel: a second writer gets
    IndexBusy (or, with `wait`, waits for the first). What a dead writer left is cleared
    first. With `fresh`, the new generation starts empty (a rebuild); readers keep the old
    one until the new one is published. A full disk is DiskFull, the index as it was.
    """

    def __init__(self, folder: Path, *, wait: bool = False, fresh: bool = False) -> None:
        self.folder = folder
        with _full_disk_reported(folder):
            generations.claim(folder, _made_by_us)
            self._lock = generations.WriteLock(folder)
            self._lock.acquire(wait=wait)
        try:
            with _full_disk_reported(folder):
                self.keys = given_keys(folder)  # kept through a rebuild (indexer.identity)
                self.follow_links = _follow_links(folder)
                self._open(fresh)
        except BaseException:
            if hasattr(self, "_generation"):
                generations.discard(self._generation)
            self._lock.release()
            raise
        self._deleted = False
        self._changed = fresh

    def _open(self, fresh: bool) -> None:
        # kept as the previous generation once this one is published
        self._previous = generations.tidy(self.folder)
        # files of the single-folder layout: deleted once the rebuilt index is published
        self._legacy = _our_manifest(self.folder) is not None
        existing: Store | None = None
        if not fresh:
            # an outdated index is rebuilt, not read
            with contextlib.suppress(IndexMissing, IndexOutdated):
                existing = Store.open(self.folder)
        self._generation = generations.next_generation(self.folder, link=existing is not None)
        self.stems: dict[str, str] = {}
        if existing is not None and existing.generation is not None:
            self.stems = read_stem_table(existing.generation / STEMS)
        self._stems_known = len(self.stems)
        if existing is not None:
            self.documents = dict(existing.documents)
            self.roots = list(existing.roots)
            self.problems = dict(existing.problems)
            existing.close()
            self._index = index.open_dir(str(self._generation), indexname=INDEX_NAME)
        else:
            self.documents, self.roots, self.problems = {}, [], {}
            storage = FileStorage(str(self._generation))
            self._index = storage.create_index(SCHEMA, indexname=INDEX_NAME)
        # compound=False: whoosh's files stay apart, each read through its own file, so that
        # opening the stored passages does not copy them into memory (a compound segment's
        # parts are opened as in-memory copies)
        self._writer = self._index.writer(limitmb=WRITER_POOL_MB, compound=False)

    @property
    def lock_fd(self) -> int | None:
        return self._lock.fd

    def delete_document(self, doc_id: str) -> None:
        if doc_id in self.documents:
            with _full_disk_reported(self.folder):
                self._writer.delete_by_term("doc_id", doc_id)
            del self.documents[doc_id]
            self._deleted = self._changed = True

    def add_document(self, document: Document, rows: Iterable[PassageRow]) -> None:
        self.delete_document(document.doc_id)
        with _full_disk_reported(self.folder):  # whoosh's pool may spill to disk
            self._add_rows(rows)
        self.documents[document.doc_id] = document
        self._changed = True

    def _add_rows(self, rows: Iterable[PassageRow]) -> None:
        for row in rows:
            self._writer.add_document(
                citation=row.citation,
                doc_id=row.doc_id,
                n=row.n,
                paragraph=row.paragraph or "",
                section=Analysed(row.section, row.section_tokens)
                if row.section_tokens
                else row.section or "",
                _stored_section=row.section or "",
                text=Analysed(row.text, row.tokens) if row.tokens else row.text,
                _stored_text=row.text,
                sequence=row.sequence or sequence_of(analyse(row.text, keep_stopwords=True)),
                length=row.length,
                line_start=row.line_start,
                line_end=row.line_end,
                page_start=row.page_start,
                page_end=row.page_end,
            )

    def add_stems(self, stems: dict[str, str]) -> None:
        self.stems.update(stems)

    def set_problems(self, problems: dict[str, dict[str, Any]]) -> None:
        if problems != self.problems:
            self.problems = problems
            self._changed = True

    def commit(self, roots: Sequence[str]) -> None:
        try:
            if not self._changed and set(roots) <= set(self.roots):
                self._writer.cancel()  # nothing to write: keep the index exactly as it was
                generations.discard(self._generation)
                return
            with _full_disk_reported(self.folder):
                self._write(roots)
                generations.publish(self.folder, self._generation)
            generations.clean_up(self.folder, self._previous)
            if self._legacy:
                _discard_legacy(self.folder)
        except BaseException:
            if not self._is_published():  # else, interrupted after (a signal): it is the index
                generations.discard(self._generation)
            raise
        finally:
            self._lock.release()

    def _write(self, roots: Sequence[str]) -> None:
        # Deleted passages linger in whoosh's segments and would still count in document
        # frequencies; merging them away keeps BM25's idf exact.
        self._writer.commit(optimize=self._deleted)
        with self._index.reader() as reader:  # the arrays of the fast path, before the manifest
            arrays.write(self._generation, reader)
        self.roots = sorted(set(self.roots) | set(roots))
        write_json_atomically(
            self._generation / MANIFEST,
            {
                "format": FORMAT_VERSION,
                "whoosh": WHOOSH_VERSION,
                "roots": self.roots,
                "follow_links": self.follow_links,
                "retired_keys": self._retired_keys(),
                "problems": dict(sorted(self.problems.items())),
                "documents": [asdict(d) for d in sorted(self.documents.values(), key=_key)],
            },
        )
        write_stem_table(self._generation / STEMS, self.stems)

    def _is_published(self) -> bool:
        """CURRENT names this writer's generation (a signal may come after the rename)."""
        try:
            return generations.current(self.folder) == self._generation
        except (OSError, ValueError):
            return False

    def _retired_keys(self) -> dict[str, dict[str, str]]:
        """The keys given to files no longer indexed (the documents carry their own)."""
        live = {d.path: Given(d.doc_id, d.sha256) for d in self.documents.values() if d.path}
        registry = registry_of(live, self.keys)
        return {p: asdict(registry[p]) for p in sorted(registry) if p not in live}

    def set_follow_links(self, follow: bool) -> None:
        if follow != self.follow_links:
            self.follow_links = follow
            self._changed = True

    def cancel(self) -> None:
        with contextlib.suppress(Exception):
            self._writer.cancel()
        if not self._is_published():
            generations.discard(self._generation)
        self._lock.release()


# whoosh's files and ours in the single-folder layout (until format 3)
_LEGACY = re.compile(
    rf"{re.escape(MANIFEST)}|\.{re.escape(MANIFEST)}\.\w+\.tmp"
    rf"|_{INDEX_NAME}_\d+\.toc(\.[0-9.]+)?|{INDEX_NAME}_[0-9A-Za-z]+(\.\w+)*"
)


def _discard_legacy(folder: Path) -> None:
    """Files of the single-folder layout of earlier versions, once the index that replaces
    them is published: regular files with those names only (links are not followed)."""
    for entry in os.scandir(folder):
        if _LEGACY.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)


def _key(document: Document) -> str:
    return document.doc_id
