"""The ranking path is the caller's explicit choice (search.ranking), never a side effect of
what else a process has imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from search.engine import Engine

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("ranking", ["arrays", "python", "matcher"])
def test_an_explicit_path_is_the_one_that_runs(seed_index: Path, ranking: str) -> None:
    engine = Engine.open(seed_index, ranking=ranking)
    for query in ["care", "leav*", '"children in care"', "care -leavers"]:
        engine.search(query)
        assert engine.ranker.last_path == ranking, query


def test_auto_takes_plain_python_for_fewer_postings_than_numpy_pays_for_and_keeps_numpy(
    seed_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import search.ranking

    engine = Engine.open(seed_index)  # "auto"
    engine.search("adoption")
    assert engine.ranker.last_path == "python"  # the seeds: few postings
    care = engine.store.doc_frequency("care")
    monkeypatch.setattr(search.ranking, "PYTHON_MAX_POSTINGS", care - 1)
    engine.search("care")
    assert engine.ranker.last_path == "arrays"  # more postings than the limit
    engine.search("leav*")  # a prefix counts the postings of every word it stands for
    assert engine.ranker.last_path == "arrays"
    monkeypatch.undo()
    engine.search("adoption")
    assert engine.ranker.last_path == "arrays"  # paid for: kept
    fresh = Engine.open(seed_index)
    monkeypatch.setattr(search.ranking, "PYTHON_MAX_POSTINGS", care - 1)
    fresh.search("leav* care")
    assert fresh.ranker.last_path == "arrays"


def test_a_cold_query_does_not_import_numpy(seed_index: Path) -> None:
    """`search query` as a user runs it: ranked, highlighted and printed without numpy."""
    program = (
        "import sys\n"
        "from search.cli import main\n"
        "sys.argv = ['search', 'query', 'care leavers accommodation', '--index', sys.argv[1]]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "print('numpy' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, str(seed_index)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=120,
    )
    assert "care" in done.stdout.lower()  # it found passages and printed them
    assert done.stderr.strip().splitlines()[-1] == "False"


def test_auto_does_not_depend_on_numpy_being_imported(seed_index: Path) -> None:
    """The same small query takes the same path whether or not numpy was imported first."""
    program = (
        "import sys; from pathlib import Path\n"
        "if sys.argv[2] == 'numpy': import numpy\n"
        "from search.engine import Engine\n"
        "e = Engine.open(Path(sys.argv[1])); e.search('adoption'); print(e.ranker.last_path)\n"
    )
    paths = {
        subprocess.run(
            [sys.executable, "-c", program, str(seed_index), first],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            timeout=120,
        ).stdout.strip()
        for first in ("numpy", "nothing")
    }
    assert paths == {"python"}


def test_an_unknown_path_is_refused(seed_index: Path) -> None:
    with pytest.raises(ValueError, match="ranking must be one of"):
        Engine.open(seed_index, ranking="fastest")  # type: ignore[arg-type]
