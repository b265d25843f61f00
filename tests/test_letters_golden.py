"""Golden files for four focused-visit letters (tests/golden/letters/), read by eye: every
passage, its section, paragraph label and pages, and the metadata with its provenance.

Chosen to cover the styles of 2018-2026: bulleted findings with Ofsted's address at the top
of page 1 (2018), numbered paragraphs (2020), square bullets and a number ending a line
mid-sentence ("aged 18 to / 25. This visit", 2024), and a footnote that interrupts a
paragraph across a page break (2025). The PDFs are in ../shared (OGL), so these are `corpus`
tests. `UPDATE_GOLDEN=1` rewrites the files after a deliberate change; read the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from indexer.pipeline import build_index, index_document
from indexer.sources import document_id, find_documents
from search.cite import location, reference
from search.engine import Engine

from .test_letters import LETTERS

pytestmark = pytest.mark.corpus

GOLDEN = Path(__file__).parent / "golden" / "letters"
_LETTER = "children's services focused visit - {}.pdf"
CASES = {
    "cheshire-east-2018": "80447_cheshire east/" + _LETTER.format("22 november 2018"),
    "slough-2020": "80553_slough/" + _LETTER.format("27 november 2020"),
    "luton-2024": "80520_luton/" + _LETTER.format("09 september 2024"),
    "blackpool-2025": "80431_blackpool/" + _LETTER.format("06 november 2025"),
}
FIELDS = ("kind", "title", "local_authority", "inspection_start", "inspection_end", "date")


def render_letter(relative: str) -> str:
    wanted = f"letters/{relative}"  # the file as the walk finds it (its natural key)
    source = next(s for s in find_documents(LETTERS) if s.relative == wanted)
    document, rows, _ = index_document(source, {})
    out = [f"{name}: {getattr(document, name)}  [{document.provenance[name]}]" for name in FIELDS]
    out.append(f"inspection_year: {document.inspection_year}")
    for row in rows:
        pages = f"{row.page_start}-{row.page_end}"
        out.append("")
        out.append(
            f"=== #{row.n} | paragraph {row.paragraph or '-'} | pages {pages} | "
            f"section: {row.section or '-'}"
        )
        out.append(row.text)
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("name", sorted(CASES))
def test_letter_passages_match_golden_file(name: str) -> None:
    if not LETTERS.is_dir():
        pytest.skip(f"the shared letters corpus is not at {LETTERS}")
    golden = GOLDEN / f"{name}.passages.txt"
    actual = render_letter(CASES[name])
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
    assert actual == golden.read_text("utf-8")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """An index of the four letters alone (each file given as a path of its own)."""
    if not LETTERS.is_dir():
        pytest.skip(f"the shared letters corpus is not at {LETTERS}")
    index_dir = tmp_path_factory.mktemp("four-letters")
    build_index([LETTERS / "letters" / f for f in CASES.values()], index_dir, progress=False)
    return Engine.open(index_dir)


def _doc_id(relative: str) -> str:
    return document_id(Path(relative).name)  # a file given alone: its own name


def test_references_of_a_numbered_and_an_unnumbered_letter(engine: Engine) -> None:
    """ "Ofsted, <title>, <date printed>, paragraph 7", or its page without numbers."""
    numbered = engine.passage(f"{_doc_id(CASES['slough-2020'])}#p7")
    assert reference(numbered) == (
        "Ofsted, Focused visit to Slough children’s services, 27 November 2020, paragraph 7"
    )
    rows = engine.store.passages_of(_doc_id(CASES["luton-2024"]))
    last = engine.passage(rows[-1].citation)
    assert last.paragraph is None and last.pages is not None
    assert reference(last) == (
        f"Ofsted, Focused visit to Luton children’s services, 9 September 2024, {location(last)}"
    )
