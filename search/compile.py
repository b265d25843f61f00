"""Query compilation: the parsed query (search.query) into our clauses (indexer.clauses).

Text clauses are analysed by the same chain as the passages; metadata fields become the set of
documents they name (search.filters); a field narrows the search and never scores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.analysis import Token, analyse, normalise_word, stem_word, words_of
from indexer.clauses import TEXT_FIELD, BoolQuery, TermClause
from indexer.display import shown
from search.errors import FieldValueError, FilterError, QueryError
from search.filters import METADATA_FIELDS, DocumentFilter, role_filter
from search.query import Clause, ParsedQuery
from search.synonyms import Synonym, synonym_for, synonym_for_phrase

# a report's own paragraph numbers (indexer.chunk: "27. When children ...")
_PARAGRAPH_LABEL = re.compile(r"\d{1,3}", re.ASCII)


@dataclass(frozen=True)
class Analysed:
    """A clause analysed into index terms (and, for phrases, the full word sequence)."""

    clause: Clause
    terms: tuple[str, ...]  # content terms in order
    sequence: tuple[Token, ...]  # all tokens, stopwords included, for exact phrase matching
    prefix: str | None = None

    @property
    def is_phrase(self) -> bool:
        return len(self.terms) > 1 or (self.clause.phrase and len(self.sequence) > 1)


@dataclass(frozen=True)
class Compiled:
    """A query ready to rank: the boolean query, and the text clauses that can match (what is
    highlighted, and whose terms refinements such as RM3 start from)."""

    query: BoolQuery
    scored: tuple[Analysed, ...]
    expanded: tuple[Synonym, ...] = ()  # the table's rows this query was expanded by

    @property
    def terms(self) -> list[str]:
        return [t for a in self.scored for t in a.terms]

    def restricted(self, clause: TermClause) -> Compiled:
        """The same query within `clause` as well (a restriction: it never scores)."""
        q = self.query
        restricted = BoolQuery(q.should, q.must, q.must_not, (*q.restrict, clause))
        return Compiled(restricted, self.scored, self.expanded)


def compile_query(
    text: str, parsed: ParsedQuery, documents: DocumentFilter, *, expand: bool = False
) -> Compiled:
    """Compile the query `text`, as parsed. With `expand`, a word or phrase of the synonyms
    table and its other form count as one term (search.synonyms). QueryError when nothing in
    the query can be searched for."""
    should: list[TermClause] = []
    must: list[TermClause] = []
    must_not: list[TermClause] = []
    restrict: list[TermClause] = []
    scored: list[Analysed] = []
    expanded: list[Synonym] = []
    for clause in parsed.clauses:
        built = compile_clause(clause, documents)
        if built is None:
            continue
        term_clause, analysed = built
        synonym = _synonym(clause, analysed) if expand and analysed is not None else None
        if synonym is not None:
            term_clause, other, row = synonym
            scored.append(other)  # highlighted too
            expanded.append(row)
        if clause.occur == "must_not":
            must_not.append(term_clause)
        elif clause.field != TEXT_FIELD:
            restrict.append(term_clause)  # a field narrows the search; it never scores
        else:
            (must if clause.occur == "must" else should).append(term_clause)
            if analysed is not None:
                scored.append(analysed)
    if not should and not must and not restrict:
        raise QueryError(
            f"nothing to search for in '{shown(text)}': "
            "give at least one word that is not excluded "
            "and not a common word (the, of, and...)"
        )
    query = BoolQuery(tuple(should), tuple(must), tuple(must_not), tuple(restrict))
    return Compiled(query, tuple(scored), tuple(expanded))


def _synonym(clause: Clause, analysed: Analysed) -> tuple[TermClause, Analysed, Synonym] | None:
    """The clause as a synonym clause (its word or phrase and the table's other form), with
    the other form's analysis and the row; None if the table has nothing for it."""
    if clause.field != TEXT_FIELD or analysed.prefix is not None:
        return None
    one_word = not analysed.is_phrase and len(analysed.terms) == 1
    row = synonym_for(clause.text.strip()) if one_word else synonym_for_phrase(clause.text)
    if row is None:
        return None
    other_text = row.long if one_word else row.short
    sequence = tuple(analyse(other_text, keep_stopwords=True))
    other = Analysed(Clause(other_text, clause.occur, phrase=True), _content(sequence), sequence)
    word, phrase = (analysed, other) if one_word else (other, analysed)
    if not word.terms or not phrase.terms or word.terms == phrase.terms:
        return None  # nothing to add (a spelling that stems the same)
    terms = (word.terms[0], *phrase.terms)
    return TermClause(TEXT_FIELD, terms, "synonym", words_of(phrase.sequence)), other, row


def _content(sequence: tuple[Token, ...]) -> tuple[str, ...]:
    return tuple(t.text for t in sequence if not t.stop)


def compile_clause(
    clause: Clause, documents: DocumentFilter
) -> tuple[TermClause, Analysed | None] | None:
    """A parsed clause -> our clause (and its analysis, for text clauses); None when it holds
    nothing to search for (only common words)."""
    name = clause.field
    if name in METADATA_FIELDS:
        docs = documents.for_field(name, clause.text)
        return TermClause("doc_id", tuple(sorted(docs)), "any"), None
    if name == "role":
        try:
            return TermClause("role", (role_filter(clause.text),), "term"), None
        except FilterError as error:
            raise FieldValueError(str(error)) from None
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
        return TermClause(name, (prefix,), "prefix"), Analysed(clause, (), (), prefix=prefix)
    sequence = tuple(analyse(clause.text, keep_stopwords=True))
    content = [t for t in sequence if not t.stop]
    if not content:
        return None
    terms = tuple(t.text for t in content)
    analysed = Analysed(clause, terms, sequence)
    if analysed.is_phrase and name == TEXT_FIELD:  # word for word, stopwords included
        return TermClause(name, terms, "phrase", words_of(sequence)), analysed
    return TermClause(name, terms, "term"), analysed
