"""Document identity: which key each file gets, so that two files never share one.

A file's natural key is its path below the indexed folder, slugged (`indexer.sources.
document_id`). Two files can have the same one: `Report.txt` beside `report.md`, `a b.txt`
beside `a-b.txt`, `café` in NFC beside NFD, the same file name in two folders indexed one
after the other. The index records every key it has given, by the file's path, in its
manifest (`StoreWriter.keys`), and a key once given stays with its file:

- a file keeps the key it was given, through updates and `--rebuild`;
- a new file whose natural key is free gets it; else `distinct_key` qualifies it, by what
  tells the two files apart: the indexed folder's name (`leicestershire/<key>`, the key it
  would have had had the folder above been indexed), then its extension (`report.md`), then
  a number (`report.2`). Slugs never hold a `.`, so a qualified key never equals a natural one;
- a removed file's key stays reserved for its path: the file put back there gets it again;
  another file gets it only if it holds exactly the text the removed one held (the same
  document, moved or renamed).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from indexer.sources import slug


@dataclass(frozen=True)
class Given:
    """A key the index has given to a file, and that file's content (SHA-256) when last
    indexed: a removed file's key can go only to a file with the same content."""

    key: str
    sha256: str = ""


def distinct_key(natural: str, path: str, folder: str, taken: Mapping[str, str]) -> str:
    """The key for a new file at `path` (indexed from `folder`, the folder the user gave):
    `natural` if no file holds it, else the first free of its qualified forms (the module
    docstring). `taken` maps every key given to the path of the file that holds it."""
    holder = taken.get(natural)
    if holder is None:
        return natural
    name = slug(os.path.basename(folder.rstrip("/")) or "root")
    extension = slug(_extension(path) or "none")
    other_folder = not holder.startswith(folder.rstrip("/") + "/")
    other_extension = _extension(holder) != _extension(path)
    candidates = []
    if other_folder:
        candidates.append(f"{name}/{natural}")
    if other_extension:
        candidates.append(f"{natural}.{extension}")
    if other_folder and other_extension:
        candidates.append(f"{name}/{natural}.{extension}")
    for candidate in candidates:
        if candidate not in taken:
            return candidate
    number = 2
    while f"{natural}.{number}" in taken:
        number += 1
    return f"{natural}.{number}"


def _extension(path: str) -> str:
    name = os.path.basename(path)
    dot = name.rfind(".")
    return name[dot + 1 :].lower() if dot > 0 else ""


def registry_of(live: Mapping[str, Given], previous: Mapping[str, Given]) -> dict[str, Given]:
    """The keys to record after a run: every document in the index (`live`, path -> key),
    and every key given before to a file no longer indexed, unless its key now belongs to
    another file (which took it over by having the same content)."""
    registry = dict(live)
    held = {given.key for given in live.values()}
    for path, given in previous.items():
        if path not in registry and given.key not in held:
            registry[path] = given
    return registry
