"""Citations: a reference a reader can paste, and check against the source."""

from __future__ import annotations

from indexer.dates import PartialDate
from indexer.records import Passage


def human_date(value: str | None) -> str | None:
    """ "2022-06-21" -> "21 June 2022"; "2010" -> "2010"."""
    return PartialDate(value).human() if value else None


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
    elif passage.pages:
        first, last = passage.pages
        parts.append(
            f"{passage.source}, " + (f"page {first}" if first == last else f"pages {first}-{last}")
        )
    else:
        first, last = passage.lines
        lines = f"line {first}" if first == last else f"lines {first}-{last}"
        parts.append(f"{passage.source}, {lines}")
    return ", ".join(parts)
