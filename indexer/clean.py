"""Clean: keep the lines a reader reads, drop page chrome and boilerplate.

Web pages saved as text carry navigation, advertisements, job listings, "most popular"
headlines and footers; Ofsted reports end with a standard contact block. None of that is a
passage anyone wants to quote. Three rules, in order:

1. a line that is chrome wherever it stands (image file names, "top of page", copyright lines,
   "Comments are closed.", contact lines such as "T: 0300 123 1231"; a letter's salutation
   "Dear Ms Leavy", a signature "... Her Majesty's Inspector", "cc" and "Copy to:" lines, a
   template's "Insert LA Address");
2. a leading navigation block: the first block of the page when it is a run of very short
   lines ("top of page / Adults' / All features / Training");
3. a trailing zone: from the first line that opens a site's trailer ("More from ...",
   "Job of the week", "Most popular articles today", Ofsted's "The Office for Standards in
   Education ... regulates and inspects", a letter's "Yours sincerely") to the end, extended
   backwards over the short unpunctuated lines that lead into it (an advert's image alt text
   and employer name) and over a letter's closing boilerplate ("Ofsted will take the findings
   from this focused visit into account ...", "I am copying this letter to ...").

Every dropped line is kept (with its reason) for the metadata stage: "More from Community
Care" names the publisher even though it is not a passage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Rule 1: chrome wherever it stands. Each pattern matches a whole (stripped) line.
_CHROME_LINE = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"(top|bottom) of page",
        r"[\w.-]+\.(png|jpe?g|gif|svg|webp)",  # image file names
        r"©.*|\(c\) .*|copyright ©?.*",
        r"comments are (closed|open)\.?",
        r"[•·▪*-]?\s*(instagram|facebook|twitter|x|linkedin|youtube|tiktok|share|email|print)",
        r"(picture|photo|image)( credit)?:.*",  # photo credits
        r"click here.*",
        r"(read|see) more",
        r"£[\d,.]+(\s*[-–]\s*£[\d,.]+)?",  # a salary line from a job advert
        r"(t|tel|textphone|e|w|f|fax):\s*\S.*",  # contact lines
        r"to see relevant reports follow the links? below:?",
        # a letter's anatomy: its salutation, a signature, copies
        r"(?:\S+\s+){0,4}dear\s+(?:(?:mr|mrs|ms|miss|mx|dr|prof)\.\s*)?[a-z][^.!?;:]{0,60}",
        r"insert [\w ]{1,30}(?:address|name|details)",  # a template's placeholder
        r"(?:[\w'.-]+\s+){0,4}(?:her|his) majesty's (?:chief )?inspectors?(?: of [\w ,]+)?",
        r"(?:cc|copy to):?\s+.{0,200}",
    )
]
# A letter's closing boilerplate: dropped where it stands just before the letter's close.
_CLOSING = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"ofsted will (?:publish this letter and )?take the findings .{0,200}",
        r"i am copying this letter to .{0,300}",
        r"this letter will be published .{0,200}",
    )
]

# Metadata lines: a date standing alone ("17/04/25"), or a feed header ("date 2022-06-22 Title
# (source: Publisher)"). The metadata stage reads them; they are not passages.
_METADATA_LINE = [
    re.compile(r"\d{1,2}/\d{1,2}/\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2} [A-Za-z]+ \d{4}"),
    re.compile(r"date \d{4}-\d{2}-\d{2}\b.*", re.IGNORECASE),
]

# Rule 3: lines that open a site's trailer; the rest of the page is chrome.
_TRAILER_START = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"more from .+",
        r"comments are closed\.?",
        r"job of the week",
        r"featured (jobs?|events?)",
        r"most (popular|read)( articles?)?( today)?",
        r"sponsored content",
        r"related (articles|stories|content)",
        r"the office for standards in education, children's services and skills \(ofsted\) "
        r"regulates and inspects.*",
        r"yours (?:sincerely|faithfully|truly),?",  # a letter's close: the signature follows
    )
]

# Written by a source reader at the start of a paragraph that carries on the previous one
# across a page break (see indexer.pdf); the chunker joins them and drops the mark.
CONTINUES = "\u2060"  # WORD JOINER: invisible, and never in these texts
# Written by a source reader at the start of a paragraph set apart in small type (a
# footnote): the chunker keeps it a passage of its own, never joined to the text around it.
FOOTNOTE = "\u2063"  # INVISIBLE SEPARATOR

_TERMINAL = re.compile(r"""[.!?:;]["'”’)\]]*$""")


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the source file: its 1-based number and its text (right-stripped)."""

    number: int
    text: str


@dataclass(frozen=True, slots=True)
class CleanText:
    kept: list[Line]  # blank lines included: they separate paragraphs
    dropped: list[tuple[Line, str]]  # each with the reason, for metadata and for debugging


def ends_sentence(text: str) -> bool:
    return bool(_TERMINAL.search(text.rstrip()))


def _is_short_label(text: str, max_words: int) -> bool:
    """A short line with no sentence punctuation: a nav item, a job title, an alt text."""
    stripped = text.strip()
    return bool(stripped) and len(stripped.split()) <= max_words and not ends_sentence(stripped)


def _fold(text: str) -> str:
    text = text.replace(CONTINUES, "").replace(FOOTNOTE, "")
    return text.strip().replace("’", "'").replace("‘", "'")


def split_blocks(lines: list[Line]) -> list[list[Line]]:
    """Runs of non-blank lines."""
    blocks: list[list[Line]] = [[]]
    for line in lines:
        if line.text.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def clean_lines(text: str) -> CleanText:
    """Split a document into lines and drop chrome (see the module docstring for the rules)."""
    lines = [Line(i, raw.rstrip()) for i, raw in enumerate(text.splitlines(), start=1)]
    reasons: dict[int, str] = {}

    for line in lines:
        stripped = _fold(line.text)
        if stripped and any(p.fullmatch(stripped) for p in _CHROME_LINE):
            reasons[line.number] = "chrome line"
        elif stripped and any(p.fullmatch(stripped) for p in _METADATA_LINE):
            reasons[line.number] = "metadata line"

    blocks = split_blocks(lines)
    # Rule 2: a leading navigation block of three or more very short lines.
    if blocks and len(blocks[0]) >= 3 and all(_is_short_label(x.text, 3) for x in blocks[0]):
        for line in blocks[0]:
            reasons.setdefault(line.number, "navigation")

    # Rule 3: the trailer zone.
    trailer = next(
        (
            i
            for i, b in enumerate(blocks)
            if any(p.fullmatch(_fold(b[0].text)) for p in _TRAILER_START)
        ),
        None,
    )
    if trailer is not None:
        start = trailer
        while start > 0:
            before = blocks[start - 1]
            dropped_already = all(x.number in reasons for x in before)
            closing = any(p.fullmatch(_fold(" ".join(x.text for x in before))) for p in _CLOSING)
            if (
                dropped_already
                or closing
                or (len(before) == 1 and _is_short_label(before[0].text, 8))
            ):
                start -= 1
            else:
                break
        for block in blocks[start:]:
            for line in block:
                reasons.setdefault(line.number, "trailer")

    kept = [line if line.number not in reasons else Line(line.number, "") for line in lines]
    dropped = [(line, reasons[line.number]) for line in lines if line.number in reasons]
    return CleanText(kept=kept, dropped=dropped)
