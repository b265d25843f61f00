"""SQLite FTS5: one table (text, year; citation unindexed), porter stemming, `bm25()`.

Its cold run is the smallest program a user would write instead of ours: `python3 -c` that
imports sqlite3, opens the table and prints the top ten by `bm25()` (COLD_PROGRAM; it imports
nothing of the benchmark).
"""

from __future__ import annotations

import sqlite3
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bench.peers import BuildResult, K, Peer

if TYPE_CHECKING:
    from bench.corpora import Corpus
    from bench.queries import BenchQuery

DATABASE = "fts5.db"
TOKENIZE = "porter unicode61 remove_diacritics 2"
SELECT = "SELECT citation, text FROM p WHERE p MATCH ? ORDER BY bm25(p) LIMIT ?"
COLD_PROGRAM = (
    "import sqlite3, sys\n"
    "db = sqlite3.connect(sys.argv[1])\n"
    f'for citation, text in db.execute("{SELECT}", (sys.argv[2], 10)):\n'
    "    print(citation, text, sep='\\n', end='\\n\\n')\n"
)


def match_expression(query: BenchQuery) -> str:
    """Any of the words or phrases (our OR), each quoted; the year as a column filter."""
    match = " OR ".join(f'"{term}"' for term in query.terms)
    if query.years is not None:
        years = " OR ".join(f'"{y}"' for y in range(query.years[0], query.years[1] + 1))
        match = f"({match}) AND year : ({years})"
    return match


class Fts5(Peer):
    name = "fts5"
    description = f"SQLite {sqlite3.sqlite_version} FTS5, `{TOKENIZE}`, ranked by `bm25()`"

    def __init__(self) -> None:
        self.db: sqlite3.Connection | None = None

    @classmethod
    def unavailable(cls) -> str | None:
        try:
            sqlite3.connect(":memory:").execute(
                f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize='{TOKENIZE}')"
            )
        except sqlite3.Error as error:
            return f"SQLite {sqlite3.sqlite_version} has no FTS5: {error}"
        return None

    def build(self, corpus: Corpus, folder: Path) -> BuildResult:
        """One transaction, then FTS5's 'optimize' (its segments merged into one)."""
        from bench.corpora import documents

        folder.mkdir(parents=True, exist_ok=True)
        seconds, count = 0.0, 0
        start = time.perf_counter()
        db = sqlite3.connect(folder / DATABASE)
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute(
            "CREATE VIRTUAL TABLE p USING fts5(text, year, citation UNINDEXED, "
            f"tokenize='{TOKENIZE}')"
        )
        db.execute("BEGIN")
        seconds += time.perf_counter() - start
        for document in documents(corpus):
            rows = [(p.text, str(p.year or ""), p.citation) for p in document]
            start = time.perf_counter()
            db.executemany("INSERT INTO p(text, year, citation) VALUES (?, ?, ?)", rows)
            seconds += time.perf_counter() - start
            count += len(rows)
        start = time.perf_counter()
        db.execute("INSERT INTO p(p) VALUES ('optimize')")
        db.commit()
        db.close()
        return BuildResult(count, seconds + time.perf_counter() - start)

    def open(self, folder: Path) -> None:
        self.db = sqlite3.connect(folder / DATABASE)

    def search(self, query: BenchQuery, k: int = K) -> list[str]:
        assert self.db is not None, "open() first"
        rows = self.db.execute(SELECT, (match_expression(query), k)).fetchall()
        return [citation for citation, _ in rows]

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    def cold_command(self, folder: Path, query: BenchQuery) -> list[str] | None:
        database = str(folder / DATABASE)
        return [sys.executable, "-c", COLD_PROGRAM, database, match_expression(query)]


PEER = Fts5
