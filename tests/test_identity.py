"""Document identity: two different files never share a key, and a key stays with its file
through updates, removals and rebuilds (indexer.identity)."""

from __future__ import annotations

import json
import os
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.freshness import check_freshness
from indexer.identity import Given, distinct_key, registry_of
from indexer.manifest import MANIFEST
from indexer.pipeline import build_index
from indexer.sources import document_id, slug
from indexer.store import Store
from search.cli import cli
from search.engine import Engine

from .conftest import write_corpus

NFC, NFD = unicodedata.normalize("NFC", "café"), unicodedata.normalize("NFD", "café")


# --- the pure parts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("children's services - 21 june 2022", "childrens-services-21-june-2022"),
        ("004_26166e069228efdc", "004_26166e069228efdc"),
        (NFC, "cafe"),
        (NFD, "cafe"),
        ("Straße", "strasse"),
        ("Ёлка Отчёт", "ёлка-отчёт"),
        ("東京 報告", "東京-報告"),
        ("한국어", "한국어"),
        ("हिन्दी रिपोर्ट", "हिन्दी-रिपोर्ट"),
        ("caf\udce9", "cafe"),  # the Latin-1 byte 0xE9, as os.listdir gives it
        ("!!!", "_"),
    ],
)  # fmt: skip
def test_slugs_keep_letters_of_every_script_and_paste_into_a_shell(
    name: str, expected: str
) -> None:
    assert slug(name) == expected
    assert not set(expected) & set(" \t\n'\"`$&|;<>()*?[]#\\!")


def test_natural_keys_of_todays_documents_do_not_change() -> None:
    camden = "reports/80491_camden/children's services inspection - 21 june 2022.pdf"
    assert document_id(camden) == "reports/80491_camden/childrens-services-inspection-21-june-2022"
    assert document_id("004_26166e069228efdc.txt") == "004_26166e069228efdc"


HALTON = "/c/halton/x.pdf"


@pytest.mark.parametrize(
    ("path", "folder", "taken", "expected"),
    [
        ("/c/halton/x.pdf", "/c/halton", {}, "x"),
        # another folder indexed separately: qualified by the folder's name
        ("/c/leics/x.pdf", "/c/leics", {"x": HALTON}, "leics/x"),
        ("/d/leics/x.pdf", "/d/leics", {"x": HALTON, "leics/x": "/c/leics/x.pdf"}, "x.2"),
        # the same folder, another extension: qualified by it
        ("/c/halton/X.md", "/c/halton", {"x": HALTON}, "x.md"),
        ("/c/leics/x.md", "/c/leics", {"x": HALTON, "leics/x": "/e/x"}, "x.md"),
        ("/c/leics/x.md", "/c/leics", {"x": HALTON, "leics/x": "/e", "x.md": "/f"}, "leics/x.md"),
        # nothing tells them apart (NFC beside NFD, `a b` beside `a-b`): a number
        ("/c/halton/X.pdf", "/c/halton", {"x": HALTON}, "x.2"),
        ("/c/halton/X.pdf", "/c/halton", {"x": HALTON, "x.2": "/g", "x.3": "/h"}, "x.4"),
    ],
)
def test_a_taken_key_is_qualified_by_what_tells_the_files_apart(
    path: str, folder: str, taken: dict[str, str], expected: str
) -> None:
    assert distinct_key("x", path, folder, taken) == expected
    assert expected not in taken


def test_a_removed_files_key_is_kept_unless_another_file_took_it_over() -> None:
    live = {"/c/new.txt": Given("moved", "s1"), "/c/b.txt": Given("b", "s2")}
    previous = {"/c/old.txt": Given("moved", "s1"), "/c/gone.txt": Given("gone", "s3")}
    assert registry_of(live, previous) == {**live, "/c/gone.txt": Given("gone", "s3")}


# --- through build_index, with real files -----------------------------------------------------


def _keys(index_dir: Path) -> dict[str, str]:
    """file name -> key, for every document of the index."""
    store = Store.open(index_dir)
    try:
        return {os.path.basename(d.path): d.doc_id for d in store.documents.values()}
    finally:
        store.close()


def _text_of(index_dir: Path, key: str) -> str:
    engine = Engine.open(index_dir)
    try:
        return engine.passage(f"{key}#1").text
    finally:
        engine.close()


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Report.txt", "report.md"),
        ("a b.txt", "a-b.txt"),
        (f"{NFC}.txt", f"{NFD}.txt"),
        ("東京.txt", "大阪.txt"),  # every letter became `_` before
        ("Отчёт.txt", "отчет.txt"),
    ],
)
def test_two_files_of_one_folder_never_share_a_key(tmp_path: Path, first: str, second: str) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / first).write_text("Alpha foster care.\n", encoding="utf-8")
    (corpus / second).write_text("Beta adoption panel.\n", encoding="utf-8")
    if len(os.listdir(corpus)) < 2:
        pytest.skip("this file system folds the two names into one")
    report = build_index([corpus], tmp_path / "index")
    assert report.failed == [] and len(report.added) == 2
    keys = _keys(tmp_path / "index")
    assert len(set(keys.values())) == 2
    assert "Alpha" in _text_of(tmp_path / "index", keys[first])
    assert "Beta" in _text_of(tmp_path / "index", keys[second])
    store = Store.open(tmp_path / "index")
    assert not check_freshness(store.documents, store.problems, store.roots)  # no swapping
    store.close()


def _two_authorities(tmp_path: Path) -> tuple[Path, Path]:
    name = "children's services inspection - 12 july 2024.txt"
    halton = write_corpus(tmp_path / "halton", {name: "Halton's leaders act.\n"})
    leics = write_corpus(tmp_path / "leicestershire", {name: "Leicestershire's carers.\n"})
    return halton, leics


KEY = "childrens-services-inspection-12-july-2024"


def test_folders_indexed_separately_keep_both_documents_and_stop_swapping(tmp_path: Path) -> None:
    halton, leics = _two_authorities(tmp_path)
    index_dir = tmp_path / "index"
    build_index([halton], index_dir)
    second = build_index([leics], index_dir)
    assert second.added == [f"leicestershire/{KEY}"] and second.removed == []
    assert "Halton" in _text_of(index_dir, KEY)
    assert "Leicestershire" in _text_of(index_dir, f"leicestershire/{KEY}")
    again = build_index([halton, leics], index_dir)
    assert again.indexed == 0 and len(again.unchanged) == 2
    store = Store.open(index_dir)
    assert not check_freshness(store.documents, store.problems, store.roots)
    store.close()


def test_rebuild_keeps_every_key_whatever_the_order(tmp_path: Path) -> None:
    halton, leics = _two_authorities(tmp_path)
    index_dir = tmp_path / "index"
    build_index([halton], index_dir)
    build_index([leics], index_dir)
    before = {d.path: d.doc_id for d in Store.open(index_dir).documents.values()}
    build_index([leics, halton], index_dir, rebuild=True)  # leicestershire first this time
    after = {d.path: d.doc_id for d in Store.open(index_dir).documents.values()}
    assert after == before


def test_a_removed_files_key_goes_back_to_it_and_to_no_other_file(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"x.txt": "Original text.\n", "y.txt": "Why.\n"})
    index_dir = tmp_path / "index"
    build_index([corpus], index_dir)
    (corpus / "x.txt").unlink()
    assert build_index([corpus], index_dir).removed == ["x"]
    (corpus / "X.md").write_text("Another document.\n")
    assert build_index([corpus], index_dir, rebuild=True).added == ["x.md", "y"]
    (corpus / "x.txt").write_text("Original text, edited.\n")  # put back where it was
    assert build_index([corpus], index_dir).added == ["x"]
    assert "edited" in _text_of(index_dir, "x")


def test_a_moved_file_with_the_same_text_keeps_its_key(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"x.txt": "Original text.\n"})
    index_dir = tmp_path / "index"
    build_index([corpus], index_dir)
    (corpus / "x.txt").rename(corpus / "X.txt")
    build_index([corpus], index_dir)
    assert _keys(index_dir) == {"X.txt": "x"}


def test_an_index_without_recorded_keys_is_migrated_once(tmp_path: Path) -> None:
    """Format 4 before keys were recorded: no `retired_keys`, no `follow_links`."""
    halton, leics = _two_authorities(tmp_path)
    index_dir = tmp_path / "index"
    build_index([halton], index_dir)
    manifest = Store.open(index_dir).generation / MANIFEST
    data = json.loads(manifest.read_text("utf-8"))
    for added in ("retired_keys", "follow_links"):
        data.pop(added)
    manifest.write_text(json.dumps(data), encoding="utf-8")
    assert build_index([halton], index_dir).unchanged == [KEY]  # read, not rebuilt
    assert build_index([leics], index_dir).added == [f"leicestershire/{KEY}"]
    keys = {d.doc_id for d in Store.open(index_dir).documents.values()}
    assert keys == {KEY, f"leicestershire/{KEY}"}


def test_file_names_repeated_across_authorities_keep_distinct_keys(tmp_path: Path) -> None:
    """The report corpus's situation: 102 file names repeated under different folders."""
    names = [f"children's services inspection - {d} july 2024.txt" for d in (1, 2, 3)]
    corpus = write_corpus(
        tmp_path / "reports",
        {f"{n}_{a}/{name}": f"{a} report {n}.\n" for n, a in enumerate("ABCD") for name in names},
    )
    report = build_index([corpus], tmp_path / "index")
    assert len(report.added) == len(set(report.added)) == 12
    assert "a_b/childrens-services-inspection-2-july-2024" not in report.added
    assert "1_b/childrens-services-inspection-2-july-2024" in report.added


def test_a_file_name_that_is_not_utf8_is_indexed_shown_and_queried(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    with open(os.fsencode(corpus) + b"/caf\xe9.txt", "w", encoding="utf-8") as handle:
        handle.write("Foster carers in the cafe.\n")
    index_dir = tmp_path / "index"
    runner = CliRunner()
    indexed = runner.invoke(cli, ["index", str(corpus), "--index", str(index_dir)])
    assert indexed.exit_code == 0, indexed.output
    again = runner.invoke(cli, ["index", str(corpus), "--index", str(index_dir)])
    assert "1 unchanged" in again.output
    found = runner.invoke(cli, ["query", "foster", "--index", str(index_dir), "--json"])
    assert found.exit_code == 0, found.output
    hit = json.loads(found.stdout)
    assert "Updated" not in found.output
    text = json.dumps(hit)
    assert "cafe#1" in text and "caf\\\\xe9.txt" in text
    shown = runner.invoke(cli, ["documents", "--index", str(index_dir)])
    assert shown.exit_code == 0 and "caf\\xe9.txt" in shown.output


def test_through_the_cli_two_folders_keep_two_keys_and_queries_do_not_update(
    tmp_path: Path,
) -> None:
    halton, leics = _two_authorities(tmp_path)
    index_dir = str(tmp_path / "index")
    runner = CliRunner()
    for folder in (halton, leics):
        result = runner.invoke(cli, ["index", str(folder), "--index", index_dir])
        assert result.exit_code == 0, result.output
    for _ in range(2):
        result = runner.invoke(cli, ["query", "leaders", "--index", index_dir])
        assert result.exit_code == 0 and "Updated the index" not in result.output
    shown = runner.invoke(cli, ["show", f"leicestershire/{KEY}#1", "--index", index_dir])
    assert "Leicestershire" in shown.output
    rebuilt = runner.invoke(cli, ["index", "--rebuild", "--index", index_dir])
    assert rebuilt.exit_code == 0, rebuilt.output
    shown = runner.invoke(cli, ["show", f"{KEY}#1", "--index", index_dir])
    assert "Halton" in shown.output


def test_names_that_are_not_utf8_below_the_folder_are_indexed_and_the_folder_is_refused(
    tmp_path: Path,
) -> None:
    corpus = tmp_path / "c"
    folder = os.fsencode(corpus) + b"/r\xe9gion"
    os.makedirs(folder)
    with open(folder + b"/na\xefve.md", "w", encoding="utf-8") as handle:
        handle.write("Foster carers.\n")
    report = build_index([corpus], tmp_path / "index")
    assert report.added == ["region/naive"]
    assert (
        Store.open(tmp_path / "index")
        .documents["region/naive"]
        .source.endswith("r\\xe9gion/na\\xefve.md")
    )
    refused = CliRunner().invoke(
        cli, ["index", os.fsdecode(folder), "--index", str(tmp_path / "i")]
    )
    assert refused.exit_code == 2 and "not UTF-8" in refused.output
    assert "Traceback" not in refused.output


# --- properties ---------------------------------------------------------------------------------

NAMES = ["Report.txt", "report.md", "a b.txt", "a-b.txt", f"{NFC}.txt", f"{NFD}.txt", "東京.txt"]
FOLDERS = ["halton", "leicestershire", "halton/sub"]


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["write", "remove", "index"]),
            st.sampled_from(FOLDERS),
            st.sampled_from(NAMES),
            st.integers(0, 2),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_keys_stay_with_their_files_through_any_sequence(tmp_path: Path, steps: list) -> None:
    """Random writes, removals and runs of `search index` over colliding names: every file is
    indexed under a key of its own, which it keeps while it exists."""
    run = tmp_path / str(len(list(tmp_path.iterdir())))
    index_dir, held = run / "index", {}  # path -> key it had
    for action, folder, name, text in steps:
        path = run / folder / name
        if action == "write":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"Text number {text} of {folder}.\n", encoding="utf-8")
        elif action == "remove" and path.exists():
            path.unlink()
        roots = [run / f for f in ("halton", "leicestershire") if (run / f).is_dir()]
        if not roots:
            continue
        for root in roots if action == "index" else roots[:1]:
            build_index([root], index_dir)
        documents = Store.open(index_dir).documents.values()
        keys = {d.path: d.doc_id for d in documents if os.path.exists(d.path)}
        files = {str(p) for r in roots for p in r.rglob("*.*") if p.is_file()}
        indexed_roots = {str(r) for r in (roots if action == "index" else roots[:1])}
        for file in files:
            if any(file.startswith(r + "/") for r in indexed_roots):
                assert file in keys  # every file under an indexed folder has a document
        assert len(set(keys.values())) == len(keys)  # never one key for two files
        for file, key in keys.items():
            assert held.setdefault(file, key) == key  # a file keeps its key
