"""Document kinds in the engine and the CLI: the --kind filter and kind: field, the kind shown
in hits, `documents` and `show`, the index summary counted by kind; local authorities matched
across spellings (--la, la:); and an index of the previous format rebuilt with its keys."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.ofsted import KINDS
from search.cli import cli
from search.engine import authority_key, authority_matches

from .conftest import write_corpus
from .test_letter_rules import MONITORING
from .test_ofsted_metadata import CAMDEN_2022


def _focused_visit(authority: str, visit: str, printed: str, finding: str) -> str:
    """A focused-visit letter as Ofsted writes one (the rules: tests/test_letter_rules.py)."""
    return (
        f"{printed}\n\nDear Pauline\n\n"
        f"Focused visit to {authority} children’s services\n\n"
        f"This letter summarises the findings of the focused visit to {authority} children’s "
        f"services on {visit}. Inspectors looked at the experiences of care leavers.\n\n"
        f"{finding}\n"
    )


DOCUMENTS = {
    "bcp-2021.txt": _focused_visit(
        "Bournemouth, Christchurch and Poole",
        "2 and 3 February 2021",
        "3 March 2021",
        "Care leavers are well supported by their personal advisers in the pandemic.",
    ),
    "camden-2022.txt": _focused_visit(
        "Camden",
        "10 and 11 May 2022",
        "8 June 2022",
        "Care leavers in Camden have personal advisers who know them well.",
    ),
    "barnsley-mv.txt": MONITORING + "\nCare leavers are seen often by their advisers.\n",
    "camden-report.txt": CAMDEN_2022 + "been sustained.\n\nCare leavers thrive in Camden.\n",
    "note.txt": "Care leavers\n\nA short note about care leavers in general.\n",
}

EXPECTED_KINDS = {
    "bcp-2021": "focused-visit",
    "camden-2022": "focused-visit",
    "barnsley-mv": "monitoring-visit",
    "camden-report": "inspection",
    "note": "other",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The small corpus indexed once, and what `search index` said."""
    root = tmp_path_factory.mktemp("kinds")
    corpus = write_corpus(root / "corpus", DOCUMENTS)
    result = CliRunner().invoke(cli, ["index", str(corpus), "--index", str(root / "index")])
    assert result.exit_code == 0, result.output
    return root / "index", result.stdout


def run(index: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [*args, "--index", str(index)])
    return result.exit_code, result.stdout, result.stderr


def query_docs(index: Path, *args: str) -> set[str]:
    code, out, err = run(index, "query", *args, "--json", "--limit", "100")
    assert code == 0, err
    return {hit["citation"].rsplit("#", 1)[0] for hit in json.loads(out)["results"]}


# --- authority names ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Camden", "camden"),
        ("London Borough of Camden", "camden"),
        ("Bournemouth, Christchurch and Poole", "bournemouth christchurch and poole"),
        ("bournemouth, christchurch & poole", "bournemouth christchurch and poole"),
        ("Bournemouth, Christchurch and Poole Council", "bournemouth christchurch and poole"),
        ("Kingston upon Hull", "kingston upon hull"),
        ("Kingston-upon-Hull City Council", "kingston upon hull"),
        ("Leeds City Council", "leeds"),
        ("Dudley MBC", "dudley"),
        ("Wirral Metropolitan Borough Council", "wirral"),
        ("Metropolitan Borough of Wirral", "wirral"),
        ("The Royal Borough of Windsor and Maidenhead", "windsor and maidenhead"),
        ("windsor & maidenhead", "windsor and maidenhead"),
        ("Kent County Council", "kent"),
        ("City of York Council", "york"),
        ("St Helens", "st helens"),
        ("St. Helens", "st helens"),
        ("Telford & Wrekin", "telford and wrekin"),
        ("Stoke-on-Trent", "stoke on trent"),
        ("Southend-on-Sea", "southend on sea"),
        ("  NORTH   Yorkshire ", "north yorkshire"),
        ("City of London Corporation", "london"),
        ("the council", ""),
    ],
)
def test_authority_key(name: str, key: str) -> None:
    assert authority_key(name) == key


@pytest.mark.parametrize(
    ("query", "name", "matches"),
    [
        ("camden", "Camden", True),
        ("camden", "London Borough of Camden", True),
        ("north yorkshire", "North Yorkshire", True),
        ("north yorkshire", "North Yorkshire County Council", True),
        ("yorkshire", "North Yorkshire", True),  # as before: every word given is in the name
        ("barnsley", "Barnsley", True),
        ("hull", "Kingston upon Hull", True),
        ("Kingston-upon-Hull", "Kingston upon Hull", True),
        ("kingston upon hull", "Kingston upon Thames", False),
        ("kingston upon hull", "Hull", True),  # the short form, cut at "upon"
        ("Kingston-upon-Hull", "Hull City Council", True),
        ("east riding of yorkshire", "East Riding", True),
        ("newcastle upon tyne", "Newcastle", True),
        ("london corporation", "City of London", True),
        ("north lincolnshire", "North East Lincolnshire", False),
        ("north east lincolnshire", "North Lincolnshire", False),
        ("north somerset", "Bath and North East Somerset", False),
        ("bath and north east somerset", "Somerset", False),
        ("bournemouth christchurch poole", "Bournemouth, Christchurch and Poole", True),
        ("stoke-on-trent", "Stoke-on-Trent City Council", True),
        ("bournemouth christchurch & poole", "Bournemouth, Christchurch and Poole", True),
        ("Leeds City Council", "Leeds", True),
        ("newcastle", "Newcastle upon Tyne", True),
        ("somerset", "North Somerset", True),
        ("north somerset", "Somerset", False),
        ("camden", "Cambridgeshire", False),
        ("york", "North Yorkshire", False),  # a whole word, not a part of one
        ("the council", "Camden", False),  # no name at all
        ("and", "Brighton and Hove", False),  # a joining word alone names nothing
        ("", "Camden", False),
    ],
)
def test_authority_matches(query: str, name: str, matches: bool) -> None:
    assert authority_matches(query, name) is matches


# --- kinds ----------------------------------------------------------------------------------


def test_documents_have_their_kinds(built) -> None:
    index, _ = built
    code, out, _ = run(index, "documents", "--json")
    assert code == 0
    assert {d["doc_id"]: d["kind"] for d in json.loads(out)} == EXPECTED_KINDS


def test_the_summary_counts_documents_by_kind(built) -> None:
    _, summary = built
    assert "holds 5 documents, " in summary
    match = re.search(r"passages; by kind: ([^.]+)\.", summary)
    assert match, summary
    counts = dict(reversed(part.split(" ")) for part in match.group(1).split(", "))
    assert counts == {
        "focused-visit": "2",
        "inspection": "1",
        "monitoring-visit": "1",
        "other": "1",
    }
    assert match.group(1).startswith("2 focused-visit")  # most first


@pytest.mark.parametrize("kind", sorted(set(EXPECTED_KINDS.values())))
def test_kind_filter_and_field_find_that_kind_only(built, kind: str) -> None:
    index, _ = built
    wanted = {doc for doc, k in EXPECTED_KINDS.items() if k == kind}
    assert query_docs(index, "care", "leavers", "--kind", kind) == wanted
    assert query_docs(index, "care", "leavers", f"kind:{kind}") == wanted
    assert query_docs(index, "care", f"+kind:{kind.upper()}") == wanted


def test_a_kind_no_document_has_finds_nothing(built) -> None:
    index, _ = built
    assert query_docs(index, "care", "--kind", "jtai") == set()
    assert query_docs(index, "care", "-kind:other", "--limit", "100") == {
        doc for doc, k in EXPECTED_KINDS.items() if k != "other"
    }


@pytest.mark.parametrize(
    "args",
    [
        ("care", "--kind", "letter"),
        ("care", "--kind", ""),
        ("care", "--kind", "focused visit"),
        ("care", "kind:letter"),
        ("care", "kind:inspections"),
    ],
)
def test_an_unknown_kind_is_a_one_line_usage_error(built, args) -> None:
    index, _ = built
    code, out, err = run(index, "query", *args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "is not a kind of document" in err
    assert all(kind in err for kind in KINDS)


def test_kind_with_year_and_la(built) -> None:
    index, _ = built
    assert query_docs(index, "care", "--kind", "focused-visit", "--year", "2021") == {"bcp-2021"}
    assert query_docs(index, "care", "--kind", "focused-visit", "--la", "camden") == {"camden-2022"}


def test_hits_show_and_documents_name_the_kind(built) -> None:
    index, _ = built
    code, out, _ = run(index, "query", "personal", "advisers", "--kind", "focused-visit")
    assert code == 0
    about = [line for line in out.splitlines() if line.startswith("   Focused visit to")]
    assert about and all(" | focused-visit | " in line for line in about)
    code, out, _ = run(index, "query", "advisers", "--json", "--la", "barnsley")
    assert [hit["kind"] for hit in json.loads(out)["results"]] == ["monitoring-visit"]
    code, out, _ = run(index, "show", "barnsley-mv#1")
    assert code == 0 and "\nKind:      monitoring-visit\n" in out
    code, out, _ = run(index, "show", "barnsley-mv#1", "--json")
    assert json.loads(out)["kind"] == "monitoring-visit"
    code, out, _ = run(index, "documents")
    assert "   kind: focused-visit | publisher:" in out and "   kind: other | " in out


# --- authorities across spellings -----------------------------------------------------------


@pytest.mark.parametrize(
    "la",
    [
        "bournemouth, christchurch and poole",
        "bournemouth christchurch & poole",
        "Bournemouth, Christchurch and Poole Council",
        "BOURNEMOUTH-CHRISTCHURCH-AND-POOLE",
    ],
)
def test_la_matches_across_spellings(built, la: str) -> None:
    index, _ = built
    assert query_docs(index, "care", "--la", la) == {"bcp-2021"}
    assert query_docs(index, "care", f'la:"{la}"') == {"bcp-2021"}


def test_la_finds_letters_and_reports_alike(built) -> None:
    index, _ = built
    assert query_docs(index, "care", "--la", "barnsley") == {"barnsley-mv"}
    assert query_docs(index, "care", "--la", "London Borough of Camden") == {"camden-2022"}


def test_an_authority_no_document_is_about_is_a_usage_error(built) -> None:
    index, _ = built
    code, _, err = run(index, "query", "care", "--la", "the council")
    assert code == 2 and "no indexed report is about a local authority named" in err


# --- an index of the previous format --------------------------------------------------------


def test_a_format_4_index_is_rebuilt_with_its_keys_and_kinds(tmp_path: Path) -> None:
    """An index written before kinds were read is rebuilt on the first query from the folders
    it records, and every file keeps the key it was given, including one that no fresh build
    would give it."""
    corpus = write_corpus(tmp_path / "corpus", {"fv.txt": DOCUMENTS["camden-2022.txt"]})
    index = tmp_path / "index"
    assert run(index, "index", str(corpus))[0] == 0
    # "fv" is taken, so the .md file is given "fv.md"; with fv.txt gone it keeps it
    (corpus / "fv.md").write_text(DOCUMENTS["bcp-2021.txt"], encoding="utf-8")
    assert run(index, "index", str(corpus))[0] == 0
    (corpus / "fv.txt").unlink()
    assert run(index, "index", str(corpus))[0] == 0
    code, out, _ = run(index, "documents", "--json")
    before = {d["doc_id"]: d["kind"] for d in json.loads(out)}
    assert before == {"fv.md": "focused-visit"}

    current = (index / "CURRENT").read_text().strip()
    manifest = index / current / "documents.json"
    data = json.loads(manifest.read_text())
    for document in data["documents"]:
        del document["kind"]
    manifest.write_text(json.dumps({**data, "format": 4}))

    code, out, err = run(index, "query", "advisers", "--json")
    assert code == 0, err
    assert "built by another version: rebuilding it from" in err
    assert [hit["kind"] for hit in json.loads(out)["results"]] == ["focused-visit"]
    code, out, _ = run(index, "documents", "--json")
    assert {d["doc_id"]: d["kind"] for d in json.loads(out)} == before
    new = json.loads(
        (index / (index / "CURRENT").read_text().strip() / "documents.json").read_text()
    )
    assert new["format"] > 4
    assert new["retired_keys"]  # the removed file's key is still reserved for its path


@settings(max_examples=25, deadline=None)
@given(
    value=st.one_of(st.text(max_size=30), st.sampled_from(KINDS)).filter(lambda t: "\x00" not in t),
    words=st.text(alphabet='+-*":() kindcare', min_size=1, max_size=30),
)
def test_any_kind_or_kind_field_exits_0_or_2(built, value: str, words: str) -> None:
    """Any --kind value and any query holding `kind:` is answered (a known kind) or refused in
    one line (exit 2), never a crash."""
    index, _ = built
    for args in (["--kind", value, "--", "care"], ["--", f"care kind:{value} {words}"]):
        result = CliRunner().invoke(cli, ["query", "--json", "--index", str(index), *args])
        assert result.exit_code in (0, 2), result.output
        if result.exit_code == 0:
            json.loads(result.stdout)
        else:
            assert "Traceback" not in result.output
            assert len(result.stderr.strip().splitlines()) == 1
    if value.strip().casefold() in KINDS:
        code, _, _ = run(index, "query", "care", "--kind", value)
        assert code == 0
