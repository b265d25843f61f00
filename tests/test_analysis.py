"""The analysis chain: one for passages and queries, offsets into the original text."""

from __future__ import annotations

import pytest

from indexer.analysis import analyse, terms


def test_offsets_point_into_the_original_text() -> None:
    text = "Camden’s “exceptional” care—and leavers"
    for token in analyse(text, keep_stopwords=True):
        original = text[token.start : token.end]
        assert original.replace("’", "'").casefold().startswith(token.text[:3])


def test_typographic_quotes_and_dashes_fold() -> None:
    assert terms("children’s care–leavers") == terms("children's care-leavers")


def test_stopwords_are_dropped_but_kept_on_request_with_positions() -> None:
    assert terms("the children in care") == ["children", "care"]
    tokens = analyse("the children in care", keep_stopwords=True)
    assert [(t.text, t.position, t.stop) for t in tokens] == [
        ("the", 0, True),
        ("children", 1, False),
        ("in", 2, True),
        ("care", 3, False),
    ]


@pytest.mark.parametrize(
    ("words", "stem"),
    [
        (["inspect", "inspected", "inspection", "inspecting"], "inspect"),
        (["leaver", "leavers"], "leaver"),
        (["Children’s", "children's", "CHILDREN"], "children"),
    ],
)
def test_inflections_share_a_stem(words: list[str], stem: str) -> None:
    assert {terms(w)[0] for w in words} == {stem}


def test_accents_fold() -> None:
    assert terms("café") == terms("cafe")


def test_numbers_and_hyphenated_words() -> None:
    assert terms("section 47 multi-agency") == ["section", "47", "multi", "agenc"]


def test_stem_table_finds_every_word_and_nothing_else(tmp_path) -> None:
    import random

    from indexer.analysis import StemTable, write_stem_table

    rng = random.Random(7)
    words = {"".join(rng.choice("abcdez'") for _ in range(rng.randint(1, 9))) for _ in range(2000)}
    stems = {w: w[:3] for w in words}
    write_stem_table(tmp_path / "stems.tsv", stems)
    table = StemTable(tmp_path / "stems.tsv")
    assert all(table.get(w) == s for w, s in stems.items())
    others = {"".join(rng.choice("abcdez") for _ in range(rng.randint(1, 9))) for _ in range(500)}
    assert all(table.get(w) is None for w in others - words)


def test_a_query_of_corpus_words_does_not_import_the_stemmer(seed_index) -> None:
    import subprocess
    import sys

    code = (
        "import sys; from pathlib import Path; from search.engine import Engine; "
        f"e = Engine.open(Path({str(seed_index)!r})); "
        "assert e.search('inspection care leavers').total > 0; "
        "print('nltk' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_fold_maps_every_table_character_one_for_one() -> None:
    from indexer.analysis import _FOLD_TABLE, fold

    for code, replacement in _FOLD_TABLE.items():
        text = f"a{chr(code)}b é{chr(code)}"
        assert fold(text) == f"a{replacement}b é{replacement}"
        assert len(fold(text)) == len(text)
    assert fold("plain ascii") == "plain ascii"


def test_a_text_analysed_word_by_word_equals_the_chain_over_its_tokens() -> None:
    """`analyse` runs the filters once per distinct word (a cache): the result must be what
    the chain gives run over the whole token stream, for every text (the seeds, and odd
    Unicode); `analysed_words` (highlighting) the same words without Token objects."""
    from hypothesis import given
    from hypothesis import strategies as st

    from indexer.analysis import FILTERS, analysed_words, split_words

    from .conftest import SEEDS

    def chain(text: str) -> list[tuple]:
        tokens = split_words(text)
        for step in FILTERS:
            tokens = step(tokens)
        return [(t.text, t.position, t.start, t.end, t.stop, t.surface) for t in tokens]

    def check(text: str) -> None:
        cached = analyse(text, keep_stopwords=True)
        assert [(t.text, t.position, t.start, t.end, t.stop, t.surface) for t in cached] == (
            chain(text)
        )
        assert list(analysed_words(text)) == [(t.text, t.stop, t.start, t.end) for t in cached]

    for path in sorted(SEEDS.glob("*.txt")) + sorted(SEEDS.glob("*.md")):
        check(path.read_text("utf-8"))
    given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))(check)()
