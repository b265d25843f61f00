"""The index folder as generations: a build never touches what readers are reading.

    index/
      CURRENT          "gen-00000007": the complete generation readers open
      LOCK             held (flock) by the one process writing; holds its pid
      gen-00000007/    whoosh's files and documents.json
      gen-00000006/    the previous generation, kept for readers that opened it

A writer takes the lock, makes the next generation as hard links to the current one's files
(whoosh never rewrites a file, it adds new ones), changes it, syncs it to disk, and only
then points CURRENT at it with an atomic rename. Killed at any moment, by a signal or a power
cut or a full disk, it leaves CURRENT on a complete generation; the next writer deletes the
half-made one. The lock is the kernel's (flock): it goes when its process dies, so a killed
writer never leaves a lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
from pathlib import Path

CURRENT = "CURRENT"
LOCK = "LOCK"
_GENERATION = re.compile(r"gen-(\d{8})")
# whoosh's own lock file must not be shared between generations
_NOT_LINKED = re.compile(r".*_WRITELOCK$|.*\.tmp$")


class IndexBusy(RuntimeError):
    """Another process is writing this index."""

    def __init__(self, folder: Path, pid: str) -> None:
        super().__init__(f"another 'search index' (process {pid or 'unknown'}) is writing {folder}")
        self.pid = pid


def current(folder: Path) -> Path | None:
    """The generation readers should open, or None if there is none yet."""
    try:
        name = (folder / CURRENT).read_text("utf-8").strip()
    except FileNotFoundError:
        return None
    if not _GENERATION.fullmatch(name):
        raise ValueError(f"{folder / CURRENT} names no generation ({name[:40]!r})")
    return folder / name


def _number(path: Path) -> int:
    match = _GENERATION.fullmatch(path.name)
    return int(match.group(1)) if match else -1


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class WriteLock:
    """The folder's writer lock: `acquire(wait)` or IndexBusy; released on close or death."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / LOCK
        self._fd: int | None = None

    def acquire(self, *, wait: bool = False) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            os.close(fd)
            raise IndexBusy(self.path.parent, pid) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    @property
    def fd(self) -> int | None:
        return self._fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing drops the flock
            self._fd = None


def next_generation(folder: Path, *, link: bool = True) -> Path:
    """A new generation folder: hard links to the current generation's files, or empty."""
    base = current(folder) if link else None
    numbers = [_number(p) for p in folder.glob("gen-*")]
    new = folder / f"gen-{max(numbers, default=0) + 1:08d}"
    new.mkdir()
    if base is not None and base.is_dir():
        for path in base.iterdir():
            if path.is_file() and not _NOT_LINKED.fullmatch(path.name):
                try:
                    os.link(path, new / path.name)
                except OSError:  # a file system without hard links
                    shutil.copy2(path, new / path.name)
    return new


def publish(folder: Path, generation: Path) -> None:
    """Make `generation` the current one: synced to disk first, then an atomic rename."""
    for path in generation.iterdir():
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    _fsync_dir(generation)
    pointer = folder / f".{CURRENT}.tmp"
    with open(pointer, "w", encoding="utf-8") as handle:
        handle.write(generation.name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(pointer, folder / CURRENT)
    _fsync_dir(folder)


def discard(generation: Path) -> None:
    shutil.rmtree(generation, ignore_errors=True)


def clean_up(folder: Path) -> None:
    """Delete every generation but the current and the one before it (a writer's job)."""
    now = current(folder)
    keep = {now.name} if now else set()
    older = sorted(
        (p for p in folder.glob("gen-*") if now and _number(p) < _number(now)), key=_number
    )
    if older:
        keep.add(older[-1].name)
    for path in folder.glob("gen-*"):
        if path.name not in keep:
            discard(path)
