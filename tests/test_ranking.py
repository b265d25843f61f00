"""The ranking path is the caller's explicit choice (search.ranking), never a side effect of
what else a process has imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from search.engine import Engine

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("ranking", ["arrays", "matcher"])
def test_an_explicit_path_is_the_one_that_runs(seed_index: Path, ranking: str) -> None:
    engine = Engine.open(seed_index, ranking=ranking)
    for query in ["care", "leav*", '"children in care"', "care -leavers"]:
        engine.search(query)
        assert engine.ranker.last_path == ranking, query


def test_auto_takes_the_matcher_for_few_postings_and_keeps_the_arrays_once_used(
    seed_index: Path,
) -> None:
    engine = Engine.open(seed_index)  # "auto"
    engine.search("adoption")
    assert engine.ranker.last_path == "matcher"  # the seeds: few postings
    engine.search("adopt*")  # a prefix may stand for many words: the arrays
    assert engine.ranker.last_path == "arrays"
    engine.search("adoption")
    assert engine.ranker.last_path == "arrays"  # paid for: kept


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
    assert paths == {"matcher"}


def test_an_unknown_path_is_refused(seed_index: Path) -> None:
    with pytest.raises(ValueError, match="ranking must be one of"):
        Engine.open(seed_index, ranking="fastest")  # type: ignore[arg-type]
