"""Where our time goes: workloads to profile, and readers for the profiles.

`bench/run.py` runs each workload in a child process under py-spy (sampling, so the shares
are not inflated by profiler overhead on small functions) and, with `--cprofile FILE`, again
under cProfile (exact call counts and the top functions by cumulative time, the workload
alone):

    python bench/profiles.py [--cprofile F] query INDEX QUERIES [--rounds N] [--plain]
    python bench/profiles.py [--cprofile F] build PASSAGES OUT [--documents N]   # our writer
    python bench/profiles.py [--cprofile F] extract CORPUS [--sample N]   # our extraction

The workload functions are named `workload_*`, so that a profile's samples can be restricted
to the workload (imports and opening the index left out).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# --- the workloads ------------------------------------------------------------------------------


def _run(cprofile: Path | None, workload: Callable[..., Any], *args: Any) -> None:
    """Run the workload, under cProfile if asked (the workload alone: not the set-up)."""
    if cprofile is None:
        workload(*args)
        return
    profiler = cProfile.Profile()
    profiler.runcall(workload, *args)
    profiler.dump_stats(str(cprofile))


def workload_queries(engine: object, queries: list[object], rounds: int) -> None:
    for _ in range(rounds):
        for q in queries:
            engine.search(q.text, year=q.year_arg, limit=10)  # type: ignore[attr-defined]


def run_queries(
    index: Path, queries_file: Path, rounds: int, plain: bool, cprofile: Path | None
) -> None:
    from engines import load_queries

    from search.engine import Engine

    engine = Engine.open(index)
    queries = [q for q in load_queries(queries_file) if q.plain or not plain]
    engine.search("care", limit=10)  # warm-up
    store = type(engine.store)
    calls = (
        _count_calls(store, "postings")
        | _count_calls(store, "_read_postings")
        | _count_calls(store, "row")
    )
    _run(cprofile, workload_queries, engine, queries, rounds)
    counts = {name: count() for name, count in calls.items()}
    print(json.dumps({**counts, "queries": len(queries) * rounds}))


def _count_calls(cls: type, name: str) -> dict[str, Callable[[], int]]:
    """Count the calls of a method from now on (a wrapper in this process only)."""
    original = getattr(cls, name)
    count = [0]

    def counted(*args: Any, **kwargs: Any) -> Any:
        count[0] += 1
        return original(*args, **kwargs)

    setattr(cls, name, counted)
    return {f"{cls.__name__}.{name}": lambda: count[0]}


def workload_build(passages: Path, out: Path, documents: int | None) -> None:
    from engines import build_ours

    build_ours(passages, out, 1, documents)


def run_build(passages: Path, out: Path, documents: int | None, cprofile: Path | None) -> None:
    from indexer.analysis import analyse

    analyse("warm-up: the stemmer's import is not the writer's work")
    _run(cprofile, workload_build, passages, out, documents)


def workload_extract(sources: list[object], facts: object) -> int:
    from indexer.pipeline import index_document
    from indexer.sources import SourceError

    count = 0
    for source in sources:
        try:
            count += len(index_document(source, facts)[1])  # type: ignore[arg-type]
        except SourceError:
            continue
    return count


def run_extract(corpus: Path, sample: int, cprofile: Path | None) -> None:
    """Every k-th document of the corpus (a spread over the years), in one process, after
    one document outside the workload (imports, of pypdfium2 and nltk, are not work)."""
    from indexer.metadata import load_facts
    from indexer.pipeline import index_document
    from indexer.sources import find_documents

    sources = list(find_documents(corpus))
    step = max(1, len(sources) // sample)
    facts = load_facts(corpus.resolve())
    index_document(sources[-1], facts)  # type: ignore[arg-type]
    _run(cprofile, workload_extract, sources[::step][:sample], facts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cprofile", type=Path, help="profile the workload into this file")
    commands = parser.add_subparsers(dest="command", required=True)
    query = commands.add_parser("query")
    query.add_argument("index", type=Path)
    query.add_argument("queries", type=Path)
    query.add_argument("--rounds", type=int, default=1)
    query.add_argument("--plain", action="store_true", help="the plain keyword queries only")
    build = commands.add_parser("build")
    build.add_argument("passages", type=Path)
    build.add_argument("out", type=Path)
    build.add_argument("--documents", type=int, default=None, help="only the first N")
    extract = commands.add_parser("extract")
    extract.add_argument("corpus", type=Path)
    extract.add_argument("--sample", type=int, default=30)
    args = parser.parse_args(argv)
    if args.command == "query":
        run_queries(args.index, args.queries, args.rounds, args.plain, args.cprofile)
    elif args.command == "build":
        run_build(args.passages, args.out, args.documents, args.cprofile)
    else:
        run_extract(args.corpus, args.sample, args.cprofile)


# --- reading profiles ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    label: str
    share: float  # of the workload's samples (py-spy) or cumulative time (cProfile)


def _chain(spec: str) -> list[tuple[re.Pattern[str], bool]]:
    """A category: regexes joined by ` > ` (a later frame) or ` >> ` (the very next frame):
    `^Engine\\.search \\( >> ^Store\\.search \\(` is Store.search called by Engine.search itself."""
    parts, direct = [], False
    for token in re.split(r"\s(>>?)\s", spec):
        if token in (">", ">>"):
            direct = token == ">>"
            continue
        parts.append((re.compile(token), direct))
    return parts


def _matches(frames: list[str], chain: list[tuple[re.Pattern[str], bool]], start: int = 0) -> bool:
    if not chain:
        return True
    (pattern, direct), rest = chain[0], chain[1:]
    candidates = range(start, start + 1) if direct else range(start, len(frames))
    return any(
        i < len(frames) and pattern.search(frames[i]) and _matches(frames, rest, i + 1)
        for i in candidates
    )


def _samples(raw: Path, root: str) -> Iterator[tuple[list[str], int]]:
    """(frames below the workload function `root`, count) for each stack of py-spy's raw
    (collapsed) output that passes through `root`."""
    root_pattern = re.compile(root)
    for line in raw.read_text("utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = stack.split(";")
        at = next((i for i, f in enumerate(frames) if root_pattern.search(f)), None)
        if at is not None:
            yield frames[at + 1 :], int(count_text)


def pyspy_shares(
    raw: Path, root: str, categories: Sequence[tuple[str, str]]
) -> tuple[int, list[Share]]:
    """For each (label, chain) category, the share of the workload's samples whose stack has
    frames matching the chain (see `_chain`). Shares are inclusive, like cumulative time."""
    total, hits = 0, Counter[str]()
    chains = [(label, _chain(spec)) for label, spec in categories]
    for frames, count in _samples(raw, root):
        total += count
        for label, chain in chains:
            if _matches(frames, chain):
                hits[label] += count
    return total, [Share(label, hits[label] / total if total else 0.0) for label, _ in categories]


def pyspy_top(raw: Path, root: str, top: int) -> list[Share]:
    """The functions below the workload `root` by inclusive share of its samples (each
    function counted once per sample): py-spy's view of "cumulative time"."""
    total, inclusive = 0, Counter[str]()
    for frames, count in _samples(raw, root):
        total += count
        for name in {re.sub(r":\d+\)$", ")", f) for f in frames}:
            if "<frozen importlib" not in name and "(profiles.py" not in name:
                inclusive[name] += count
    return [Share(name, n / total) for name, n in inclusive.most_common(top)] if total else []


def pyspy_self(raw: Path, root: str, top: int) -> list[Share]:
    """The functions the samples were in (self time: py-spy's innermost frames), the
    largest first, as `function (file)`."""
    total, leaves = 0, Counter[str]()
    for frames, count in _samples(raw, root):
        total += count
        if frames:
            leaves[re.sub(r":\d+\)$", ")", frames[-1])] += count
    return [Share(name, n / total) for name, n in leaves.most_common(top)] if total else []


@dataclass(frozen=True)
class Row:
    function: str
    calls: int
    cumulative_s: float
    share: float  # of the workload's cumulative time


def _name(func: tuple[str, int, str]) -> str:
    file, line, name = func
    if file == "~":
        return name  # a builtin
    short = file
    for marker in ("site-packages/", str(ROOT) + "/"):
        if marker in file:
            short = file.split(marker, 1)[1]
    for package in ("/indexer/", "/search/"):  # the snapshot run.py measures: WORK/src/...
        if package in short:
            short = short[short.rindex(package) + 1 :]
    return f"{name} ({short}:{line})"


def cprofile_top(prof: Path, root: str, top: int) -> tuple[float, list[Row]]:
    """The `top` functions by cumulative time, as shares of the workload function `root`."""
    stats = pstats.Stats(str(prof))
    table = stats.stats  # type: ignore[attr-defined]
    roots = [v for k, v in table.items() if k[2] == root]
    total = roots[0][3] if roots else max(v[3] for v in table.values())
    rows = sorted(table.items(), key=lambda kv: -kv[1][3])
    chosen = []
    for func, (_cc, calls, _tt, cumulative, _callers) in rows:
        if cumulative > total * 1.0001 or func[2] == root:
            continue  # the workload's callers and the workload itself
        chosen.append(Row(_name(func), calls, cumulative, cumulative / total))
        if len(chosen) == top:
            break
    return total, chosen


def cprofile_calls(prof: Path, functions: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Calls of functions given as (file suffix, name), e.g. ("whoosh/collectors.py",
    "collect"), summed over same-named ones; keyed `file:name`."""
    table = pstats.Stats(str(prof)).stats  # type: ignore[attr-defined]
    calls: dict[str, int] = {}
    for (file, _line, name), (_cc, count, _tt, _cumulative, _callers) in table.items():
        for suffix, wanted in functions:
            if name == wanted and file.endswith(suffix):
                key = f"{suffix}:{name}"
                calls[key] = calls.get(key, 0) + count
    return calls


@dataclass(frozen=True)
class Knot:
    """An import where the time concentrates: heavy, and no single child takes most of it."""

    name: str
    via: str  # the imports that led to it, nearest first: "a ← b" (b imported a)
    ms: float


def importtime(
    stderr: str, nested: Sequence[str] = (), ours: Sequence[str] = ("search", "indexer")
) -> tuple[float, list[tuple[str, float]], dict[str, float], list[Knot]]:
    """`python -X importtime`: total ms; ms per top-level package (the self time of all its
    modules, wherever they were imported from); the cumulative ms of the `nested` modules
    (scipy.stats inside nltk); and the knots: the outermost imports of 5 ms or more, not of
    our packages (`ours`), none of whose children takes 60% of it, with the chain that imported
    them (what a cold start could avoid importing)."""
    by_package: dict[str, float] = defaultdict(float)
    inside: dict[str, float] = {}
    # importtime prints a module after its imports, indented two spaces a level
    pending: dict[int, list[tuple[str, float, list[Any]]]] = defaultdict(list)
    for line in stderr.splitlines():
        match = re.match(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|( *)(\S+)", line)
        if not match:
            continue  # the header
        name, self_us, cumulative = match.group(4), int(match.group(1)), int(match.group(2))
        by_package[name.split(".")[0]] += self_us / 1000
        if name in nested:
            inside[name] = cumulative / 1000
        depth = (len(match.group(3)) - 1) // 2
        pending[depth].append((name, cumulative / 1000, pending.pop(depth + 1, [])))
    knots: list[Knot] = []

    def walk(node: tuple[str, float, list[Any]], via: list[str]) -> None:
        name, ms, children = node
        if (
            name.split(".")[0] not in ours
            and ms >= 5
            and all(child[1] < 0.6 * ms for child in children)
        ):
            knots.append(Knot(name, " ← ".join(reversed(via)), ms))
            return  # what it imports is part of it
        for child in children:
            walk(child, [*via, name])

    for root in pending.get(0, []):
        walk(root, [])
    ranked = sorted(by_package.items(), key=lambda kv: -kv[1])
    knots.sort(key=lambda k: -k.ms)
    return sum(by_package.values()), ranked, inside, knots


if __name__ == "__main__":
    main()
