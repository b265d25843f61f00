"""A generation's manifest (`documents.json`): the documents, the folders indexed, the keys given,
and the versions that wrote it; read alone where an index cannot be opened, so that one of
another version, or one whose CURRENT is lost, can still be rebuilt from what it records."""

from __future__ import annotations

import contextlib
import json
import os
import re
from pathlib import Path
from typing import Any

from indexer import generations
from indexer.errors import IndexBeingBuilt, IndexDamaged, IndexMissing, IndexOutdated
from indexer.identity import Given
from indexer.records import Document

# the names of our files are indexer.generations's: it knows what a folder of ours holds
MANIFEST, STEMS, INDEX_NAME = generations.MANIFEST, generations.STEMS, generations.INDEX_NAME
# 4: phrases from the sequence column, no positions; 5: document kinds, and indexer.arrays;
# 6: passage roles (indexer.roles); 7: their postings among the arrays (facets); 8: word
# fingerprints kept in our arrays only (whoosh's sequence column dropped), passages keyed;
# 9: words as numbers (indexer.words) rather than fingerprints
FORMAT_VERSION = 9


def write_json_atomically(path: Path, data: Any) -> None:
    """Write a new file beside the target (no link followed, the umask's permissions),
    fsync, then rename over the target (generations.write_atomically). Under the lock."""
    generations.write_atomically(path, json.dumps(data, ensure_ascii=False, indent=1))


def document_of(data: dict[str, Any]) -> Document:
    judgements = tuple(tuple(pair) for pair in data.get("judgements", ()))
    return Document(**{**data, "judgements": judgements})


def without_current(folder: Path, ours: bool) -> Exception:
    """What a folder without CURRENT is: no index yet, one of an earlier version, damage
    (generations but no pointer to one), or not ours."""
    if not folder.is_dir():
        return IndexMissing(f"no index at {folder}")
    if our_manifest(folder) is not None:  # the single-folder layout of earlier versions
        return IndexOutdated(f"{folder} was built by another version of this tool")
    if not ours and not generations.holds_nothing(folder) and not made_by_us(folder):
        return generations.not_ours(folder)
    if generations.writer_at_work(folder):  # a first build, between its manifest and CURRENT
        return IndexBeingBuilt(f"the index at {folder} is being built and has nothing to read yet")
    if any(generations.is_complete(g) for g in generations.generation_folders(folder)):
        return IndexDamaged(
            f"{folder / generations.CURRENT} is missing: it names the generation to read"
        )
    return IndexMissing(f"no index at {folder}")


_TOC = re.compile(rf"_{INDEX_NAME}_\d+\.toc")


def has_toc(place: Path) -> bool:
    try:
        return any(_TOC.fullmatch(e.name) and e.is_file() for e in os.scandir(place))
    except OSError:
        return False


def shaped_like_ours(data: Any) -> bool:
    """A manifest of any version of ours: {"format": int, "documents": [...], ...}."""
    if not isinstance(data, dict) or not isinstance(data.get("documents"), list):
        return False
    return type(data.get("format")) is int


def our_manifest(place: Path) -> dict[str, Any] | None:
    """The manifest in `place` (a generation, or a folder of the single-folder layout) if it
    is one of ours, beside a whoosh TOC; else None."""
    if not has_toc(place):
        return None
    try:
        data = json.loads(generations.read_file(place / MANIFEST))
    except (OSError, ValueError):
        return None
    return data if shaped_like_ours(data) else None


def made_by_us(folder: Path) -> bool:
    """An index of an earlier version of this tool, from before the marker: documents.json
    and whoosh's TOC in the folder (until format 3) or in a generation (CURRENT, gen-*)."""
    places = [folder, *reversed(generations.generation_folders(folder))]
    return any(our_manifest(place) is not None for place in places)


def _recorded_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of the index of ours in `folder`, read alone (so that an index from
    another version, one whoosh cannot open or one whose CURRENT is lost can be rebuilt from
    what it records): the current generation's, else the newest generation's, else the
    single-folder layout's. Empty for a folder that is not ours."""
    try:
        now = generations.current(folder)
    except (OSError, ValueError):
        now = None
    places = [now] if now else []
    places += [*reversed(generations.generation_folders(folder)), folder]
    for place in places:
        data = our_manifest(place)
        if data is not None:
            return data
    return {}


def indexed_roots(folder: Path) -> list[str]:
    """The folders the index in `folder` was built from."""
    roots = _recorded_manifest(folder).get("roots", [])
    return [str(r) for r in roots] if isinstance(roots, list) else []


def given_keys(folder: Path) -> dict[str, Given]:
    """The keys an index has given (file path -> key), read from its manifest alone, so that
    they outlive a rebuild: each document's, and those of files since removed
    (`retired_keys`; a manifest of format 4 before them has none)."""
    data = _recorded_manifest(folder)
    try:
        keys = {
            path: Given(given["key"], given.get("sha256", ""))
            for path, given in (data.get("retired_keys") or {}).items()
        }
        for d in data.get("documents", []):
            if d.get("path"):
                keys[d["path"]] = Given(d["doc_id"], d.get("sha256", ""))
        return keys
    except (KeyError, TypeError, AttributeError):
        return {}


def follow_links(folder: Path) -> bool:
    """Was the index built with `--follow-links`? (Its updates walk the same way.)"""
    return _recorded_manifest(folder).get("follow_links") is True


# whoosh's files and ours in the single-folder layout (until format 3)
_LEGACY = re.compile(
    rf"{re.escape(MANIFEST)}|\.{re.escape(MANIFEST)}\.\w+\.tmp"
    rf"|_{INDEX_NAME}_\d+\.toc(\.[0-9.]+)?|{INDEX_NAME}_[0-9A-Za-z]+(\.\w+)*"
)


def discard_legacy(folder: Path) -> None:
    """Files of the single-folder layout of earlier versions, once the index that replaces
    them is published: regular files with those names only (links are not followed)."""
    for entry in os.scandir(folder):
        if _LEGACY.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
