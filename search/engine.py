"""The search library: open an index, run a query, fetch passages and documents.

    engine = Engine.open(Path("index"))
    result = engine.search('"children in care" exploitation', year=2022, limit=5)
    for hit in result.results: print(hit.citation, hit.score, hit.text[:60])

The CLI (search.cli) is a thin layer over this module.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from indexer.analysis import (
    Token,
    analyse,
    normalise_word,
    sequence_of,
    stem_word,
    terms,
    use_stem_table,
)
from indexer.bm25 import K1, B, bm25_idf
from indexer.clauses import BoolQuery, TermClause
from indexer.dates import DateError, PartialDate, parse_iso
from indexer.display import shown
from indexer.errors import IndexDamaged, IndexMissing
from indexer.manifest import STEMS
from indexer.records import Document, Passage, PassageRow
from indexer.store import Store
from search.highlight import find_matches
from search.query import Clause, parse_query
from search.rerank import Refinements, heading_bonus, mixed_counts, proximity_bonus, rm3_weights

__all__ = [
    "CitationNotFound",
    "Engine",
    "FieldValueError",
    "FilterError",
    "Hit",
    "IndexDamaged",
    "IndexMissing",
    "QueryError",
    "SearchResult",
    "authority_key",
    "authority_matches",
]


PLAIN = Refinements()

# Passages a query must touch before numpy's arrays pay for numpy's import (~60 ms, once in
# a process): whoosh's matcher takes ~4 µs a posting, the arrays ~0.7 µs, or nothing once
# kept. Once numpy is imported the arrays are faster at every size.
VECTOR_MIN_POSTINGS_COLD = 20_000


class QueryError(ValueError):
    """The query has nothing to search for."""


class FilterError(ValueError):
    """A filter's value cannot be used (a malformed date or year, an unknown source)."""


class FieldValueError(QueryError, FilterError):
    """A field in the query has a value it cannot take (year:abcd, grade:foo, paragraph:x)."""


class CitationNotFound(KeyError):
    """No passage has that citation key."""

    def __str__(self) -> str:  # KeyError quotes its message; we want it plain
        return str(self.args[0])


@dataclass(frozen=True)
class Hit(Passage):
    """A passage found by a query, with its rank, BM25 score and highlighted character spans."""

    rank: int = 0
    score: float = 0.0
    matches: list[tuple[int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class SearchResult:
    query: str
    total: int
    results: list[Hit]


@dataclass(frozen=True)
class _Analysed:
    """A clause analysed into index terms (and, for phrases, the full word sequence)."""

    clause: Clause
    terms: tuple[str, ...]  # content terms in order
    sequence: tuple[Token, ...]  # all tokens, stopwords included, for exact phrase matching
    prefix: str | None = None

    @property
    def is_phrase(self) -> bool:
        return len(self.terms) > 1 or (self.clause.phrase and len(self.sequence) > 1)


def parse_year_range(value: str) -> tuple[int, int]:
    """ "2022" or "2020-2022" (also "2020..2022")."""
    match = re.fullmatch(r"\s*(\d{4})\s*(?:(?:-|\.\.|–|to)\s*(\d{4}))?\s*", value, re.ASCII)
    if not match:
        raise FilterError(f"'{shown(value)}' is not a year: use YYYY or YYYY-YYYY")
    first = int(match.group(1))
    last = int(match.group(2) or first)
    if last < first:
        raise FilterError(f"'{shown(value)}': the range ends before it starts")
    return first, last


class Engine:
    """An open index, ready for queries."""

    def __init__(self, store: Store, *, vector: bool | None = None) -> None:
        self.store = store
        # None: score through numpy arrays when a query reads many postings (search.vector),
        # else through whoosh's matcher; True/False: always one way (tests compare the two)
        self.vector = vector
        self._idf_cache: Callable[[str], float] | None = None
        self._scorers: dict[tuple[float, float], Any] = {}

    @classmethod
    def open(cls, index_dir: Path, *, vector: bool | None = None) -> Engine:
        """Open the index in `index_dir` (`vector`: see `Engine.__init__`).

        Raises IndexMissing if there is none, IndexDamaged if it cannot be read.
        """
        store = Store.open(index_dir)
        # query words are stemmed from the corpus's own table: no stemmer import for them
        use_stem_table(store.generation / STEMS if store.generation else None)
        return cls(store, vector=vector)

    def close(self) -> None:
        self.store.close()

    # documents and passages ------------------------------------------------------------------

    def documents(self) -> list[Document]:
        return sorted(self.store.documents.values(), key=lambda d: d.doc_id)

    def _passage(self, row: PassageRow) -> Passage:
        doc = self.store.documents[row.doc_id]
        return Passage(
            citation=row.citation,
            source=doc.source,
            title=doc.title,
            publisher=doc.publisher,
            date=doc.date,
            inspection_year=doc.inspection_year,
            section=row.section,
            paragraph=row.paragraph,
            text=row.text,
            lines=(row.line_start, row.line_end),
            pages=(row.page_start, row.page_end) if row.page_start is not None else None,
            kind=doc.kind,
        )

    def passage(self, citation: str) -> Passage:
        """The passage with this citation key: "<document id>#<n>", or "<document id>#p<label>"
        for the document's own paragraph number (004_26166e069228efdc#p27)."""
        return self._passage(self._row(citation))

    def _row(self, citation: str) -> PassageRow:
        # a key pasted with the space or newline around it is still the key
        match = _CITATION.fullmatch((citation or "").strip())
        if not match:
            raise CitationNotFound(
                f"'{shown(citation)}' is not a citation key: they look like <document id>#<n>, "
                "e.g. 004_26166e069228efdc#35 (or #p27 for the report's own paragraph 27)"
            )
        doc_id, by_label, number = match.groups()
        if by_label:
            row = self.store.get_by_paragraph(doc_id, number)
        else:
            row = self.store.get(f"{doc_id}#{number}")
        if row is None or row.doc_id not in self.store.documents:
            what = (
                f"paragraph {number} in '{shown(doc_id)}'"
                if by_label
                else f"passage '{shown(doc_id)}#{number}'"
            )
            raise CitationNotFound(f"no {what} in the index")
        return row

    def context(self, citation: str, around: int) -> tuple[list[Passage], Passage, list[Passage]]:
        """The passage and up to `around` passages before and after it in its document."""
        row = self._row(citation)
        passage, doc_id = self._passage(row), row.doc_id
        rows = self.store.passages_of(doc_id)
        index = next(i for i, r in enumerate(rows) if r.n == row.n)
        before = [self._passage(r) for r in rows[max(0, index - around) : index]]
        after = [self._passage(r) for r in rows[index + 1 : index + 1 + around]]
        return before, passage, after

    # search ----------------------------------------------------------------------------------

    def rank_documents(
        self,
        text: str,
        *,
        depth: int = 1000,
        k1: float = K1,
        b: float = B,
        refine: Refinements = PLAIN,
    ) -> list[tuple[str, float]]:
        """Documents for a bag of words, as IR test collections are run: every word of `text`
        (no operators), a word said twice counting twice, each document scored by its best
        passage. The `depth` best, best first."""
        weights: dict[str, float] = {t: float(n) for t, n in Counter(terms(text)).items()}
        if not weights:
            return []
        if refine.rm3:
            weights = self._rm3(weights, refine, k1, b)
        clauses = [TermClause("text", (t,), "term", weight=w) for t, w in weights.items()]
        _, ranked = self._rank(clauses, [], [], [], None, k1, b)
        if refine.heading_boost or refine.proximity:
            ranked = self._refine(ranked, list(weights), refine, k1, b)
        best: dict[str, float] = {}
        for score, docnum in ranked:
            doc_id = self.store.doc_id_of(docnum)
            if doc_id not in best:
                best[doc_id] = score
                if len(best) == depth:
                    break
        return list(best.items())

    def _idf(self) -> Callable[[str], float]:
        """idf of a term, remembered for the life of this engine (its index does not change)."""
        if self._idf_cache is None:
            count = self.store.passage_count()

            @cache
            def idf(term: str) -> float:
                return bm25_idf(count, self.store.doc_frequency(term))

            self._idf_cache = idf
        return self._idf_cache

    def _rm3(
        self, weights: dict[str, float], refine: Refinements, k1: float, b: float
    ) -> dict[str, float]:
        """The query expanded by RM3 feedback from its own best passages (search.rerank)."""
        clauses = [TermClause("text", (t,), "term", weight=w) for t, w in weights.items()]
        _, first = self._rank(clauses, [], [], [], None, k1, b, limit=refine.fb_docs)
        feedback = [
            (score, terms(self.store.row(docnum).text)) for score, docnum in first[: refine.fb_docs]
        ]
        query = [t for t, w in weights.items() for _ in range(max(1, round(w)))]
        return mixed_counts(rm3_weights(query, feedback, refine))

    def _refine(
        self,
        ranked: list[tuple[float, int]],
        query_terms: list[str],
        refine: Refinements,
        k1: float,
        b: float,
    ) -> list[tuple[float, int]]:
        """Heading boost and proximity over the first `rerank_depth` passages (search.rerank)."""
        idf = self._idf()
        avgdl = self.store.average_length()
        head, tail = ranked[: refine.rerank_depth], ranked[refine.rerank_depth :]
        rescored = []
        for score, docnum in head:
            row = self.store.row(docnum)
            if refine.heading_boost:
                heading = row.section or self.store.documents[row.doc_id].title or ""
                score += heading_bonus(query_terms, set(terms(heading)), idf, refine.heading_boost)
            if refine.proximity:
                positions = [(t.position, t.text) for t in analyse(row.text)]
                norm = 1 - b + b * (row.length / avgdl if avgdl else 0.0)
                score += proximity_bonus(query_terms, positions, idf, k1, norm)
            rescored.append((score, docnum))
        rescored.sort(key=lambda x: (-x[0], x[1]))
        # a re-scored passage only gains, so none of the tail can overtake the head's last
        return rescored + tail

    def search(
        self,
        text: str,
        *,
        year: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        source: str | None = None,
        la: str | None = None,
        grade: str | None = None,
        kind: str | None = None,
        limit: int | None = 10,
        k1: float = K1,
        b: float = B,
        refine: Refinements = PLAIN,
    ) -> SearchResult:
        """Rank passages for `text` by BM25. Filters narrow by the inspection year, publication
        date, source file, local authority, overall-effectiveness grade and kind of the document.

        Raises QueryError when nothing in the query can be searched for, FilterError for an
        unusable filter value.
        """
        parsed = parse_query(text)
        filters = self._filters(year, date_from, date_to, source, la, grade, kind)
        should, must, must_not, restrict, scored = [], [], [], [], []
        for clause in parsed.clauses:
            built = self._clause(clause)
            if built is None:
                continue
            store_clause, analysed = built
            if clause.occur == "must_not":
                must_not.append(store_clause)
            elif clause.field != "text":
                restrict.append(store_clause)  # a field narrows the search; it never scores
            else:
                (must if clause.occur == "must" else should).append(store_clause)
                if analysed is not None:
                    scored.append(analysed)
        if not should and not must and not restrict:
            raise QueryError(
                f"nothing to search for in '{shown(text)}': "
                "give at least one word that is not excluded "
                "and not a common word (the, of, and...)"
            )
        query_terms = [t for a in scored for t in a.terms]
        if refine.rm3 and query_terms:
            weights = self._rm3({t: 1.0 for t in query_terms}, refine, k1, b)
            should = should + [
                TermClause("text", (t,), "term", weight=w)
                for t, w in weights.items()
                if t not in query_terms
            ]
        refining = refine.heading_boost or refine.proximity
        total, ranked = self._rank(
            should,
            must,
            must_not,
            restrict,
            filters,
            k1,
            b,
            limit=None if refining else limit,
        )
        if refining:
            ranked = self._refine(ranked, query_terms, refine, k1, b)
        chosen = ranked[:limit] if limit else ranked
        top = [(score, self.store.row(docnum)) for score, docnum in chosen]
        positive = scored  # the text clauses that can match: what is highlighted
        hits = []
        for rank, (score, row) in enumerate(top, start=1):
            base = self._passage(row)
            hits.append(
                Hit(
                    **{f: getattr(base, f) for f in Passage.__dataclass_fields__},
                    rank=rank,
                    score=score,
                    matches=find_matches(row.text, positive),
                )
            )
        return SearchResult(query=text, total=total, results=hits)

    def _rank(
        self,
        should: list[TermClause],
        must: list[TermClause],
        must_not: list[TermClause],
        restrict: list[TermClause],
        filters: frozenset[str] | None,
        k1: float,
        b: float,
        *,
        limit: int | None = None,
    ) -> tuple[int, list[tuple[float, int]]]:
        """(how many passages match, the first `limit` as (score, docnum), best first).

        Two ways to the same ranking: numpy arrays over whole postings lists (search.vector)
        when the query reads many postings, whoosh's matcher otherwise (it needs no numpy
        import, ~60 ms, which a small query on a small index should not pay)."""
        if self._use_vector(should + must + must_not, bool(restrict) or filters is not None):
            from search import vector

            scorer = self._scorers.get((k1, b))
            if scorer is None:
                scorer = self._scorers[(k1, b)] = vector.VectorScorer(self.store, k1, b)
            scores, docnums = scorer.rank(should, must, must_not, restrict, filters)
            return len(docnums), vector.as_pairs(scores, docnums, limit)
        q = BoolQuery(tuple(should), tuple(must), tuple(must_not), tuple(restrict))
        ranked = self.store.search(q, filters, k1=k1, b=b)
        return len(ranked), ranked[:limit] if limit else ranked

    def _use_vector(self, clauses: list[TermClause], filtered: bool) -> bool:
        if self.vector is not None:
            return self.vector
        if "numpy" in sys.modules:
            return True
        # whoosh applies a filter by listing every passage it allows
        total = self.store.passage_count() if filtered else 0
        for clause in clauses:
            if clause.field == "text" and clause.kind == "prefix":
                return True  # a prefix may stand for thousands of words
            if clause.field == "text":
                total += sum(self.store.doc_frequency(t) for t in clause.terms)
        return total >= VECTOR_MIN_POSTINGS_COLD

    def _filters(
        self,
        year: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        source: str | None = None,
        la: str | None = None,
        grade: str | None = None,
        kind: str | None = None,
    ) -> frozenset[str] | None:
        """The documents the filters allow (None: all of them)."""
        if kind is not None:
            kind = _kind_filter(kind)
        if grade is not None:
            from indexer.ofsted import normalise_grade  # only when filtering by grade

            try:
                grade = normalise_grade(grade)
            except ValueError:
                raise FilterError(
                    f"'{shown(grade)}' is not a grade: use outstanding, good, "
                    "'requires improvement', adequate or inadequate"
                ) from None
        try:
            first = parse_iso(date_from).first if date_from else None
            last = parse_iso(date_to).last if date_to else None
        except DateError as error:
            raise FilterError(str(error)) from None
        if first and last and first > last:
            raise FilterError(f"--from {date_from} is after --to {date_to}")
        years = parse_year_range(year) if year is not None else None
        if source is not None and not self.match_sources(source):
            raise FilterError(
                f"no indexed document matches source '{shown(source)}' (see `search documents`)"
            )
        authorities = self._about_authority(la) if la is not None else None
        if la is not None and not authorities:
            raise FilterError(f"no indexed report is about a local authority named '{shown(la)}'")
        if (years, first, last, source, authorities, grade, kind) == (None,) * 7:
            return None
        allowed = set()
        for doc in self.store.documents.values():
            if authorities is not None and doc.doc_id not in authorities:
                continue
            if grade is not None and doc.overall_effectiveness != grade:
                continue
            if kind is not None and doc.kind != kind:
                continue
            if years and not (doc.inspection_year and years[0] <= doc.inspection_year <= years[1]):
                continue
            if first or last:
                if not doc.date:
                    continue  # an undated document cannot be placed in a date range
                span = PartialDate(doc.date)
                if (first and span.last < first) or (last and span.first > last):
                    continue
            allowed.add(doc.doc_id)
        if source is not None:
            allowed &= self.match_sources(source)
        return frozenset(allowed)

    def match_sources(self, pattern: str) -> frozenset[str]:
        """Documents whose id or file path contains `pattern` (case-insensitive)."""
        needle = pattern.casefold().strip()
        return frozenset(
            d.doc_id
            for d in self.store.documents.values()
            if needle and (needle in d.doc_id.casefold() or needle in d.source.casefold())
        )

    def _about_authority(self, name: str) -> frozenset[str]:
        """Documents about the local authority `name`, however either spells it (see
        `authority_matches`)."""
        return frozenset(
            d.doc_id
            for d in self.store.documents.values()
            if d.local_authority and authority_matches(name, d.local_authority)
        )

    def _documents_where(self, name: str, text: str) -> frozenset[str]:
        """Documents whose metadata field `name` contains the words of `text`."""
        wanted = terms(text)
        found = set()
        for doc in self.store.documents.values():
            value = getattr(doc, name)
            have = set(terms(str(value))) if value else set()
            if wanted and set(wanted) <= have:
                found.add(doc.doc_id)
        return frozenset(found)

    def _clause(self, clause: Clause) -> tuple[TermClause, _Analysed | None] | None:
        """A parsed clause -> the store's clause (and its analysis, for text clauses)."""
        name = clause.field
        if name in ("year", "grade", "kind"):  # as strict as --year, --grade and --kind
            try:
                docs = self._filters(**{name: clause.text}) or frozenset()
            except FilterError as error:
                raise FieldValueError(str(error)) from None
            return TermClause("doc_id", tuple(sorted(docs)), "any"), None
        if name == "source":
            docs = self.match_sources(clause.text)
            return TermClause("doc_id", tuple(sorted(docs)), "any"), None
        if name == "local_authority":  # as --la, but no match is no passage, not an error
            docs = self._about_authority(clause.text)
            return TermClause("doc_id", tuple(sorted(docs)), "any"), None
        if name in ("title", "publisher"):
            docs = self._documents_where(name, clause.text)
            return TermClause("doc_id", tuple(sorted(docs)), "any"), None
        if name == "paragraph":
            label = clause.text.strip(".").strip()
            if not _PARAGRAPH_LABEL.fullmatch(label):
                raise FieldValueError(
                    f"'{shown(clause.text)}' is not a paragraph number: use paragraph:27"
                )
            return TermClause("paragraph", (label,), "term"), None
        if clause.prefix:
            word = normalise_word(clause.text.rstrip("*"))
            if not word:
                return None
            stem = stem_word(word)
            prefix = stem if word.startswith(stem) else word
            analysed = _Analysed(clause, (), (), prefix=prefix)
            return TermClause(name, (prefix,), "prefix"), analysed
        sequence = tuple(analyse(clause.text, keep_stopwords=True))
        content = [t for t in sequence if not t.stop]
        if not content:
            return None
        terms = tuple(t.text for t in content)
        analysed = _Analysed(clause, terms, sequence)
        if analysed.is_phrase and name == "text":  # word for word, stopwords included
            return TermClause(name, terms, "phrase", sequence_of(sequence)), analysed
        return TermClause(name, terms, "term"), analysed


def _kind_filter(kind: str) -> str:
    """The kind a filter names, one of indexer.ofsted.KINDS (any case); FilterError if none."""
    from indexer.ofsted import KINDS

    wanted = kind.strip().casefold()
    if wanted not in KINDS:
        raise FilterError(f"'{shown(kind)}' is not a kind of document: use {', '.join(KINDS)}")
    return wanted


# Words that say what sort of body an authority is, not which one: "Leeds City Council",
# "Dudley MBC", "London Borough of Camden", "the Royal Borough of Windsor and Maidenhead",
# "City of London Corporation"
_AUTHORITY_FILLER = re.compile(
    r"\b(?:the|london borough of|royal borough of|metropolitan borough of|borough of|city of"
    r"|metropolitan|borough|county|city|council|district|corporation|mbc)\b"
)
# words that join a name's parts, and are not needed to name it ("bournemouth christchurch
# poole"); of these, the ones a name's short form is cut at ("Hull" for "Kingston upon Hull")
_CONNECTIVES = frozenset({"and", "of", "upon", "on", "with", "in"})
_CUT_AT = frozenset({"upon", "on", "of"})


def authority_key(name: str) -> str:
    """One spelling for the ways a local authority is written: case, "&" for "and", hyphens,
    punctuation, and the words for the sort of council dropped ("Bournemouth, Christchurch &
    Poole" and "Bournemouth, Christchurch and Poole Council" -> "bournemouth christchurch and
    poole"; "Kingston-upon-Hull City Council" -> "kingston upon hull")."""
    text = name.casefold().replace("&", " and ").replace("’", "'")
    text = re.sub(r"[^\w']+|_", " ", text).replace("'", "")
    return " ".join(_AUTHORITY_FILLER.sub(" ", " ".join(text.split())).split())


def authority_matches(query: str, name: str) -> bool:
    """Whether `query` names the authority `name`, both read by `authority_key`: the query's
    words stand together, in order, in the name's ("yorkshire" and "North Yorkshire", "hull"
    and "Kingston upon Hull", not "north lincolnshire" and "North East Lincolnshire"); or the
    name is a short form of the query, one of its parts around "upon", "on" or "of" ("Hull"
    for "Kingston upon Hull", "East Riding" for "East Riding of Yorkshire"). Joining words
    ("and", "of") are not needed; a query of none but them ("the council") names nothing."""
    wanted = [w for w in authority_key(query).split() if w not in _CONNECTIVES]
    have = [w for w in authority_key(name).split() if w not in _CONNECTIVES]
    if not wanted or not have:
        return False
    size = len(wanted)
    if any(have[i : i + size] == wanted for i in range(len(have) - size + 1)):
        return True
    return have in _short_forms(authority_key(query).split())


def _short_forms(words: list[str]) -> list[list[str]]:
    """The parts of a name cut at "upon", "on" and "of" (none for a name of one part)."""
    parts, part = [], []
    for word in words:
        if word in _CUT_AT:
            parts.append(part)
            part = []
        elif word not in _CONNECTIVES:
            part.append(word)
    parts.append(part)
    return [p for p in parts if p] if len(parts) > 1 else []


# a report's own paragraph numbers (indexer.chunk: "27. When children ...")
_PARAGRAPH_LABEL = re.compile(r"\d{1,3}", re.ASCII)

# "<document id>#<n>" or "<document id>#p<paragraph label>"; NUL never belongs in a key
_CITATION = re.compile(r"([^#\x00]+)#(p|¶)?([1-9]\d{0,6})")
