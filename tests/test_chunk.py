"""Chunking: golden files for the seeds, and the rules one by one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from indexer.chunk import chunk_paragraphs
from indexer.clean import clean_lines

from .conftest import SEEDS

GOLDEN = Path(__file__).parent / "golden"
SEED_FILES = sorted(SEEDS.glob("*.txt"))


def render_passages(text: str) -> str:
    """Passages as a reader checks them by eye: key, label, lines, section, then the text."""
    chunked = chunk_paragraphs(clean_lines(text).kept)
    out = [f"TITLE: {chunked.title}"]
    for n, chunk in enumerate(chunked.chunks, start=1):
        out.append("")
        out.append(
            f"=== #{n} | paragraph {chunk.paragraph or '-'} | "
            f"lines {chunk.line_start}-{chunk.line_end} | section: {chunk.section or '-'}"
        )
        out.append(chunk.text)
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("seed", SEED_FILES, ids=lambda p: p.stem[:3])
def test_seed_passages_match_golden_file(seed: Path) -> None:
    golden = GOLDEN / f"{seed.stem}.passages.txt"
    actual = render_passages(seed.read_text("utf-8"))
    if os.environ.get("UPDATE_GOLDEN"):  # after a deliberate change: regenerate, then read the diff
        golden.write_text(actual, encoding="utf-8")
    assert actual == golden.read_text("utf-8")


def chunks(text: str):
    return chunk_paragraphs(clean_lines(text).kept)


def test_paragraph_broken_across_a_page_break_is_joined() -> None:
    doc = chunks(
        "Heading\n\n1. Children are encouraged to be part of their\n\nreview meetings. Fine.\n"
    )
    assert [c.text for c in doc.chunks] == [
        "1. Children are encouraged to be part of their review meetings. Fine."
    ]
    assert (doc.chunks[0].line_start, doc.chunks[0].line_end) == (3, 5)


def test_sentence_end_or_capital_letter_is_not_a_continuation() -> None:
    no_stop = "Third is a longer paragraph of more than ten words with no full stop"
    text = f"Title here\n\nFirst paragraph ends.\n\nsecond starts lower.\n\n{no_stop}\n\nFourth.\n"
    assert [c.text for c in chunks(text).chunks] == [
        "First paragraph ends.",
        "second starts lower.",
        no_stop,
        "Fourth.",
    ]


def test_numbered_paragraph_keeps_its_number_as_label_and_in_text() -> None:
    doc = chunks("Report\n\n27. When children leave care, they are supported.\n28. Next one.\n")
    assert [(c.paragraph, c.text[:4]) for c in doc.chunks] == [("27", "27. "), ("28", "28. ")]


def test_headings_become_sections_not_passages() -> None:
    text = (
        "Inspection of Somewhere\n\nIntro paragraph.\n\nWhat needs to improve?\n\n"
        "- One thing.\n- Another.\n\nThe experiences and progress of children in care: good\n\n"
        "1. First.\n"
    )
    doc = chunks(text)
    assert doc.title == "Inspection of Somewhere"
    assert [(c.section, c.text) for c in doc.chunks] == [
        (None, "Intro paragraph."),
        ("What needs to improve?", "- One thing.\n- Another."),
        ("The experiences and progress of children in care: good", "1. First."),
    ]


def test_bulleted_list_belongs_with_its_lead_in() -> None:
    doc = chunks("T\n\nCamden showed:\n\n*\u00a0 Consistency\n*\u00a0 Focus\n\nAfter.\n")
    assert doc.chunks[0].text == "Camden showed:\n*\u00a0 Consistency\n*\u00a0 Focus"
    assert doc.chunks[1].text == "After."


def test_table_rows_stay_one_passage() -> None:
    doc = chunks("T\n\nJudgement\tGrade\nOverall effectiveness\tGood\n\nText.\n")
    assert doc.chunks[0].text == "Judgement\tGrade\nOverall effectiveness\tGood"


def test_repeated_headline_is_not_a_second_passage() -> None:
    doc = chunks(
        "A long headline repeated on the page\n\nBody.\n\nA long headline repeated on the page\n"
    )
    assert [c.text for c in doc.chunks] == ["Body."]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("SWT_SideAd1.png", "chrome line"),
        ("© Social Work Today 2022", "chrome line"),
        ("top of page", "chrome line"),
        ("T: 0300 123 1231", "chrome line"),
        ("17/04/25", "metadata line"),
    ],
)
def test_chrome_lines_are_dropped(line: str, reason: str) -> None:
    cleaned = clean_lines(f"Title\n\nA real paragraph.\n\n{line}\n\nAnother real one.\n")
    assert [(x.text, r) for x, r in cleaned.dropped] == [(line, reason)]


def test_comments_are_closed_ends_the_article() -> None:
    cleaned = clean_lines("T\n\nBody.\n\nComments are closed.\n\nReader comment text.\n")
    assert [x.text for x, _ in cleaned.dropped] == ["Comments are closed.", "Reader comment text."]


def test_trailer_drops_everything_after_it_and_the_short_lines_before_it() -> None:
    text = (
        "T\n\nBody one.\n\nAlt text\n\nEmployer Name\n\nJob of the week\n\n"
        "A long sentence about jobs.\n"
    )
    cleaned = clean_lines(text)
    assert [x.text for x, _ in cleaned.dropped] == [
        "Alt text",
        "Employer Name",
        "Job of the week",
        "A long sentence about jobs.",
    ]
