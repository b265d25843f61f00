"""Sources: find the documents under a path and read each one's text.

Plain text and Markdown are read as UTF-8; HTML is reduced to its text with one line per
block element; PDF text comes from `indexer.pdf`. A file that cannot be read as a document
raises `SourceError` with a reason a person can act on; the pipeline reports it and goes on.

A document's natural key is its path below the indexed folder, without its extension, each
part written as a "slug" (letters and digits of any script, NFC and case-folded, accents
dropped from Latin letters, `_` and `-`), so that a citation key can be pasted into a shell
without quotes:

    80491_camden/children's services inspection - 21 june 2022.pdf
    -> 80491_camden/childrens-services-inspection-21-june-2022

Two files can have the same natural key; the index gives each a distinct key
(`indexer.identity`). The walk (`find_documents`) stays inside the folder it was given unless
told otherwise, and reads only regular files.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from stat import S_ISDIR, S_ISREG
from typing import TYPE_CHECKING, NamedTuple

from indexer.errors import SourceError

if TYPE_CHECKING:
    from indexer.html import PageMetadata

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
HTML_SUFFIXES = {".html", ".htm"}
PDF_SUFFIXES = {".pdf"}
SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES
# Bounds on what one file may cost: the largest Ofsted report is under 2 MB of PDF and 100 KB
# of text; a file far beyond these is refused before it is read.
MAX_TEXT_BYTES = 32 * 1024 * 1024
MAX_PDF_BYTES = 256 * 1024 * 1024


class SourceFile(NamedTuple):
    """A document file found by the walk: an immutable record (a NamedTuple, not a frozen
    dataclass, because a query's change check builds one for each of 20,000 files and a
    tuple is built several times faster). Plain strings; the Path, the natural key and the
    path as shown are derived only when asked for."""

    file: str  # absolute: the indexed folder, resolved, then the path below it as found
    location: str  # `file` as the index stores it (`path_text`: escaped if not UTF-8)
    relative: str  # '/'-separated path below the indexed folder (a file given alone: its name)
    given: str  # the folder or file as the user gave it
    root: Path  # that folder or file, resolved
    size: int
    mtime_ns: int
    single: bool = False  # the user gave this file itself, not a folder
    key: str | None = None  # the key the index gives it (None: not given yet)

    @property
    def path(self) -> Path:
        return Path(self.file)

    @property
    def doc_id(self) -> str:
        """The key the index gave it, or else its natural key."""
        return self.key if self.key is not None else document_id(self.relative)

    @property
    def display(self) -> str:
        """The path as the user gave it: the root as given and the path below it, a byte that
        is not UTF-8 written as `\\xNN`."""
        return shown_path(self.given if self.single else os.path.join(self.given, self.relative))

    @property
    def name(self) -> str:
        """The file's name as it can be shown and stored."""
        return shown_path(os.path.basename(self.file))


@dataclass(frozen=True)
class SourceText:
    """A document's text; for a PDF, the line (1-based) where each page starts; for an HTML
    page, what its markup says about it (title, site name, publication date)."""

    text: str
    sha256: str
    page_starts: tuple[int, ...] | None = None
    raw_pages: tuple[str, ...] | None = None  # a PDF's pages as extracted, for metadata
    page: PageMetadata | None = None  # an HTML page's own metadata (indexer.html)

    def page_of_line(self, line: int) -> int | None:
        """The 1-based page a 1-based line is on, or None for a text without pages."""
        if not self.page_starts:
            return None
        return bisect.bisect_right(self.page_starts, line)


def join_pages(pages: list[str]) -> tuple[str, tuple[int, ...]]:
    """Pages as one text, a blank line between them, and the line each page starts on.

    Lines are counted as `str.splitlines` counts them, as the cleaning stage does.
    """
    starts, parts, line = [], [], 1
    for page in pages:
        page = page.rstrip("\n")
        starts.append(line)
        parts.append(page)
        line += len(page.splitlines()) + 1  # and the blank line after it
    return "\n\n".join(parts) + "\n", tuple(starts)


_UNDECODED = re.compile("[\udc80-\udcff]")  # bytes of a name that is not UTF-8 (PEP 383)


def shown_path(path: str) -> str:
    """A path as it is shown: a byte that is not UTF-8 as `\\xNN` (`caf\\xe9.txt`)."""
    if path.isascii() or not _UNDECODED.search(path):
        return path
    return _UNDECODED.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", path)


def path_text(path: str) -> str:
    """A path as the index stores it (JSON, UTF-8): itself when its name is UTF-8 without a
    backslash; otherwise backslashes doubled and each byte that is not UTF-8 as `\\xNN`,
    so that two different paths never read the same."""
    if path.isascii() and "\\" not in path:
        return path
    if "\\" not in path and not _UNDECODED.search(path):
        return path
    return shown_path(path.replace("\\", "\\\\"))


_APOSTROPHES = str.maketrans("", "", "'’`")


def slug(name: str) -> str:
    """One path part as it stands in a key: "Children's Services - 21 June" ->
    "childrens-services-21-june", "Ёлка" -> "ёлка", "café" -> "cafe".

    Letters and digits of every script are kept (NFC, case-folded), so that a name in another
    script keeps a readable key; Latin letters lose their accents, as the keys of earlier
    versions did; apostrophes are dropped; any other run of characters becomes `-`. A byte
    of a name that is not UTF-8 is read as Latin-1."""
    name = _UNDECODED.sub(lambda m: chr(ord(m.group()) - 0xDC00), name)
    if name.isascii():
        folded = name.lower()
    else:
        folded = _fold(unicodedata.normalize("NFKD", name.casefold()))
    folded = folded.translate(_APOSTROPHES)
    if folded.isascii():
        return _ASCII_RUN.sub("-", folded).strip("-") or "_"
    parts = "".join(c if c.isalnum() or c == "_" or _is_mark(c) else " " for c in folded)
    return "-".join(parts.split()) or "_"


_ASCII_RUN = re.compile(r"[^a-z0-9_]+")


def _is_mark(char: str) -> bool:
    return unicodedata.category(char)[0] == "M"


def _fold(decomposed: str) -> str:
    """Accents off Latin letters (the marks after an ASCII letter), then NFC; other scripts
    keep their marks (a Devanagari vowel sign is part of the word)."""
    kept, after_ascii = [], False
    for char in decomposed:
        if _is_mark(char):
            if not after_ascii:
                kept.append(char)
            continue
        after_ascii = char.isascii()
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def document_id(relative: str | PurePosixPath) -> str:
    """The natural key of a document at `relative` ('/'-separated, below the indexed folder):
    its slugged parts, the file's extension dropped."""
    parts = str(relative).split("/")
    stem, dot, suffix = parts[-1].rpartition(".")
    if dot and stem and "/" not in suffix:
        parts[-1] = stem
    return "/".join(slug(part) for part in parts)


OnSkip = Callable[[str, str], None]  # (path as shown, reason)
# File systems of the kernel's own: their "files" are processes' memory and environment,
# devices and settings, never documents.
SYSTEM_FOLDERS = ("/proc", "/sys", "/dev")


def _is_system(real: str) -> bool:
    return any(real == f or real.startswith(f + "/") for f in SYSTEM_FOLDERS)


def _is_document(name: str) -> bool:
    dot = name.rfind(".")
    return dot > 0 and name[dot:].lower() in SUFFIXES


def find_documents(
    root: Path, *, follow_links: bool = False, on_skip: OnSkip | None = None
) -> Iterator[SourceFile]:
    """Every document file under `root` (or `root` itself), in sorted order: a folder's files,
    then its folders, each in name order.

    Hidden files and folders are passed over. Only regular files are read (a FIFO, device or
    socket named `x.txt` is skipped), and nothing under /proc, /sys or /dev. A symbolic link is
    followed only to a file inside `root` (a link to a folder inside is not followed: what it
    leads to is walked anyway, and a loop cannot trap the walk); a link leading outside is
    skipped unless `follow_links`. What is skipped is told to `on_skip`. Cheap enough for
    every query: one scandir per folder and one lstat per document file.
    """
    given = os.fspath(root)
    real = os.path.realpath(given)
    skip = on_skip or _ignore
    if _is_system(real):
        skip(shown_path(given), f"{real} is a system folder of the kernel, not documents")
        return
    try:
        info = os.stat(real)
    except OSError as error:
        skip(shown_path(given), f"cannot read: {error.strerror or error}")
        return
    if stat.S_ISREG(info.st_mode):
        name = os.path.basename(real)
        location = path_text(real)
        yield SourceFile(
            real, location, name, given, Path(real), info.st_size, info.st_mtime_ns, True
        )
        return
    if not stat.S_ISDIR(info.st_mode):
        skip(shown_path(given), "not a regular file or folder")
        return
    walk = _Walk(given, real, Path(real), follow_links, skip, {(info.st_dev, info.st_ino)})
    yield from walk.folder(real, "")


def _name(entry: os.DirEntry) -> str:
    return entry.name


def _ignore(path: str, reason: str) -> None:
    del path, reason


@dataclass
class _Walk:
    given: str
    real: str
    root: Path
    follow_links: bool
    skip: OnSkip
    visited: set[tuple[int, int]]  # folders walked (device, inode): links cannot loop

    def folder(self, path: str, relative: str) -> Iterator[SourceFile]:
        if _is_system(path):  # /proc below `/`, or a mount of it
            self.skip(self._shown(relative), "a system folder of the kernel, not documents")
            return
        try:
            with os.scandir(path) as scan:
                entries = sorted(scan, key=_name)
        except OSError as error:
            self.skip(self._shown(relative), f"cannot read folder: {error.strerror or error}")
            return
        folders: list[tuple[str, str]] = []
        found: list[SourceFile] = []
        given, root = self.given, self.root  # the loop runs for every file: locals are faster
        for entry in entries:
            name = entry.name
            if name[0] == ".":
                continue
            if entry.is_symlink():
                linked = self._link(entry, relative + name, folders)
                if linked is not None:
                    found.append(linked)
            elif name[name.rfind(".") :].lower() in SUFFIXES:
                info = entry.stat(follow_symlinks=False)
                if S_ISREG(info.st_mode):
                    file = entry.path
                    location = file if file.isascii() and "\\" not in file else path_text(file)
                    below = relative + name
                    found.append(
                        SourceFile(
                            file, location, below, given, root, info.st_size, info.st_mtime_ns
                        )
                    )
                elif S_ISDIR(info.st_mode):
                    folders.append((entry.path, relative + name))
                else:
                    self.skip(
                        self._shown(relative + name),
                        "not a regular file (a FIFO, device or socket)",
                    )
            elif entry.is_dir(follow_symlinks=False):
                folders.append((entry.path, relative + name))
        yield from found
        for path_below, below in folders:
            yield from self.folder(path_below, below + "/")

    def _link(
        self, entry: os.DirEntry, below: str, folders: list[tuple[str, str]]
    ) -> SourceFile | None:
        """A symbolic link: a document file inside the root, or (with `follow_links`) a
        file or folder anywhere but the kernel's; else skipped with the reason."""
        target = os.path.realpath(entry.path)
        inside = target.startswith(self.real.rstrip("/") + "/")
        document = _is_document(entry.name)
        try:
            info = os.stat(target)
        except OSError:
            if document:
                self.skip(self._shown(below), "a symbolic link that leads nowhere")
            return None
        is_folder = stat.S_ISDIR(info.st_mode)
        if not (document or is_folder) or (is_folder and inside):
            return None  # not a document; a folder inside is walked where it is
        if _is_system(target):
            self.skip(self._shown(below), f"a link to {shown_path(target)}, a system file")
        elif not inside and not self.follow_links:
            self.skip(
                self._shown(below),
                f"a symbolic link to {shown_path(target)}, outside {shown_path(self.given)} "
                "(not followed; --follow-links follows it)",
            )
        elif is_folder:
            if (info.st_dev, info.st_ino) not in self.visited:
                self.visited.add((info.st_dev, info.st_ino))
                folders.append((entry.path, below))
        elif stat.S_ISREG(info.st_mode):
            return self._source(entry.path, below, info)
        else:
            self.skip(self._shown(below), "not a regular file (a FIFO, device or socket)")
        return None

    def _source(self, path: str, below: str, info: os.stat_result) -> SourceFile:
        location = path if path.isascii() and "\\" not in path else path_text(path)
        return SourceFile(
            path, location, below, self.given, self.root, info.st_size, info.st_mtime_ns
        )

    def _shown(self, below: str) -> str:
        return shown_path(os.path.join(self.given, below.rstrip("/")))


def read_document(path: Path) -> SourceText:
    """The text of one document. Raises SourceError for what cannot be indexed."""
    data = _read_regular_file(path)
    if not data.strip():
        raise SourceError("empty file")
    if path.suffix.lower() in PDF_SUFFIXES:
        from indexer.pdf import pdf_pages  # pypdfium2 is loaded only when there are PDFs

        pdf = pdf_pages(data)
        text, starts = join_pages(pdf.pages)
        return SourceText(text, sha256(data), starts, tuple(pdf.raw_pages))
    if b"\x00" in data[:8192]:
        raise SourceError("binary data, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(
            f"not UTF-8 text (byte {error.start}); convert it to UTF-8", failed=True
        ) from None
    if path.suffix.lower() in HTML_SUFFIXES:
        from indexer.html import read_html  # only when there is HTML to read

        page = read_html(text)
        if not page.text.strip():
            raise SourceError("HTML page with no text")
        return SourceText(_lines(page.text), sha256(data), page=page.metadata)
    return SourceText(text=_lines(text), sha256=sha256(data))


def _lines(text: str) -> str:
    """Line ends as one "\\n" (the cleaning stage counts lines so)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_regular_file(path: Path) -> bytes:
    """The bytes of a regular file, refused before reading if too large. Opened without
    blocking and checked on the open file: a FIFO or device put in its place since the walk
    is refused, never waited on."""
    limit = MAX_PDF_BYTES if path.suffix.lower() in PDF_SUFFIXES else MAX_TEXT_BYTES
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as error:
        raise SourceError(f"cannot read: {error.strerror or error}", failed=True) from None
    with open(fd, "rb", closefd=True) as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SourceError("not a regular file (a FIFO, device or socket)")
        if info.st_size > limit:
            raise SourceError(
                f"too large: {info.st_size / 2**20:.0f} MB, over the {limit // 2**20} MB "
                f"limit for a {path.suffix.lower() or 'text'} file",
                failed=True,
            )
        try:
            return handle.read(limit + 1)
        except OSError as error:
            raise SourceError(f"cannot read: {error.strerror or error}", failed=True) from None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
