"""Sources: find the documents under a path and read each one's text.

Plain text and Markdown are read as UTF-8; HTML is reduced to its text with one line per
block element; PDF text comes from `indexer.pdf`. A file that cannot be read as a document
raises `SourceError` with a reason a person can act on; the pipeline reports it and goes on.

Document ids are the file's path below the indexed folder, without its extension, each part
written as a "slug" (ASCII lower case, digits, `_` and `-`), so that a citation key can be
pasted into a shell without quotes:

    80491_camden/children's services inspection - 21 june 2022.pdf
    -> 80491_camden/childrens-services-inspection-21-june-2022
"""

from __future__ import annotations

import bisect
import hashlib
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from indexer.html import html_to_text

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
HTML_SUFFIXES = {".html", ".htm"}
PDF_SUFFIXES = {".pdf"}
SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES
# Bounds on what one file may cost: the largest Ofsted report is under 2 MB of PDF and 100 KB
# of text; a file far beyond these is refused before it is read.
MAX_TEXT_BYTES = 32 * 1024 * 1024
MAX_PDF_BYTES = 256 * 1024 * 1024


class SourceError(Exception):
    """A file that cannot be read as a document (the message says why).

    `failed` distinguishes a document we should have been able to read (a truncated PDF, a
    text file in another encoding, no permission) from a file that is not a document at all
    (empty, an HTML error page saved as .pdf, binary data named .txt), which is skipped.
    """

    def __init__(self, reason: str, *, failed: bool = False) -> None:
        super().__init__(reason)
        self.failed = failed


@dataclass(frozen=True)
class SourceFile:
    path: Path  # absolute
    doc_id: str  # slugged path below the corpus folder, without its extension, '/'-separated
    display: str  # the path as the user can open it (relative to the working directory if below it)
    root: Path  # the folder (or file) the user asked to index
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class SourceText:
    """A document's text; for a PDF, the line (1-based) where each page starts."""

    text: str
    sha256: str
    page_starts: tuple[int, ...] | None = None
    raw_pages: tuple[str, ...] | None = None  # a PDF's pages as extracted, for metadata

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


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def slug(name: str) -> str:
    """One path part as it stands in a document id: "Children's Services - 21 June" ->
    "childrens-services-21-june"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"['’`]", "", ascii_name.lower())
    return re.sub(r"[^a-z0-9_]+", "-", ascii_name).strip("-") or "_"


def document_id(relative: PurePosixPath) -> str:
    """The id of a document at `relative` (below the indexed folder)."""
    return "/".join(slug(part) for part in relative.with_suffix("").parts)


def _source(path: Path, relative: PurePosixPath, root: Path) -> SourceFile:
    stat = path.stat()
    return SourceFile(
        path, document_id(relative), _display(path), root, stat.st_size, stat.st_mtime_ns
    )


def find_documents(root: Path) -> Iterator[SourceFile]:
    """Every document file under `root` (or `root` itself), in sorted order.

    Hidden files and folders are passed over, and symbolic links to folders are not followed
    (a link loop cannot trap the walk).
    """
    root = root.resolve()
    if root.is_file():
        yield _source(root, PurePosixPath(root.name), root)
        return
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(folder) / name
            if name.startswith(".") or path.suffix.lower() not in SUFFIXES or not path.is_file():
                continue
            relative = PurePosixPath(path.relative_to(root).as_posix())
            yield _source(path, relative, root)


def read_document(path: Path) -> SourceText:
    """The text of one document. Raises SourceError for what cannot be indexed."""
    limit = MAX_PDF_BYTES if path.suffix.lower() in PDF_SUFFIXES else MAX_TEXT_BYTES
    try:
        size = path.stat().st_size
    except OSError as error:
        raise SourceError(f"cannot read: {error.strerror or error}", failed=True) from None
    if size > limit:
        raise SourceError(
            f"too large: {size / 2**20:.0f} MB, over the {limit // 2**20} MB limit for a "
            f"{path.suffix.lower() or 'text'} file",
            failed=True,
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(f"cannot read: {error.strerror or error}", failed=True) from None
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
        text = html_to_text(text)
        if not text.strip():
            raise SourceError("HTML page with no text")
    return SourceText(text=text.replace("\r\n", "\n").replace("\r", "\n"), sha256=sha256(data))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
