"""The index folder as generations: a build never touches what readers are reading.

    index/
      CURRENT          "gen-00000007": the complete generation readers open
      LOCK             held (flock) by the one process writing; holds "PID index" or
                       "PID query" (a query's automatic update)
      gen-00000007/    whoosh's files and documents.json
      gen-00000006/    the previous generation, kept for readers that opened it

A writer takes the lock, makes the next generation as hard links to the current one's files
(whoosh never rewrites a file, it adds new ones), changes it, syncs it to disk, and only
then points CURRENT at it with an atomic rename. Killed at any moment, by a signal or a power
cut or a full disk, it leaves CURRENT on a complete generation; the next writer deletes the
half-made one. The lock is the kernel's (flock): it goes when its process dies, so a killed
writer never leaves a lock behind. A query's automatic update takes the lock only if it is
free, and a `search index` finding it held by one waits for it (QUERY_UPDATE_WAIT) rather
than being refused.
"""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

CURRENT = "CURRENT"
LOCK = "LOCK"
_GENERATION = re.compile(r"gen-(\d{8})")
# whoosh's own lock file must not be shared between generations
_NOT_LINKED = re.compile(r".*_WRITELOCK$|.*\.tmp$")


# How long a `search index` waits for a query's automatic update (at most AUTO_UPDATE_FILES
# small files) before it gives up; and for a holder that has not yet said who it is.
QUERY_UPDATE_WAIT = 60.0
_UNKNOWN_HOLDER_WAIT = 2.0
_POLL = 0.05
INDEX, QUERY = "index", "query"
_HOLDER = contextvars.ContextVar("lock_holder", default=INDEX)


class IndexBusy(RuntimeError):
    """Another process is writing this index."""

    def __init__(self, folder: Path, pid: str, holder: str = INDEX) -> None:
        who = "a query's automatic update" if holder == QUERY else "another 'search index'"
        super().__init__(f"{who} (process {pid or 'unknown'}) is writing {folder}")
        self.pid = pid
        self.holder = holder


@contextlib.contextmanager
def query_update() -> Iterator[None]:
    """Locks taken inside are a query's automatic update: taken only if free at once, and
    recorded as such, so that a `search index` waits for them instead of being refused."""
    token = _HOLDER.set(QUERY)
    try:
        yield
    finally:
        _HOLDER.reset(token)


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
            if wait and _HOLDER.get() != QUERY:
                fcntl.flock(fd, fcntl.LOCK_EX)
            else:
                self._take_or_wait_for_query(fd)
            record = f"{os.getpid()} {_HOLDER.get()}\n".encode()
            os.pwrite(fd, record, 0)  # then cut: the record is never empty while held
            os.ftruncate(fd, len(record))
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def _take_or_wait_for_query(self, fd: int) -> None:
        """Take the lock now; or, held by a query's update (or a holder that has not yet said
        who it is), wait a bounded time for it. A query itself never waits."""
        started = said = time.monotonic()  # said: when a holder last said who it is
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pid, holder = _holder(fd)
            now = time.monotonic()
            said = now if holder else said
            for_query = holder == QUERY and now - started < QUERY_UPDATE_WAIT
            settling = not holder and now - said < _UNKNOWN_HOLDER_WAIT
            if _HOLDER.get() == QUERY or not (for_query or settling):
                raise IndexBusy(self.path.parent, pid, holder or INDEX) from None
            time.sleep(_POLL)

    @property
    def fd(self) -> int | None:
        return self._fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing drops the flock
            self._fd = None


def _holder(fd: int) -> tuple[str, str]:
    """(pid, "index" | "query" | "" when not yet written) from a held LOCK file; a pid alone
    (an earlier version) is an index."""
    words = os.pread(fd, 64, 0).decode("ascii", "replace").split()
    if not words:
        return "", ""
    return words[0], words[1] if len(words) > 1 and words[1] == QUERY else INDEX


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
