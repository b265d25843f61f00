"""Is the index up to date with its folders? Cheap enough for every query: a walk and a stat
per file, and a content hash only for a file whose size or time changed. (Apart from the
pipeline, so that a query does not import the machinery of indexing.)"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from indexer.records import Document
from indexer.sources import SourceFile, find_documents, sha256


@dataclass(frozen=True)
class Staleness:
    """How the files under an index's folders differ from what the index holds."""

    changed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    bytes_to_read: int = 0

    def __bool__(self) -> bool:
        return bool(self.changed or self.added or self.removed)

    def summary(self) -> str:
        counts = (("changed", self.changed), ("new", self.added), ("removed", self.removed))
        return ", ".join(f"{len(files)} {what}" for what, files in counts if files)


def check_freshness(
    documents: dict[str, Document],
    problems: dict[str, dict],
    roots: Sequence[str],
    *,
    follow_links: bool = False,
) -> Staleness:
    """Compare the files under `roots` with the index, by size and modification time first
    and by content (SHA-256) where those differ. Cheap: a walk and a stat per file."""
    by_path = {d.path: d for d in documents.values()}
    changed, added, seen = [], [], set()
    to_read = 0
    for root in (Path(r) for r in roots):
        if not root.exists():
            continue
        for source in find_documents(root, follow_links=follow_links):
            key = source.location
            seen.add(key)
            known = by_path.get(key)
            if known is not None:
                touched = (source.size, source.mtime_ns) != (known.size, known.mtime_ns)
                if touched and not same_content(source, known):
                    changed.append(source.display)
                    to_read += source.size
                continue
            problem = problems.get(key)
            if problem and (problem["size"], problem["mtime_ns"]) == (source.size, source.mtime_ns):
                continue  # a file we could not index, unchanged since
            added.append(source.display)
            to_read += source.size
    removed = [d.source for p, d in by_path.items() if p not in seen]
    return Staleness(tuple(changed), tuple(added), tuple(removed), to_read)


def same_content(source: SourceFile, known: Document) -> bool:
    """True when the file still holds what was indexed (sizes first, then SHA-256)."""
    if source.size != known.size:
        return False
    try:
        return sha256(source.path.read_bytes()) == known.sha256
    except OSError:
        return False
