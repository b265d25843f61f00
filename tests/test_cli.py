"""The command line through click's CliRunner: every command and every error path."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from search.cli import cli
from search.engine import Engine
from search.highlight import BOLD_RED

from .conftest import SEEDS

CAMDEN = "004_26166e069228efdc"


@pytest.fixture
def run(seed_index: Path):
    runner = CliRunner()

    def invoke(*args: str, index: Path | None = seed_index):
        extra = ["--index", str(index)] if index is not None else []
        return runner.invoke(cli, [*args, *extra], catch_exceptions=False)

    return invoke


def test_query_text_output(run) -> None:
    result = run("query", "care leavers accommodation", "--limit", "2")
    assert result.exit_code == 0
    assert f"1. {CAMDEN}#38  paragraph 30" in result.output
    assert (
        "Section: The experiences and progress of children in care and care leavers"
        in result.output
    )
    assert "31 passages match" in result.output
    assert BOLD_RED not in result.output  # not a terminal: no colour by default


def test_query_colour_always(run) -> None:
    result = run("query", "leavers", "--color", "always", "--limit", "1")
    assert f"{BOLD_RED}leavers" in result.output or f"{BOLD_RED}Leavers" in result.output


def test_query_json_shape(run) -> None:
    result = run("query", '"children in care"', "--year", "2022", "--json", "--limit", "3")
    data = json.loads(result.output)
    assert set(data) == {"query", "total", "did_you_mean", "expanded", "results"}
    assert data["query"] == '"children in care"'
    first = data["results"][0]
    assert list(first)[:12] == [
        "rank", "score", "citation", "source", "title", "publisher", "date",
        "inspection_year", "section", "paragraph", "text", "matches",
    ]  # fmt: skip
    assert all(r["inspection_year"] == 2022 for r in data["results"])
    for r in data["results"]:
        assert all(r["text"][a:b].lower().endswith("in care") for a, b in r["matches"])


def test_zero_hits_is_success(run) -> None:
    result = run("query", "zyzzyva")
    assert result.exit_code == 0 and "No passages match" in result.output


def test_show_with_context_and_reference(run) -> None:
    result = run("show", f"{CAMDEN}#35", "--context", "1")
    assert result.exit_code == 0
    assert "27. When children in Camden leave care" in result.output
    assert f"[{CAMDEN}#34] 26. Adoption" in result.output
    assert f"[{CAMDEN}#36] 28. While" in result.output
    assert (
        "Cite as: Ofsted, Inspection of Camden local authority children's services, "
        "21 June 2022, paragraph 27." in result.output
    )


def test_show_by_the_reports_own_paragraph_number(run) -> None:
    result = run("show", f"{CAMDEN}#p27")
    assert result.exit_code == 0 and f"{CAMDEN}#35  paragraph 27" in result.output
    missing = run("show", f"{CAMDEN}#p99")
    assert missing.exit_code == 1 and "no paragraph 99" in missing.stderr


def test_show_json(run) -> None:
    data = json.loads(run("show", f"{CAMDEN}#35", "--context", "2", "--json").output)
    assert data["paragraph"] == "27"
    assert data["reference"].endswith("paragraph 27")
    assert [p["citation"] for p in data["context"]] == [f"{CAMDEN}#{n}" for n in (33, 34, 36, 37)]
    assert "rank" not in data and "matches" not in data


def test_reference_of_an_unnumbered_undated_passage(run) -> None:
    data = json.loads(run("show", "001_d51274d8d114c741#2", "--json").output)
    # the file by its path if that is relative, else by its document id: never an absolute path
    place = "001_d51274d8d114c741" if Path(data["source"]).is_absolute() else data["source"]
    assert data["reference"] == (
        "Community Care, Ofsted praises children’s services’ ‘dynamic, professionally fertile’ "
        "environment, n.d., " + place + ", line 5"
    )


def test_no_absolute_path_in_a_hit_header_or_reference(tmp_path: Path) -> None:
    """A document without a title, indexed by an absolute path outside the working directory:
    its hits and references name it by its key, never by the machine's path."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "untitled.txt").write_text("leaders know their services well.\n")
    runner = CliRunner()
    index = ["--index", str(tmp_path / "idx")]
    assert runner.invoke(cli, ["index", str(corpus.resolve()), *index]).exit_code == 0
    hits = runner.invoke(cli, ["query", "leaders", *index, "--color", "never"])
    shown = runner.invoke(cli, ["show", "untitled#1", *index])
    assert hits.exit_code == 0 and shown.exit_code == 0, hits.output + shown.output
    assert str(tmp_path) not in hits.output
    reference = shown.output.split("Cite as: ", 1)[1]
    assert str(tmp_path) not in reference and "untitled" in reference


def test_documents(run) -> None:
    result = run("documents")
    assert result.exit_code == 0 and "5 documents, 113 passages." in result.output
    data = json.loads(run("documents", "--json").output)
    assert [d["doc_id"][:3] for d in data] == ["000", "001", "002", "003", "004"]
    assert data[4]["inspection_start"] == "2022-04-25"


def test_index_command_builds_and_updates(tmp_path: Path) -> None:
    corpus = tmp_path / "seeds"
    shutil.copytree(SEEDS, corpus)
    runner = CliRunner()
    args = ["index", str(corpus), "--index", str(tmp_path / "idx")]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0
    assert "holds 5 documents, 113 passages" in first.output and "5 new" in first.output
    second = runner.invoke(cli, args)
    assert "5 unchanged" in second.output


def test_query_without_index_builds_from_seeds(tmp_path: Path, monkeypatch) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["query", "caseloads", "--index", "fresh"])
    assert result.exit_code == 0
    assert "building it from seeds/ first" in result.stderr
    assert "caseloads" in result.stdout


def test_damaged_index_says_how_to_rebuild(tmp_path: Path, seed_index: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(seed_index, broken)
    for toc in broken.glob("gen-*/_passages_*.toc"):
        toc.write_bytes(b"garbage")
    result = CliRunner().invoke(cli, ["query", "care", "--index", str(broken)])
    assert result.exit_code == 1
    assert "search index --rebuild" in result.stderr


ERRORS = [
    # (arguments, exit code, message on stderr)
    (["query", "the of"], 2, "nothing to search for"),
    (["query", "-care"], 2, "nothing to search for"),
    (["query", "care", "--year", "twenty"], 2, "is not a year"),
    (["query", "care", "--from", "2022-02-30"], 2, "is not a date"),
    (["query", "care", "--from", "2023", "--to", "2022"], 2, "is after"),
    (["query", "care", "--source", "nowhere"], 2, "no indexed document matches"),
    (["query", "care", "--limit", "0"], 2, "--limit"),
    (["query", "care", "--color", "sometimes"], 2, "--color"),
    (["query"], 2, "Missing argument"),
    (["show", "nope#1"], 1, "no passage 'nope#1'"),
    (["show", "no-hash"], 1, "is not a citation key"),
    (["show", "../../etc/passwd#1"], 1, "no passage"),
    (["show", f"{CAMDEN}#0"], 1, "is not a citation key"),
    (["bogus"], 2, "No such command"),
]


@pytest.mark.parametrize(("args", "code", "message"), ERRORS, ids=[" ".join(e[0]) for e in ERRORS])
def test_errors_are_one_line_with_the_right_exit_code(run, args, code, message) -> None:
    result = run(*args)
    assert result.exit_code == code
    assert message in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", [["show", f"{CAMDEN}#1"], ["documents"]])
def test_commands_that_need_an_index_say_how_to_build_one(tmp_path: Path, command) -> None:
    result = CliRunner().invoke(cli, [*command, "--index", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "search index PATH" in result.stderr


def test_index_errors(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["index", str(tmp_path / "missing"), "--index", str(tmp_path / "i")]
    )
    assert result.exit_code == 2 and "no such file or folder" in result.stderr
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.txt").write_text("Text.\n")
    (bad / "facts.toml").write_text("[[fact]]\nfield='x'\n")
    result = CliRunner().invoke(cli, ["index", str(bad), "--index", str(tmp_path / "i")])
    assert result.exit_code == 1 and "facts file" in result.stderr


def test_skipped_files_are_reported_failed_files_exit_1(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "good.txt").write_text("Good text.\n")
    (corpus / "empty.txt").write_text("")
    args = ["index", str(corpus), "--index", str(tmp_path / "i")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0  # an empty file is not a document: skipped, not failed
    assert "warning: skipped" in result.stderr and "empty.txt: empty file" in result.stderr
    assert "1 skipped, 0 failed" in result.stdout
    (corpus / "latin1.txt").write_bytes("Caf\xe9.\n".encode("latin-1"))
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "error: failed" in result.stderr and "latin1.txt: not UTF-8" in result.stderr
    assert "1 skipped, 1 failed" in result.stdout


def _one_file_indexed(tmp_path: Path) -> tuple[Path, list[str]]:
    """A corpus of one file, indexed: the corpus folder and the --index arguments."""
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Alpha paragraph.\n")
    index = ["--index", str(tmp_path / "i")]
    assert CliRunner().invoke(cli, ["index", str(corpus), *index]).exit_code == 0
    return corpus, index


def test_query_updates_a_stale_index_first_and_says_so(tmp_path: Path) -> None:
    corpus, index = _one_file_indexed(tmp_path)
    runner = CliRunner()
    (corpus / "b.txt").write_text("Zebra paragraph.\n")
    result = runner.invoke(cli, ["query", "zebra", *index])
    assert "Updated the index first: 1 new since it was built." in result.stderr
    assert "b#1" in result.stdout


def test_query_records_the_new_times_of_touched_files_quietly(tmp_path: Path) -> None:
    import os

    corpus, index = _one_file_indexed(tmp_path)
    runner = CliRunner()
    os.utime(corpus / "a.txt", ns=(10**18, 10**18))  # a copy or a checkout: same content
    result = runner.invoke(cli, ["query", "alpha", *index])
    assert result.exit_code == 0 and "a#1" in result.stdout and result.stderr == ""
    recorded = Engine.open(tmp_path / "i").documents()[0]
    assert recorded.mtime_ns == 10**18 and recorded.doc_id == "a"


def test_query_warns_when_the_index_is_too_stale_to_update_quickly(
    tmp_path: Path, monkeypatch
) -> None:
    import search.cli

    monkeypatch.setattr(search.cli, "AUTO_UPDATE_FILES", 0)
    corpus, index = _one_file_indexed(tmp_path)
    runner = CliRunner()
    (corpus / "a.txt").write_text("Alpha changed paragraph.\n")
    result = runner.invoke(cli, ["query", "alpha", *index])
    assert result.exit_code == 0
    assert "warning: the index is out of date (1 changed since it was built)" in result.stderr


def test_an_index_from_another_version_is_rebuilt(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Alpha paragraph.\n")
    index = ["--index", str(tmp_path / "i")]
    runner = CliRunner()
    runner.invoke(cli, ["index", str(corpus), *index])
    from indexer.generations import current

    manifest = current(tmp_path / "i") / "documents.json"
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**data, "format": 0}))
    result = runner.invoke(cli, ["query", "alpha", *index])
    assert result.exit_code == 0
    assert "built by another version: rebuilding it from" in result.stderr
    assert "a#1" in result.stdout
