"""One line, never a traceback: every bad option, filter, collection, facts file and output.

One table: each row a command (with the files it needs), its exit code, and a fragment of
the one line it must print on stderr. CliRunner where it is faithful; real processes (slow)
where the operating system is the point: stdout closed, stdout on a full device.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from search.cli import _echo_json, cli
from search.engine import Engine

from .conftest import ROOT

CAMDEN = "004_26166e069228efdc"

# A tiny BEIR collection: three documents, two judged queries.
CORPUS = "".join(
    json.dumps(d) + "\n"
    for d in [
        {"_id": "d1", "title": "Foster care", "text": "Foster carers support children."},
        {"_id": "d2", "title": "Leavers", "text": "Care leavers find homes."},
        {"_id": "d3", "title": "Schools", "text": "Pupils learn to read."},
    ]
)
QUERIES = '{"_id": "q1", "text": "foster carers"}\n{"_id": "q2", "text": "care leavers"}\n'
QRELS = "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n"


def beir(corpus: str | bytes = CORPUS, queries: str = QUERIES, qrels: str = QRELS) -> dict:
    return {"c/corpus.jsonl": corpus, "c/queries.jsonl": queries, "c/qrels.tsv": qrels}


def facts(toml: str) -> dict:
    return {"f/a.txt": "Some text about care.\n", "f/facts.toml": toml}


def fact(field: str, value: str) -> str:
    return f'[[fact]]\ndocument = "a"\nfield = "{field}"\nvalue = {value}\nsource = "x"\n'


EVAL = ["eval", "{tmp}/c"]
JUDGED = ["eval", "{tmp}/j.tsv", "--index", "{index}"]
INDEX_FACTS = ["index", "{tmp}/f", "--index", "{tmp}/i"]
Q = ["query", "--index", "{index}"]

# (name, arguments, files to write first, exit code, fragment of the one stderr line)
ERRORS = [
    # parameters that are not finite numbers, or out of bounds
    ("k1 nan", [*Q, "care", "--k1", "nan"], {}, 2, "'nan' is not a finite number"),
    ("k1 inf", [*Q, "care", "--k1", "inf"], {}, 2, "--k1"),
    ("k1 -inf", [*Q, "care", "--k1=-inf"], {}, 2, "--k1"),
    ("k1 huge", [*Q, "care", "--k1", "1e308", "--json"], {}, 2, "--k1"),
    ("b nan", [*Q, "care", "--b", "nan", "--json"], {}, 2, "'nan' is not a finite number"),
    ("heading-boost inf", [*Q, "care", "--heading-boost", "inf"], {}, 2, "--heading-boost"),
    ("heading-boost nan", [*Q, "care", "--heading-boost", "NaN"], {}, 2, "finite"),
    ("eval k1 nan", [*EVAL, "--k1", "nan"], beir(), 2, "'nan' is not a finite number"),
    ("eval b inf", [*EVAL, "--b", "inf"], beir(), 2, "--b"),
    # malformed filter values in the query, as strict as the options
    ("year:abcd", [*Q, "year:abcd care"], {}, 2, "'abcd' is not a year"),
    ("year:2022-2", [*Q, "care year:2022-2"], {}, 2, "is not a year"),
    ("-year:x", [*Q, "care -year:x"], {}, 2, "'x' is not a year"),
    ("grade:foo", [*Q, "grade:foo care"], {}, 2, "'foo' is not a grade"),
    ("paragraph:foo", [*Q, "paragraph:foo care"], {}, 2, "'foo' is not a paragraph number"),
    ("para:x", [*Q, "care para:x"], {}, 2, "is not a paragraph number"),
    ("--year abcd", [*Q, "care", "--year", "abcd"], {}, 2, "'abcd' is not a year"),
    # unknown options of query: not words
    ("--yaer", [*Q, "care", "--yaer", "2021"], {}, 2, "'--yaer'. Did you mean '--year'?"),
    ("--yaer=", [*Q, "--yaer=2021", "care"], {}, 2, "Did you mean '--year'?"),
    ("--framework", [*Q, "care", "--framework", "focused"], {}, 2, "'--framework'"),
    ("--limt", [*Q, "--limt", "3", "care"], {}, 2, "Did you mean '--limit'?"),
    ("--- word", [*Q, "care", "---"], {}, 2, "No such option '---'"),
    ("missing words", Q, {}, 2, "Missing argument"),
    ("nothing to search", [*Q, "the of"], {}, 2, "nothing to search for"),
    ("no such command", ["bogus"], {}, 2, "No such command 'bogus'"),
    ("show unknown option", ["show", "--bogus", "x#1"], {}, 2, "No such option '--bogus'"),
    ("group unknown option", ["--bogus"], {}, 2, "No such option '--bogus'"),
    ("show unknown key", ["show", "nope#1", "--index", "{index}"], {}, 1, "no passage"),
    # eval: collections and judged files that cannot be used
    ("corpus empty", EVAL, beir(corpus=""), 2, "corpus.jsonl: no documents"),
    ("qrels empty", EVAL, beir(qrels=""), 2, "qrels.tsv: no judgements"),
    ("qrels header only", EVAL, beir(qrels="query-id\tcorpus-id\tscore\n"), 2, "no judgements"),
    ("queries empty", EVAL, beir(queries=""), 2, "missing from queries.jsonl"),
    (
        "corpus latin-1",
        EVAL,
        beir(corpus=CORPUS.replace("Foster", "Caf\xe9").encode("latin-1")),
        2,
        "corpus.jsonl: not UTF-8",
    ),
    (
        "corpus list line",
        EVAL,
        beir(corpus=CORPUS + '["d4", "text"]\n'),
        2,
        "corpus.jsonl:4: expected a JSON object, found list",
    ),
    ("corpus number line", EVAL, beir(corpus="7\n"), 2, "expected a JSON object, found int"),
    (
        "corpus no _id",
        EVAL,
        beir(corpus='{"text": "x"}\n'),
        2,
        "corpus.jsonl:1: the object lacks _id",
    ),
    (
        "corpus text not text",
        EVAL,
        beir(corpus='{"_id": "a", "text": [1]}\n'),
        2,
        "text is not text",
    ),
    ("corpus repeated _id", EVAL, beir(corpus=CORPUS + CORPUS), 2, "a repeated ('d1') _id"),
    ("corpus not JSON", EVAL, beir(corpus='{"_id": "a"\n'), 2, "corpus.jsonl:1: not JSON"),
    (
        "queries list line",
        EVAL,
        beir(queries="[1]\n"),
        2,
        "queries.jsonl:1: expected a JSON object",
    ),
    ("queries no text", EVAL, beir(queries='{"_id": "q1"}\n'), 2, "lacks text"),
    (
        "qrels bad line",
        EVAL,
        beir(qrels=QRELS + "q2\td3\n"),
        2,
        "qrels.tsv:4: expected query, document, grade",
    ),
    (
        "judged the of",
        JUDGED,
        {"j.tsv": "the of\tx#1\t1\n"},
        2,
        "the judged query 'the of': nothing to search for",
    ),
    ("judged year:abcd", JUDGED, {"j.tsv": "year:abcd care\tx#1\t1\n"}, 2, "is not a year"),
    ("judged latin-1", JUDGED, {"j.tsv": "caf\xe9\tx#1\t1\n".encode("latin-1")}, 2, "cannot read"),
    # judged documents the corpus or index does not hold: a warning, one line, exit 0
    (
        "qrels unknown documents",
        EVAL,
        beir(qrels=QRELS + "q1\tgone\t1\nq2\tlost\t2\n"),
        0,
        "warning: 2 judged documents not in the collection's corpus (they count as relevant and "
        "never found): gone, lost",
    ),
    (
        "judged unknown key",
        JUDGED,
        {"j.tsv": f"care\t{CAMDEN}#35\t2\ncare\tnope#1\t1\n"},
        0,
        "warning: 1 judged document not in the index",
    ),
    # facts.toml: malformed values and shapes
    (
        "facts not a date",
        INDEX_FACTS,
        facts(fact("date", '"not a date"')),
        1,
        "facts.toml: fact 1 (document 'a', field 'date'): 'not a date' is not a date",
    ),
    (
        "facts year not a year",
        INDEX_FACTS,
        facts(fact("inspection_year", '"twenty"')),
        1,
        "field 'inspection_year'): 'twenty' is not a year",
    ),
    ("facts year a bool", INDEX_FACTS, facts(fact("inspection_year", "true")), 1, "not bool"),
    ("facts title a list", INDEX_FACTS, facts(fact("title", "[1]")), 1, "not list"),
    ("facts title empty", INDEX_FACTS, facts(fact("title", '" "')), 1, "non-empty text"),
    (
        "facts grade unknown",
        INDEX_FACTS,
        facts(fact("overall_effectiveness", '"great"')),
        1,
        "not an Ofsted grade",
    ),
    (
        "facts field unknown",
        INDEX_FACTS,
        facts(fact("colour", '"red"')),
        1,
        "unknown field 'colour'",
    ),
    (
        "facts lacks source",
        INDEX_FACTS,
        facts('[[fact]]\ndocument = "a"\nfield = "date"\n'),
        1,
        "fact 1 lacks value, source",
    ),
    (
        "facts document a number",
        INDEX_FACTS,
        facts('[[fact]]\ndocument = 1\nfield = "date"\nvalue = "2020"\nsource = "x"\n'),
        1,
        "fact 1: document must be non-empty text",
    ),
    ("facts bad TOML", INDEX_FACTS, facts("[[fact]\n"), 1, "facts.toml: not valid TOML"),
    (
        "facts not UTF-8",
        INDEX_FACTS,
        {**facts(""), "f/facts.toml": b"x = '\xe9'\n"},
        1,
        "facts.toml: not UTF-8",
    ),
    ("facts a string", INDEX_FACTS, facts('fact = "x"\n'), 1, "must be [[fact]] entries"),
    ("facts a table", INDEX_FACTS, facts('[fact]\ndocument = "a"\n'), 1, "[[fact]] entries"),
    ("facts numbers", INDEX_FACTS, facts("fact = [1, 2]\n"), 1, "fact 1: not a table"),
    (
        "facts misnamed",
        INDEX_FACTS,
        facts('[[facts]]\ndocument = "a"\n'),
        1,
        "unknown table 'facts'",
    ),
]


@pytest.mark.parametrize(("args", "files", "code", "fragment"), [e[1:] for e in ERRORS],
                         ids=[e[0] for e in ERRORS])  # fmt: skip
def test_one_line_never_a_traceback(tmp_path, seed_index, args, files, code, fragment) -> None:
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    argv = [a.format(tmp=tmp_path, index=seed_index) for a in args]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == code, result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0]
    if code == 0 and "--json" not in argv:
        assert result.stdout.strip()


# --- what still works, and what the errors above must not break -----------------------------


@pytest.mark.parametrize(
    "words",
    [["care", "-adoption"], ["--", "--x", "care"], ["--", "-h", "care"], ["care", "--limit", "1"]],
)
def test_excluded_words_and_words_after_a_double_dash_are_still_words(seed_index, words) -> None:
    result = CliRunner().invoke(cli, ["query", "--index", str(seed_index), *words])
    assert result.exit_code == 0, result.output
    assert "match" in result.stdout


def test_a_value_starting_with_double_dash_is_a_value_not_an_option(seed_index) -> None:
    args = ["query", "care", "--source", "--nowhere", "--index", str(seed_index)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "no indexed document matches source '--nowhere'" in result.stderr


def test_the_largest_allowed_parameters_still_give_finite_json(seed_index) -> None:
    args = ["query", "care", "--k1", "1000", "--b", "1", "--heading-boost", "1000",
            "--proximity", "--rm3", "--json", "--index", str(seed_index)]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))


def test_json_that_would_hold_nan_is_refused_in_one_line() -> None:
    with pytest.raises(click.ClickException, match="cannot write JSON") as caught:
        _echo_json({"score": float("nan")})
    assert "\n" not in caught.value.format_message()


def test_one_passage_matches_in_the_singular(seed_index) -> None:
    args = ["query", "paragraph:27 care", "--index", str(seed_index)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0
    assert result.stdout.startswith("1 passage matches 'paragraph:27 care'.")


@pytest.mark.parametrize("around", [" ", "\n", "\t", " \r\n"])
def test_a_pasted_key_with_space_or_newline_around_it_is_the_key(
    engine: Engine, seed_index: Path, around: str
) -> None:
    key = f"{CAMDEN}#35"
    assert engine.passage(around + key + around).citation == key
    assert engine.passage(f"{CAMDEN}#p27{around}").citation == key
    result = CliRunner().invoke(cli, ["show", key + around, "--index", str(seed_index)])
    assert result.exit_code == 0 and result.stdout.startswith(key)


def test_unknown_judged_documents_are_counted_in_the_json(tmp_path: Path, seed_index) -> None:
    judged = tmp_path / "j.tsv"
    judged.write_text(f"care\t{CAMDEN}#p27\t2\ncare\tnope#1\t1\ncare\tnope#2\t1\n")
    args = ["eval", str(judged), "--json", "--index", str(seed_index)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["not_in_index"], report["not_in_index_examples"]) == (2, ["nope#1", "nope#2"])
    assert result.stderr.count("\n") == 1 and "2 judged documents" in result.stderr
    # "#p27" is the report's own paragraph 27, which a query returns as #35: it is found
    assert report["mrr_at_10"] > 0


# --- real processes: stdout closed or full ------------------------------------------------


def _search(args: list[str], stdout, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "search", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=timeout,  # run() kills the process if it is exceeded: none is left behind
    )


OUTPUTS = [
    ["query", "care"],
    ["query", "care", "--json"],
    ["show", f"{CAMDEN}#35"],
    ["documents"],
    ["--help"],
    ["query", "--help"],
]


@pytest.mark.slow
@pytest.mark.parametrize("args", OUTPUTS, ids=" ".join)
def test_stdout_on_a_full_device_is_one_line_and_exit_1(seed_index, args) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    index = [] if "--help" in args else ["--index", str(seed_index)]
    with open("/dev/full", "w") as full:
        done = _search([*args, *index], full)
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [
        "Error: cannot write the output: No space left on device"
    ], done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("args", OUTPUTS[:4], ids=" ".join)
def test_stdout_closed_is_one_line_and_exit_1(seed_index, args) -> None:
    script = 'exec "$@" >&-'
    command = ["sh", "-c", script, "sh", sys.executable, "-m", "search", *args]
    done = subprocess.run(
        [*command, "--index", str(seed_index)],
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [
        "Error: cannot write the output: standard output is closed"
    ], done.stderr
