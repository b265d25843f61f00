"""PDF reading: paragraphs rebuilt from placed lines, on synthetic pages and a real report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from indexer.chunk import chunk_paragraphs
from indexer.clean import CONTINUES, clean_lines
from indexer.pdf import PdfLine, rebuild_paragraphs
from indexer.sources import SourceError, read_document

from .conftest import SEEDS

FIXTURES = Path(__file__).parent / "fixtures"
CAMDEN_PDF = FIXTURES / "camden children's services inspection - 21 june 2022.pdf"
H = 842.0  # A4 height in points


def line(text: str, y: float, x: float = 72, size: float = 12, bold: bool = False) -> PdfLine:
    return PdfLine(text, x, y, size, bold)


def test_gaps_start_paragraphs_and_wrapped_lines_join() -> None:
    page = [
        line("First paragraph runs", 700),
        line("onto a second line.", 685.5),
        line("Second paragraph after a gap.", 660),
        line("27. A numbered one", 645.5),
        line("continues here.", 631, x=100),
    ]
    assert rebuild_paragraphs([(page, H)]) == [
        "First paragraph runs onto a second line.\n\n"
        "Second paragraph after a gap.\n\n"
        "27. A numbered one continues here."
    ]


def test_running_headers_footers_and_page_numbers_go() -> None:
    pages = [
        (
            [
                line("Inspection of Somewhere children's services", 40, size=8),
                line(f"25 to 29 April 2022 {n}", 30, size=8),
                line(f"Body text of page {n}, as long as a line of a report usually is,", 700),
                line("and a second line of the same paragraph with its full stop.", 685.5),
                line(str(n), 800, size=20),
            ],
            H,
        )
        for n in (1, 2, 3)
    ]
    assert rebuild_paragraphs(pages) == [
        f"Body text of page {n}, as long as a line of a report usually is, "
        "and a second line of the same paragraph with its full stop."
        for n in (1, 2, 3)
    ]


def test_headings_bullets_and_a_paragraph_across_a_page_break() -> None:
    first = [
        line("What needs to improve?", 700, size=14, bold=True),
        line("\u25fc The first point,", 675),
        line("wrapped.", 660.5, x=89),
        line("A paragraph that runs on to the", 630),
    ]
    second = [line("Next page where it ends.", 750)]
    assert rebuild_paragraphs([(first, H), (second, H)]) == [
        "# What needs to improve?\n\n- The first point, wrapped.\n\n"
        "A paragraph that runs on to the",
        CONTINUES + "Next page where it ends.",
    ]


def test_a_table_of_judgements_becomes_tab_separated_rows() -> None:
    page = [
        line("Judgement Grade", 560, bold=True),
        line("The impact of leaders on social work", 527),
        line("practice with children and families", 512.5),
        line("Outstanding", 527, x=303),
        line("Overall effectiveness Outstanding", 402),
        line("Body after the table.", 360),
    ]
    assert rebuild_paragraphs([(page, H)]) == [
        "Judgement\tGrade\n"
        "The impact of leaders on social work practice with children and families\tOutstanding\n"
        "Overall effectiveness\tOutstanding\n\n"
        "Body after the table."
    ]


def _normalise(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.split())


def test_a_real_report_gives_the_same_numbered_paragraphs_as_its_text_edition() -> None:
    """Seed 004 is the text of the Camden report whose PDF is in tests/fixtures: the 44
    numbered paragraphs rebuilt from the PDF must read exactly as the text edition's."""
    content = read_document(CAMDEN_PDF)
    pdf_chunks = chunk_paragraphs(clean_lines(content.text).kept).chunks
    seed = (SEEDS / "004_26166e069228efdc.txt").read_text("utf-8")
    txt_chunks = chunk_paragraphs(clean_lines(seed).kept).chunks

    def numbered(chunks) -> dict[str, str]:
        return {c.paragraph: _normalise(c.text) for c in chunks if c.paragraph}

    from_pdf, from_text = numbered(pdf_chunks), numbered(txt_chunks)
    assert list(from_pdf) == [str(n) for n in range(1, 45)]
    differing = [n for n in from_text if from_pdf.get(n) != from_text[n]]
    assert differing == []
    sections = {c.section for c in pdf_chunks if c.paragraph}
    assert sections == {c.section for c in txt_chunks if c.paragraph}
    # pages are known: paragraph 27 is on page 5
    p27 = next(c for c in pdf_chunks if c.paragraph == "27")
    assert content.page_of_line(p27.line_start) == 5


def test_no_running_header_or_page_number_inside_a_passage() -> None:
    content = read_document(CAMDEN_PDF)
    for chunk in chunk_paragraphs(clean_lines(content.text).kept).chunks:
        assert "25 to 29 April 2022 " not in chunk.text or chunk.text.startswith("Inspection dates")
        assert not re.search(r"children's services \d+$", chunk.text.replace("’", "'"))


@pytest.mark.parametrize(
    ("data", "reason", "failed"),
    [
        (b"<!DOCTYPE html><html><body>Error 404</body></html>", "an HTML page", False),
        (b"%PDF-1.7\n%garbage that is not a PDF", "unreadable PDF", True),
        (None, "unreadable PDF", True),  # the real report cut in half
    ],
)
def test_bad_pdfs_are_refused_with_a_reason(tmp_path: Path, data, reason, failed) -> None:
    path = tmp_path / "bad.pdf"
    if data is None:
        whole = CAMDEN_PDF.read_bytes()
        data = whole[: len(whole) // 2]
    path.write_bytes(data)
    with pytest.raises(SourceError, match=reason) as raised:
        read_document(path)
    assert raised.value.failed is failed
