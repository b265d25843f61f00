"""Citations: a reference a reader can paste, and check against the source."""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath

from indexer.dates import PartialDate
from indexer.records import Passage


def human_date(value: str | None) -> str | None:
    """ "2022-06-21" -> "21 June 2022"; "2010" -> "2010"."""
    return PartialDate(value).human() if value else None


def location(passage: Passage) -> str:
    """Where the passage stands in its file: "page 5", "pages 4-5", or for a text without
    pages "line 68", "lines 19-21"."""
    unit, (first, last) = ("page", passage.pages) if passage.pages else ("line", passage.lines)
    return f"{unit} {first}" if first == last else f"{unit}s {first}-{last}"


def reference(passage: Passage) -> str:
    """Publisher, title, date, and the passage's place: e.g. "Ofsted, Inspection of Camden
    local authority children's services, 21 June 2022, paragraph 27", or for a letter without
    paragraph numbers "Ofsted, Focused visit to Barnsley children's services, 1 March 2023,
    page 3".

    Unknown parts are left out rather than guessed ("n.d." for an unknown date, as style
    guides do). A passage without its own number is cited by its page in the PDF, or in a
    text without pages by its file and lines. No absolute path ever appears: a file outside
    the working directory is named by its document id (the path below the indexed folder),
    which `search show` resolves.
    """
    parts = [p for p in (passage.publisher, passage.title or document_id(passage)) if p]
    parts.append(human_date(passage.date) or "n.d.")
    if passage.paragraph:
        parts.append(f"paragraph {passage.paragraph}")
    elif passage.pages:
        parts.append(location(passage))
    else:
        parts.append(f"{relative_source(passage)}, {location(passage)}")
    return ", ".join(parts)


def document_id(passage: Passage) -> str:
    """The document's id: its path below the indexed folder, as in the citation key."""
    return passage.citation.rsplit("#", 1)[0]


def relative_source(passage: Passage) -> str:
    """The source file as given when it is relative (below the working directory), else the
    document's id: a reference must not carry a machine's absolute path."""
    source = passage.source
    absolute = PurePosixPath(source).is_absolute() or PureWindowsPath(source).is_absolute()
    return document_id(passage) if absolute else source
