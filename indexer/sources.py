"""Sources: find the documents under a path and read each one's text.

Plain text and Markdown are read as UTF-8; HTML is reduced to its text with one line per
block element. A file that cannot be read as a document raises `SourceError` with a reason
a person can act on; the pipeline skips it and goes on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
HTML_SUFFIXES = {".html", ".htm"}
SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES


class SourceError(Exception):
    """A file that cannot be read as a document (the message says why)."""


@dataclass(frozen=True)
class SourceFile:
    path: Path  # absolute
    doc_id: str  # path below the corpus folder, without its extension, '/'-separated
    display: str  # the path as the user can open it (relative to the working directory if below it)
    root: Path  # the folder (or file) the user asked to index


@dataclass(frozen=True)
class SourceText:
    text: str
    sha256: str


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def find_documents(root: Path) -> Iterator[SourceFile]:
    """Every readable document under `root` (or `root` itself), in sorted order."""
    root = root.resolve()
    if root.is_file():
        yield SourceFile(root, root.stem, _display(root), root)
        return
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() in SUFFIXES and path.is_file() and not path.name.startswith("."):
            relative = path.relative_to(root).with_suffix("")
            yield SourceFile(path, relative.as_posix(), _display(path), root)


def read_document(path: Path) -> SourceText:
    """The text of one document. Raises SourceError for what cannot be indexed."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(f"cannot read: {error.strerror or error}") from None
    if not data.strip():
        raise SourceError("empty file")
    if b"\x00" in data[:8192]:
        raise SourceError("binary data, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(f"not UTF-8 text (byte {error.start}); convert it to UTF-8") from None
    if path.suffix.lower() in HTML_SUFFIXES:
        text = html_to_text(text)
        if not text.strip():
            raise SourceError("HTML page with no text")
    return SourceText(text=text.replace("\r\n", "\n").replace("\r", "\n"), sha256=sha256(data))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
    "section", "article", "blockquote", "pre", "dd", "dt", "title", "figcaption",
}  # fmt: skip
_SKIP_TAGS = {"script", "style", "nav", "header", "footer", "aside", "noscript", "template"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")
            if tag == "li":
                self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(" ".join(data.split()) if data.strip() else " ")


def html_to_text(html: str) -> str:
    """Visible text of an HTML page, one block element per paragraph."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip() + "\n"
