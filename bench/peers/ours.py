"""Ours: built as a user builds it (`indexer.pipeline.build_index` on the files), queried
through `search.engine.Engine`, run cold as `search query "..." --index DIR`."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.peers import BuildResult, K, Peer

if TYPE_CHECKING:
    from bench.corpora import Corpus
    from bench.queries import BenchQuery


def search_command() -> str:
    """The `search` program installed next to this Python (the venv's), else on PATH."""
    beside = Path(sys.executable).parent / "search"
    return str(beside) if beside.exists() else (shutil.which("search") or "search")


class Ours(Peer):
    name = "ours"
    description = "this project: `indexer.pipeline.build_index`, `search.engine.Engine`"

    def __init__(self) -> None:
        self.engine: Any = None

    def build(self, corpus: Corpus, folder: Path) -> BuildResult:
        """From the files (extraction included: ours has no other public way in)."""
        from indexer.pipeline import build_index

        start = time.perf_counter()
        report = build_index(
            [Path(corpus.root)], folder, progress=False, follow_links=corpus.follow_links
        )
        return BuildResult(report.passages, time.perf_counter() - start)

    def open(self, folder: Path) -> None:
        from search.engine import Engine

        self.engine = Engine.open(folder, ranking="arrays")  # a warm process: arrays always

    def search(self, query: BenchQuery, k: int = K) -> list[str]:
        found = self.engine.search(query.text, year=query.year_arg, limit=k)
        return [hit.citation for hit in found.results]

    def close(self) -> None:
        if self.engine is not None:
            self.engine.close()
            self.engine = None

    def cold_command(self, folder: Path, query: BenchQuery) -> list[str] | None:
        command = [search_command(), "query", query.text, "--index", str(folder)]
        if query.year_arg:
            command += ["--year", query.year_arg]
        return [*command, "--color", "never"]


PEER = Ours
