"""Facets: how many of a search's matches fall in each kind, inspection year, authority, grade,
publisher and role, counted over every match (not only the page shown), from our arrays: the
document each passage belongs to, and each passage's role.

Each document's facet values are read once into arrays (`FacetTable`), so that a search's
counts are a bincount per facet, whatever the number of matches or documents."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from indexer.records import Document

FACETS = (
    "kind",
    "inspection_year",
    "local_authority",
    "overall_effectiveness",
    "publisher",
    "role",
)
DOCUMENT_FACETS = FACETS[:-1]  # the ones a passage takes from its document

Owners = tuple[Sequence[str], Any]  # a field's values, and each passage's value's index


@dataclass(frozen=True)
class FacetTable:
    """For each facet, its values and each passage's value's index (-1: none)."""

    values: dict[str, list[str]]
    of_passage: dict[str, Any]

    @classmethod
    def build(cls, documents: Owners, roles: Owners, records: Mapping[str, Document]) -> FacetTable:
        """From Store.owners of the doc_id and role fields and the documents by id."""
        import numpy as np

        doc_ids, document_of = documents
        values, of_passage = {"role": list(roles[0])}, {"role": roles[1]}
        for name in DOCUMENT_FACETS:
            seen: dict[str, int] = {}
            of_document = np.full(len(doc_ids) + 1, -1, dtype=np.int64)  # [-1]: no document
            for position, doc_id in enumerate(doc_ids):
                value = getattr(records.get(doc_id), name, None)
                if value is not None and value != "":
                    of_document[position] = seen.setdefault(str(value), len(seen))
            values[name], of_passage[name] = list(seen), of_document[document_of]
        return cls(values, of_passage)

    def counts(self, docnums: Any) -> dict[str, list[tuple[str, int]]]:
        """Counts per value of each facet over the matches `docnums` (a numpy array), the
        commonest first (years newest first); values no match holds left out."""
        import numpy as np

        out = {}
        for name in FACETS:
            index = self.of_passage[name][docnums]
            per_value = np.bincount(index[index >= 0], minlength=len(self.values[name]))
            found = [(self.values[name][i], int(per_value[i])) for i in np.flatnonzero(per_value)]
            out[name] = _ordered(name, found)
        return out


def _ordered(name: str, found: list[tuple[str, int]]) -> list[tuple[str, int]]:
    if name == "inspection_year":
        return sorted(found, key=lambda item: item[0], reverse=True)
    return sorted(found, key=lambda item: (-item[1], item[0]))
