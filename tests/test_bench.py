"""The benchmark's engines: each peer module satisfies bench.peers.Peer and, on a tiny corpus,
finds the same top passage as ours for a one-word query. Nothing here is timed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bench import corpora
from bench.peers import NAMES, Peer, peer, peer_class
from bench.queries import parse_query_line

# One passage says "kinship" three times in few words; one says it once among many; the
# others never. Every BM25 ranks the first on top.
DOCUMENTS = {
    "alpha.txt": (
        "Kinship carers, kinship placements and kinship support were reviewed.\n\n"
        "Leaders know their services well and act on what they find.\n"
    ),
    "beta.txt": (
        "Social workers visit children regularly and see them alone. Managers check the "
        "quality of plans, and one kinship arrangement was reviewed late, in a long passage "
        "about visits, plans, supervision and the oversight of managers in the service.\n\n"
        "Care leavers are helped to find suitable accommodation.\n"
    ),
    "gamma.txt": "Independent reviewing officers challenge drift in plans.\n",
}
QUERY = parse_query_line("kinship")
RANKED = ("ours", "fts5", "tantivy", "bm25s")  # ripgrep finds without ranking


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> corpora.Corpus:
    folder = tmp_path_factory.mktemp("tiny") / "corpus"
    folder.mkdir()
    for name, text in DOCUMENTS.items():
        (folder / name).write_text(text, "utf-8")
    return corpora.extract("tiny", folder, folder.parent / "work", workers=1)


def _available(name: str) -> type[Peer]:
    cls = peer_class(name)
    if (why := cls.unavailable()) is not None:
        pytest.skip(f"{name}: {why}")
    return cls


@pytest.fixture(scope="module")
def ours_top(tiny: corpora.Corpus, tmp_path_factory: pytest.TempPathFactory) -> str:
    engine, index = peer("ours"), tmp_path_factory.mktemp("ours") / "index"
    engine.build(tiny, index)
    engine.open(index)
    try:
        found = engine.search(QUERY, 10)
    finally:
        engine.close()
    assert found, "ours finds nothing for the one-word query"
    return found[0]


def test_extraction_gives_every_passage(tiny: corpora.Corpus) -> None:
    assert tiny.documents == len(DOCUMENTS)
    assert tiny.passages == sum(len(list(d)) for d in corpora.documents(tiny)) == 5


@pytest.mark.parametrize("name", NAMES)
def test_each_peer_module_satisfies_the_interface(name: str) -> None:
    cls = peer_class(name)
    assert issubclass(cls, Peer) and cls.name == name
    assert cls.description
    engine = cls()  # constructing imports no engine library
    for method in ("build", "open", "search", "close", "supports", "cold_command"):
        assert callable(getattr(engine, method))


@pytest.mark.parametrize("name", RANKED)
def test_each_ranked_peer_tops_with_ours(
    name: str, tiny: corpora.Corpus, ours_top: str, tmp_path: Path
) -> None:
    engine = _available(name)()
    built = engine.build(tiny, tmp_path / "index")
    assert built.passages == tiny.passages
    engine.open(tmp_path / "index")
    try:
        found = engine.search(QUERY, 10)
    finally:
        engine.close()
    assert found[:1] == [ours_top]
    assert len(found) == 2  # the two passages that say the word


def test_ripgrep_finds_ours_top(tiny: corpora.Corpus, ours_top: str, tmp_path: Path) -> None:
    engine = _available("ripgrep")()
    engine.build(tiny, tmp_path / "index")
    engine.open(tmp_path / "index")
    assert ours_top in engine.search(QUERY, 10)


def test_the_cold_fts5_peer_imports_nothing_of_the_bench() -> None:
    from bench.peers.fts5 import COLD_PROGRAM

    imports = [line for line in COLD_PROGRAM.splitlines() if line.startswith(("import", "from"))]
    assert imports == ["import sqlite3, sys"]


@pytest.mark.slow
@pytest.mark.parametrize("name", [*RANKED, "ripgrep"])
def test_each_cold_command_prints_the_top_passage(
    name: str, tiny: corpora.Corpus, ours_top: str, tmp_path: Path
) -> None:
    """The cold command, a whole process as a user runs it, prints ours's top passage."""
    engine = _available(name)()
    engine.build(tiny, tmp_path / "index")
    command = engine.cold_command(tmp_path / "index", QUERY)
    assert command is not None
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert ours_top in done.stdout


def test_the_results_page_is_measured_and_reported_against_its_target(seed_index: Path) -> None:
    """bench.web times the page over a real index; the report judges it against issue 14's
    30 ms and 150 KB (numbers are not asserted: only that they are measured and judged)."""
    from bench import report, web

    page = web.results_page(seed_index, repeat=1)
    assert page["queries"] >= 64 and 0 < page["p50_ms"] <= page["p95_ms"]
    assert 1 < page["largest_kb"] < 1000
    empty = {"cold": [], "builds": {}, "warm": {}, "corpora": {}}
    for p95, verdict in ((12.0, "| met |"), (45.0, "**not met**")):
        rows = "\n".join(report.targets({**empty, "web": {**page, "p95_ms": p95}}))
        line = next(r for r in rows.splitlines() if "results page" in r)
        assert verdict in line and f"{p95:.1f} ms" in line
