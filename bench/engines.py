"""The five engines of the benchmark, each built from the same extracted passages.

`bench/run.py` drives this module in child processes, so that each build and each query run
has its own process to time and to measure (peak memory):

    python bench/engines.py build ENGINE PASSAGES OUT [--copies K]
    python bench/engines.py query ENGINE INDEX QUERIES [--runs R] [--slow S]
    python bench/engines.py cold ENGINE INDEX 'QUERY LINE'

Each prints one JSON object on stdout. ENGINE is one of

- `ours`: this project's index (`indexer.store.StoreWriter`, `search.engine.Engine`);
- `fts5`: SQLite FTS5, porter tokenizer, ranked by `bm25()`;
- `tantivy`: tantivy-py, `en_stem` tokenizer, its query parser;
- `bm25s`: bm25s with PyStemmer's English stemmer (plain keywords only: no phrases, no filters);
- `rg`: ripgrep over the passages written as text files, one passage a line (no ranking).

PASSAGES is what `run.py` extracted once with our indexer: `ours.pkl` (a pickle stream of
`(Document, [PassageRow], stems)`, analysed tokens included) for `ours`, `peers.pkl` (a pickle
stream of `[(citation, inspection year, text)]`, one list a document) for the others. With
`--copies K` the corpus is read K times, each copy under new document ids (`x3/<doc id>`): the
10x corpus, streamed, so the reader's memory does not grow with it.

Only the standard library is imported at module level; each engine imports its own library
when it is used, so that a cold query pays only for its own engine.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import pickle
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STOPWORDS = frozenset((ROOT / "indexer" / "stopwords_en.txt").read_text("utf-8").split())
ENGINES = ("ours", "fts5", "tantivy", "bm25s", "rg")
LIMIT = 10
# A phrase's words are quoted, a bare word kept; `--year Y` or `--year Y1-Y2` at the end.
_YEAR = re.compile(r"\s+--year\s+(\d{4})(?:-(\d{4}))?\s*$")

PeerDoc = list[tuple[str, int | None, str]]  # (citation, inspection year, text)


# --- queries ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchQuery:
    """One line of bench/queries.txt, in our syntax and taken apart for the peers."""

    line: str
    text: str  # our query language, as typed after `search query`
    years: tuple[int, int] | None
    words: tuple[str, ...]  # bare words, lower case, stopwords dropped (as our engine does)
    phrases: tuple[str, ...]  # quoted phrases and hyphenated words, lower case, words spaced

    @property
    def year_arg(self) -> str | None:
        if self.years is None:
            return None
        first, last = self.years
        return str(first) if first == last else f"{first}-{last}"

    @property
    def plain(self) -> bool:
        """Keywords only: what bm25s can run as it is meant (no phrase, no filter)."""
        return not self.phrases and self.years is None


def parse_query_line(line: str) -> BenchQuery:
    text, years = line.strip(), None
    match = _YEAR.search(text)
    if match:
        first = int(match.group(1))
        years = (first, int(match.group(2) or first))
        text = text[: match.start()].strip()
    phrases = [" ".join(p.lower().split()) for p in re.findall(r'"([^"]+)"', text)]
    words: list[str] = []
    for word in re.sub(r'"[^"]*"', " ", text).lower().split():
        if "-" in word.strip("-"):
            phrases.append(" ".join(part for part in word.split("-") if part))
        elif word not in STOPWORDS and word.strip("-"):
            words.append(word.strip("-"))
    return BenchQuery(line.strip(), text, years, tuple(words), tuple(phrases))


def load_queries(path: Path) -> list[BenchQuery]:
    lines = path.read_text("utf-8").splitlines()
    return [parse_query_line(x) for x in lines if x.strip() and not x.lstrip().startswith("#")]


# --- reading the extracted passages ----------------------------------------------------------


def _pickled(path: Path) -> Iterator[Any]:
    with path.open("rb") as handle:
        while True:
            try:
                yield pickle.load(handle)
            except EOFError:
                return


def read_ours(path: Path, copies: int) -> Iterator[tuple[Any, list[Any], dict[str, str] | None]]:
    """(Document, rows, stems) per document; copy k > 1 times under doc ids `x<k>/<doc id>`.
    `stems` (each word of the document with its stem) is None from a library without them."""
    for copy in range(copies):
        for document, rows, stems in _pickled(path):
            if copies == 1:
                yield document, rows, stems
                continue
            doc_id = f"x{copy}/{document.doc_id}"
            renamed = dataclasses.replace(
                document, doc_id=doc_id, path=f"/x{copy}{document.path}", sha256=""
            )
            yield (
                renamed,
                [dataclasses.replace(r, doc_id=doc_id, citation=f"{doc_id}#{r.n}") for r in rows],
                stems,
            )


def read_peers(path: Path, copies: int) -> Iterator[PeerDoc]:
    for copy in range(copies):
        for passages in _pickled(path):
            if copies == 1:
                yield passages
            else:
                yield [(f"x{copy}/{c}", year, text) for c, year, text in passages]


class Stopwatch:
    """Adds up the time spent inside `with watch:` blocks (the engine's own work)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._start = 0.0

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds += time.perf_counter() - self._start


# --- ours --------------------------------------------------------------------------------------


def build_ours(
    passages: Path, out: Path, copies: int, documents: int | None = None
) -> tuple[int, float]:
    """Through our real writer, as `indexer.pipeline.build_index` writes: add_document per
    document with pre-analysed rows, then one commit. `documents`: only the first N."""
    from indexer.store import StoreWriter

    watch, count = Stopwatch(), 0
    with watch:
        writer = StoreWriter(out)
    for document, rows, stems in itertools.islice(read_ours(passages, copies), documents):
        with watch:
            writer.add_document(document, rows)
            if stems is not None:
                writer.add_stems(stems)  # as build_index does, since the stem table
        count += len(rows)
    with watch:
        writer.commit([])
    return count, watch.seconds


def open_ours(index: Path) -> Callable[[BenchQuery], int]:
    from search.engine import Engine

    engine = Engine.open(index)

    def search(q: BenchQuery) -> int:
        return len(engine.search(q.text, year=q.year_arg, limit=LIMIT).results)

    return search


# --- SQLite FTS5 -------------------------------------------------------------------------------

FTS5_DB = "fts5.db"


def build_fts5(passages: Path, out: Path, copies: int) -> tuple[int, float]:
    """One FTS5 table (text, year; citation unindexed), one transaction, then 'optimize'."""
    import sqlite3

    out.mkdir(parents=True, exist_ok=True)
    watch, count = Stopwatch(), 0
    with watch:
        con = sqlite3.connect(out / FTS5_DB)
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute(
            "CREATE VIRTUAL TABLE p USING fts5(text, year, citation UNINDEXED, "
            "tokenize='porter unicode61 remove_diacritics 2')"
        )
        con.execute("BEGIN")
    for doc in read_peers(passages, copies):
        rows = [(text, str(year or ""), citation) for citation, year, text in doc]
        with watch:
            con.executemany("INSERT INTO p(text, year, citation) VALUES (?, ?, ?)", rows)
        count += len(rows)
    with watch:
        con.execute("INSERT INTO p(p) VALUES ('optimize')")
        con.commit()
        con.close()
    return count, watch.seconds


def fts5_match(q: BenchQuery) -> str:
    """Any of the words or phrases (our OR), each quoted; the year as a column filter."""
    match = " OR ".join(f'"{t}"' for t in (*q.phrases, *q.words))
    if q.years is not None:
        years = " OR ".join(f'"{y}"' for y in range(q.years[0], q.years[1] + 1))
        match = f"({match}) AND year : ({years})"
    return match


def open_fts5(index: Path) -> Callable[[BenchQuery], int]:
    import sqlite3

    con = sqlite3.connect(index / FTS5_DB)
    # ranked by the text column alone (weights: text 1, year 0, citation 0), with highlights,
    # as our results carry the matched spans
    sql = (
        "SELECT citation, highlight(p, 0, char(2), char(3)) FROM p WHERE p MATCH ? "
        "ORDER BY bm25(p, 1.0, 0.0, 0.0) LIMIT ?"
    )

    def search(q: BenchQuery) -> int:
        return len(con.execute(sql, (fts5_match(q), LIMIT)).fetchall())

    return search


# --- tantivy -----------------------------------------------------------------------------------


def _tantivy_schema() -> Any:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("citation", stored=True, tokenizer_name="raw")
    builder.add_text_field("text", stored=True, tokenizer_name="en_stem", index_option="position")
    builder.add_integer_field("year", stored=False, indexed=True, fast=True)
    return builder.build()


def build_tantivy(passages: Path, out: Path, copies: int) -> tuple[int, float]:
    """tantivy's default writer (its own threads), one commit, merges waited for."""
    import tantivy

    out.mkdir(parents=True, exist_ok=True)
    watch, count = Stopwatch(), 0
    with watch:
        index = tantivy.Index(_tantivy_schema(), path=str(out))
        writer = index.writer()
    for doc in read_peers(passages, copies):
        with watch:
            for citation, year, text in doc:
                fields: dict[str, Any] = {"citation": citation, "text": text}
                if year:
                    fields["year"] = year
                writer.add_document(tantivy.Document(**fields))
        count += len(doc)
    with watch:
        writer.commit()
        writer.wait_merging_threads()
    return count, watch.seconds


def tantivy_query(q: BenchQuery) -> str:
    """Its query parser, OR by default: words, "phrases", and `year:Y` / `year:[A TO B]`."""
    text = " ".join([*(f'"{p}"' for p in q.phrases), *q.words])
    if q.years is None:
        return text
    first, last = q.years
    year = f"year:{first}" if first == last else f"year:[{first} TO {last}]"
    return f"({text}) AND {year}"


def open_tantivy(index: Path) -> Callable[[BenchQuery], int]:
    import tantivy

    idx = tantivy.Index.open(str(index))
    searcher = idx.searcher()

    def search(q: BenchQuery) -> int:
        hits = searcher.search(idx.parse_query(tantivy_query(q), ["text"]), LIMIT).hits
        # the stored passages of the top hits, as ours returns them
        return len([searcher.doc(address)["citation"] for _, address in hits])

    return search


# --- bm25s -------------------------------------------------------------------------------------


def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def build_bm25s(passages: Path, out: Path, copies: int) -> tuple[int, float]:
    """bm25s needs the whole corpus in memory: tokenise it all, index, save (with the corpus,
    as the other engines store the passages' text). Lucene's BM25, k1 1.2, b 0.75 as ours."""
    import bm25s

    corpus = [
        {"citation": c, "text": text} for doc in read_peers(passages, copies) for c, _, text in doc
    ]
    with Stopwatch() as watch:
        tokens = bm25s.tokenize(
            [d["text"] for d in corpus], stopwords="en", stemmer=_stemmer(), show_progress=False
        )
        retriever = bm25s.BM25(k1=1.2, b=0.75)
        retriever.index(tokens, show_progress=False)
        retriever.save(str(out), corpus=corpus)
    return len(corpus), watch.seconds


def open_bm25s(index: Path) -> Callable[[BenchQuery], int]:
    import bm25s

    retriever = bm25s.BM25.load(str(index), load_corpus=True)
    stemmer = _stemmer()

    def search(q: BenchQuery) -> int:
        tokens = bm25s.tokenize(
            " ".join(q.words),
            stopwords="en",
            stemmer=stemmer,
            show_progress=False,
            return_ids=False,
        )
        _, scores = retriever.retrieve(tokens, k=LIMIT, show_progress=False, n_threads=1)
        return int((scores[0] > 0).sum())

    return search


# --- ripgrep -----------------------------------------------------------------------------------


def build_rg(passages: Path, out: Path, copies: int) -> tuple[int, float]:
    """One text file per document, one passage a line (`citation<TAB>text`), in a folder per
    inspection year (`unknown/` without one), so that a year filter is a choice of folders."""
    watch, count = Stopwatch(), 0
    for doc in read_peers(passages, copies):
        if not doc:
            continue
        citation, year, _ = doc[0]
        name = citation.rsplit("#", 1)[0].replace("/", "__") + ".txt"
        lines = "".join(f"{c}\t{' '.join(text.split())}\n" for c, _, text in doc)
        with watch:
            folder = out / (str(year) if year else "unknown")
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(lines, "utf-8")
        count += len(doc)
    return count, watch.seconds


def rg_command(q: BenchQuery, index: Path) -> list[str] | None:
    """Case-insensitive fixed strings, any of them (no stemming, no ranking); counts the
    matching passages. None: no folder holds that year."""
    folders = [index]
    if q.years is not None:
        folders = [index / str(y) for y in range(q.years[0], q.years[1] + 1)]
        folders = [f for f in folders if f.is_dir()]
        if not folders:
            return None
    patterns = [arg for term in (*q.phrases, *q.words) for arg in ("-e", term)]
    rg = shutil.which("rg") or "rg"
    return [rg, "--count", "--ignore-case", "--fixed-strings", *patterns, *map(str, folders)]


def open_rg(index: Path) -> Callable[[BenchQuery], int]:
    def search(q: BenchQuery) -> int:
        command = rg_command(q, index)
        if command is None:
            return 0
        output = subprocess.run(command, capture_output=True, text=True, check=False).stdout
        return sum(int(line.rsplit(":", 1)[1]) for line in output.splitlines() if ":" in line)

    return search


# --- the child commands ------------------------------------------------------------------------

BUILDERS: dict[str, Callable[[Path, Path, int], tuple[int, float]]] = {
    "ours": build_ours,
    "fts5": build_fts5,
    "tantivy": build_tantivy,
    "bm25s": build_bm25s,
    "rg": build_rg,
}
OPENERS: dict[str, Callable[[Path], Callable[[BenchQuery], int]]] = {
    "ours": open_ours,
    "fts5": open_fts5,
    "tantivy": open_tantivy,
    "bm25s": open_bm25s,
    "rg": open_rg,
}


def supports(engine: str, q: BenchQuery) -> bool:
    """bm25s has neither phrases nor filters: it runs the plain keyword queries only."""
    return q.plain if engine == "bm25s" else True


# One word from the corpus and one from none: whatever an engine loads lazily (our stemmer, for
# a word the index's stem table lacks) is loaded before the timed queries.
WARM_UP = parse_query_line("care zyzzyvas")


def time_queries(
    engine: str, index: Path, queries: list[BenchQuery], runs: int, slow: float
) -> dict[str, Any]:
    """Open once, one warm-up query, then `runs` rounds over the queries (round-robin, so a
    query is never timed straight after itself). A query slower than `slow` seconds is timed
    once only. Per query: every run's time in ms and the hits returned (at most LIMIT)."""
    t0 = time.perf_counter()
    search = OPENERS[engine](index)
    opened = time.perf_counter() - t0
    chosen = [i for i, q in enumerate(queries) if supports(engine, q)]
    search(WARM_UP)
    times: dict[int, list[float]] = {i: [] for i in chosen}
    hits: dict[int, int] = {}
    for _ in range(runs):
        for i in chosen:
            if times[i] and times[i][0] > slow * 1000:
                continue
            start = time.perf_counter()
            hits[i] = search(queries[i])
            times[i].append((time.perf_counter() - start) * 1000)
    return {
        "open_s": opened,
        "times_ms": {str(i): t for i, t in times.items()},
        "hits": {str(i): h for i, h in hits.items()},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build ENGINE's index from PASSAGES into OUT")
    build.add_argument("engine", choices=ENGINES)
    build.add_argument("passages", type=Path)
    build.add_argument("out", type=Path)
    build.add_argument("--copies", type=int, default=1)
    query = commands.add_parser("query", help="warm query latencies over a query file")
    query.add_argument("engine", choices=ENGINES)
    query.add_argument("index", type=Path)
    query.add_argument("queries", type=Path)
    query.add_argument("--runs", type=int, default=5)
    query.add_argument("--slow", type=float, default=1.0)
    cold = commands.add_parser("cold", help="open the index and run one query (a cold process)")
    cold.add_argument("engine", choices=ENGINES)
    cold.add_argument("index", type=Path)
    cold.add_argument("line")
    args = parser.parse_args(argv)
    if args.command == "build":
        count, seconds = BUILDERS[args.engine](args.passages, args.out, args.copies)
        result: dict[str, Any] = {"passages": count, "build_s": seconds}
    elif args.command == "query":
        queries = load_queries(args.queries)
        result = time_queries(args.engine, args.index, queries, args.runs, args.slow)
    else:
        result = {"hits": OPENERS[args.engine](args.index)(parse_query_line(args.line))}
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
