"""Writing the index: a new generation, its documents added and deleted, then published."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from indexer import generations
from indexer.analysis import read_stem_table, write_stem_table
from indexer.bm25 import Parameters
from indexer.errors import IndexMissing, IndexOutdated, full_disk_reported
from indexer.identity import Given, registry_of
from indexer.manifest import (
    FORMAT_VERSION,
    MANIFEST,
    STEMS,
    discard_legacy,
    follow_links,
    given_keys,
    made_by_us,
    our_manifest,
    write_json_atomically,
)
from indexer.records import Document, PassageRow
from indexer.store import Store
from indexer.whoosh_index import WHOOSH_VERSION, WhooshWriter


class StoreWriter:
    """Adds and deletes documents in a new generation of the index, then publishes it.

    Writes only into a folder of ours (generations.claim: else NotOurs, nothing touched).
    Holds the folder's write lock from creation to commit or cancel: a second writer gets
    IndexBusy (or, with `wait`, waits for the first). What a dead writer left is cleared
    first. With `fresh`, the new generation starts empty (a rebuild); readers keep the old
    one until the new one is published. A full disk is DiskFull, the index as it was.
    """

    def __init__(self, folder: Path, *, wait: bool = False, fresh: bool = False) -> None:
        self.folder = folder
        with full_disk_reported(folder):
            generations.claim(folder, made_by_us)
            self._lock = generations.WriteLock(folder)
            self._lock.acquire(wait=wait)
        try:
            with full_disk_reported(folder):
                self.keys = given_keys(folder)  # kept through a rebuild (indexer.identity)
                self.follow_links = follow_links(folder)
                self._open(fresh)
        except BaseException:
            if hasattr(self, "_generation"):
                generations.discard(self._generation)
            self._lock.release()
            raise
        self._deleted = False
        self._changed = fresh

    def _open(self, fresh: bool) -> None:
        # kept as the previous generation once this one is published
        self._previous = generations.tidy(self.folder)
        # files of the single-folder layout: deleted once the rebuilt index is published
        self._legacy = our_manifest(self.folder) is not None
        existing: Store | None = None
        if not fresh:
            # an outdated index is rebuilt, not read
            with contextlib.suppress(IndexMissing, IndexOutdated):
                existing = Store.open(self.folder)
        self._generation = generations.next_generation(self.folder, link=existing is not None)
        self.stems: dict[str, str] = {}
        if existing is not None and existing.generation is not None:
            self.stems = read_stem_table(existing.generation / STEMS)
        self._stems_known = len(self.stems)
        if existing is not None:
            self.documents = dict(existing.documents)
            self.roots = list(existing.roots)
            self.problems = dict(existing.problems)
            self.parameters = existing.parameters
            existing.close()
        else:
            self.documents, self.roots, self.problems = {}, [], {}
            self.parameters = Parameters()
        self._whoosh = WhooshWriter(
            self._generation,
            create=existing is None,
            previous=existing.generation if existing is not None else None,
        )

    @property
    def lock_fd(self) -> int | None:
        return self._lock.fd

    def delete_document(self, doc_id: str) -> None:
        if doc_id in self.documents:
            with full_disk_reported(self.folder):
                self._whoosh.delete_document(doc_id)
            del self.documents[doc_id]
            self._deleted = self._changed = True

    def add_document(self, document: Document, rows: Iterable[PassageRow]) -> None:
        self.delete_document(document.doc_id)
        with full_disk_reported(self.folder):  # whoosh's pool may spill to disk
            self._add_rows(rows)
        self.documents[document.doc_id] = document
        self._changed = True

    def _add_rows(self, rows: Iterable[PassageRow]) -> None:
        self._whoosh.add_rows(rows)

    def restat(self, doc_id: str, size: int, mtime_ns: int) -> None:
        """Record a new size and time for a document whose content is unchanged, so that the
        freshness check does not hash its file again on every query."""
        known = self.documents[doc_id]
        if (known.size, known.mtime_ns) != (size, mtime_ns):
            self.documents[doc_id] = replace(known, size=size, mtime_ns=mtime_ns)
            self._changed = True

    def set_parameters(self, parameters: Parameters) -> None:
        """BM25's k1 and b for this index from now on (kept by later updates)."""
        if parameters != self.parameters:
            self.parameters = parameters
            self._changed = True

    def add_stems(self, stems: dict[str, str]) -> None:
        self.stems.update(stems)

    def set_problems(self, problems: dict[str, dict[str, Any]]) -> None:
        if problems != self.problems:
            self.problems = problems
            self._changed = True

    def commit(self, roots: Sequence[str]) -> None:
        try:
            if not self._changed and set(roots) <= set(self.roots):
                self._whoosh.cancel()  # nothing to write: keep the index exactly as it was
                generations.discard(self._generation)
                return
            with full_disk_reported(self.folder):
                self._write(roots)
                generations.publish(self.folder, self._generation)
            generations.clean_up(self.folder, self._previous)
            if self._legacy:
                discard_legacy(self.folder)
        except BaseException:
            if not self._is_published():  # else, interrupted after (a signal): it is the index
                generations.discard(self._generation)
            raise
        finally:
            self._lock.release()

    def _write(self, roots: Sequence[str]) -> None:
        # Deleted passages linger in whoosh's segments and would still count in document
        # frequencies; merging them away keeps BM25's idf exact.
        self._whoosh.commit(merge=self._deleted)  # with the arrays, before the manifest
        self.roots = sorted(set(self.roots) | set(roots))
        write_json_atomically(
            self._generation / MANIFEST,
            {
                "format": FORMAT_VERSION,
                "whoosh": WHOOSH_VERSION,
                "roots": self.roots,
                "follow_links": self.follow_links,
                # the word table's size, checked when the index is opened (indexer.words)
                "words_bytes": (self._generation / generations.WORDS).stat().st_size,
                **({} if self.parameters == Parameters() else {"ranking": asdict(self.parameters)}),
                "retired_keys": self._retired_keys(),
                "problems": dict(sorted(self.problems.items())),
                "documents": [asdict(d) for d in sorted(self.documents.values(), key=_key)],
            },
        )
        write_stem_table(self._generation / STEMS, self.stems)

    def _is_published(self) -> bool:
        """CURRENT names this writer's generation (a signal may come after the rename)."""
        try:
            return generations.current(self.folder) == self._generation
        except (OSError, ValueError):
            return False

    def _retired_keys(self) -> dict[str, dict[str, str]]:
        """The keys given to files no longer indexed (the documents carry their own)."""
        live = {d.path: Given(d.doc_id, d.sha256) for d in self.documents.values() if d.path}
        registry = registry_of(live, self.keys)
        return {p: asdict(registry[p]) for p in sorted(registry) if p not in live}

    def set_follow_links(self, follow: bool) -> None:
        if follow != self.follow_links:
            self.follow_links = follow
            self._changed = True

    def cancel(self) -> None:
        with contextlib.suppress(Exception):
            self._whoosh.cancel()
        if not self._is_published():
            generations.discard(self._generation)
        self._lock.release()


def _key(document: Document) -> str:
    return document.doc_id
