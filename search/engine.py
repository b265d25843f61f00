"""The search library: open an index, run a query, fetch passages and documents.

    engine = Engine.open(Path("index"))
    result = engine.search('"children in care" exploitation', year="2022", limit=5)
    for hit in result.results: print(hit.citation, hit.score, hit.text[:60])

A query runs in four steps, one module each:

1. search.filters: the options' filters -> the documents they allow;
2. search.compile: the query text -> our boolean query of analysed clauses;
3. search.ranking: BM25 by the explicitly chosen path, then any refinements;
4. search.highlight: the matches in each passage shown.

The CLI (search.cli) and the evaluator (search.evaluate) talk only to this class.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from indexer.analysis import read_stem_table, terms, use_stem_table
from indexer.bm25 import Parameters
from indexer.clauses import TermClause
from indexer.display import shown
from indexer.errors import IndexDamaged, IndexMissing
from indexer.manifest import STEMS
from indexer.records import Document, Passage, PassageRow
from indexer.store import Store
from search.compile import Compiled, compile_query
from search.errors import CitationNotFound, FieldValueError, FilterError, QueryError
from search.facets import FacetTable
from search.filters import (
    DocumentFilter,
    authority_key,
    authority_matches,
    parse_year_range,
    role_filter,
)
from search.grouping import group_by_document
from search.highlight import find_matches
from search.query import parse_query
from search.ranking import ROLE_WEIGHTS, Ranker, Ranking, bag_of_words
from search.rerank import Refinements
from search.suggest import closest_word, corrected

if TYPE_CHECKING:
    from indexer.freshness import Staleness

__all__ = [
    "CitationNotFound",
    "Engine",
    "FieldValueError",
    "FilterError",
    "Hit",
    "IndexDamaged",
    "IndexMissing",
    "QueryError",
    "Ranking",
    "SearchResult",
    "authority_key",
    "authority_matches",
    "parse_year_range",
]

PLAIN = Refinements()


@dataclass(frozen=True)
class Hit(Passage):
    """A passage found by a query, with its rank, BM25 score and highlighted character spans."""

    rank: int = 0
    score: float = 0.0
    matches: list[tuple[int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Filters:
    """The options of `search query` that narrow a search (None: not narrowed)."""

    year: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    source: str | None = None
    la: str | None = None
    grade: str | None = None
    kind: str | None = None
    role: str | None = None


Allowed = frozenset[str] | None  # the documents a search may find passages in (None: all)


@dataclass(frozen=True)
class SearchResult:
    query: str
    total: int
    results: list[Hit]
    did_you_mean: str | None = None  # the query with words the index lacks corrected
    expanded: tuple[dict[str, str], ...] = ()  # the synonyms applied: short, long, source


class Engine:
    """An open index, ready for queries."""

    def __init__(self, store: Store, *, ranking: Ranking = "auto") -> None:
        self.store = store
        self.ranker = Ranker(store, ranking)
        self.filter = DocumentFilter(store.documents)
        self._compiled: tuple[Any, tuple[Compiled, Allowed]] | None = None  # the last one
        self._facets: FacetTable | None = None  # read when facets are first asked for
        self._vocabulary: list[tuple[str, str]] | None = None  # the corpus's words, when asked

    @classmethod
    def open(
        cls, index_dir: Path, *, ranking: Ranking = "auto", vector: bool | None = None
    ) -> Engine:
        """Open the index in `index_dir`. `ranking`: which path ranks (search.ranking);
        `vector=True` / `False` is the same as "arrays" / "matcher".

        Raises IndexMissing if there is none, IndexDamaged if it cannot be read.
        """
        if vector is not None:
            ranking = "arrays" if vector else "matcher"
        store = Store.open(index_dir)
        # query words are stemmed from the corpus's own table: no stemmer import for them
        use_stem_table(store.generation / STEMS if store.generation else None)
        return cls(store, ranking=ranking)

    def close(self) -> None:
        self.store.close()

    # documents and passages ------------------------------------------------------------------

    def documents(self) -> list[Document]:
        return sorted(self.store.documents.values(), key=lambda d: d.doc_id)

    def document(self, doc_id: str) -> Document | None:
        """The document with this id (None if the index has none)."""
        return self.store.documents.get(doc_id)

    @property
    def roots(self) -> list[str]:
        """The folders and files the index was built from, absolute."""
        return list(self.store.roots)

    def staleness(self) -> Staleness:
        """What changed on disk since the index was built (false when nothing did)."""
        from indexer.freshness import check_freshness

        s = self.store
        return check_freshness(s.documents, s.problems, s.roots, follow_links=s.follow_links)

    def match_sources(self, pattern: str) -> frozenset[str]:
        """Documents whose id or file path contains `pattern` (case-insensitive)."""
        return self.filter.match_sources(pattern)

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
            role=row.role,
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

    def passages_of(self, doc_id: str) -> list[Passage]:
        """A document's passages in reading order (empty for an unknown document)."""
        if doc_id not in self.store.documents:
            return []
        return [self._passage(row) for row in self.store.passages_of(doc_id)]

    # search ----------------------------------------------------------------------------------

    def rank_documents(
        self,
        text: str,
        *,
        depth: int = 1000,
        k1: float | None = None,
        b: float | None = None,
        refine: Refinements = PLAIN,
        role_weights: bool = True,
    ) -> list[tuple[str, float]]:
        """Documents for a bag of words, as IR test collections are run: every word of `text`
        (no operators), a word said twice counting twice, each document scored by its best
        passage. The `depth` best, best first. k1 and b: the index's unless given."""
        k1, b = self._parameters(k1, b)
        weights: dict[str, float] = {t: float(n) for t, n in Counter(terms(text)).items()}
        if not weights:
            return []
        if refine.rm3:
            weights = self.ranker.rm3(weights, refine, k1, b)
        roles = ROLE_WEIGHTS if role_weights else ()
        _, ranked = self.ranker.rank(bag_of_words(weights), None, k1, b, weights=roles)
        if refine.heading_boost or refine.proximity:
            ranked = self.ranker.refine(ranked, list(weights), refine, k1, b)
        best: dict[str, float] = {}
        for score, docnum in ranked:
            doc_id = self.store.doc_id_of(docnum)
            if doc_id not in best:
                best[doc_id] = score
                if len(best) == depth:
                    break
        return list(best.items())

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
        role: str | None = None,
        limit: int | None = 10,
        k1: float | None = None,
        b: float | None = None,
        refine: Refinements = PLAIN,
        highlight: bool = True,
        per_document: int | None = None,
        exact: bool = False,
        role_weights: bool = True,
    ) -> SearchResult:
        """Rank passages for `text` by BM25. Filters narrow by the inspection year, publication
        date, source file, local authority, overall-effectiveness grade and kind of the document;
        `role` to passages of one role (indexer.roles).
        `highlight=False` leaves each hit's `matches` empty (an evaluation needs only the order).
        `per_document`: at most that many passages of a document, grouped (search.grouping).
        Acronyms and spellings of the synonyms table count with their other form as one term
        (search.synonyms) unless `exact`, or on the "matcher" path, which stays plain BM25.
        `role_weights`: recommendations rank a little lower (search.ranking.ROLE_WEIGHTS).

        Raises QueryError when nothing in the query can be searched for, FilterError for an
        unusable filter value.
        """
        k1, b = self._parameters(k1, b)
        filters = Filters(year, date_from, date_to, source, la, grade, kind, role)
        compiled, allowed = self._compile(text, filters, exact)
        query, query_terms = compiled.query, compiled.terms
        if refine.rm3 and query_terms:
            weights = self.ranker.rm3({t: 1.0 for t in query_terms}, refine, k1, b)
            new = {t: w for t, w in weights.items() if t not in query_terms}
            query = bag_of_words(new, query)
        whole = refine.heading_boost or refine.proximity or per_document is not None
        weights = ROLE_WEIGHTS if role_weights else ()
        total, ranked = self.ranker.rank(
            query, allowed, k1, b, limit=None if whole else limit, weights=weights
        )
        if refine.heading_boost or refine.proximity:
            ranked = self.ranker.refine(ranked, query_terms, refine, k1, b)
        if per_document is not None:
            ranked = group_by_document(ranked, self.store.doc_id_of, per_document, limit)
        chosen = ranked[:limit] if limit else ranked
        positive = compiled.scored if highlight else ()
        hits = [
            self._hit(rank, score, self.store.row(docnum), positive)
            for rank, (score, docnum) in enumerate(chosen, start=1)
        ]
        expanded = tuple(asdict(row) for row in compiled.expanded)
        return SearchResult(text, total, hits, self._did_you_mean(text, compiled), expanded)

    def facets(
        self, text: str, filters: Filters | None = None, *, exact: bool = False
    ) -> dict[str, list[tuple[str, int]]]:
        """How many passages matching `text` within `filters` fall in each kind, inspection
        year, authority, grade, publisher and role (search.facets): every match counted."""
        compiled, allowed = self._compile(text, filters or Filters(), exact)
        k1, b = self._parameters(None, None)
        _, docnums = self.ranker.scored(compiled.query, allowed, k1, b, ROLE_WEIGHTS)
        if self._facets is None:
            documents, roles = self.store.owners("doc_id"), self.store.owners("role")
            self._facets = FacetTable.build(documents, roles, self.store.documents)
        return self._facets.counts(docnums)

    @property
    def parameters(self) -> Parameters:
        """BM25's k1 and b for this index (`search eval --tune --save`), and why."""
        return self.store.parameters

    def _parameters(self, k1: float | None, b: float | None) -> tuple[float, float]:
        chosen = self.store.parameters
        return (chosen.k1 if k1 is None else k1, chosen.b if b is None else b)

    def _compile(self, text: str, filters: Filters, exact: bool) -> tuple[Compiled, Allowed]:
        """The query compiled, and the documents the filters allow. A malformed query is
        reported first, then a bad filter, then the rest. The last is kept: a results page
        compiles its query for the hits and again for the facets."""
        key = (text, filters, exact)
        if self._compiled is not None and self._compiled[0] == key:
            return self._compiled[1]
        parsed = parse_query(text)
        f = filters
        allowed = self.filter.allowed(
            f.year, f.date_from, f.date_to, f.source, f.la, f.grade, f.kind
        )
        of_role = TermClause("role", (role_filter(f.role),), "term") if f.role else None
        expand = not exact and self.ranker.ranking != "matcher"
        compiled = compile_query(text, parsed, self.filter, expand=expand)
        result = (compiled.restricted(of_role) if of_role else compiled), allowed
        self._compiled = (key, result)
        return result

    def _did_you_mean(self, text: str, compiled: Compiled) -> str | None:
        """The query with each word that no passage holds replaced by the closest word that
        some passage does (search.suggest); None when every word is in the index."""
        unknown = {
            token.surface
            for analysed in compiled.scored
            for token in analysed.sequence
            if not token.stop and self.store.doc_frequency(token.text) == 0
        }
        if not unknown:
            return None
        if self._vocabulary is None:
            generation = self.store.generation
            stems = read_stem_table(generation / STEMS) if generation else {}
            self._vocabulary = list(stems.items())
        found = {w: closest_word(w, self._vocabulary, self.store.doc_frequency) for w in unknown}
        replacements = {w: s for w, s in found.items() if s}
        return corrected(text, replacements) if replacements else None

    def _hit(self, rank: int, score: float, row: PassageRow, positive: tuple) -> Hit:
        base = self._passage(row)
        return Hit(
            **{f: getattr(base, f) for f in Passage.__dataclass_fields__},
            rank=rank,
            score=score,
            matches=find_matches(row.text, list(positive)) if positive else [],
        )


# "<document id>#<n>" or "<document id>#p<paragraph label>"; NUL never belongs in a key
_CITATION = re.compile(r"([^#\x00]+)#(p|¶)?([1-9]\d{0,6})")
