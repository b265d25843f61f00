"""The seam to whoosh: the only module that imports it.

whoosh keeps the index of record: the inverted index (postings with counts, no positions), the
stored passages and the vocabulary, written by its writer. It is used through its public API
and extension points only (a `WeightingModel`, query and matcher classes, writer options):
nothing here patches it or reads a private field. What it does not do to the letter is ours:

- document lengths: whoosh stores a field's length lossily in one byte; BM25 uses each
  passage's EXACT analysed length, kept in a numeric column (`length`);
- the weighting: whoosh's BM25F uses another idf; `ExactBM25` scores with the pure functions
  of `indexer.bm25` (Lucene's variant);
- phrases: `_InSequence` keeps the passages whose words (numbered in our arrays,
  `indexer.words`) stand in a row, stopwords included;
- the arrays the fast path reads are copied out through the public reader API at commit.

Everything else speaks in our own types (`indexer.clauses`, `indexer.records`). The schema is
declared once, here.
"""

from __future__ import annotations

import mmap
import weakref
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import whoosh
from whoosh import analysis, columns, fields, formats, index, matching, query, scoring, searching
from whoosh.codec.whoosh3 import W3Codec, W3Segment
from whoosh.filedb.filestore import FileStorage
from whoosh.system import pack_uint

from indexer import arrays, generations
from indexer.analysis import analyse, analyse_passage
from indexer.bm25 import bm25_idf, bm25_term_weight
from indexer.clauses import TEXT_FIELD, BoolQuery, TermClause, holds_phrase
from indexer.generations import WORDS
from indexer.records import PassageRow, Tokens
from indexer.words import Sequences, WordNumbers, width_for

INDEX_NAME = generations.INDEX_NAME

# the whoosh that wrote an index is recorded in its manifest; another one rebuilds it
WHOOSH_VERSION = whoosh.versionstring()
# whoosh's writer sorts postings in memory up to this, then spills runs to disk and merges
# them back. At 128 MB the reports spilled: 46% of the writer's time. At 512 MB they fit:
# PDFs to index 45 -> 32 s, peak 206 -> 611 MB; the 10x corpus peaks at 787 MB.
WRITER_POOL_MB = 512


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


class AnalysedText(fields.TEXT):
    """whoosh's TEXT field, for text our chain has analysed already (in a worker): `index`,
    the hook whoosh documents for a field type to turn a value into (term, frequency,
    weight, value bytes) tuples, counts the worker's tokens directly instead of streaming
    them one by one through the analyzer and whoosh's format (what Frequency.word_values
    would make of the same tokens: each with boost 1). Anything else goes whoosh's way."""

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        analysed = getattr(value, "tokens", None)
        if analysed is None or type(self.format) is not formats.Frequency:
            yield from super().index(value, **kwargs)
            return
        boost = self.format.field_boost
        for word, frequency in Counter(token[0] for token in analysed).items():
            yield word.encode("utf-8"), frequency, frequency * boost, pack_uint(frequency)


def _schema() -> fields.Schema:
    chain = ChainTokenizer()
    return fields.Schema(
        # Document metadata (title, dates, years...) lives in the manifest; filters on it
        # become a set of document ids. A passage carries only what is its own.
        citation=fields.STORED,  # "<doc_id>#<n>": found by its parts (Store.get), not indexed
        doc_id=fields.ID(stored=True),  # which passage is whose: our arrays (arrays-doc_id.*)
        n=fields.STORED,
        paragraph=fields.ID(stored=True),
        role=fields.ID(stored=True),  # indexer.roles: a restriction, never scored
        section=AnalysedText(analyzer=chain, stored=True, phrase=False),
        text=AnalysedText(analyzer=chain, stored=True, phrase=False),
        # the passage's number in its document: with doc_id, the key by which a passage's
        # words (kept only in our arrays) follow it through whoosh's renumbering
        number=fields.COLUMN(columns.NumericColumn("I")),
        # exact analysed length of `text`, for BM25 (whoosh's own is lossy): a column only,
        # never searched (a NUMERIC field indexed 8 trie terms a passage: 15% of the postings)
        length=fields.COLUMN(columns.NumericColumn("I")),
        line_start=fields.STORED,
        line_end=fields.STORED,
        page_start=fields.STORED,
        page_end=fields.STORED,
    )


SCHEMA = _schema()


class WriterCodec(W3Codec):
    """whoosh's own codec, written without length statistics (`length_stats`, a codec
    option, as whoosh's plain-text codec has it off). Those are each block's shortest and
    longest field length, for whoosh's BM25F to bound a block's score; our weighting never
    reads them (`ExactBM25.block_quality`), and gathering them asked the segment's files
    whether a length column exists once a posting: 40% of a commit's time. The segments
    it makes carry whoosh's own codec, so a reader needs nothing of ours to open them."""

    length_stats = False

    def new_segment(self, storage: Any, indexname: str) -> W3Segment:
        return W3Segment(W3Codec(), indexname)


class ColumnCache:
    """Column readers, built once per open reader: whoosh reads a whole column's offsets
    each time one is opened, which cost more than the search itself. Kept as long as the
    reader lives (a store keeps its reader open until it is closed)."""

    def __init__(self) -> None:
        self._readers: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()

    def get(self, reader: Any, name: str) -> Any:
        columns = self._readers.setdefault(reader, {})
        if name not in columns:
            columns[name] = reader.column_reader(name)
        return columns[name]


COLUMNS = ColumnCache()  # shared by the reader and the weighting it makes (ExactBM25)


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
    """The passages `child` matches whose words (numbers in our arrays, by whole-index docnum:
    indexer.words.Sequences) hold the phrase's in a row. Adds 0 to the score."""

    def __init__(self, child: query.Query, words: tuple[str, ...], sequences: Sequences) -> None:
        super().__init__(child)
        self.phrase, self.sequences = words, sequences

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _InSequence) and (self.child, self.phrase) == (
            other.child,
            other.phrase,
        )

    def __hash__(self) -> int:
        return hash((self.child, self.phrase))

    def _rewrap(self, child: query.Query) -> query.Query:
        return self.__class__(child, self.phrase, self.sequences)

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        m = self.child.matcher(searcher, context)
        if isinstance(m, matching.NullMatcherClass):
            return m
        phrase = self.sequences.phrase(self.phrase)
        if phrase is None:  # a word of it is in no passage
            return matching.NullMatcher()
        base = _offset(searcher)  # the matcher's ids are the segment's own
        run_of, width = self.sequences.of, self.sequences.width
        ids = array("I", (d for d in m.all_ids() if holds_phrase(run_of(base + d), phrase, width)))
        if not ids:
            return matching.NullMatcher()
        return matching.ListMatcher(ids, weights=array("f", bytes(4 * len(ids))), term=m.term())


def _offset(searcher: Any) -> int:
    """Where a segment's searcher's docnums start in the whole index (public API: the parent
    searcher's leaf searchers, each with its offset)."""
    parent = searcher.get_parent()
    if parent is searcher:
        return 0
    for leaf, offset in parent.leaf_searchers():
        if leaf.reader() is searcher.reader():
            return offset
    raise LookupError("a segment searcher not among its parent's leaves")


def _whoosh_clause(
    clause: TermClause, scoring_on: bool, sequences: Sequences | None = None
) -> query.Query:
    if clause.kind == "any":  # any of these exact values (documents)
        alternatives = [query.Term(clause.field, t) for t in clause.terms]
        return _Unscored(query.Or(alternatives)) if alternatives else query.NullQuery
    if clause.kind == "prefix":
        q: query.Query = query.Prefix(clause.field, clause.terms[0])
        return q if scoring_on and clause.field == TEXT_FIELD else _Unscored(q)
    terms = [query.Term(clause.field, t, boost=clause.weight) for t in clause.terms]
    if clause.kind == "phrase":
        if sequences is None:
            raise ValueError("a phrase needs the passages' words")
        # the passages holding every word, then those where the words stand in a row
        every = query.And(terms) if len(terms) > 1 else terms[0]
        exact = _InSequence(every, clause.sequence, sequences)
        return query.And([exact, *terms])  # scores as the sum of its words
    if len(terms) == 1:
        return terms[0]
    return query.And(terms)


def whoosh_query(q: BoolQuery, sequences: Sequences) -> query.Query:
    """Our boolean query as whoosh's: OR of `should`, AND of `must` (Lucene's boolean model),
    within `restrict` (metadata clauses: they narrow, they do not score). `must_not` is applied
    as a mask by `WhooshReader.search`: whoosh 2.7's AndNot let through a passage holding the
    excluded word ("care -children" returned Dorset 2021's judgement table, which says
    "children")."""
    positive: query.Query | None = None
    if q.should:
        positive = query.Or([_whoosh_clause(c, True, sequences) for c in q.should])
    if q.must:
        required = query.And([_whoosh_clause(c, True, sequences) for c in q.must])
        positive = query.AndMaybe(required, positive) if positive is not None else required
    if q.restrict:
        limits = [_Unscored(_whoosh_clause(c, False, sequences)) for c in q.restrict]
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
        role=stored.get("role") or "finding",
    )


class WhooshReader:
    """One generation's whoosh index, open for reading: one reader kept until `close`.
    `sequences`: the passages' words (our arrays), for phrases."""

    def __init__(self, generation: Path, sequences: Sequences) -> None:
        self._sequences = sequences
        self._index = index.open_dir(str(generation), indexname=INDEX_NAME)
        self._searcher = self._index.searcher()  # reads the TOC and segments now

    def close(self) -> None:
        self._searcher.close()

    def search(
        self, q: BoolQuery, doc_ids: frozenset[str] | None, weighting: scoring.WeightingModel
    ) -> list[tuple[float, int]]:
        """Every matching passage as (score, docnum), best first; ties in index order."""
        searcher = searching.Searcher(
            self._searcher.reader(), weighting=weighting, closereader=False
        )
        mask = None
        if q.must_not:
            unwanted = query.Or([_whoosh_clause(c, False, self._sequences) for c in q.must_not])
            mask = set(self._searcher.docs_for_query(unwanted))
        found = searcher.search(
            whoosh_query(q, self._sequences),
            limit=None,
            filter=_filter_query(doc_ids),
            mask=mask,
        )
        return sorted(found.top_n, key=lambda hit: (-hit[0], hit[1]))

    def row(self, docnum: int) -> PassageRow:
        reader = self._searcher.reader()
        return _row(reader.stored_fields(docnum), COLUMNS.get(reader, "length")[docnum])

    def number_of(self, docnum: int) -> int:
        """A passage's number in its document, from a column (no stored fields are loaded)."""
        return COLUMNS.get(self._searcher.reader(), "number")[docnum]

    def find(self, **terms: str) -> PassageRow | None:
        """The one passage whose indexed ID fields hold these values (doc_id and paragraph)."""
        stored = self._searcher.document(**terms)
        return _row(stored) if stored else None

    def passages_of(self, doc_id: str) -> list[PassageRow]:
        return sorted((_row(s) for s in self._searcher.documents(doc_id=doc_id)), key=lambda r: r.n)

    def doc_frequency(self, term: str) -> int:
        return self._searcher.doc_frequency(TEXT_FIELD, term)

    def matching(self, clause: TermClause) -> list[int]:
        """Docnums (ascending) of the passages a clause matches, unscored: field clauses."""
        q = _whoosh_clause(clause, False, self._sequences)
        return sorted(self._searcher.docs_for_query(q))

    def terms_with_prefix(self, prefix: str) -> list[str]:
        return [
            t.decode("utf-8") if isinstance(t, bytes) else t
            for t in self._searcher.reader().expand_prefix(TEXT_FIELD, prefix)
        ]


class WhooshWriter:
    """A whoosh writer on a new generation: an empty index (`create`) or the copy the
    generation holds of the previous one, `previous` (whose arrays hold the words of the
    passages this run keeps, and whose table their numbers: indexer.words)."""

    def __init__(self, generation: Path, *, create: bool, previous: Path | None = None) -> None:
        if create:
            self._index = FileStorage(str(generation)).create_index(SCHEMA, indexname=INDEX_NAME)
        else:
            self._index = index.open_dir(str(generation), indexname=INDEX_NAME)
        self._generation = generation
        self._previous = None if create else previous
        # compound=False: whoosh's files stay apart, each read through its own file, so that
        # opening the stored passages does not copy them into memory (a compound segment's
        # parts are opened as in-memory copies)
        self._writer = self._index.writer(
            limitmb=WRITER_POOL_MB, compound=False, codec=WriterCodec()
        )
        # the word numbers of the passages added, kept out of memory until the commit
        self._added = _AddedSequences(generation / arrays.ADDED_SEQUENCES)
        self._numbers = WordNumbers(self._previous / WORDS if self._previous else None)

    def delete_document(self, doc_id: str) -> None:
        self._writer.delete_by_term("doc_id", doc_id)

    def add_rows(self, rows: Iterable[PassageRow]) -> None:
        for row in rows:
            if not (row.tokens and row.words):  # analysed by the caller, in a worker, or now
                analysed = analyse_passage(row.text)
                row = replace(row, tokens=analysed.tokens, words=analysed.words)
            self._writer.add_document(
                citation=row.citation,
                doc_id=row.doc_id,
                n=row.n,
                number=row.n,
                paragraph=row.paragraph or "",
                section=Analysed(row.section, row.section_tokens)
                if row.section_tokens
                else row.section or "",
                _stored_section=row.section or "",
                text=Analysed(row.text, row.tokens) if row.tokens else row.text,
                _stored_text=row.text,
                length=row.length,
                line_start=row.line_start,
                line_end=row.line_end,
                page_start=row.page_start,
                page_end=row.page_end,
                role=row.role,
            )
            self._added.add((row.doc_id, row.n), self._numbers.numbers(row.words).tobytes())

    def commit(self, *, merge: bool) -> None:
        """Write the segments (merged, when passages were deleted: they would still count in
        document frequencies), then the arrays of the fast path from the public reader, with
        each passage's words: added now, or kept from the previous generation (their numbers
        never change: indexer.words)."""
        self._writer.commit(optimize=merge)
        self._added.finish()
        self._numbers.write(self._generation / WORDS)
        wide = width_for(len(self._numbers)) == 4
        flat, starts = array("I" if wide else "H"), array("q", [0])
        kept = _Kept(self._previous)
        with self._index.reader() as reader:
            for key in zip(_doc_ids(reader), _column(reader, "number"), strict=True):
                run = self._added.get(key)
                if run is None:
                    run = kept.get(key)
                _append(flat, run)
                starts.append(len(flat))
            arrays.write(self._generation, reader, flat, starts)
        self._added.discard()

    def cancel(self) -> None:
        self._writer.cancel()
        self._added.discard()


def _append(flat: array, run: memoryview | None) -> None:
    """A passage's word numbers onto the generation's runs (None: a passage of a deleted
    document still in a segment, which never matches, its postings being gone)."""
    if run is None:
        return
    if run.format == flat.typecode:
        flat.frombytes(run.cast("B"))
    else:  # the index has just passed 65,536 words: the kept runs widen
        flat.extend(run)


def _doc_ids(reader: Any) -> list[str | None]:
    """Each passage's document (None: deleted), from the doc_id postings (public API)."""
    owners: list[str | None] = [None] * reader.doc_count_all()
    for term in reader.lexicon("doc_id"):
        doc_id = term.decode("utf-8")
        for docnum, _ in arrays.matches(reader.postings("doc_id", term)):
            owners[docnum] = doc_id
    return owners


def _column(reader: Any, name: str) -> list[Any]:
    return list(reader.column_reader(name)) if reader.doc_count_all() else []


class _AddedSequences:
    """Runs of word numbers (four bytes each) by passage key, appended to a file of the
    generation (never linked into the next: indexer.generations) so that a build's runs are
    not all in memory. A document's passages come in order (n = 1, 2, ...): where each run
    starts is kept per document, not per passage (the 10x corpus has 526,000 of them)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: Any = None
        self._bounds: dict[str, tuple[int, array]] = {}  # doc_id -> (first n, run offsets)
        self._odd: dict[tuple[str, int], tuple[int, int]] = {}  # any passage out of order
        self._size = 0
        self._map: mmap.mmap | None = None

    def add(self, key: tuple[str, int], run: bytes) -> None:
        if self._file is None:
            self._file = open(generations.create_new(self.path), "wb")  # noqa: SIM115
        self._file.write(run)
        start, end = self._size, self._size + len(run)
        self._size = end
        doc_id, n = key
        self._odd.pop(key, None)
        entry = self._bounds.get(doc_id)
        if entry is None or n <= entry[0]:  # the document's first passage (or it again)
            self._bounds[doc_id] = (n, array("q", [start, end]))
        elif n == entry[0] + len(entry[1]) - 1 and entry[1][-1] == start:
            entry[1].append(end)
        else:
            self._odd[key] = (start, end)

    def finish(self) -> None:
        """Map the file for `get` (nothing is read into memory)."""
        if self._file is not None:
            self._file.close()
            if self._size:
                with self.path.open("rb") as handle:
                    self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)

    def get(self, key: tuple[str, int]) -> memoryview | None:
        """The run added for a passage (a view of the mapped file), None if none was."""
        doc_id, n = key
        span = self._odd.get(key)
        if span is None and doc_id in self._bounds:
            first, bounds = self._bounds[doc_id]
            if 0 <= n - first < len(bounds) - 1:
                span = bounds[n - first], bounds[n - first + 1]
        if span is None:
            return None
        if span[0] == span[1] or self._map is None:
            return memoryview(b"").cast("I")
        return memoryview(self._map)[span[0] : span[1]].cast("I")

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
        self._map = None  # a view taken of it keeps it until dropped
        self.path.unlink(missing_ok=True)


class _Kept:
    """The previous generation's runs of word numbers, by passage key (its arrays, and its
    whoosh column of numbers: the passages it had, whatever whoosh's merge made of their
    docnums). Asked document by document, it keeps one document's passages at a time."""

    def __init__(self, previous: Path | None) -> None:
        self._arrays: arrays.Arrays | None = None
        self._numbers: list[int] = []  # each previous passage's number in its document
        self._doc: str | None = None
        self._docnums: dict[int, int] = {}  # the document `_doc`'s passages by number
        if previous is not None:
            with index.open_dir(str(previous), indexname=INDEX_NAME).reader() as reader:
                self._numbers = _column(reader, "number")
            self._arrays = arrays.Arrays(previous)

    def get(self, key: tuple[str | None, int]) -> memoryview | None:
        doc_id, n = key
        if self._arrays is None or doc_id is None:
            return None
        if doc_id != self._doc:
            docnums = self._arrays.postings_lists("doc_id", doc_id)[0]
            self._doc, self._docnums = doc_id, {self._numbers[d]: d for d in docnums}
        docnum = self._docnums.get(n)
        return None if docnum is None else self._arrays.run(docnum)
