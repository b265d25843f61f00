"""The domain errors both halves raise and catch, each with a one-line docstring."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path


class SourceError(Exception):
    """A file that cannot be read as a document (the message says why).

    `failed` distinguishes a document we should have been able to read (a truncated PDF, a
    text file in another encoding, no permission) from a file that is not a document at all
    (empty, an HTML error page saved as .pdf, binary data named .txt), which is skipped.
    """

    def __init__(self, reason: str, *, failed: bool = False) -> None:
        super().__init__(reason)
        self.failed = failed


class IndexMissing(FileNotFoundError):
    """There is no index at the given place."""


class IndexBeingBuilt(IndexMissing):
    """The index's first build (or a rebuild after its CURRENT was lost) is under way."""


class IndexDamaged(RuntimeError):
    """The index exists but cannot be read."""


class IndexOutdated(IndexDamaged):
    """The index was built by another version of this tool (it is rebuilt, not read)."""


class DiskFull(OSError):
    """The disk (or a file size limit) ran out while writing the index; it is as it was."""

    def __init__(self, folder: Path, error: OSError) -> None:
        reason = os.strerror(error.errno or errno.ENOSPC).lower()
        place = str(folder).rstrip("/") + "/"
        super().__init__(error.errno, f"{reason} while writing {place}; the index is as it was")

    def __str__(self) -> str:
        return str(self.strerror)


_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


@contextlib.contextmanager
def full_disk_reported(folder: Path) -> Iterator[None]:
    """A full disk (or quota, or file size limit) while writing is DiskFull, one line."""
    try:
        yield
    except OSError as error:
        if error.errno in _FULL and not isinstance(error, DiskFull):
            raise DiskFull(folder, error) from None
        raise
