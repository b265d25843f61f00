"""The benchmark's child processes, one measured thing each (`python -m bench.child ...`):

    build PEER CORPUS.json OUT           build PEER's index; prints {"passages", "seconds"}
    query PEER INDEX [--runs R]          warm queries; prints {"open_s", "times_ms", "found"}
    profile INDEX OUT.prof [--rounds R]  our warm queries under cProfile

Each prints one JSON object on stdout. Only the peer's own library is imported.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench.corpora import Corpus
from bench.peers import K, peer
from bench.queries import QUERIES, load_queries, parse_query_line

# One word from the corpus and one from none: whatever an engine loads lazily is loaded
# before the timed queries.
WARM_UP = parse_query_line("care zyzzyvas")


def build(name: str, corpus_json: Path, out: Path) -> dict[str, Any]:
    corpus = Corpus(**json.loads(corpus_json.read_text("utf-8")))
    result = peer(name).build(corpus, out)
    return {"passages": result.passages, "seconds": result.seconds}


def query(name: str, index: Path, runs: int, slow_s: float) -> dict[str, Any]:
    """Open once, one warm-up query, then `runs` rounds over the queries (round-robin, so a
    query is never timed straight after itself); a query slower than `slow_s` runs once."""
    engine = peer(name)
    start = time.perf_counter()
    engine.open(index)
    opened = time.perf_counter() - start
    queries = load_queries(QUERIES)
    chosen = [i for i, q in enumerate(queries) if engine.supports(q)]
    engine.search(WARM_UP, K)
    times: dict[int, list[float]] = {i: [] for i in chosen}
    found: dict[int, int] = {}
    for _ in range(runs):
        for i in chosen:
            if times[i] and times[i][0] > slow_s * 1000:
                continue
            start = time.perf_counter()
            found[i] = len(engine.search(queries[i], K))
            times[i].append((time.perf_counter() - start) * 1000)
    engine.close()
    return {"open_s": opened, "times_ms": times, "found": found}


def profile(index: Path, out: Path, rounds: int) -> dict[str, Any]:
    """Our warm queries (after the warm-up) under cProfile, the workload alone."""
    engine = peer("ours")
    engine.open(index)
    queries = load_queries(QUERIES)
    engine.search(WARM_UP, K)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(rounds):
        for q in queries:
            engine.search(q, K)
    profiler.disable()
    profiler.dump_stats(out)
    engine.close()
    return {"queries": rounds * len(queries)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    b = commands.add_parser("build")
    b.add_argument("peer")
    b.add_argument("corpus", type=Path)
    b.add_argument("out", type=Path)
    q = commands.add_parser("query")
    q.add_argument("peer")
    q.add_argument("index", type=Path)
    q.add_argument("--runs", type=int, default=5)
    q.add_argument("--slow", type=float, default=1.0)
    p = commands.add_parser("profile")
    p.add_argument("index", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args(argv)
    if args.command == "build":
        result = build(args.peer, args.corpus, args.out)
    elif args.command == "query":
        result = query(args.peer, args.index, args.runs, args.slow)
    else:
        result = profile(args.index, args.out, args.rounds)
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
