"""The three ways to score a query agree: whoosh's matcher, numpy over our arrays
(search.vector) and plain Python over the same arrays (search.plain).

The engine picks numpy's arrays only for queries that read very many postings, so on the
seeds (113 passages) it is never picked on its own: these tests force each path and compare
it with whoosh's, on every judged query and on a table of the query language's operators.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.pipeline import build_index
from search.engine import Engine
from search.evaluate import load_judged_queries
from tests.conftest import whoosh_reader, write_corpus

JUDGED = Path(__file__).parent / "judged" / "seeds.tsv"

OPERATOR_QUERIES = [
    "care leavers accommodation",
    '"children in care"',
    '"children in care" -exploitation',
    '-"children in care" care leavers',
    "care -children",
    "+care +leavers",
    "+care leavers -missing",
    "inspect*",
    "section:leadership care",
    'section:"help and protection"',
    "paragraph:12 care",
    "care year:2022",
    '"key stage 4"',
    '"the local authority"',
    "multi-agency safeguarding",
    "source:004 social workers",
]


PATHS = ("matcher", "arrays", "python")  # search.ranking's


@pytest.fixture(scope="module", params=["arrays", "python"])
def both(seed_index: Path, request: pytest.FixtureRequest) -> tuple[Engine, Engine]:
    """whoosh's matcher, and one of the paths over our arrays."""
    matcher = Engine.open(seed_index, ranking="matcher")
    return matcher, Engine.open(seed_index, ranking=request.param)


def _same(
    whoosh: Engine, arrays: Engine, query: str, role_weights: bool = True, **filters: str
) -> None:
    # no acronym expansion: it runs on the arrays only (search.synonyms); the role weights
    # (search.ranking) run on both
    expected = whoosh.search(query, limit=None, exact=True, role_weights=role_weights, **filters)
    got = arrays.search(query, limit=None, exact=True, role_weights=role_weights, **filters)
    assert got.total == expected.total
    assert [h.citation for h in got.results] == [h.citation for h in expected.results]
    for mine, theirs in zip(got.results, expected.results, strict=True):
        assert mine.score == pytest.approx(theirs.score, rel=1e-12, abs=1e-12)
        assert mine.matches == theirs.matches


@pytest.mark.parametrize("query", OPERATOR_QUERIES)
def test_operators_rank_the_same_both_ways(both: tuple[Engine, Engine], query: str) -> None:
    _same(*both, query)


@pytest.mark.parametrize("role_weights", [True, False], ids=["role weights", "plain BM25"])
def test_every_judged_query_ranks_the_same_both_ways(
    both: tuple[Engine, Engine], role_weights: bool
) -> None:
    queries = list(load_judged_queries(JUDGED))
    assert len(queries) >= 20
    for query in queries:
        _same(*both, query, role_weights)


def test_numpy_and_plain_python_expand_acronyms_alike(seed_index: Path) -> None:
    """Acronym expansion runs on the two paths over our arrays (not whoosh's): every judged
    query and some acronyms, expanded, give the same passages, order and scores (bit for bit:
    the same sums in the same order)."""
    arrays, python = (Engine.open(seed_index, ranking=path) for path in ("arrays", "python"))
    queries = [*load_judged_queries(JUDGED), "LAC placements", "CSE missing", "IRO UASC"]
    for query in queries:
        got, expected = (e.search(query, limit=None) for e in (python, arrays))
        assert got.expanded == expected.expanded
        assert [(h.citation, h.score) for h in got.results] == [
            (h.citation, h.score) for h in expected.results
        ], query


def test_recommendations_rank_lower_the_same_both_ways(tmp_path: Path) -> None:
    """A recommendation that BM25 alone puts first (its words, in fewer others) goes below the
    finding when weighted, by both paths alike, and a query for recommendations only keeps
    its order (they all weigh the same)."""
    corpus = write_corpus(
        tmp_path / "c",
        {
            "a.txt": (
                "Leaders know the missing children well and return interviews are thorough, "
                "so children who go missing are found and helped quickly.\n\n"
                "What needs to improve\n\n"
                "Ensure that children who go missing have return interviews.\n\n"
                "Ensure that missing children are helped.\n"
            ),
        },
    )
    build_index([corpus], tmp_path / "i")
    whoosh, arrays, python = (Engine.open(tmp_path / "i", ranking=path) for path in PATHS)
    plain = arrays.search("missing children return interviews", role_weights=False).results
    assert plain[0].role == "recommendation"  # BM25 alone: the short line
    for engine in (whoosh, arrays, python):
        weighted = engine.search("missing children return interviews").results
        assert weighted[0].role == "finding"
        scores = {h.citation: h.score for h in weighted}
        assert scores[plain[0].citation] == pytest.approx(0.8 * plain[0].score, rel=1e-12)
    for other in (arrays, python):
        _same(whoosh, other, "missing children return interviews")
        _same(whoosh, other, "missing children role:recommendation")
    only = [h.citation for h in arrays.search("missing children role:recommendation").results]
    assert only == [
        h.citation
        for h in arrays.search("missing children role:recommendation", role_weights=False).results
    ]


@pytest.mark.parametrize(
    "filters", [{"year": "2022"}, {"year": "2015-2019"}, {"source": "001"}, {"date_to": "2020"}]
)
def test_filters_narrow_the_same_both_ways(
    both: tuple[Engine, Engine], filters: dict[str, str]
) -> None:
    _same(*both, "children social care", **filters)


def test_documents_rank_the_same_both_ways(both: tuple[Engine, Engine]) -> None:
    whoosh, arrays = both
    for text in ["care leavers accommodation", "social workers social workers caseloads"]:
        got, expected = arrays.rank_documents(text), whoosh.rank_documents(text)
        assert [d for d, _ in got] == [d for d, _ in expected]
        assert [s for _, s in got] == pytest.approx([s for _, s in expected], rel=1e-12)


def test_array_postings_equal_whoosh_postings(both: tuple[Engine, Engine]) -> None:
    """Store.postings reads the arrays written at commit; every term of the seeds must agree
    with whoosh's own matcher, passage by passage and count by count."""
    store = both[0].store
    reader = whoosh_reader(store)
    words = [t.decode() for t in reader.lexicon("text")]
    assert len(words) > 900
    for word in words:
        matcher = reader.postings("text", word)
        expected = []
        while matcher.is_active():
            expected.append((matcher.id(), matcher.weight()))
            matcher.next()
        docnums, counts = store.postings(word)
        assert list(zip(docnums.tolist(), counts.tolist(), strict=True)) == expected
        docnums, counts = store.postings_lists(word)  # the same maps, read without numpy
        assert list(zip(docnums, counts, strict=True)) == expected


def test_an_excluded_word_excludes_the_first_match_too(tmp_path: Path) -> None:
    """whoosh 2.7's AndNot checked its first passage only if the excluded word's postings
    started at that same passage: "care -children" returned a passage saying "children"."""
    corpus = write_corpus(
        tmp_path / "c",
        {
            "a.txt": "Children play.\n\nCare and children.\n\nCare plans.\n",
        },
    )
    build_index([corpus], tmp_path / "index")
    for path in PATHS:
        result = Engine.open(tmp_path / "index", ranking=path).search("care -children")
        assert [h.text for h in result.results] == ["Care plans."]


def test_a_phrase_scores_as_the_sum_of_its_words(tmp_path: Path) -> None:
    """A phrase must add nothing of its own: whoosh 2.7's ConstantScoreQuery(q, 0.0) added
    1.0 to every passage that held the phrase."""
    corpus = write_corpus(
        tmp_path / "c",
        {
            "a.txt": "Staying put works.\n\nPut staying first.\n\nNothing here.\n",
        },
    )
    build_index([corpus], tmp_path / "index")
    for path in PATHS:
        engine = Engine.open(tmp_path / "index", ranking=path)
        phrase = engine.search('"staying put"').results
        words = {h.citation: h.score for h in engine.search("+staying +put").results}
        assert len(phrase) == 1
        assert phrase[0].score == pytest.approx(words[phrase[0].citation], rel=1e-12)
        only_metadata = engine.search("year:2022 section:x").results
        assert all(h.score == 0.0 for h in only_metadata)


def _whoosh_postings(reader, word: str) -> list[tuple[int, float]]:  # type: ignore[no-untyped-def]
    matcher = reader.postings("text", word)
    found = []
    while matcher.is_active():
        found.append((matcher.id(), matcher.weight()))
        matcher.next()
    return found


def test_postings_across_blocks_and_segments(tmp_path: Path) -> None:
    """Long postings lists (whoosh writes blocks of 128) in an index built in two runs."""
    first = {"a.txt": "\n\n".join(f"Care plan {n} for child {n}." for n in range(300)) + "\n"}
    corpus = write_corpus(tmp_path / "c", first)
    build_index([corpus], tmp_path / "index")
    write_corpus(corpus, {"b.txt": "\n\n".join(f"Care leavers {n}." for n in range(200)) + "\n"})
    build_index([corpus], tmp_path / "index")
    store = Engine.open(tmp_path / "index").store
    reader = whoosh_reader(store)
    for word in ["care", "plan", "leaver", "child", "150"]:
        docnums, counts = store.postings(word)
        expected = _whoosh_postings(reader, word)
        assert list(zip(docnums.tolist(), counts.tolist(), strict=True)) == expected
        assert list(zip(*store.postings_lists(word), strict=True)) == expected
    assert len(store.postings("care")[0]) == 500


def test_postings_are_read_only_and_a_repeated_query_ranks_the_same(seed_index: Path) -> None:
    """The postings are views of the mapped arrays (indexer.arrays): a query must not be able
    to change what the next one reads, and reading them again gives the same ranking."""
    engine = Engine.open(seed_index, vector=True)
    docnums, counts = engine.store.postings("care")
    for array in (docnums, counts):
        with pytest.raises(ValueError):
            array[0] = 7
    expected = [(h.citation, h.score) for h in engine.search("care leavers children").results]
    for _ in range(2):
        got = [(h.citation, h.score) for h in engine.search("care leavers children").results]
        assert got == expected


PHRASE_CORPUS = {
    "a.txt": (
        "Children in care thrive.\n\n"  # 1: the phrase
        "Children of care homes.\n\n"  # 2: another stopword between
        "Care in children matters.\n\n"  # 3: the words the other way round
        "Children, in care, and leavers.\n\n"  # 4: punctuation is not a word
        "The child in cared-for homes.\n\n"  # 5: inflections: child/children differ in stem
        "Children care in the home.\n"  # 6: both words, not in a row
    )
}


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ('"children in care"', {1, 4}),
        ('"in care"', {1, 4, 5}),  # "cared" stems to care
        ('"children of care"', {2}),
        ('"care in children"', {3}),
        ('"the home"', {6}),
        ('"child in cared"', {5}),
        ('"children in the care"', set()),
    ],
)
def test_phrases_match_word_for_word_both_ways(
    tmp_path_factory: pytest.TempPathFactory, phrase: str, expected: set[int]
) -> None:
    root = tmp_path_factory.mktemp("phrases")
    build_index([write_corpus(root / "c", PHRASE_CORPUS)], root / "index")
    for path in PATHS:
        hits = Engine.open(root / "index", ranking=path).search(phrase, limit=None).results
        assert {int(h.citation.rsplit("#", 1)[1]) for h in hits} == expected, path


@pytest.mark.parametrize("width", [2, 4])
def test_a_phrase_matches_only_at_a_word_boundary(width: int) -> None:
    from indexer.clauses import count_phrase, holds_phrase

    run = bytes(range(3 * width))  # three words of `width` bytes each
    assert holds_phrase(run, run[width:], width)
    assert count_phrase(run + run, run[width:], width) == 2
    off = run[width // 2 : width // 2 + 2 * width]  # the same bytes, off by half a word
    assert not holds_phrase(run, off, width)
    assert count_phrase(run, off, width) == 0
    assert not holds_phrase(run, run[2 * width :] + bytes(width), width)


def test_a_phrase_with_a_word_no_passage_holds_matches_nothing(seed_index: Path) -> None:
    for path in PATHS:
        engine = Engine.open(seed_index, ranking=path)
        assert engine.search('"children in care"').total > 0
        assert engine.search('"children in zyzzyva care"').total == 0, path
        assert engine.search('"children zyzzyva"').total == 0, path


def test_phrases_checked_in_small_batches_give_the_same_passages(
    both: tuple[Engine, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    import search.vector

    whoosh, _ = both
    monkeypatch.setattr(search.vector, "PLACES_PER_BATCH", 5)  # a batch per passage or two
    arrays = Engine.open(whoosh.store.folder, vector=True)
    for query in ['"children in care"', '"the local authority"', '"help and protection"']:
        _same(whoosh, arrays, query)


def test_phrases_across_segments(tmp_path: Path) -> None:
    """Fingerprints of several segments are joined with their docnums kept in step."""
    corpus = write_corpus(tmp_path / "c", {"a.txt": "Children in care.\n\nCare plans.\n"})
    build_index([corpus], tmp_path / "index")
    write_corpus(corpus, {"b.txt": "Plans for children in care.\n\nChildren of care.\n"})
    build_index([corpus], tmp_path / "index")
    store = Engine.open(tmp_path / "index").store
    assert len(whoosh_reader(store).leaf_readers()) == 2  # the second run's own segment
    for path in PATHS:
        hits = Engine.open(tmp_path / "index", ranking=path).search('"children in care"')
        assert sorted(h.text for h in hits.results) == [
            "Children in care.",
            "Plans for children in care.",
        ]
