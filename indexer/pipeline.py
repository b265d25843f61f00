"""The indexing pipeline, wired in one function: `build_index`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from indexer.analysis import terms
from indexer.chunk import chunk_paragraphs
from indexer.clean import clean_lines
from indexer.metadata import Fact, FactsError, extract_metadata, load_facts
from indexer.records import Document
from indexer.sources import SourceError, SourceFile, find_documents, read_document
from indexer.store import PassageRow, StoreWriter


class CorpusNotFound(FileNotFoundError):
    """A path given to index does not exist."""


@dataclass
class IndexReport:
    """What one run of `build_index` did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    documents: int = 0  # in the index after the run
    passages: int = 0


def index_document(
    source: SourceFile, facts: dict[str, dict[str, Fact]]
) -> tuple[Document, list[PassageRow]]:
    """One file through the stages: read -> clean -> chunk -> metadata -> analyse."""
    content = read_document(source.path)
    cleaned = clean_lines(content.text)
    chunked = chunk_paragraphs(cleaned.kept)
    if not chunked.chunks:
        raise SourceError("no passages: the file has no paragraphs of text")
    meta = extract_metadata(source.doc_id, content.text, cleaned, chunked, facts)
    rows = [
        PassageRow(
            citation=f"{source.doc_id}#{n}",
            doc_id=source.doc_id,
            n=n,
            paragraph=chunk.paragraph,
            section=chunk.section,
            text=chunk.text,
            line_start=chunk.line_start,
            line_end=chunk.line_end,
            length=len(terms(chunk.text)),
        )
        for n, chunk in enumerate(chunked.chunks, start=1)
    ]
    document = Document(
        doc_id=source.doc_id,
        source=source.display,
        title=meta.title,
        publisher=meta.publisher,
        date=meta.date,
        inspection_year=meta.inspection_year,
        inspection_start=meta.inspection_start,
        inspection_end=meta.inspection_end,
        passages=len(rows),
        tokens=sum(r.length for r in rows),
        sha256=content.sha256,
        path=str(source.path),
        provenance=meta.provenance,
    )
    return document, rows


def build_index(
    paths: Sequence[Path],
    index_dir: Path,
    *,
    on_skip: Callable[[str, str], None] | None = None,
) -> IndexReport:
    """Index the documents under `paths` into `index_dir`, adding, updating and removing.

    1. sources: find every .txt/.md/.html file under each path;
    2. read each file's text (a file that cannot be read is skipped with its reason);
    3. skip it if its content hash is unchanged since the last run;
    4. clean: drop page chrome and boilerplate lines;
    5. chunk into passages by paragraph, with paragraph labels and sections;
    6. metadata: title, publisher, dates, inspection year (text first, then facts.toml);
    7. analyse each passage (tokens, folding, stopwords, stems) for exact BM25 lengths;
    8. write: whoosh postings and stored passages, then the documents manifest;
    9. remove documents whose files have gone from under the given paths.
    Documents indexed from other paths are left as they are.
    """
    roots = [Path(p) for p in paths]
    for root in roots:
        if not root.exists():
            raise CorpusNotFound(f"{root}: no such file or folder")
    report = IndexReport()
    writer = StoreWriter(index_dir)
    try:
        seen: dict[str, str] = {}
        for root in roots:
            folder = root.resolve() if root.is_dir() else root.resolve().parent
            try:
                facts = load_facts(folder)
            except FactsError as error:
                raise FactsError(str(error)) from None
            for source in find_documents(root):
                if source.doc_id in seen:
                    reason = f"same document id '{source.doc_id}' as {seen[source.doc_id]}"
                    _skip(report, on_skip, source.display, reason)
                    continue
                seen[source.doc_id] = source.display
                known = writer.documents.get(source.doc_id)
                try:
                    if known is not None and known.path == str(source.path):
                        from indexer.sources import sha256

                        if sha256(source.path.read_bytes()) == known.sha256:
                            report.unchanged.append(source.doc_id)
                            continue
                    document, rows = index_document(source, facts)
                except (SourceError, OSError) as error:
                    _skip(report, on_skip, source.display, str(error))
                    continue
                writer.add_document(document, rows)
                (report.updated if known is not None else report.added).append(source.doc_id)
        resolved = [r.resolve() for r in roots]
        for doc_id, document in list(writer.documents.items()):
            path = Path(document.path)
            under = any(path == r or r in path.parents for r in resolved)
            if under and doc_id not in seen:
                writer.delete_document(doc_id)
                report.removed.append(doc_id)
        writer.commit([str(r) for r in resolved])
    except BaseException:
        writer.cancel()
        raise
    report.documents = len(writer.documents)
    report.passages = sum(d.passages for d in writer.documents.values())
    return report


def _skip(
    report: IndexReport, on_skip: Callable[[str, str], None] | None, path: str, reason: str
) -> None:
    report.skipped.append((path, reason))
    if on_skip is not None:
        on_skip(path, reason)
