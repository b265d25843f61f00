"""Highlighting: exact character spans, inflections, phrases, and terminal rendering."""

from __future__ import annotations

from search.engine import Engine
from search.highlight import BOLD_RED, RESET, merge_spans, render


def test_inflected_forms_are_marked(engine: Engine) -> None:
    for hit in engine.search("inspect", limit=None).results:
        marked = {hit.text[a:b].lower() for a, b in hit.matches}
        assert marked <= {"inspect", "inspected", "inspection", "inspections", "inspecting"}
        assert marked


def test_every_occurrence_is_marked_with_exact_offsets(engine: Engine) -> None:
    hit = engine.search("leavers", source="004").results[0]
    text = hit.text
    expected = []
    start = text.lower().find("leavers")
    while start != -1:
        expected.append((start, start + len("leavers")))
        start = text.lower().find("leavers", start + 1)
    assert hit.matches == expected


def test_phrase_is_one_span(engine: Engine) -> None:
    hit = engine.search('"help and protection"').results[0]
    assert any(hit.text[a:b].lower() == "help and protection" for a, b in hit.matches)


def test_excluded_words_are_not_marked(engine: Engine) -> None:
    for hit in engine.search("care -adoption", limit=None).results:
        assert all(hit.text[a:b].lower() != "adoption" for a, b in hit.matches)


def test_render() -> None:
    assert render("a care b", [(2, 6)], color=True) == f"a {BOLD_RED}care{RESET} b"
    assert render("a care b", [(2, 6)], color=False) == "a care b"


def test_merge_spans() -> None:
    assert merge_spans([(5, 9), (0, 3), (2, 4)]) == [(0, 4), (5, 9)]
