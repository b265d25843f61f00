"""PDF text with pypdfium2, rebuilt into the paragraphs a reader sees.

pypdfium2 (PDFium, the engine in Chrome) extracts these reports accurately and fast, but its
text has a line break at the end of every printed line and none between paragraphs. So each
line is placed on the page (the origin of its first character, its font size and weight) and:

- running headers and footers go: lines in the top or bottom margin that are page numbers,
  smaller than the body text, or repeated on several pages ("Inspection of Camden local
  authority children's services" / "25 to 29 April 2022 2");
- lines are joined into paragraphs; a new paragraph starts after a vertical gap clearly
  larger than the body's line spacing, at a numbered paragraph ("27. ..."), at a bullet, and
  where the font changes between heading and body;
- headings (larger than the body text) are written as Markdown headings ("# What needs to
  improve?"), which the chunker turns into sections;
- a paragraph that runs on to the next page (it does not end a sentence, and the next page
  starts with body text that is not a new numbered paragraph or bullet) is marked with
  `CONTINUES` so the chunker joins it across the page break, over any footnotes between;
- small type (footnotes) is marked with `FOOTNOTE`: a passage of its own, never joined to
  the text around it; a footnote mark PDFium sets on a line of its own ("1") goes;
- a letter's address blocks go, Ofsted's and the addressee's, wherever they stand: stacks of
  short lines in one column that hold a postcode or a contact line, or that a salutation
  follows; so does the page's own number wherever it is printed;
- a line that looks numbered but carries on a sentence ("aged 18 to" / "25. This visit") is
  not a numbered paragraph; a bold line of body type that is not a sentence is a heading
  (a letter's "Main findings").

The result is one string per page, paragraphs separated by blank lines, so that a passage
can say which page it is on.
"""

from __future__ import annotations

import ctypes
import itertools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from indexer.clean import CONTINUES, FOOTNOTE, ends_sentence
from indexer.errors import SourceError

# Share of the page height at the top and bottom where running headers and footers live.
MARGIN = 0.09
# A gap between lines larger than this many body line spacings starts a new paragraph
# (Ofsted's reports: 14.5 pt between lines, 20 to 29 pt between paragraphs).
PARAGRAPH_GAP = 1.25

_NUMBERED = re.compile(r"^\d{1,3}\.(\s|(?=[A-Z‘“'\"(]))")
# Bullet glyphs, including the private-use ones of symbol fonts (U+F000-U+F0FF)
_BULLET = re.compile(r"^[\u25aa\u25fc\u25a0\u2022\u25cf\u25e6\u2023\u2043\uf000-\uf0ff•·-]\s")
# A short numbered line ending in a grade is a row of the first page's table of judgements
# ("1. Children who need help and protection Good", "2.1 Adoption performance Outstanding").
_NUMBERED_ROW = re.compile(r"^\d(\.\d)?\.?\s")
_GRADE_AT_END = re.compile(
    r"^(.*\S)\s+(outstanding|good|adequate|requires improvement(?: to be good)?|inadequate"
    r"|not judged)\s*$",
    re.IGNORECASE,
)
_TABLE_HEADER = re.compile(r"^(judgements?)\s+(grades?)$", re.IGNORECASE)
_PAGE_NUMBER = re.compile(r"^(page\s*)?\d{1,3}(\s*(of|/)\s*\d{1,3})?$", re.IGNORECASE)
# A letter's address blocks (the sender's and the addressee's): a stack of short lines that
# holds a UK postcode or a contact line (telephone, email, web address).
# (its digits as misprinted too: "London SW21 EG")
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d?[A-Z]{2}[.,]?$")
_SALUTATION = re.compile(r"^(?:\S+\s+){0,4}Dear\s+[A-Z]")
_CONTACT = re.compile(
    r"^(?:(?:t|tel|telephone|textphone|phone|fax|e|email|w|web)\b[:.]?\s*)?"
    r"(?:\+?[\d ()]{9,}|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?:https?://)?www\.\S+)$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class PdfLine:
    text: str
    x: float
    y: float  # baseline of the first character, from the bottom of the page
    size: float  # font size
    bold: bool
    y_end: float | None = None  # baseline of the last character, when PDFium ran two lines on

    @property
    def y_last(self) -> float:
        return self.y if self.y_end is None else self.y_end


@dataclass(frozen=True)
class PdfText:
    pages: list[str]  # each page's paragraphs (see the module docstring)
    raw_pages: list[str]  # each page's text as PDFium gives it, for metadata rules


def pdf_pages(data: bytes) -> PdfText:
    """The text of each page, rebuilt into paragraphs, and as extracted."""
    import pypdfium2 as pdfium

    if not data.lstrip()[:1024].startswith(b"%PDF"):
        kind = "an HTML page" if b"<html" in data[:2048].lower() else "not a PDF"
        raise SourceError(f"{kind}, not a PDF (no %PDF header)")
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        reason = str(error)
        if "password" in reason.lower():
            raise SourceError("encrypted PDF (needs a password)", failed=True) from None
        raise SourceError(f"unreadable PDF: {reason}", failed=True) from None
    try:
        placed, raw = [], []
        for page in document:
            text, lines = _lines(page)
            placed.append((lines, page.get_height()))
            raw.append(text)
    finally:
        document.close()
    if not any(lines for lines, _ in placed):
        raise SourceError("PDF with no text (a scan without OCR?)")
    return PdfText(rebuild_paragraphs(placed), raw)


def _lines(page: object) -> tuple[str, list[PdfLine]]:
    import pypdfium2.raw as raw

    textpage = page.get_textpage()  # type: ignore[attr-defined]
    try:
        text = textpage.get_text_range()
        x, y = ctypes.c_double(), ctypes.c_double()
        x_end, y_end = ctypes.c_double(), ctypes.c_double()
        lines, offset = [], 0
        for line in text.split("\r\n"):
            start, offset = offset, offset + len(line) + 2
            stripped = line.strip()
            if not stripped:
                continue
            first = start + len(line) - len(line.lstrip())
            last = start + len(line.rstrip()) - 1
            raw.FPDFText_GetCharOrigin(textpage, first, ctypes.byref(x), ctypes.byref(y))
            raw.FPDFText_GetCharOrigin(textpage, last, ctypes.byref(x_end), ctypes.byref(y_end))
            # The type of the line is that of its middle character: a paragraph's number may be
            # set larger than its text ("4." at 14 pt before 12 pt body text).
            middle = (first + last) // 2
            while middle > first and line[middle - start].isspace():
                middle -= 1
            size = raw.FPDFText_GetFontSize(textpage, middle)
            weight = raw.FPDFText_GetFontWeight(textpage, middle)
            # PDFium writes a hyphen it joined at a line end as U+FFFE or U+0002
            # ("asylum-seeking"); in these reports they are real hyphens
            words = " ".join(stripped.replace("\ufffe", "-").replace("\x02", "-").split())
            ran_on = y_end.value if abs(y_end.value - y.value) > size * 0.5 else None
            lines.append(PdfLine(words, x.value, y.value, size, weight >= 600, ran_on))
        return text, lines
    finally:
        textpage.close()


def rebuild_paragraphs(pages: list[tuple[list[PdfLine], float]]) -> list[str]:
    """Lines placed on their pages -> page texts of paragraphs (pure; tested on its own)."""
    # the body's font size: the size most of the characters are set in
    sizes: Counter[float] = Counter()
    for lines, _ in pages:
        for line in lines:
            sizes[round(line.size, 1)] += len(line.text)
    body_size = _mode(sizes) or 12.0
    repeated = _repeated_margin_lines(pages)
    spacing = _line_spacing(pages, body_size)
    out: list[str] = []
    carry = False  # the last paragraph of the previous page (before its footnotes) runs on
    for number, (lines, height) in enumerate(pages, start=1):
        body = _body_lines(lines, height, body_size, repeated, number)
        paragraphs = _paragraphs(body, body_size, spacing)
        if carry and paragraphs and _can_continue(paragraphs[0]):
            paragraphs[0] = CONTINUES + paragraphs[0]
        # footnotes at the foot of the page stand apart: the paragraph above them runs on
        main = [i for i, p in enumerate(paragraphs) if not p.startswith(FOOTNOTE)]
        last = main[-1] if main else None
        carry = (
            last is not None
            and all(p.startswith(FOOTNOTE) for p in paragraphs[last + 1 :])
            and not paragraphs[last].startswith("#")
            and not ends_sentence(paragraphs[last])
        )
        out.append("\n\n".join(paragraphs))
    return out


def _body_lines(
    lines: list[PdfLine], height: float, body_size: float, repeated: set[str], number: int
) -> list[PdfLine]:
    """The page's lines less its chrome: running headers and footers, the page's own number
    wherever it stands, footnote marks set as separate superscript lines, and a letter's
    address blocks. A small line in the margin that carries on the small text just above it
    (a footnote's last line) is kept."""
    kept: list[PdfLine] = []
    left = min((line.x for line in lines), default=0.0)
    for line in lines:
        if _is_chrome(line, height, body_size, repeated) and not _carries_on(kept, line):
            continue
        if line.x > left + 100 and _is_page_number(line.text, number):
            continue  # (not at the left margin, where "1" may start "1st Floor")
        if line.size < body_size * 0.3:
            continue  # text too small to read (hidden text of 1 pt among 12 pt type)
        if line.size < body_size * 0.8 and re.fullmatch(r"\d{1,3}(,\s*\d{1,3})*", line.text):
            continue  # a superscript footnote mark ("1") PDFium set on a line of its own
        kept.append(line)
    dropped = _address_lines(kept)
    return [line for i, line in enumerate(kept) if i not in dropped]


def _is_page_number(text: str, number: int) -> bool:
    """The page's own number ("3", "Page 3"), wherever it stands on the page."""
    page = _PAGE_NUMBER.match(text)
    return bool(page) and page.group(2) is None and int(re.sub(r"\D", "", text)) == number


def _carries_on(kept: list[PdfLine], line: PdfLine) -> bool:
    if not kept or _PAGE_NUMBER.match(line.text):
        return False
    above = kept[-1]
    return abs(above.size - line.size) < 0.3 and 0 < above.y_last - line.y <= line.size * 1.6


def _address_lines(lines: list[PdfLine]) -> set[int]:
    """Indexes of the lines of address blocks: stacks of short lines, one under the other in
    one column, none ending a sentence, that hold a postcode or a contact line, or that a
    salutation follows (a letter's sender and addressee: "Ofsted / Piccadilly Gate / ... /
    M1 2WD"; "Andrew Carter / Strategic Director ... / London SW2 1EG" / "Dear Mr Carter")."""
    dropped: set[int] = set()
    stack: list[int] = []

    def close(after: PdfLine | None) -> None:
        texts = [lines[i].text for i in stack]
        addressed = after is not None and _SALUTATION.match(after.text) and len(stack) >= 3
        if addressed or any(_POSTCODE.search(t) or _CONTACT.match(t) for t in texts):
            dropped.update(stack)
        stack.clear()

    for i, line in enumerate(lines):
        words = len(line.text.split())
        # (a line of a few words may end in a full stop: "enquiries@ofsted." / "N1 1XR.")
        short = words <= 10 and (words <= 5 or not re.search(r"[.!?;:]$", line.text))
        if stack and not (short and _under(lines[stack[0]], lines[stack[-1]], line)):
            close(line)
        if short:
            stack.append(i)
        elif stack:
            close(line)
    if stack:
        close(None)
    return dropped


def _under(top: PdfLine, above: PdfLine, line: PdfLine) -> bool:
    """`line` carries on a stack of lines whose first is `top` and last `above`: the next
    line of its column, or the rest of the last line ("3" then a superscript "rd Floor")."""
    drop = above.y_last - line.y
    next_line = abs(top.x - line.x) < 3 and 0 < drop <= max(line.size, above.size) * 1.6
    return next_line or (abs(drop) < line.size * 0.6 and line.x > above.x)


def _mode(values: Iterable[float] | Counter[float]) -> float | None:
    """The most common value; of equally common ones, the smallest."""
    counts = values if isinstance(values, Counter) else Counter(values)
    return min(counts, key=lambda v: (-counts[v], v)) if counts else None


def _margin_key(text: str) -> str:
    return re.sub(r"\d+", "#", text.casefold())


def _in_margin(line: PdfLine, height: float) -> bool:
    return line.y < height * MARGIN or line.y > height * (1 - MARGIN)


def _repeated_margin_lines(pages: list[tuple[list[PdfLine], float]]) -> set[str]:
    """Margin texts (digits folded) found on at least three pages, or on most of a short one."""
    counts: Counter[str] = Counter()
    for lines, height in pages:
        counts.update({_margin_key(x.text) for x in lines if _in_margin(x, height)})
    needed = min(3, max(2, len(pages) // 2))
    return {key for key, n in counts.items() if n >= needed}


def _is_chrome(line: PdfLine, height: float, body_size: float, repeated: set[str]) -> bool:
    if not _in_margin(line, height):
        return False
    return (
        bool(_PAGE_NUMBER.match(line.text))
        or _margin_key(line.text) in repeated
        or line.size < body_size * 0.85
    )


def _line_spacing(pages: list[tuple[list[PdfLine], float]], body_size: float) -> float:
    """The usual distance between two body lines of one paragraph."""
    gaps = [
        round(a.y - b.y, 1)
        for lines, _ in pages
        for a, b in itertools.pairwise(lines)
        if abs(a.size - body_size) < 0.5 and abs(b.size - body_size) < 0.5 and a.y > b.y
    ]
    return _mode(gaps) or body_size * 1.2


def _kind(line: PdfLine, body_size: float) -> str:
    if line.size > body_size * 1.1:
        return "heading"
    if line.size < body_size * 0.9:
        return "small"  # footnotes, captions: never run into body text
    if _NUMBERED.match(line.text):
        return "numbered"
    if _BULLET.match(line.text):
        return "bullet"
    return "body"


def _paragraphs(lines: list[PdfLine], body_size: float, spacing: float) -> list[str]:
    paragraphs: list[list[str]] = []
    kinds: list[str] = []
    bolds: list[bool] = []  # every line of the paragraph is bold
    previous: PdfLine | None = None
    for line in lines:
        kind = _kind(line, body_size)
        if previous is not None and line.y >= previous.y_last - 1 and line.x > previous.x + 90:
            # back up the page and to the right: the next cell of a table row ("... Good")
            paragraphs[-1][-1] += "\t" + line.text
            kinds[-1] = "row"
            previous = line
            continue
        # headings are set in larger type, with wider spacing between their lines
        gap_allowed = line.size * 1.6 if kind == "heading" else spacing * PARAGRAPH_GAP
        if (
            kind == "numbered"
            and previous is not None
            and kinds[-1] in ("body", "numbered", "bullet")
            and not ends_sentence(previous.text)
            and 0 < previous.y_last - line.y <= gap_allowed
        ):
            kind = "body"  # "... aged 18 to" / "25. This visit": a number, not a label
        starts = (
            previous is None
            or kind in ("numbered", "bullet")
            or (kind != kinds[-1] and bool({kind, kinds[-1]} & {"heading", "small"}))
            or not 0 < previous.y_last - line.y <= gap_allowed
        )
        if starts:
            paragraphs.append([line.text])
            kinds.append(kind)
            bolds.append(line.bold)
        else:
            paragraphs[-1].append(line.text)
            bolds[-1] = bolds[-1] and line.bold
        previous = line
    for i, (words, kind) in enumerate(zip(paragraphs, kinds, strict=True)):
        if kind == "body" and len(words) == 1 and bolds[i] and _is_bold_heading(words[0]):
            kinds[i] = "heading"  # a letter's headings are bold body type ("Main findings")
    joined = [_join(words, kind) for words, kind in zip(paragraphs, kinds, strict=True)]
    return _tables(joined, kinds)


def _is_bold_heading(text: str) -> bool:
    """A bold line that can be a heading: short, not a sentence, not a table's row."""
    return (
        len(text.split()) <= 15
        and not re.search(r"[.,;:]$", text)
        and not _TABLE_HEADER.match(text)
        and not _GRADE_AT_END.match(text)
        and not _NUMBERED.match(text)
    )


def _tables(paragraphs: list[str], kinds: list[str]) -> list[str]:
    """Judgement tables as one block of tab-separated rows (the chunker keeps a table whole).

    Rows come as cells placed to the right ("The impact of leaders ...\tOutstanding") or, in
    some reports, with the grade at the end of the line ("Overall effectiveness Outstanding").
    """
    out: list[str] = []
    in_table = False
    for text, kind in zip(paragraphs, kinds, strict=True):
        header = _TABLE_HEADER.match(text)
        at_end = _GRADE_AT_END.match(text) if len(text) < 160 and kind != "heading" else None
        if kind in ("numbered", "body") and at_end and _NUMBERED_ROW.match(text):
            kind = "row"
            text = f"{at_end.group(1)}\t{at_end.group(2)}"
        if header:
            out.append(f"{header.group(1)}\t{header.group(2)}")
            in_table = True
        elif in_table and (kind == "row" or at_end):
            row = text if kind == "row" else f"{at_end.group(1)}\t{at_end.group(2)}"  # type: ignore[union-attr]
            out[-1] += "\n" + row
        elif kind == "row":
            out.append(text)
            in_table = True
        else:
            out.append(text)
            in_table = False
    return out


def _join(lines: list[str], kind: str) -> str:
    text = lines[0]
    for line in lines[1:]:
        # a line ending in a hyphen is a compound word split at the margin ("multi-/agency")
        joined = text.endswith("-") and not text.endswith(" -")
        text = text + line if joined else f"{text} {line}"
    if kind == "heading":
        return "# " + text
    if kind == "bullet":
        return "- " + text[1:].lstrip()
    if kind == "small":
        return FOOTNOTE + text  # set apart: the chunker never runs it into body text
    return text


def _can_continue(paragraph: str) -> bool:
    return not paragraph.startswith(("# ", "- ")) and not _NUMBERED.match(paragraph)
