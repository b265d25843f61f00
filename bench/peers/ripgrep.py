"""ripgrep over the passages as text files (one passage a line, a folder per inspection
year): case-insensitive fixed strings, any of them; no stemming, no ranking."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bench.peers import BuildResult, K, Peer

if TYPE_CHECKING:
    from bench.corpora import Corpus
    from bench.queries import BenchQuery


class Ripgrep(Peer):
    name = "ripgrep"
    description = "ripgrep over one text file a document (no stemming, no ranking)"

    def __init__(self) -> None:
        self.folder: Path | None = None

    @classmethod
    def unavailable(cls) -> str | None:
        if shutil.which("rg") is None:
            return "ripgrep is not installed: apt-get install -y ripgrep"
        return None

    def build(self, corpus: Corpus, folder: Path) -> BuildResult:
        """`citation<TAB>text` a line, in `YEAR/` (or `unknown/`): a year filter is a folder."""
        from bench.corpora import documents

        seconds, count = 0.0, 0
        for document in documents(corpus):
            if not document:
                continue
            first = document[0]
            name = first.citation.rsplit("#", 1)[0].replace("/", "__") + ".txt"
            lines = "".join(f"{p.citation}\t{' '.join(p.text.split())}\n" for p in document)
            start = time.perf_counter()
            year_folder = folder / (str(first.year) if first.year else "unknown")
            year_folder.mkdir(parents=True, exist_ok=True)
            (year_folder / name).write_text(lines, "utf-8")
            seconds += time.perf_counter() - start
            count += len(document)
        return BuildResult(count, seconds)

    def open(self, folder: Path) -> None:
        self.folder = folder

    def search(self, query: BenchQuery, k: int = K) -> list[str]:
        assert self.folder is not None, "open() first"
        command = self.cold_command(self.folder, query)
        if command is None:
            return []
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        found = [line.split("\t", 1)[0].split(":", 1)[-1] for line in done.stdout.splitlines()]
        return found[:k]

    def cold_command(self, folder: Path, query: BenchQuery) -> list[str] | None:
        """None: no folder holds the query's years."""
        folders = [folder]
        if query.years is not None:
            folders = [folder / str(y) for y in range(query.years[0], query.years[1] + 1)]
            folders = [f for f in folders if f.is_dir()]
            if not folders:
                return None
        patterns = [arg for term in query.terms for arg in ("-e", term)]
        rg = shutil.which("rg") or "rg"
        options = ["--no-filename", "--ignore-case", "--fixed-strings", "--max-count", str(K)]
        return [rg, *options, *patterns, *map(str, folders)]


PEER = Ripgrep
