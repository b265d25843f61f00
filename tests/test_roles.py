"""Passage roles (indexer.roles): the golden passages, each read by a person and given the role
a reader would give it, from real reports, letters and news pages; then the role stored, shown
and filtered on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from indexer.roles import ROLES, role_of
from search.cli import cli
from search.engine import Engine, FilterError

GOLDEN = Path(__file__).parent / "golden" / "roles.jsonl"
PASSAGES = [json.loads(line) for line in GOLDEN.read_text("utf-8").splitlines()]


def test_the_golden_set_covers_every_role() -> None:
    assert len(PASSAGES) >= 24
    assert {p["role"] for p in PASSAGES} == set(ROLES)


@pytest.mark.parametrize("passage", PASSAGES, ids=[p["key"][-40:] for p in PASSAGES])
def test_each_golden_passage_gets_the_role_a_reader_gave_it(passage: dict) -> None:
    assert role_of(passage["text"], passage["section"] or None) == passage["role"]


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "“", "\t"])
def test_any_text_gets_a_role(text: str) -> None:
    """An IR collection's empty document, a lone quotation mark: never an error."""
    assert role_of(text) in ROLES
    assert role_of(text, "What needs to improve") in ROLES


def test_hits_carry_their_role_and_role_filters_them(engine: Engine) -> None:
    hits = engine.search("local authority designated officer", limit=None).results
    assert {h.role for h in hits} <= set(ROLES)
    advice = engine.search("local authority designated officer", role="recommendation")
    assert advice.results and {h.role for h in advice.results} == {"recommendation"}
    assert advice.total < len(hits)
    field = engine.search("local authority designated officer role:recommendation")
    assert [h.citation for h in field.results] == [h.citation for h in advice.results]


def test_an_unknown_role_is_a_filter_error(engine: Engine) -> None:
    with pytest.raises(FilterError, match="is not a role"):
        engine.search("care", role="advice")


def test_cli_shows_and_filters_roles(seed_index: Path) -> None:
    runner = CliRunner()
    args = ["query", "care", "--role", "table", "--json", "--index", str(seed_index)]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)["results"]
    assert hits and {h["role"] for h in hits} == {"table"}
    shown = runner.invoke(cli, ["query", "care", "--role", "table", "--index", str(seed_index)])
    assert "role: table" in shown.stdout
    bad = runner.invoke(cli, ["query", "care", "--role", "advice", "--index", str(seed_index)])
    assert bad.exit_code == 2 and "is not a role" in bad.output


@given(text=st.text(max_size=300), section=st.none() | st.text(max_size=60))
def test_role_of_never_fails(text: str, section: str | None) -> None:
    assert role_of(text, section) in ROLES
