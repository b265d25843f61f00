"""The benchmark's driver: extract once, build and query every engine in child processes,
time cold runs as whole processes, profile ours, then write RESULTS.md (bench/report.py).

    python -m bench [--quick] [--corpus DIR] [--work DIR] [--out FILE] [--worktree]

The code measured is `indexer/` and `search/` as committed at HEAD (`--worktree`: as on
disk), copied to WORK/src first, with bytecode compiled: the checkout may change while the
benchmark runs, and PYTHONDONTWRITEBYTECODE would make every cold process compile again.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib.metadata
import io
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from bench import corpora, measure, profile, report, web
from bench.measure import CHILDREN, PYTHON, run_measured
from bench.peers import NAMES, peer, peer_class
from bench.queries import QUERIES, load_queries

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# Cold queries: keywords, a phrase, a phrase and a word with a year (the seeds have 2022).
COLD_QUERIES = (
    "care leavers accommodation",
    '"children in care"',
    '"children in care" exploitation --year 2022',
)


@dataclass(frozen=True)
class Plan:
    """How many times each measure is repeated (each reported as the median)."""

    quick: bool
    copies: int  # the 10x corpus: the reports this many times (0: none)
    build_runs: dict[str, int]
    query_runs: dict[str, int]
    cold_runs: int
    cold_warmup: int
    reindex_runs: int


FULL = Plan(False, 10, {"seeds": 5, "reports": 3}, {"seeds": 5, "reports": 5}, 20, 3, 5)
QUICK = Plan(True, 0, {"seeds": 3, "reports": 1}, {"seeds": 3, "reports": 3}, 10, 2, 3)

T = TypeVar("T")


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def attempt(results: dict[str, Any], what: str, action: Callable[..., T], *args: Any) -> T | None:
    """One step; a failure is logged and reported, and the benchmark goes on."""
    try:
        return action(*args)
    except Exception as error:  # one failing step must not lose the others' results
        say(f"FAILED: {what}: {type(error).__name__}: {error}")
        results["errors"].append(f"{what}: {type(error).__name__}: {str(error)[-600:]}")
        return None


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


def snapshot(work: Path, worktree: bool) -> str:
    """Copy indexer/ and search/ (HEAD, or as on disk) and the harness to WORK/src; compile."""
    src = work / "src"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    head = _git("rev-parse", "--short", "HEAD")
    if worktree or not head:
        for package in ("indexer", "search"):
            shutil.copytree(
                ROOT / package, src / package, ignore=shutil.ignore_patterns("__pycache__")
            )
        described = f"`indexer/` and `search/` as in the working tree (HEAD `{head or '?'}`)"
    else:
        archive = subprocess.run(
            ["git", "archive", "HEAD", "indexer", "search"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(src, filter="data")
        described = f"`indexer/` and `search/` as committed at `{head}`"
    shutil.copytree(BENCH, src / "bench", ignore=shutil.ignore_patterns("__pycache__", "*.md"))
    measure.compile_bytecode(src, *measure.site_packages())
    CHILDREN.src, CHILDREN.cwd = src, work
    return described


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _tool(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        return "not installed"
    done = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).splitlines()[0].strip()


def environment() -> dict[str, Any]:
    info = Path("/proc/cpuinfo").read_text("utf-8").splitlines()
    models = [line.split(":", 1)[1].strip() for line in info if line.startswith("model name")]
    cpu = models[0] if models else "unknown"
    packages = ("whoosh-reloaded", "nltk", "pypdfium2", "numpy", "tantivy", "bm25s", "PyStemmer")
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "os": platform.platform(),
        "load_before": os.getloadavg(),
        "versions": {
            "Python": platform.python_version(),
            "SQLite": sqlite3.sqlite_version,
            **{p: _version(p) for p in packages},
            "ripgrep": _tool("rg"),
            "hyperfine": _tool("hyperfine"),
        },
    }


def build(name: str, corpus: corpora.Corpus, folder: Path, runs: int) -> dict[str, Any]:
    """The engine's build in a child process, `runs` times: medians, the peak, the size."""
    spec = folder / "corpus.json"
    spec.write_text(json.dumps(dataclasses.asdict(corpus)), "utf-8")
    out = folder / f"index-{name}"
    measured = []
    for _ in range(runs):
        shutil.rmtree(out, ignore_errors=True)
        m = run_measured([PYTHON, "-m", "bench.child", "build", name, str(spec), str(out)])
        measured.append((m, m.json()))
    return {
        "engine": name,
        "runs": runs,
        "passages": measured[0][1]["passages"],
        "build_s": statistics.median(data["seconds"] for _, data in measured),
        "wall_s": statistics.median(m.wall_s for m, _ in measured),
        "cpu_s": statistics.median(m.cpu_s for m, _ in measured),
        "peak_rss_mb": max(m.peak_rss_mb for m, _ in measured),
        "size_mb": measure.size_mb(out),
        "index": str(out),
    }


def warm(name: str, index: str, runs: int) -> dict[str, Any]:
    """Warm queries in one child process: each query's median and first run, in ms."""
    m = run_measured([PYTHON, "-m", "bench.child", "query", name, index, "--runs", str(runs)])
    data = m.json()
    times = {int(i): t for i, t in data["times_ms"].items() if t}
    return {
        "engine": name,
        "runs": runs,
        "open_s": data["open_s"],
        "median_ms": {i: statistics.median(t) for i, t in times.items()},
        "first_ms": {i: t[0] for i, t in times.items()},
        "found": {int(i): n for i, n in data["found"].items()},
        "rss_mb": m.peak_rss_mb,
    }


def reindex(corpus: corpora.Corpus, index: str, runs: int) -> dict[str, Any]:
    """`search index ROOT --index DIR` over the unchanged files, as a user runs it again."""
    from bench.peers.ours import search_command

    command = [search_command(), "index", corpus.root, "--index", index]
    walls = []
    for _ in range(runs):
        m = run_measured(command)
        if m.returncode not in (0, 1):  # 1: some file could not be read (reported)
            raise RuntimeError(f"search index failed: {m.stderr[-1000:]}")
        walls.append(m.wall_s)
    return {"runs": runs, "median_s": statistics.median(walls), "peak_rss_mb": m.peak_rss_mb}


def cold(corpus: str, indexes: dict[str, str], plan: Plan) -> list[dict[str, Any]]:
    """Each engine's cold command for each cold query, each run a whole process."""
    queries = [q for q in load_queries(QUERIES) if q.line in COLD_QUERIES]
    commands, meta = [], []
    for q in queries:
        for name, index in indexes.items():
            command = peer(name).cold_command(Path(index), q)
            if command is not None:
                commands.append((f"{name}: {q.line}", command))
                meta.append({"corpus": corpus, "engine": name, "query": q.line})
    timed = measure.time_commands(commands, plan.cold_runs, plan.cold_warmup)
    return [{**m, **dataclasses.asdict(t)} for m, t in zip(meta, timed, strict=True)]


def measure_corpus(
    results: dict[str, Any], corpus: corpora.Corpus, engines: list[str], plan: Plan, work: Path
) -> None:
    folder = work / corpus.name
    runs = plan.build_runs.get(corpus.name, 1)
    for name in engines:
        say(f"building {name} on {corpus.name} ({runs}x)")
        done = attempt(
            results, f"building {name} on {corpus.name}", build, name, corpus, folder, runs
        )
        if done is None:
            continue
        results["builds"].setdefault(corpus.name, {})[name] = done
        say(
            f"  {done['build_s']:.2f} s, {done['size_mb']:.1f} MB, "
            f"peak {done['peak_rss_mb']:.0f} MB"
        )
        say(f"warm queries: {name} on {corpus.name}")
        rounds = plan.query_runs.get(corpus.name, 1)
        lat = attempt(
            results, f"warm queries of {name} on {corpus.name}", warm, name, done["index"], rounds
        )
        if lat is not None:
            results["warm"].setdefault(corpus.name, {})[name] = lat
    built = results["builds"].get(corpus.name, {})
    if "ours" in built and corpus.copies == 1:
        say(f"search index again on the unchanged {corpus.name} ({plan.reindex_runs}x)")
        again = attempt(
            results,
            f"re-index {corpus.name}",
            reindex,
            corpus,
            built["ours"]["index"],
            plan.reindex_runs,
        )
        if again is not None:
            results["reindex"][corpus.name] = again
    if corpus.copies == 1 and "ours" in built:
        say(f"cold queries on {corpus.name}")
        indexes = {name: b["index"] for name, b in built.items()}
        results["cold"].extend(
            attempt(results, f"cold queries on {corpus.name}", cold, corpus.name, indexes, plan)
            or []
        )
        imports = attempt(results, "import times", profile.import_times, built["ours"]["index"])
        results["imports"][corpus.name] = imports or []
    if corpus.name == "reports" and "ours" in built:
        say("search serve's results page on the reports")
        page = attempt(results, "results page", web.results_page, Path(built["ours"]["index"]))
        if page is not None:
            results["web"] = page
        say("profiling our warm queries on the reports")
        shares = attempt(results, "profile", profile.warm_profile, built["ours"]["index"], work)
        results["profile"] = shares or []
    if corpus.copies > 1:
        for b in built.values():  # gigabytes; nothing later needs them
            shutil.rmtree(b["index"], ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    plan = QUICK if args.quick else FULL
    if args.copies is not None:
        plan = dataclasses.replace(plan, copies=args.copies)
    work: Path = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {
        "plan": dataclasses.asdict(plan),
        "code": snapshot(work, args.worktree),
        "environment": environment(),
        "engines": {},
        "missing": {},
        "corpora": {},
        "builds": {},
        "warm": {},
        "cold": [],
        "reindex": {},
        "imports": {},
        "profile": [],
        "errors": [],
        "queries": [q.line for q in load_queries(QUERIES)],
    }
    for name in NAMES:
        cls = peer_class(name)
        results["engines"][name] = cls.description
        if (why := cls.unavailable()) is not None:
            results["missing"][name] = why
            say(f"skipping {name}: {why}")
    engines = [n for n in NAMES if n not in results["missing"]]
    sources = [("seeds", ROOT / "seeds")]
    if args.corpus.is_dir():
        sources.append(("reports", args.corpus.resolve()))
    else:
        results["errors"].append(f"no report corpus at {args.corpus}: the seeds only")
    for name, root in sources:
        say(f"extracting {name} from {root}")
        corpus = attempt(results, f"extracting {name}", corpora.extract, name, root, work / name)
        if corpus is None:
            continue
        results["corpora"][name] = dataclasses.asdict(corpus)
        say(f"  {corpus.documents} documents, {corpus.passages} passages, {corpus.extract_s:.1f} s")
        measure_corpus(results, corpus, engines, plan, work)
        write(results, args, started)
    base = results["corpora"].get("reports")
    if plan.copies > 1 and base is not None:
        tenx = corpora.multiplied(corpora.Corpus(**base), plan.copies, work / "10x")
        results["corpora"][tenx.name] = dataclasses.asdict(tenx)
        measure_corpus(results, tenx, engines, plan, work)
    write(results, args, started)
    say(f"wrote {args.out} and {work / 'results.json'}")


def write(results: dict[str, Any], args: argparse.Namespace, started: float) -> None:
    results["minutes"] = (time.perf_counter() - started) / 60
    results["environment"]["load_after"] = os.getloadavg()
    raw = args.work.resolve() / "results.json"
    raw.write_text(json.dumps(results, indent=1), "utf-8")
    args.out.write_text(report.render(json.loads(raw.read_text("utf-8"))), "utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark our passage index against SQLite FTS5, tantivy, bm25s and ripgrep.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="seeds and reports only; fewer repeats"
    )
    parser.add_argument("--corpus", type=Path, default=corpora.REPORTS, help="the report corpus")
    parser.add_argument(
        "--work",
        type=Path,
        default=Path(tempfile.gettempdir()) / "passage-bench",
        help="where passages, indexes and results.json go (GBs for the 10x corpus)",
    )
    parser.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    parser.add_argument("--copies", type=int, default=None, help="copies for the 10x corpus")
    parser.add_argument(
        "--worktree", action="store_true", help="measure the code as on disk, not HEAD"
    )
    run(parser.parse_args(argv))
