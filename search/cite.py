"""Citations: a reference a reader can paste, and check against the source."""

from __future__ import annotations

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
    """Publisher, title, date, paragraph: e.g. "Ofsted, Inspection of Camden local authority
    children's services, 21 June 2022, paragraph 27".

    Unknown parts are left out rather than guessed ("n.d." for an unknown date, as style
    guides do). A passage without its own number is cited by our key, which `search show`
    resolves, and by its lines in the source file.
    """
    parts = [p for p in (passage.publisher, passage.title or passage.source) if p]
    parts.append(human_date(passage.date) or "n.d.")
    if passage.paragraph:
        parts.append(f"paragraph {passage.paragraph}")
    else:
        parts.append(f"{passage.source}, {location(passage)}")
    return ", ".join(parts)
