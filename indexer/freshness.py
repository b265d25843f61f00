"""Is the index up to date with its folders? Cheap enough for every query: a walk and a stat
per file, and a content hash only for a file whose size or time changed. (Apart from the
pipeline, so that a query does not import the machinery of indexing.)"""

from __future__ import annotations

import os
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
    # folders that cannot be read now (moved, unmounted, no permission): why, one each. Their
    # documents are neither "removed" nor safe to update, so nothing is updated while any is.
    unavailable: tuple[str, ...] = ()
    # files whose size or time changed but whose content did not (a copy, a checkout, `touch`):
    # not stale, but hashed on every check until the index records their new times
    touched: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.changed or self.added or self.removed or self.unavailable)

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
    and by content (SHA-256) where those differ. Cheap: a walk and a stat per file.

    A document is "removed" only when its file is known to be gone: a root that is missing,
    cannot be read, or (an unmounted folder) holds no document at all while the index holds
    some from it is `unavailable` instead, and so is a folder inside a root that cannot be read.
    """
    by_path = {d.path: d for d in documents.values()}
    changed, added, touched_files, seen, unavailable = [], [], [], set(), []
    lost: list[Path] = []  # roots whose documents cannot be checked
    to_read = 0
    for root in (Path(r) for r in roots):
        why = why_unreadable(root)
        if why:
            unavailable.append(why)
            lost.append(root)
            continue
        found = 0
        for source in find_documents(root, follow_links=follow_links):
            found += 1
            key = source.location
            seen.add(key)
            known = by_path.get(key)
            if known is not None:
                touched = (source.size, source.mtime_ns) != (known.size, known.mtime_ns)
                if touched and same_content(source, known):
                    touched_files.append(source.display)
                elif touched:
                    changed.append(source.display)
                    to_read += source.size
                continue
            problem = problems.get(key)
            if problem and (problem["size"], problem["mtime_ns"]) == (source.size, source.mtime_ns):
                continue  # a file we could not index, unchanged since
            added.append(source.display)
            to_read += source.size
        if not found and any(_under(Path(p), root) for p in by_path):
            unavailable.append(f"{root} holds none of its indexed documents (unmounted?)")
            lost.append(root)
    removed = []
    for path, document in by_path.items():
        if path in seen or any(_under(Path(path), root) for root in lost):
            continue
        why = _gone(Path(path))
        if why:
            unavailable.append(why)
        else:
            removed.append(document.source)
    return Staleness(
        tuple(changed),
        tuple(added),
        tuple(removed),
        to_read,
        tuple(dict.fromkeys(unavailable)),
        tuple(touched_files),
    )


def why_unreadable(root: Path) -> str | None:
    """Why the folder (or file) an index was built from cannot be read now, or None."""
    try:
        if root.is_dir():
            with os.scandir(root):
                pass
        elif not root.is_file():
            return f"{root} is missing (moved, renamed or unmounted?)"
    except OSError as error:
        return f"{root} cannot be read ({error.strerror or error})"
    return None


def _gone(path: Path) -> str | None:
    """None when the file is certainly gone from the walk; else why that cannot be trusted
    (its folder cannot be searched or listed, so the walk could not see it)."""
    try:
        os.lstat(path)
        with os.scandir(path.parent):
            pass
    except FileNotFoundError:
        return None
    except OSError as error:
        return f"{path.parent} cannot be read ({error.strerror or error})"
    return None  # there, but no longer a document the walk yields


def _under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def same_content(source: SourceFile, known: Document) -> bool:
    """True when the file still holds what was indexed (sizes first, then SHA-256)."""
    if source.size != known.size:
        return False
    try:
        return sha256(source.path.read_bytes()) == known.sha256
    except OSError:
        return False
