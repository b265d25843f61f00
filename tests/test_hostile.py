"""Hostile input: documents that try to exhaust memory or time, and queries of any shape."""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import indexer.pipeline
import indexer.sources
from indexer.chunk import MAX_PASSAGE_CHARS
from indexer.pipeline import build_index
from search.cli import cli
from search.engine import Engine, FilterError, QueryError
from search.query import parse_query

from .conftest import write_corpus

# --- documents -------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(indexer.sources, "MAX_TEXT_BYTES", 1000)
    corpus = write_corpus(tmp_path / "c", {"big.txt": "word " * 1000, "ok.txt": "Fine.\n"})
    report = build_index([corpus], tmp_path / "i")
    assert report.added == ["ok"]
    assert [(Path(p).name, r) for p, r in report.failed] == [
        ("big.txt", "too large: 0 MB, over the 0 MB limit for a .txt file")
    ]


def test_one_enormous_line_becomes_passages_of_bounded_length(tmp_path: Path) -> None:
    line = " ".join(f"Sentence number {i} is here." for i in range(40_000))  # ~1 MB
    corpus = write_corpus(tmp_path / "c", {"line.txt": line + "\n"})
    build_index([corpus], tmp_path / "i")
    engine = Engine.open(tmp_path / "i")
    passages = engine.documents()[0].passages
    assert passages > 100
    texts = [engine.passage(f"line#{n}").text for n in range(1, passages + 1)]
    assert max(map(len, texts)) <= MAX_PASSAGE_CHARS
    assert " ".join(texts) == line  # nothing lost or repeated at the cuts
    assert all(t.endswith(".") for t in texts)  # cut after sentences


def test_symbolic_link_loops_do_not_trap_the_walk(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"a.txt": "Alpha.\n", "sub/b.txt": "Beta.\n"})
    os.symlink(corpus, corpus / "sub" / "loop")  # a folder that contains itself
    os.symlink(corpus / "self.txt", corpus / "self.txt")  # a file link to itself
    report = build_index([corpus], tmp_path / "i")
    assert sorted(report.added) == ["a", "sub/b"]


def _pdf_with_content(stream: bytes) -> bytes:
    """A one-page PDF whose page content is `stream` (FlateDecode)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


@pytest.mark.slow
def test_a_zip_bomb_named_pdf_is_bounded_and_reported(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(indexer.pipeline, "WORKER_MEMORY", 1 * 2**30)
    monkeypatch.setattr(indexer.pipeline, "WORKER_SECONDS", 60)
    packer = zlib.compressobj(9)
    chunk = b"0 0 m " * (2**20 // 6)
    bomb = b"".join(packer.compress(chunk) for _ in range(3 * 1024)) + packer.flush()  # 3 GB
    corpus = write_corpus(tmp_path / "c", {"fine.txt": "A fine paragraph.\n"})
    (corpus / "bomb.pdf").write_bytes(_pdf_with_content(bomb))
    report = build_index([corpus], tmp_path / "i", progress=False)
    assert report.added == ["fine"]
    problems = {Path(p).name: r for p, r in report.failed + report.skipped}
    assert set(problems) == {"bomb.pdf"}


# --- queries and options ---------------------------------------------------------------------

ANY_TEXT = st.text(max_size=300)
OPERATOR_SOUP = st.text(
    alphabet='+-*":() \t\n\x00\u2019\u201ctitle:year:la:grade:care', max_size=80
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(ANY_TEXT, OPERATOR_SOUP))
def test_any_text_parses(text: str) -> None:
    parsed = parse_query(text)
    assert all(c.occur in ("should", "must", "must_not") for c in parsed.clauses)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.one_of(ANY_TEXT, OPERATOR_SOUP, st.text(min_size=5000, max_size=20000)))
def test_any_query_gives_results_or_a_query_error(engine: Engine, text: str) -> None:
    try:
        result = engine.search(text, limit=3)
    except QueryError as error:
        assert str(error) and "\n" not in str(error).strip()
    else:
        assert result.total >= len(result.results)


OPTION_VALUES = st.one_of(
    ANY_TEXT, st.sampled_from(["2022", "2020-2022", "0", "-1", "9" * 40, "2022-02-30", ""])
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    words=st.one_of(ANY_TEXT, OPERATOR_SOUP).filter(lambda t: t.strip() and "\x00" not in t),
    option=st.sampled_from(["--year", "--from", "--to", "--source", "--la", "--grade", "--limit"]),
    value=OPTION_VALUES.filter(lambda t: "\x00" not in t),
)
def test_every_query_option_exits_0_1_or_2_with_valid_json(
    seed_index, words, option, value
) -> None:
    # options first, "--" before the words: any text, even "--" or "-x", is then words
    args = ["query", f"{option}={value}", "--json", "--index", str(seed_index), "--", words]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (0, 1, 2), result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    if result.exit_code == 0:
        json.loads(result.stdout)
    else:
        assert "Traceback" not in result.output and result.stderr.strip()


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=200))
def test_show_refuses_any_key_that_is_not_in_the_index(seed_index, key: str) -> None:
    # "--" before the key: "-h" is then a key, not a request for help
    result = CliRunner().invoke(cli, ["show", "--index", str(seed_index), "--", key])
    assert result.exit_code in (0, 1, 2) and "Traceback" not in result.output
    if result.exit_code == 0:  # only a key of a real passage succeeds
        Engine.open(seed_index).passage(key)
    elif result.exit_code == 1:
        assert len(result.stderr.strip().splitlines()) == 1
    else:  # a usage error: click's usage lines, then one line saying what is wrong
        assert result.stderr.strip().splitlines()[-1].startswith("Error: ")


@pytest.mark.parametrize(
    "key", ["../../etc/passwd#1", "/etc/passwd#1", "seeds/../../x#1", "004\x00#1", "#1", "a#b"]
)
def test_keys_cannot_reach_outside_the_index(seed_index, key: str) -> None:
    result = CliRunner().invoke(cli, ["show", key, "--index", str(seed_index)])
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_filters_reject_rather_than_crash(engine: Engine) -> None:
    for value in ("9" * 40, "-1", "2022-2", "\u0663\u0660\u0662\u0662"):
        with pytest.raises(FilterError):
            engine.search("care", year=value)
