"""Chunk: cleaned lines -> the passages a reader sees, with paragraph labels and sections.

Rules (each is tested against the golden files in tests/golden/):

- A paragraph is a line, or lines joined when one continues the other. The tell for a
  continuation is a line that does not end a sentence followed by one that starts in lower
  case; it joins paragraphs broken across a page break ("... part of their" / "review
  meetings.") as well as hard-wrapped lines.
- A numbered paragraph ("27. When children ...") is its own passage and keeps its number
  as its paragraph label, which is how Ofsted reports are cited.
- A heading (a one-line block, short, not ending a sentence, or Ofsted's "...: outstanding";
  or a Markdown heading "# ...", which is how the PDF reader marks headings by their font)
  is not a passage: it becomes the section of the passages under it. The first heading
  before any passage is the document's title.
- A bulleted list belongs with its lead-in: the list and the paragraph before it are one
  passage (lines kept, joined by newlines). A list straight after a heading stands alone.
  But a list of bulleted paragraphs (an item of several sentences, or over 300 characters:
  the findings of Ofsted's letters of 2018-2021) is a passage per item, as numbered ones are.
- A footnote (marked by the PDF reader) is a passage of its own; a paragraph it interrupts
  across a page break is joined over it. A line that looks numbered but follows a line that
  does not end a sentence ("aged 18 to" / "25. This visit") carries on that line.
- A passage with nothing to read (no letter: a stray "1.") is dropped.
- A table (tab-separated lines) is one passage.
- A paragraph that repeats the title or an earlier passage word for word is dropped (pages
  repeat their headline).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexer.clean import CONTINUES, FOOTNOTE, Line, ends_sentence, split_blocks

# "27. When children" and, as some reports print it, "27.When children"
_NUMBERED = re.compile(r"^(\d{1,3})\.(?:\s+\S|(?=[A-Z‘“'\"(]))")
_BULLET = re.compile(r"^\s*(?:[-*•·▪◦‣–◼■●]|\d{1,2}\))\s+\S")
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+(\S.*)$")
_GRADE_HEADING = re.compile(
    r":\s*(outstanding|good|adequate|requires improvement(?: to be good)?|inadequate)$",
    re.IGNORECASE,
)
_HEADING_MAX_WORDS = 10
# A paragraph longer than this (a file of one enormous line) is cut into passages at
# sentence ends, or spaces, so that no passage is too long to read or to score.
MAX_PASSAGE_CHARS = 10_000
# A bulleted item longer than this, or of more than one sentence, is a paragraph of its own.
PARAGRAPH_ITEM_CHARS = 300


@dataclass(frozen=True, slots=True)
class Chunk:
    """One passage as it stands in the source: text exactly as written, and where."""

    text: str
    paragraph: str | None  # the document's own label ("27"), if it has one
    section: str | None  # the heading above it
    line_start: int
    line_end: int


@dataclass(frozen=True, slots=True)
class ChunkedDocument:
    title: str | None
    chunks: list[Chunk]


@dataclass(slots=True)
class _Unit:
    """A paragraph being assembled; `kind` is text, numbered, bullet or table."""

    kind: str
    lines: list[Line] = field(default_factory=list)
    single_line_block: bool = False

    @property
    def text(self) -> str:
        sep = "\n" if self.kind == "table" else " "
        text = sep.join(_unmarked(x.text.strip()) for x in self.lines)
        heading = _MARKDOWN_HEADING.match(text)
        return heading.group(1) if heading else text

    @property
    def last_text(self) -> str:
        return self.lines[-1].text.strip()


def _unmarked(text: str) -> str:
    return text.replace(CONTINUES, "").replace(FOOTNOTE, "")


def _kind(text: str) -> str:
    if text.startswith(FOOTNOTE):
        return "footnote"
    if _MARKDOWN_HEADING.match(text):
        return "heading"
    if "\t" in text:
        return "table"
    if _NUMBERED.match(text):
        return "numbered"
    if _BULLET.match(text):
        return "bullet"
    return "text"


def _continues(previous: _Unit, text: str) -> bool:
    """True when `text` carries on the paragraph `previous` (a wrapped line or a page break)."""
    if previous.kind not in ("text", "numbered", "bullet"):
        return False
    if text.startswith(CONTINUES):  # the source reader knows (a PDF paragraph across pages)
        return True
    return text.lstrip()[:1].islower() and not ends_sentence(previous.last_text)


def _is_heading(unit: _Unit, marked: bool = False) -> bool:
    text = unit.text
    if unit.kind == "heading":
        return True
    if marked or not unit.single_line_block or unit.kind != "text":
        return False
    if _GRADE_HEADING.search(text):
        return True
    words = text.split()
    return (
        len(words) <= _HEADING_MAX_WORDS
        and not re.search(r"[.,;:!]$", text)
        and not re.match(r"^[A-Z][\w ]{1,30}:\s", text)  # "Lead inspector: ..." is content
    )


def _is_title(unit: _Unit, marked: bool = False) -> bool:
    """A page's headline: its first paragraph, on a line of its own, not a sentence."""
    text = unit.text
    if unit.kind == "heading":
        return True
    if marked or not unit.single_line_block or unit.kind != "text":
        return False
    return len(text.split()) <= 25 and not re.search(r"[.,;:!]$", text)


def _units(lines: list[Line]) -> list[_Unit]:
    """Group lines into paragraph units. A continuation may cross a blank line (a page break)."""
    units: list[_Unit] = []
    for block in split_blocks(lines):
        first_new = len(units)
        for line in block:
            text = line.text.strip()
            kind = _kind(text.replace(CONTINUES, ""))
            # a footnote between a paragraph and its continuation is passed over
            body = [u for u in units if u.kind != "footnote"]
            last_body = body[-1] if body and units[-1].kind == "footnote" else None
            previous = units[-1] if units else None
            if previous is not None and kind == "text" and _continues(previous, text):
                previous.lines.append(line)
                previous.single_line_block = False
            elif last_body is not None and kind == "text" and _continues(last_body, text):
                last_body.lines.append(line)
                last_body.single_line_block = False
            elif (
                previous is not None
                and kind == "numbered"
                and line is not block[0]
                and previous.kind in ("text", "numbered", "bullet")
                and not ends_sentence(previous.last_text)
            ):
                previous.lines.append(line)  # "aged 18 to" / "25. This visit": not a label
            elif previous is not None and kind == previous.kind == "table" and line is not block[0]:
                previous.lines.append(line)
            else:
                units.append(_Unit(kind, [line]))
        new = units[first_new:]
        if len(block) == 1 and len(new) == 1:
            new[0].single_line_block = True
    return units


def _is_paragraph(item: str) -> bool:
    """A bulleted item that is a paragraph rather than a list entry: several sentences, or
    one long one."""
    text = item.lstrip("-*•·▪◦‣–◼■● ")
    return len(text) > PARAGRAPH_ITEM_CHARS or len(re.findall(r"[.!?]\s+[A-Z‘“]", text)) >= 1


def split_long(text: str, limit: int = MAX_PASSAGE_CHARS) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut after a sentence if possible."""
    pieces = []
    while len(text) > limit:
        window = text[:limit]
        cut = max(window.rfind(". "), window.rfind("? "), window.rfind("! "))
        cut = cut + 1 if cut > limit // 2 else window.rfind(" ")
        if cut <= 0:
            cut = limit
        pieces.append(text[:cut].strip())
        text = text[cut:].strip()
    return [*pieces, text] if text else pieces


def chunk_paragraphs(lines: list[Line], *, headings_marked: bool = False) -> ChunkedDocument:
    """Turn cleaned lines into passages (see the module docstring for the rules).

    `headings_marked`: the source marks every heading `# ` (HTML's h1-h6), so a short line
    without a full stop is a paragraph like any other, not a heading by its shape alone."""
    title: str | None = None
    section: str | None = None
    chunks: list[Chunk] = []
    seen: set[str] = set()
    pending_lead_in: _Unit | None = None  # the paragraph a following list belongs to
    pending_list: list[_Unit] = []  # its items

    def emit(unit_lines: list[Line], text: str, kind: str) -> None:
        key = " ".join(text.split()).casefold()
        if key in seen or not re.search(r"[^\W\d_]", text):
            return  # a repeat, or nothing to read (a stray "1.")
        seen.add(key)
        label = None
        if kind == "numbered":
            match = _NUMBERED.match(text)
            label = match.group(1) if match else None
        first, last = unit_lines[0].number, unit_lines[-1].number
        for i, piece in enumerate(split_long(text)):
            chunks.append(Chunk(piece, label if i == 0 else None, section, first, last))

    def flush() -> None:
        nonlocal pending_lead_in, pending_list
        items = [item.text for item in pending_list]
        item_lines = [line for item in pending_list for line in item.lines]
        if any(_is_paragraph(item) for item in items):
            # bulleted paragraphs (a letter's findings): each is a passage, as numbered ones
            if pending_lead_in is not None:
                emit(pending_lead_in.lines, pending_lead_in.text, pending_lead_in.kind)
            for item in pending_list:
                emit(item.lines, item.text, "bullet")
        elif pending_lead_in is not None:
            text = "\n".join([pending_lead_in.text, *items])
            emit(pending_lead_in.lines + item_lines, text, pending_lead_in.kind)
        elif pending_list:
            emit(item_lines, "\n".join(items), "bullet")
        pending_lead_in, pending_list = None, []

    for unit in _units(lines):
        if unit.kind == "footnote":
            flush()
            emit(unit.lines, unit.text, "footnote")
            continue
        if unit.kind == "bullet":
            pending_list.append(unit)
            continue
        if (
            title is None
            and not chunks
            and pending_lead_in is None
            and _is_title(unit, headings_marked)
        ):
            title = unit.text
            seen.add(" ".join(title.split()).casefold())
            continue
        if _is_heading(unit, headings_marked):
            flush()
            if " ".join(unit.text.split()).casefold() != (title or "").casefold():
                section = unit.text
            continue
        flush()
        pending_lead_in = unit
    flush()
    # A heading with nothing under it (a trailing one) has simply been dropped.
    return ChunkedDocument(title=title, chunks=chunks)
