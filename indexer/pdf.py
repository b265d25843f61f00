"""PDF text with pypdfium2 (placeholder: pages joined; reflow comes with the extractor study)."""

from __future__ import annotations

from indexer.sources import SourceError


def pdf_pages(data: bytes) -> list[str]:
    import pypdfium2 as pdfium

    if not data.lstrip().startswith(b"%PDF"):
        raise SourceError("not a PDF (no %PDF header)")
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        raise SourceError(f"unreadable PDF: {error}", failed=True) from None
    pages = []
    for page in document:
        text = page.get_textpage().get_text_range()
        pages.append(text.replace("\r\n", "\n").replace("\r", "\n"))
    return pages
