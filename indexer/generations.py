"""The index folder as generations: a build never touches what readers are reading.

    index/
      passage-search-index.json   the marker: this folder is an index of this tool
      CURRENT          "gen-00000007": the complete generation readers open
      LOCK             held (flock) by the one process writing; holds "PID index" or
                       "PID query" (a query's automatic update)
      gen-00000007/    whoosh's files, documents.json, stems.tsv and arrays-*.npy
      gen-00000006/    the previous generation, kept for readers that opened it

A writer takes the lock, makes the next generation as hard links to the current one's files
(whoosh never rewrites a file, it adds new ones; ours are replaced, never written in place),
changes it, syncs it to disk, and only then points CURRENT at it with an atomic rename.
Killed at any moment, by a signal or a power cut or a full disk, it leaves CURRENT on a
complete generation; the next writer deletes the half-made one before it starts. The lock
is the kernel's (flock): it goes when its process dies, so a killed writer never leaves a
lock behind. A query's automatic update takes the lock only if it is free, and a `search
index` finding it held by one waits for it (QUERY_UPDATE_WAIT) rather than being refused.

Only our own folders: the marker is written first, into a folder that is new or empty; a
folder without it is written to only if it holds an index of an earlier version of this tool
(which then gets the marker). Nothing is deleted but files with our names in a folder of
ours, and nothing is created through a link: every file of ours is new (O_EXCL, O_NOFOLLOW)
with the umask's permissions, then renamed into place.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import fcntl
import json
import os
import re
import shutil
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

CURRENT = "CURRENT"
LOCK = "LOCK"
MARKER = "passage-search-index.json"
MANIFEST = "documents.json"  # a generation's documents (indexer.store)
STEMS = "stems.tsv"  # every word of the corpus with its stem (indexer.analysis.StemTable)
WORDS = "words.tsv"  # every analysed word with its number, for phrases (indexer.words)
INDEX_NAME = "passages"  # whoosh's name for the index: its files start with it
_MARKER_DATA = {"tool": "passage-search", "layout": "generations", "version": 1}
_GENERATION = re.compile(r"gen-(\d{8})")
# whoosh's own lock file must not be shared between generations
# nor our arrays (indexer.arrays): they are written whole, new, at each commit, so that a file
# a reader has mapped is never written to
_NOT_LINKED = re.compile(r".*_WRITELOCK$|.*\.tmp$|arrays-[\w.]+\.npy")
# every file a generation can hold: ours (and their temporaries) and whoosh's
_IN_GENERATION = re.compile(
    r"(documents\.json|stems\.tsv|words\.tsv)|\.(documents\.json|stems\.tsv|words\.tsv)(\.\w+)?\.tmp"
    r"|arrays-[\w.]+\.npy|\.arrays-[\w.]+\.npy\.tmp|\.added-sequences\.tmp"
    rf"|_{INDEX_NAME}_\d+\.toc(\.[0-9.]+)?|{INDEX_NAME}_[0-9A-Za-z]+(\.\w+)*"
)
_WHOOSH_TEMPORARY = f"{INDEX_NAME}.tmp"  # a folder whoosh keeps while it writes
# what a run of this tool can leave in a folder before its first generation
_EARLY_LEFTOVER = re.compile(rf"{LOCK}|\.{re.escape(MARKER)}\.\d+\.tmp")


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


class NotOurs(RuntimeError):
    """A folder or file this tool did not make, where it would write: left as it is."""


def not_ours(folder: Path) -> NotOurs:
    return NotOurs(
        f"{folder} is not an index of this tool and is not empty: nothing in it was "
        "touched. Choose a new or empty folder for the index"
    )


# --- reading -------------------------------------------------------------------------------


def read_file(path: Path, limit: int | None = None) -> bytes:
    """A regular file's bytes (up to `limit`): never through a link, never blocking on a FIFO."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, f"{path} is not a regular file")
        return handle.read() if limit is None else handle.read(limit)


def current(folder: Path) -> Path | None:
    """The generation readers should open, or None if there is none yet."""
    try:
        name = read_file(folder / CURRENT, 64).decode("utf-8", "replace").strip()
    except FileNotFoundError:
        return None
    if not _GENERATION.fullmatch(name):
        raise ValueError(f"{folder / CURRENT} names no generation ({name[:40]!r})")
    return folder / name


def marked(folder: Path) -> bool:
    """Whether `folder` holds this tool's marker (a regular file, not a link)."""
    try:
        data = json.loads(read_file(folder / MARKER, 4096))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("tool") == _MARKER_DATA["tool"]


def generation_folders(folder: Path) -> list[Path]:
    """The folders named as generations (gen-NNNNNNNN, real folders, not links), oldest first."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    found = [
        Path(e.path)
        for e in entries
        if _GENERATION.fullmatch(e.name) and e.is_dir(follow_symlinks=False)
    ]
    return sorted(found, key=_number)


def is_complete(generation: Path) -> bool:
    """Whether a generation got as far as its manifest (written last, just before publishing)."""
    with contextlib.suppress(OSError):
        return stat.S_ISREG(os.lstat(generation / MANIFEST).st_mode)
    return False


def holds_nothing(folder: Path) -> bool:
    """Empty, or holding only what a run of this tool leaves before its first generation
    (its lock file, holding a pid, or a half-written marker)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return False
    for entry in entries:
        if not _EARLY_LEFTOVER.fullmatch(entry.name) or not entry.is_file(follow_symlinks=False):
            return False
        if entry.name == LOCK and not _holds_a_pid(Path(entry.path)):
            return False
    return True


def _holds_a_pid(path: Path) -> bool:
    try:
        return re.fullmatch(rb"\d*\s*", read_file(path, 64)) is not None
    except OSError:
        return False


def _number(path: Path) -> int:
    match = _GENERATION.fullmatch(path.name)
    return int(match.group(1)) if match else -1


# --- writing files of ours -----------------------------------------------------------------


def create_new(path: Path) -> int:
    """Open a new file at `path` for writing: never through a link, with the umask's
    permissions. Whatever has our name there (a leftover, or a planted link) is unlinked
    first, never followed; callers hold the lock or use a name of their own."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    return os.open(path, flags, 0o666)


def write_atomically(path: Path, text: str, *, temporary: Path | None = None) -> None:
    """`path` gets `text` whole or not at all (see replace_atomically)."""
    replace_atomically(path, lambda handle: handle.write(text.encode("utf-8")), temporary)


def replace_atomically(
    path: Path, write: Callable[[BinaryIO], object], temporary: Path | None = None
) -> None:
    """`path` gets what `write` writes whole or not at all: written to a new file beside it,
    synced, then renamed over it (a link at `path` is replaced, not followed)."""
    temporary = temporary or path.with_name(f".{path.name}.tmp")
    fd = create_new(temporary)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def claim(folder: Path, made_by_us: Callable[[Path], bool]) -> None:
    """Make sure `folder` is ours before anything is written in it, or raise NotOurs having
    touched nothing. A missing or empty folder is created and marked; a marked one is ours;
    one without the marker is ours if `made_by_us` recognises in it an index of an earlier
    version of this tool, and it is marked now."""
    if folder.exists() and not folder.is_dir():
        raise NotOurs(f"{folder} is not a folder: nothing was written")
    folder.mkdir(parents=True, exist_ok=True)
    if marked(folder):
        return
    if not holds_nothing(folder) and not made_by_us(folder):
        raise not_ours(folder)
    # a temporary of this process's own, so that two first runs do not trip over each other
    temporary = folder / f".{MARKER}.{os.getpid()}.tmp"
    write_atomically(folder / MARKER, json.dumps(_MARKER_DATA) + "\n", temporary=temporary)
    _fsync_dir(folder)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _open_lock_file(path: Path) -> int:
    """The lock file, made if missing; never a link, a special file or a file linked elsewhere
    (it is truncated and written)."""
    try:
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        fd = os.open(path, flags, 0o666)
    except OSError as error:
        if error.errno != errno.ELOOP:
            raise
        raise NotOurs(
            f"{path} is a symbolic link, not the lock file this tool makes: nothing was "
            "written through it. Remove it to use this index"
        ) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(fd)
        raise NotOurs(
            f"{path} is not the lock file this tool makes (a special file, or a file with "
            "other names): nothing was written to it. Remove it to use this index"
        )
    return fd


def writer_at_work(folder: Path) -> bool:
    """Does another process hold the folder's writer lock now? Read-only: never makes the
    lock file (a writer asking about its own folder is told no)."""
    try:
        fd = os.open(folder / LOCK, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # let go at once, by the close below
    except BlockingIOError:
        return _holder(fd)[0] != str(os.getpid())
    except OSError:
        return False
    finally:
        os.close(fd)
    return False


class WriteLock:
    """The folder's writer lock: `acquire(wait)` or IndexBusy; released on close or death."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / LOCK
        self._fd: int | None = None

    def acquire(self, *, wait: bool = False) -> None:
        fd = _open_lock_file(self.path)
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


# --- generations ---------------------------------------------------------------------------


def tidy(folder: Path) -> Path | None:
    """A writer's first step, under the lock: delete what dead writers left (half-made
    generations, the pointer's temporary) and every generation but the current one and the
    complete one before it, whether or not this run will change anything.

    Returns the generation this writer starts from, to keep as the previous one once it
    publishes: the current one; if CURRENT is lost (damage), the newest complete one, and
    then only half-made generations are deleted (a rebuild decides the rest)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(folder / f".{CURRENT}.tmp")
    try:
        now = current(folder)
    except (OSError, ValueError):
        now = None
    found = generation_folders(folder)
    complete = [g for g in found if is_complete(g)]
    if now is not None and now in found:
        before = [g for g in complete if _number(g) < _number(now)]
        keep, start = {now, *before[-1:]}, now
    else:
        keep, start = set(complete), (complete[-1] if complete else None)
    for generation in found:
        if generation not in keep:
            remove_generation(generation)
    return start


def next_generation(folder: Path, *, link: bool = True) -> Path:
    """A new generation folder: hard links to the current generation's files, or empty."""
    base = current(folder) if link else None
    numbers = [_number(p) for p in folder.iterdir()]  # any kind of entry: never reuse a name
    new = folder / f"gen-{max([0, *numbers]) + 1:08d}"
    new.mkdir()  # fails if anything at all has the name, a link included
    if base is not None and base.is_dir():
        for entry in os.scandir(base):
            if entry.is_file(follow_symlinks=False) and not _NOT_LINKED.fullmatch(entry.name):
                try:
                    os.link(entry.path, new / entry.name, follow_symlinks=False)
                except OSError:  # a file system without hard links
                    shutil.copy2(entry.path, new / entry.name, follow_symlinks=False)
    return new


def publish(folder: Path, generation: Path) -> None:
    """Make `generation` the current one: synced to disk first, then an atomic rename."""
    for entry in os.scandir(generation):
        if entry.is_file(follow_symlinks=False):
            fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    _fsync_dir(generation)
    write_atomically(folder / CURRENT, generation.name + "\n")
    _fsync_dir(folder)


def discard(generation: Path) -> None:
    """Delete the generation this writer made (under its lock, in this run)."""
    shutil.rmtree(generation, ignore_errors=True)


def remove_generation(generation: Path) -> bool:
    """Delete a generation found in the folder if everything in it has our names (files of
    ours and whoosh's, and whoosh's temporary folder of files); else leave it whole. Links
    are unlinked, never followed."""
    files: list[str] = []
    folders: list[str] = []
    try:
        for entry in os.scandir(generation):
            if entry.name == _WHOOSH_TEMPORARY and entry.is_dir(follow_symlinks=False):
                inner = list(os.scandir(entry.path))
                if not all(e.is_file(follow_symlinks=False) for e in inner):
                    return False
                files += [e.path for e in inner]
                folders.append(entry.path)
            elif entry.is_file(follow_symlinks=False) and _IN_GENERATION.fullmatch(entry.name):
                files.append(entry.path)
            else:
                return False
        for path in files:
            os.unlink(path)
        for path in folders:
            os.rmdir(path)
        os.rmdir(generation)
    except OSError:
        return False
    return True


def clean_up(folder: Path, previous: Path | None = None) -> None:
    """After publishing: delete every generation but the current one and `previous`, the one
    that was current when this writer started (a writer's job, under its lock)."""
    now = current(folder)
    for generation in generation_folders(folder):
        if generation not in (now, previous):
            remove_generation(generation)
