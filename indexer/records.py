"""Typed records at the boundaries. `--json` output is `dataclasses.asdict()` of these."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Metadata:
    """What is known about a document, each field with where it came from (`provenance`).

    Unknown stays None: a value is extracted from the text or supplied, with its source, by the
    corpus's facts file; never guessed.
    """

    title: str | None = None
    publisher: str | None = None
    date: str | None = None  # publication date, ISO 8601 at its precision (see indexer.dates)
    inspection_year: int | None = None  # the year of the inspection the document reports on
    inspection_start: str | None = None
    inspection_end: str | None = None
    local_authority: str | None = None
    framework: str | None = None  # for an Ofsted report: lac, sif, standard or short
    judgements: tuple[tuple[str, str], ...] = ()  # (area as written, grade as written)
    overall_effectiveness: str | None = None  # normalised grade
    kind: str | None = None  # one of indexer.ofsted.KINDS
    provenance: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Document:
    """An indexed document: its identity, metadata and what indexing it produced."""

    doc_id: str  # path below the corpus folder, without extension: the citation key's prefix
    source: str  # the file, as a reader can open it
    title: str | None
    publisher: str | None
    date: str | None
    inspection_year: int | None
    inspection_start: str | None
    inspection_end: str | None
    local_authority: str | None
    framework: str | None
    judgements: tuple[tuple[str, str], ...]
    overall_effectiveness: str | None
    passages: int
    tokens: int  # analysed tokens in all passages (BM25's document lengths add up to this)
    sha256: str
    path: str  # absolute path of the file, to notice when it changes
    size: int
    mtime_ns: int
    provenance: dict[str, str] = field(default_factory=dict)
    # inspection, focused-visit, monitoring-visit, jtai, send, news or other (indexer.ofsted);
    # None in a manifest written before kinds were read
    kind: str | None = None


@dataclass(frozen=True)
class Passage:
    """A paragraph as the reader sees it, with everything needed to cite it."""

    citation: str  # "<document id>#<n>", n the 1-based position in reading order
    source: str
    title: str | None
    publisher: str | None
    date: str | None
    inspection_year: int | None
    section: str | None
    paragraph: str | None  # the document's own paragraph label ("27"), if any
    text: str
    lines: tuple[int, int]  # first and last line in the source file (its extracted text)
    pages: tuple[int, int] | None = None  # first and last page, for a PDF
    kind: str | None = None  # the document's kind (Document.kind)
    role: str | None = None  # what the passage is: indexer.roles.ROLES


Tokens = tuple[tuple[str, int, int, int], ...]  # (term, position, start, end)


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
    role: str = "finding"  # indexer.roles.ROLES
    # analysed tokens of the text and of the section heading, filled by the indexer's
    # workers so that the writer does not analyse again; empty when read back
    tokens: Tokens = ()
    section_tokens: Tokens = ()
    words: tuple[str, ...] = ()  # every analysed word, stopwords too, for phrases (as `tokens`)
