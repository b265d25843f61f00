"""Exports: `search query --format csv|markdown|json` and `search documents --format csv`,
read back and checked against the JSON output of the same search (the library's records)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from search.cli import cli
from search.export import BOM, safe_cell

from .conftest import write_corpus


def _run(*args: str) -> bytes:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def _rows(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8")
    assert text.startswith(BOM)  # Excel reads the file as UTF-8 only with it
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def test_query_csv_holds_every_hit_word_for_word(seed_index: Path) -> None:
    args = ["query", "care leavers", "--limit", "7", "--index", str(seed_index)]
    hits = json.loads(_run(*args, "--json"))["results"]
    rows = _rows(_run(*args, "--format", "csv"))
    assert [r["citation"] for r in rows] == [h["citation"] for h in hits]
    assert [r["text"] for r in rows] == [h["text"] for h in hits]
    assert [r["role"] for r in rows] == [h["role"] for h in hits]
    assert all(r["reference"].startswith("Ofsted, ") or r["kind"] != "inspection" for r in rows)


def test_json_is_the_same_as_format_json(seed_index: Path) -> None:
    args = ["query", "adoption", "--index", str(seed_index)]
    assert json.loads(_run(*args, "--json")) == json.loads(_run(*args, "--format", "json"))


def test_markdown_quotes_each_passage_with_its_reference(seed_index: Path) -> None:
    args = ["query", "adoption", "--limit", "3", "--index", str(seed_index)]
    hits = json.loads(_run(*args, "--json"))["results"]
    markdown = _run(*args, "--format", "markdown").decode("utf-8")
    for hit in hits:
        assert f"(`{hit['citation']}`)" in markdown
        first_line = hit["text"].splitlines()[0]
        assert f"> {first_line}" in markdown


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+44 20", "'+44 20"),
        ("-5 children", "'-5 children"),
        ("@home", "'@home"),
        ("Care = support", "Care = support"),
        (None, ""),
    ],
)
def test_no_cell_is_a_formula(value: str | None, cell: str) -> None:
    assert safe_cell(value) == cell


def test_a_passage_that_looks_like_a_formula_is_exported_as_text(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"a.txt": "=1+1 care plans for children.\n"})
    index = tmp_path / "index"
    _run("index", str(corpus), "--index", str(index))
    rows = _rows(_run("query", "care", "--format", "csv", "--index", str(index)))
    assert rows[0]["text"] == "'=1+1 care plans for children."


def test_documents_csv_has_a_row_per_document_with_its_metadata(seed_index: Path) -> None:
    index = ["--index", str(seed_index)]
    documents = {d["doc_id"]: d for d in json.loads(_run("documents", "--json", *index))}
    rows = {r["doc_id"]: r for r in _rows(_run("documents", "--format", "csv", *index))}
    assert rows.keys() == documents.keys()
    for doc_id, document in documents.items():
        for column in ("kind", "title", "date", "framework", "overall_effectiveness"):
            assert rows[doc_id][column] == (document[column] or ""), column
        assert rows[doc_id]["passages"] == str(document["passages"])
