"""Highlighting: exact character spans, inflections, phrases, and terminal rendering."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from indexer.analysis import analyse
from search.engine import Engine
from search.highlight import BOLD_RED, RESET, merge_spans, phrase_at, phrase_spans, render


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


WORDS = ["children", "Child", "in", "IN", "care", "cared", "the", "of", "a", "4", "café", "cafe"]
SEPARATORS = [" ", "  ", "-", "\u2019s ", ", ", "\u00a0", "\n", "'"]


@given(
    st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=30),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=4),
)
def test_phrase_at_agrees_with_phrase_spans(
    text_parts: list[tuple[str, str]], phrase_words: list[str]
) -> None:
    """phrase_at (a few analysed words at known places) answers as phrase_spans (the whole
    text analysed), when told every place."""
    text = "".join(w + s for w, s in text_parts)
    phrase = analyse(" ".join(phrase_words), keep_stopwords=True)
    tokens = analyse(text, keep_stopwords=True)
    everywhere = range(len(tokens) + 1)
    assert phrase_at(phrase, text, everywhere) == bool(phrase_spans(phrase, tokens))
    for start, _ in phrase_spans(phrase, tokens):  # and at the very place
        index = next(t.position for t in tokens if t.start == start)
        assert phrase_at(phrase, text, [index])
