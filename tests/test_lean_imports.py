"""Imports without side effects: `import indexer` and `import search` load nothing heavy, and
no module is replaced in sys.modules by a stand-in.

Until format 5 a stand-in `asyncio` and `urllib.request` were put into sys.modules while
whoosh imported, to save ~30 ms of a cold query (indexer/_lean.py). issue 12 forbids
stand-in modules: whoosh's own import now loads the real ones, and these tests check that
what is loaded is real and that the packages themselves import only what they use.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("whoosh", "numpy", "nltk")


def _run(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "from pathlib import Path\n" + textwrap.dedent(code), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_importing_the_packages_loads_no_library() -> None:
    out = _run(
        f"""
        import sys
        import indexer, search, indexer.display
        print(sorted(m for m in {HEAVY!r} if m in sys.modules))
        """
    )
    assert out == "[]"


def test_a_query_process_loads_only_real_modules(seed_index: Path) -> None:
    """Every module a query loads is the real one, imported from its own file."""
    out = _run(
        """
        import sys, types
        import search.cli
        from search.engine import Engine
        hits = Engine.open(Path(sys.argv[1])).search('"children in care" -adoption year:2022')
        assert hits.total > 0
        stand_ins = [
            name for name, module in sys.modules.items()
            if isinstance(module, types.ModuleType) and module.__spec__ is None
            and name not in ("__main__",) and name not in sys.builtin_module_names
        ]
        print(stand_ins)
        """,
        str(seed_index),
    )
    assert out == "[]"


def test_no_module_of_ours_assigns_to_sys_modules() -> None:
    sources = [*ROOT.glob("indexer/*.py"), *ROOT.glob("search/*.py")]
    assert len(sources) > 10
    for source in sources:
        assert "sys.modules[" not in source.read_text("utf-8"), source
