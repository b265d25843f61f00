"""Exports: a search's passages, or the index's documents, as CSV or Markdown.

CSV is for a spreadsheet: UTF-8 with a byte-order mark (so that Excel reads it as UTF-8),
one row a passage, and no cell that a spreadsheet would run as a formula (OWASP's advice on
CSV injection: a cell starting with =, +, -, @, a tab or a carriage return is prefixed with
an apostrophe). Markdown quotes each passage with its reference.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from indexer.records import Document
from search.cite import reference

BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

HIT_COLUMNS = (
    "rank", "score", "citation", "reference", "title", "kind", "publisher", "local_authority",
    "date", "inspection_year", "section", "paragraph", "role", "pages", "text",
)  # fmt: skip
DOCUMENT_COLUMNS = (
    "doc_id", "title", "kind", "local_authority", "publisher", "date", "inspection_year",
    "inspection_start", "inspection_end", "framework", "overall_effectiveness", "passages",
    "source",
)  # fmt: skip


def safe_cell(value: object) -> str:
    """A cell's text, never a formula to a spreadsheet."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerow(header)
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return BOM + out.getvalue()


def hits_csv(hits: Iterable, document_of: Callable[[str], Document | None]) -> str:
    """One row a hit, with its reference and its document's authority."""
    rows = []
    for hit in hits:
        document = document_of(hit.citation.rsplit("#", 1)[0])
        pages = f"{hit.pages[0]}-{hit.pages[1]}" if hit.pages else ""
        values = {
            **{name: getattr(hit, name, None) for name in HIT_COLUMNS},
            "score": f"{hit.score:.4f}",
            "reference": reference(hit),
            "local_authority": document.local_authority if document else None,
            "pages": pages,
        }
        rows.append([values[name] for name in HIT_COLUMNS])
    return _csv(HIT_COLUMNS, rows)


def hits_markdown(query: str, total: int, hits: Sequence) -> str:
    """Each passage as a block quote, followed by its reference and key."""
    lines = [f"# {query}", "", f"{total} passages match; {len(hits)} shown.", ""]
    for hit in hits:
        quoted = "\n".join(f"> {line}" if line else ">" for line in hit.text.splitlines())
        lines += [quoted, "", f"— {reference(hit)} (`{hit.citation}`)", ""]
    return "\n".join(lines)


def judgement_areas(documents: Iterable[Document]) -> list[str]:
    """Every judgement area of every framework, as the reports name it: the commonest first."""
    counts = Counter(area for d in documents for area, _ in d.judgements)
    return sorted(counts, key=lambda area: (-counts[area], area))


def documents_csv(documents: Sequence[Document]) -> str:
    """One row a document: its metadata, then one column per judgement area (empty where the
    document's framework has none)."""
    areas = judgement_areas(documents)
    rows = []
    for d in documents:
        grades = dict(d.judgements)
        rows.append(
            [getattr(d, name) for name in DOCUMENT_COLUMNS] + [grades.get(a) for a in areas]
        )
    return _csv([*DOCUMENT_COLUMNS, *areas], rows)
