"""Results grouped by document (`--per-document N`): one long report does not take every place.

Documents are ordered by their best passage; each shows its best N passages, best first, one
after another. Within those bounds the order is the ranking's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable


def group_by_document(
    ranked: Iterable[tuple[float, int]],
    document_of: Callable[[int], str],
    per_document: int,
    limit: int | None,
) -> list[tuple[float, int]]:
    """The first `limit` (score, docnum) pairs of the grouping (None: all of them)."""
    if per_document < 1:
        raise ValueError("per_document must be at least 1")
    groups: dict[str, list[tuple[float, int]]] = {}  # in order of each document's best
    taken = 0
    for pair in ranked:
        group = groups.setdefault(document_of(pair[1]), [])
        if len(group) < per_document:
            group.append(pair)
            taken += 1
    grouped = [pair for group in groups.values() for pair in group]
    return grouped[:limit] if limit else grouped
