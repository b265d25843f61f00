"""The judged Ofsted query set's machinery (issue #13): the queries file as shipped, pooling
(bench/pool.py) and assembling graded sheets (bench/judged_sheets.py)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bench import judged_sheets, pool
from search.engine import Engine
from search.evaluate import load_judged_queries

MINIMUM = {  # the mix issue #13 fixes before any tuning
    "acronym": 10,
    "keyword": 10,
    "phrase": 8,
    "filter": 8,
    "synonym": 8,
    "question": 8,
    "letters": 8,
}


def test_the_shipped_queries_have_the_fixed_mix_and_an_even_split() -> None:
    queries = pool.load_queries()
    assert len(queries) >= 64
    assert len({q.text for q in queries}) == len(queries)  # eval keys judgements by text
    by_category = Counter(q.category for q in queries)
    assert set(by_category) == set(MINIMUM)
    for category, minimum in MINIMUM.items():
        assert by_category[category] >= minimum, category
        parts = Counter(q.part for q in queries if q.category == category)
        assert abs(parts["tune"] - parts["held"]) <= 1, category
    assert all(q.need for q in queries)


def test_graders_get_half_of_every_category_and_of_every_part() -> None:
    queries = pool.load_queries()
    chosen = pool.graders(queries)
    for category in MINIMUM:
        mine = [q for q in queries if q.category == category]
        for part in ("tune", "held"):
            split = Counter(chosen[q.id] for q in mine if q.part == part)
            assert abs(split["A"] - split["B"]) <= 1, (category, part)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CSE", pool.PeerQuery(("cse",), ())),
        ('"signs of safety"', pool.PeerQuery((), ("signs of safety",))),
        ("pre-birth assessment", pool.PeerQuery(("assessment",), ("pre birth",))),
        ("how are carers supported", pool.PeerQuery(("how", "carers", "supported"), ())),
        ("pathway plans year:2013-2014", pool.PeerQuery(("pathway", "plans"), (), (2013, 2014))),
        ('leaders grade:"requires improvement"', pool.PeerQuery(("leaders",), (), None, None,
                                                                "requires improvement")),
        ('"front door" la:"north yorkshire"', pool.PeerQuery((), ("front door",), None,
                                                             "north yorkshire")),
        ("consent kind:Focused-Visit", pool.PeerQuery(("consent",), (), kind="focused-visit")),
    ],
)  # fmt: skip
def test_a_query_is_taken_apart_for_the_peers(text: str, expected: pool.PeerQuery) -> None:
    assert pool.peer_query(text) == expected


def test_the_order_a_grader_sees_is_fixed_and_says_nothing_of_the_ranking() -> None:
    citations = [f"doc#{n}" for n in range(1, 30)]
    once = pool.shuffled("q01", citations)
    assert once == pool.shuffled("q01", list(reversed(citations)))
    assert once != citations and sorted(once) == sorted(citations)
    assert pool.shuffled("q02", citations) != once  # each query its own order


def test_pool_is_the_union_of_the_top_ten_less_what_is_judged() -> None:
    runs = {
        "one": {"q01": [f"d#{n}" for n in range(1, 13)]},
        "two": {"q01": ["d#2", "e#1"], "q02": ["e#2"]},
    }
    pooled = pool.pool(runs, judged={("q01", "d#3"), ("q02", "d#2")})
    assert set(pooled["q01"]) == {f"d#{n}" for n in range(1, 11)} - {"d#3"} | {"e#1"}
    assert pooled["q01"]["d#2"] == ["one", "two"]
    assert pooled["q02"] == {"e#2": ["two"]}


@pytest.fixture(scope="module")
def seed_passages(engine: Engine) -> dict[str, pool.PoolPassage]:
    return pool.read_passages(engine)


def test_every_passage_of_the_index_is_read(
    engine: Engine, seed_passages: dict[str, pool.PoolPassage]
) -> None:
    assert len(seed_passages) == engine.store.passage_count()
    some = next(iter(seed_passages.values()))
    assert engine.passage(some.citation).text == some.text


@pytest.mark.parametrize("peer", [pool.bm25s_system, pool.fts5_system])
def test_the_peers_find_the_words_and_apply_a_year_filter(
    peer: object, seed_passages: dict[str, pool.PoolPassage]
) -> None:
    system = peer(list(seed_passages.values()))  # type: ignore[operator]
    plain = pool.JudgedQuery("q01", "keyword", "tune", "care leavers", "")
    found = system(plain)
    assert 0 < len(found) <= pool.DEPTH
    assert all("leav" in seed_passages[c].text.lower() or "care" in seed_passages[c].text.lower()
               for c in found)  # fmt: skip
    years = {seed_passages[c].year for c in found}
    assert len(years) > 1  # so that the filter below has something to remove
    year = min(y for y in years if y)
    narrowed = pool.JudgedQuery("q02", "filter", "held", f"care leavers year:{year}", "")
    assert {seed_passages[c].year for c in system(narrowed)} == {year}


def test_a_round_writes_packets_sheets_and_runs(
    tmp_path: Path, seed_passages: dict[str, pool.PoolPassage]
) -> None:
    queries = [
        pool.JudgedQuery(f"q0{n}", "keyword", part, f"query {n}", f"need {n}")
        for n, part in enumerate(["tune", "held", "tune", "held"], start=1)
    ]
    citations = list(seed_passages)
    runs = {"system-xq7": {q.id: citations[i * 3 : i * 3 + 3] for i, q in enumerate(queries)}}
    out, runs_dir = tmp_path / "round1", tmp_path / "runs"
    pool.write_round(out, runs_dir, queries, runs, seed_passages, judged=set())
    sheet_lines = []
    for grader in pool.GRADERS:
        packet = (out / f"packet-{grader}.md").read_text()
        sheet = (out / f"grades-{grader}.tsv").read_text().splitlines()
        rows = [line.split("\t") for line in sheet if not line.startswith("#")]
        assert all(len(row) == 3 and row[2] == "" for row in rows)
        for _, citation, _ in rows:
            assert seed_passages[citation].text in packet and citation in packet
        assert "system-xq7" not in packet  # nothing says which system found a passage
        sheet_lines += [(qid, citation) for qid, citation, _ in rows]
    assert sorted(sheet_lines) == sorted((q, c) for q, r in runs["system-xq7"].items() for c in r)
    assert "system-xq7" in (runs_dir / "pool.tsv").read_text()
    assert pool.read_judged([out]) == set(sheet_lines)


def test_a_later_round_pools_only_what_is_not_judged(tmp_path: Path) -> None:
    run = tmp_path / "variant.tsv"
    run.write_text(
        "q01\ta#1\nq01\ta#2\t0.5\nq02\tb#1\n" + "".join(f"q03\tc#{n}\n" for n in range(20))
    )
    ranked = pool.read_run(run, ["q01", "q02", "q03"])
    assert ranked["q01"] == ["a#1", "a#2"] and len(ranked["q03"]) == pool.DEPTH
    sheet = tmp_path / "grades-A.tsv"
    sheet.write_text("# a comment\nq01\ta#1\t2\n")
    assert pool.pool({"variant": ranked}, pool.read_judged([tmp_path / "grades-A.tsv"]))["q01"] == {
        "a#2": ["variant"]
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("q01\ta#1\t\n", "not graded"),
        ("q01\ta#1\n", "not graded"),
        ("q01\ta#1\t4\n", "not 0, 1, 2 or 3"),
        ("q01\ta#1\thigh\n", "not 0, 1, 2 or 3"),
        ("q99\ta#1\t2\n", "unknown query id"),
        ("q01\ta#1\t2\nq01\ta#1\t3\n", "graded 3 here, 2 before"),
    ],
)
def test_sheets_that_cannot_be_used_are_refused(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "grades-A.tsv").write_text(content)
    with pytest.raises(pool.PoolError, match=message):
        judged_sheets.read_grades([tmp_path], {"q01", "q02"})


def test_graded_sheets_become_judged_sets_eval_reads(tmp_path: Path) -> None:
    queries = [
        pool.JudgedQuery("q01", "keyword", "tune", "care leavers", "Where care leavers live."),
        pool.JudgedQuery("q02", "phrase", "held", '"staying put"', "Staying put."),
        pool.JudgedQuery("q03", "keyword", "held", "nothing found", "Nothing."),
    ]
    sheet = "q01\ta#1\t3\nq01\ta#2\t0\nq01\ta#3\t1\nq02\tb#1\t2\nq02\ta#1\t2\nq03\tc#1\t0\n"
    (tmp_path / "grades-A.tsv").write_text(sheet)
    (tmp_path / "grades-B.tsv").write_text("q01\ta#1\t3\n")  # the same grade twice is fine
    listed = tmp_path / "queries.tsv"
    listed.write_text(
        "".join(f"{q.id}\t{q.category}\t{q.part}\t{q.text}\t{q.need}\n" for q in queries)
    )
    arguments = ["--grades", str(tmp_path), "--out", str(tmp_path), "--queries", str(listed)]
    assert judged_sheets.main(arguments) == 0
    tune = load_judged_queries(tmp_path / "ofsted-tune.tsv")
    assert tune == {"care leavers": {"a#1": 3, "a#3": 1}}
    assert load_judged_queries(tmp_path / "ofsted-held.tsv") == {
        '"staying put"': {"a#1": 2, "b#1": 2}
    }
    held = (tmp_path / "ofsted-held.tsv").read_text()
    assert "# q02 (phrase): Staying put." in held and "# q03 (keyword): Nothing." in held


def test_a_bad_queries_file_is_one_line_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "queries.tsv"
    bad.write_text("q01\tkeyword\tsometimes\tcare\tneed\n")
    code = pool.main(["--index", str(tmp_path), "--out", str(tmp_path), "--queries", str(bad)])
    assert code == 1
    assert capsys.readouterr().err.startswith(f"error: {bad}:1: expected id")
