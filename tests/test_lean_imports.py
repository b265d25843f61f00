"""indexer/_lean.py: whoosh's unused standard imports are deferred, and nothing else changes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "from pathlib import Path\n" + textwrap.dedent(code), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_a_query_process_does_not_load_asyncio_or_urllib_request(seed_index: Path) -> None:
    out = _run(
        """
        import sys
        import search.cli
        from search.engine import Engine
        hits = Engine.open(Path(sys.argv[1])).search('"children in care" -adoption year:2022')
        assert hits.total > 0
        print(sorted(m for m in ("asyncio", "urllib.request", "http.client") if m in sys.modules))
        """,
        str(seed_index),
    )
    assert out == "[]"


def test_the_real_modules_still_load_and_work_for_anyone(tmp_path: Path) -> None:
    source = tmp_path / "from.txt"
    source.write_text("copied", encoding="utf-8")
    out = _run(
        f"""
        import search.engine
        import whoosh.compat
        from cached_property import cached_property

        class Thing:
            @cached_property
            def value(self):
                return 42

            @cached_property
            async def later(self):
                return 43

        print(Thing().value)  # answered without asyncio
        import asyncio, sys, urllib.request

        async def main():
            return await Thing().later

        print(asyncio.run(main()))  # a coroutine: the real asyncio, as before
        print(hasattr(asyncio, "run"), hasattr(urllib.request, "urlopen"))
        print(type(sys.modules["asyncio"]).__name__, sys.modules["asyncio"].__file__ is not None)
        whoosh.compat.urlretrieve({source.as_uri()!r}, {str(tmp_path / "to.txt")!r})
        print(open({str(tmp_path / "to.txt")!r}).read())
        """
    )
    assert out.splitlines() == ["42", "43", "True True", "module True", "copied"]
