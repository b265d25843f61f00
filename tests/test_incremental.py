"""Updating an index: unchanged files are skipped, changes and removals are applied."""

from __future__ import annotations

from pathlib import Path

from indexer.pipeline import build_index
from search.engine import Engine

from .conftest import write_corpus


def test_update_adds_changes_removes_and_keeps_other_keys(tmp_path: Path) -> None:
    corpus = write_corpus(
        tmp_path / "c",
        {"one.txt": "Alpha paragraph.\n\nBeta paragraph.\n", "two.txt": "Gamma paragraph.\n"},
    )
    index_dir = tmp_path / "index"
    first = build_index([corpus], index_dir)
    assert sorted(first.added) == ["one", "two"]

    again = build_index([corpus], index_dir)
    assert sorted(again.unchanged) == ["one", "two"] and not again.added

    (corpus / "one.txt").write_text("Alpha changed.\n\nDelta paragraph.\n")
    (corpus / "two.txt").unlink()
    (corpus / "three.txt").write_text("Epsilon paragraph.\n")
    report = build_index([corpus], index_dir)
    assert (report.updated, report.removed, report.added) == (["one"], ["two"], ["three"])

    engine = Engine.open(index_dir)
    assert engine.search("gamma").total == 0
    assert engine.search("beta").total == 0
    assert [h.citation for h in engine.search("delta").results] == ["one#2"]
    assert [h.citation for h in engine.search("epsilon").results] == ["three#1"]
    # idf counts only live passages: N = 3 after the deletions were merged away
    assert engine.store.passage_count() == 3
    assert engine.store.doc_frequency("paragraph") == 2


def test_other_corpora_in_the_same_index_are_kept(tmp_path: Path) -> None:
    a = write_corpus(tmp_path / "a", {"x.txt": "Alpha.\n"})
    b = write_corpus(tmp_path / "b", {"y.txt": "Beta.\n"})
    index_dir = tmp_path / "index"
    build_index([a], index_dir)
    build_index([b], index_dir)
    engine = Engine.open(index_dir)
    assert {d.doc_id for d in engine.documents()} == {"x", "y"}


def test_bad_files_are_skipped_with_a_reason_and_the_rest_indexed(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"good.txt": "Fine text.\n", "empty.txt": ""})
    (corpus / "latin1.txt").write_bytes("Caf\xe9 society.\n".encode("latin-1"))
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    seen = []
    report = build_index(
        [corpus], tmp_path / "index", on_problem=lambda p, r, f: seen.append((p, r, f))
    )
    assert {Path(p).name: r for p, r in report.skipped} == {
        "binary.txt": "binary data, not text",
        "empty.txt": "empty file",
    }
    assert {Path(p).name: r for p, r in report.failed} == {
        "latin1.txt": "not UTF-8 text (byte 3); convert it to UTF-8",
    }
    assert len(seen) == 3
    assert report.added == ["good"]


def test_html_documents(tmp_path: Path) -> None:
    html = (
        "<html><head><title>Ignored in text</title><script>var x;</script></head><body>"
        "<nav>Home | News</nav><h1>Council rated good</h1><p>The council&rsquo;s leaders "
        "were praised.</p><p>Inspectors found:</p><ul><li>strong practice</li><li>low caseloads"
        "</li></ul></body></html>"
    )
    corpus = write_corpus(tmp_path / "c", {"page.html": html})
    build_index([corpus], tmp_path / "index")
    engine = Engine.open(tmp_path / "index")
    hit = engine.search("caseloads").results[0]
    assert hit.text == "Inspectors found:\n- strong practice\n- low caseloads"
    assert engine.search("var").total == 0 and engine.search("home").total == 0


def test_freshness_sees_changes_additions_and_removals_but_not_touches(tmp_path: Path) -> None:
    import os

    from indexer.freshness import check_freshness

    corpus = write_corpus(tmp_path / "c", {"a.txt": "Alpha.\n", "b.txt": "Beta.\n"})
    (corpus / "bad.txt").write_text("")  # skipped, and remembered as such
    build_index([corpus], tmp_path / "index")

    def stale():
        store = Engine.open(tmp_path / "index").store
        return check_freshness(store.documents, store.problems, store.roots)

    assert not stale()
    os.utime(corpus / "a.txt", ns=(1, 1))  # touched, same content: still fresh
    assert not stale() and [Path(p).name for p in stale().touched] == ["a.txt"]
    report = build_index([corpus], tmp_path / "index")  # records the new time, reads nothing
    assert report.indexed == 0 and len(report.unchanged) == 2
    assert stale().touched == ()  # so the next checks do not hash the file again
    (corpus / "a.txt").write_text("Alpha changed.\n")
    (corpus / "b.txt").unlink()
    (corpus / "c.txt").write_text("Gamma.\n")
    result = stale()
    assert [Path(p).name for p in result.changed] == ["a.txt"]
    assert [Path(p).name for p in result.added] == ["c.txt"]
    assert [Path(p).name for p in result.removed] == ["b.txt"]
