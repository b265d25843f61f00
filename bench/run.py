"""The benchmark: our passage index against SQLite FTS5, tantivy, bm25s and ripgrep.

    make bench                              # the full run (about 12 minutes on 2 cores), or:
    .venv/bin/python bench/run.py [--quick] [--corpus DIR] [--work DIR] [--out FILE]

`--quick` skips the 10x corpus and repeats less (a few minutes). Results go to
bench/RESULTS.md (machine, versions, date, every measure as a median and as a ratio to each
peer, the targets met or not, profiles); the raw numbers to WORK/results.json.

Set-up (benchmark only; not needed by the project or its tests):

    .venv/bin/pip install -r bench/requirements.txt   # tantivy, PyStemmer, psutil, py-spy
    apt-get install -y ripgrep hyperfine              # rg is a peer; hyperfine times cold runs

A peer that is not installed is skipped, and RESULTS.md says so; without hyperfine cold runs
are timed by repeated subprocesses, without py-spy profiles come from cProfile alone.

What it does, per corpus (the seeds, the Ofsted reports, and the reports 10x under new ids):

1. extract once with our indexer (`indexer.pipeline.index_document` over
   `indexer.sources.find_documents`, a process per core): the same passages for every engine;
2. build each engine's index from them in a child process (`bench/engines.py build`), timing
   the engine's own work apart from extraction, with peak memory and size on disk;
3. warm queries: the 50 queries of bench/queries.txt in each engine's own syntax, in a child
   process that opens the index once (`bench/engines.py query`);
4. ours only, as a user runs it: `search index` on the files (PDF extraction included),
   `search index` again on the unchanged corpus, and a cold `search query` (hyperfine);
5. profiles of our warm queries, our writer, our extraction and our start-up.

The code measured is `indexer/` and `search/` as committed at HEAD (`--worktree`: as on
disk), copied to WORK/src first: the checkout may change while the benchmark runs.

Modules: this one measures; `engines.py` builds and queries each engine (in child
processes); `profiles.py` holds the profiled workloads and reads profiles; `report.py`
writes RESULTS.md; `queries.txt` is the query set.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import importlib.metadata
import importlib.util
import io
import itertools
import json
import math
import multiprocessing
import os
import pickle
import platform
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from engines import ENGINES, BenchQuery, load_queries, rg_command
from profiles import (
    Row,
    Share,
    cprofile_calls,
    cprofile_top,
    importtime,
    pyspy_self,
    pyspy_shares,
    pyspy_top,
)
from report import Report, format_size

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


PYTHON = sys.executable
GNU_TIME = Path("/usr/bin/time").exists()
BIN = Path(PYTHON).parent
QUERIES = BENCH / "queries.txt"
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "ofsted-ilacs"
PEERS = ENGINES[1:]
MB = 1024 * 1024

# Cold queries: keywords, a phrase, a phrase and a word with a year (the seeds have 2022).
COLD_QUERIES = (
    "care leavers accommodation",
    '"children in care"',
    '"children in care" exploitation --year 2022',
)

# Profiles: our writer on the first documents of the report corpus, extraction on a sample.
PROFILE_DOCUMENTS = 150
PROFILE_PDFS = 30


@dataclass(frozen=True)
class Plan:
    """How many times each measure is repeated (each reported as the median)."""

    quick: bool
    copies: int  # the 10x corpus: the reports this many times (0: skipped)
    build_runs: dict[str, int]
    query_runs: dict[str, int]
    slow_s: float  # a query slower than this is timed once only
    e2e_runs: int  # `search index` on the PDFs
    reindex_runs: int
    cold_runs: int
    cold_warmup: int


FULL = Plan(
    quick=False,
    copies=10,
    build_runs={"seeds": 5, "reports": 3, "10x": 1},
    query_runs={"seeds": 5, "reports": 5, "10x": 3},
    slow_s=1.0,
    e2e_runs=3,
    reindex_runs=5,
    cold_runs=20,
    cold_warmup=3,
)
QUICK = Plan(
    quick=True,
    copies=0,
    build_runs={"seeds": 3, "reports": 1},
    query_runs={"seeds": 3, "reports": 3},
    slow_s=1.0,
    e2e_runs=1,
    reindex_runs=3,
    cold_runs=10,
    cold_warmup=2,
)


# --- small helpers ------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of the values."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def du(path: Path) -> int:
    """Bytes of the files under `path`."""
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Children:
    """Where child processes run: outside the checkout, so that the code they import is the
    snapshot on PYTHONPATH (`python -c` and `-m` would put the checkout first)."""

    cwd: Path = Path(tempfile.gettempdir())
    src: Path | None = None  # the snapshot of indexer/ and search/


CHILDREN = Children()


def child_env() -> dict[str, str]:
    env = {**os.environ, "TQDM_DISABLE": "1", "PYTHONHASHSEED": "0", "NO_COLOR": "1"}
    if CHILDREN.src is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(CHILDREN.src), os.environ.get("PYTHONPATH", "")) if p
        )
    return env


def snapshot(work: Path, worktree: bool) -> str:
    """Copy the code to measure (indexer/ and search/) to WORK/src: as committed at HEAD, or
    with `worktree` as it is on disk. Others may edit the checkout while the benchmark runs;
    every step then still measures one version. Returns what was copied."""
    src = fresh(work / "src")
    src.mkdir()
    head = _git("rev-parse", "--short", "HEAD")
    if not worktree and head:
        archive = subprocess.run(
            ["git", "archive", "HEAD", "indexer", "search"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(src, filter="data")
        described = f"`indexer/` and `search/` as committed at `{head}`"
        dirty = _git("status", "--porcelain", "--", "indexer", "search")
        if dirty:
            described += " (uncommitted changes in the checkout not measured; `--worktree` would)"
    else:
        for package in ("indexer", "search"):
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(ROOT / package, src / package, ignore=ignore)
        described = f"`indexer/` and `search/` as in the working tree (HEAD `{head or '?'}`)"
    # bytecode, as an installed program has: without it (PYTHONDONTWRITEBYTECODE, or a
    # read-only copy) every cold process compiles every module again, ~25 ms of 140
    compileall.compile_dir(str(src), quiet=1)
    CHILDREN.src, CHILDREN.cwd = src, work
    sys.path.insert(0, str(src))
    return described


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


@dataclass(frozen=True)
class Measured:
    """One child process: wall time, peak memory, CPU time and what it printed."""

    wall_s: float
    peak_rss_mb: float  # peak of the summed RSS of the process and its children (sampled)
    max_rss_mb: float  # the largest single process's peak RSS (GNU time's %M; 0 without it)
    cpu_s: float
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        if self.returncode != 0:
            raise RuntimeError(f"child failed ({self.returncode}): {self.stderr[-2000:]}")
        return json.loads(self.stdout)


def _tree_rss(process: Any) -> int:
    import psutil

    total = 0
    try:
        for p in [process, *process.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                continue
    except psutil.Error:
        pass
    return total


def run_measured(command: Sequence[str], *, interval: float = 0.05) -> Measured:
    """Run a child, sampling the memory of its process tree until it exits."""
    has_psutil = importlib.util.find_spec("psutil") is not None
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r") as peak_file,
    ):
        # GNU time reports the child's own peak RSS; the kernel's figure for a child of this
        # process would start from this (large) process's RSS at fork.
        timer = ["/usr/bin/time", "-f", "%M", "-o", peak_file.name] if GNU_TIME else []
        start = time.perf_counter()
        proc = subprocess.Popen(
            [*timer, *command], stdout=out, stderr=err, cwd=CHILDREN.cwd, env=child_env()
        )
        watched = None
        if has_psutil:
            import psutil

            try:
                watched = psutil.Process(proc.pid)
            except psutil.Error:
                watched = None
        peak = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if watched is not None:
                peak = max(peak, _tree_rss(watched))
            time.sleep(interval)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        kilobytes = peak_file.read().strip().splitlines()
        max_rss = int(kilobytes[-1]) * 1024 if kilobytes and kilobytes[-1].isdigit() else 0
        return Measured(
            wall_s=wall,
            peak_rss_mb=max(peak, max_rss) / MB,
            max_rss_mb=max_rss / MB,
            cpu_s=usage.ru_utime + usage.ru_stime,
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


# --- environment ----------------------------------------------------------------------------


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _tool_version(tool: str) -> str:
    path = shutil.which(tool) or (str(BIN / tool) if (BIN / tool).exists() else None)
    if path is None:
        return "not installed"
    output = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    return (output.stdout or output.stderr).splitlines()[0].strip()


def _fts5_ok() -> str | None:
    try:
        sqlite3.connect(":memory:").execute(
            "CREATE VIRTUAL TABLE t USING fts5(x, tokenize='porter')"
        )
    except sqlite3.Error as error:
        return f"SQLite {sqlite3.sqlite_version} has no FTS5: {error}"
    return None


def missing_peers() -> dict[str, str]:
    """Peers that cannot run here, with why."""
    missing = {}
    if (why := _fts5_ok()) is not None:
        missing["fts5"] = why
    for peer, modules in (("tantivy", ["tantivy"]), ("bm25s", ["bm25s", "Stemmer"])):
        absent = [m for m in modules if importlib.util.find_spec(m) is None]
        if absent:
            missing[peer] = f"not installed ({', '.join(absent)}): see bench/requirements.txt"
    if shutil.which("rg") is None:
        missing["rg"] = "ripgrep is not installed: apt-get install -y ripgrep"
    return missing


def environment() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as handle:
        mem_kb = int(handle.readline().split()[1])
    return {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "load_before": os.getloadavg(),
        "git": _git("describe", "--always", "--dirty"),
        "versions": {
            "Python": platform.python_version(),
            "whoosh-reloaded": _version("whoosh-reloaded"),
            "nltk": _version("nltk"),
            "pypdfium2": _version("pypdfium2"),
            "SQLite": sqlite3.sqlite_version,
            "tantivy": _version("tantivy"),
            "bm25s": _version("bm25s"),
            "PyStemmer": _version("PyStemmer"),
            "numpy": _version("numpy"),
            "psutil": _version("psutil"),
            "ripgrep": _tool_version("rg"),
            "hyperfine": _tool_version("hyperfine"),
            "py-spy": _tool_version("py-spy"),
        },
    }


# --- extraction (once per corpus) ---------------------------------------------------------------


@dataclass
class Extracted:
    name: str
    root: str
    documents: int = 0
    passages: int = 0
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 1
    copies: int = 1
    ours: str = ""  # the pickle streams engines.py reads
    peers: str = ""


def _extract_one(job: tuple[Any, Any]) -> tuple[Any, Any, Any]:
    from indexer.pipeline import index_document
    from indexer.sources import SourceError

    source, facts = job
    try:
        # (document, rows), and since da1cf7d also the document's words with their stems
        document, rows, *extra = index_document(source, facts)
    except SourceError as error:
        return source, None, str(error)
    return source, (document, rows, extra[0] if extra else None), None


def extract(name: str, root: Path, work: Path) -> Extracted:
    """Read, clean, chunk, describe and analyse every document under `root` with our indexer,
    a process per core (as `search index` does), into two pickle streams."""
    from indexer.metadata import load_facts
    from indexer.sources import find_documents

    work.mkdir(parents=True, exist_ok=True)
    workers = os.cpu_count() or 1
    result = Extracted(name, str(root), workers=workers)
    result.ours, result.peers = str(work / "ours.pkl"), str(work / "peers.pkl")
    start = time.perf_counter()
    facts = load_facts(root.resolve() if root.is_dir() else root.resolve().parent)
    jobs = [(source, facts) for source in find_documents(root)]
    context = multiprocessing.get_context("fork")
    with (
        context.Pool(workers) as pool,
        open(result.ours, "wb") as ours,
        open(result.peers, "wb") as peers,
    ):
        for source, extracted, problem in pool.imap(_extract_one, jobs, chunksize=1):
            if extracted is None:
                result.skipped.append(f"{source.display}: {problem}")
                continue
            document, rows, _ = extracted
            pickle.dump(extracted, ours, protocol=pickle.HIGHEST_PROTOCOL)
            year = document.inspection_year
            pickle.dump([(r.citation, year, r.text) for r in rows], peers)
            result.documents += 1
            result.passages += len(rows)
    result.seconds = time.perf_counter() - start
    return result


def analysis_seconds(passages: Path, limit: int = 5000) -> float:
    """Seconds per passage of our analysis chain alone (single process), on the first
    `limit` passages: the part of extraction that our peers do inside their build."""
    from indexer.analysis import analyse

    texts: list[str] = []
    with open(passages, "rb") as handle:
        while len(texts) < limit:
            try:
                texts.extend(r.text for r in pickle.load(handle)[1])
            except EOFError:
                break
    texts = texts[:limit]
    start = time.perf_counter()
    for text in texts:
        analyse(text)
    return (time.perf_counter() - start) / max(1, len(texts))


# --- builds and warm queries ---------------------------------------------------------------------


@dataclass
class Build:
    engine: str
    corpus: str
    runs: int
    passages: int
    build_s: float  # median of the engine's own work
    wall_s: float  # median of the child process (reading the passages included)
    cpu_s: float
    peak_rss_mb: float  # the largest over the runs
    size_mb: float
    every_build_s: list[float]
    index: str

    @property
    def rate(self) -> float:
        return self.passages / self.build_s if self.build_s else 0.0


def build(engine: str, corpus: Extracted, work: Path, runs: int) -> Build:
    passages = corpus.ours if engine == "ours" else corpus.peers
    out = work / f"index-{engine}"
    measured: list[tuple[Measured, dict[str, Any]]] = []
    for _ in range(runs):
        fresh(out)
        command = [PYTHON, str(BENCH / "engines.py"), "build", engine, passages, str(out)]
        m = run_measured([*command, "--copies", str(corpus.copies)])
        measured.append((m, m.json()))
    times = [data["build_s"] for _, data in measured]
    return Build(
        engine=engine,
        corpus=corpus.name,
        runs=runs,
        passages=measured[0][1]["passages"],
        build_s=statistics.median(times),
        wall_s=statistics.median(m.wall_s for m, _ in measured),
        cpu_s=statistics.median(m.cpu_s for m, _ in measured),
        peak_rss_mb=max(m.peak_rss_mb for m, _ in measured),
        size_mb=du(out) / MB,
        every_build_s=times,
        index=str(out),
    )


@dataclass
class Latency:
    engine: str
    corpus: str
    runs: int
    open_s: float
    per_query_ms: dict[int, float]  # median of the runs of each query
    runs_per_query: dict[int, int]
    hits: dict[int, int]
    rss_mb: float
    # each query's first run: the engine warm, the query new to it (our kept postings and
    # any peer's caches hold only what earlier queries read)
    first_ms: dict[int, float] = field(default_factory=dict)

    def stats(
        self, chosen: Sequence[int], *, first: bool = False
    ) -> tuple[float, float, int] | None:
        source = self.first_ms if first else self.per_query_ms
        values = [source[i] for i in chosen if i in source]
        if not values:
            return None
        return percentile(values, 50), percentile(values, 95), len(values)


def warm_queries(engine: str, index: str, corpus: str, runs: int, slow_s: float) -> Latency:
    command = [PYTHON, str(BENCH / "engines.py"), "query", engine, index, str(QUERIES)]
    m = run_measured([*command, "--runs", str(runs), "--slow", str(slow_s)])
    data = m.json()
    times = {int(i): t for i, t in data["times_ms"].items()}
    return Latency(
        engine=engine,
        corpus=corpus,
        runs=runs,
        open_s=data["open_s"],
        per_query_ms={i: statistics.median(t) for i, t in times.items()},
        first_ms={i: t[0] for i, t in times.items() if t},
        runs_per_query={i: len(t) for i, t in times.items()},
        hits={int(i): h for i, h in data["hits"].items()},
        rss_mb=m.peak_rss_mb,
    )


# --- ours as a user runs it -------------------------------------------------------------------


@dataclass
class EndToEnd:
    corpus: str
    runs: int
    wall_s: float
    every_wall_s: list[float]
    peak_rss_mb: float
    cpu_s: float
    passages: int
    reindex_runs: int = 0
    reindex_s: float = 0.0
    every_reindex_s: list[float] = field(default_factory=list)
    summary: str = ""


def _passages_in(summary: str) -> int:
    words = summary.replace(",", "").replace(".", " ").split()
    return next((int(w) for w, n in itertools.pairwise(words) if n == "passages"), 0)


def end_to_end(name: str, root: Path, index: Path, runs: int, reindex_runs: int) -> EndToEnd:
    """`search index ROOT` into an empty folder (extraction included), `runs` times; then
    `search index ROOT` again over the unchanged files, `reindex_runs` times."""
    command = [str(BIN / "search"), "index", str(root), "--index", str(index)]
    builds = []
    for _ in range(runs):
        fresh(index)
        builds.append(run_measured(command))
    last = builds[-1]
    if last.returncode not in (0, 1):  # 1: some file could not be read (reported)
        raise RuntimeError(f"search index failed: {last.stderr[-2000:]}")
    reindex = [run_measured(command, interval=0.02) for _ in range(reindex_runs)]
    summary = last.stdout.strip().splitlines()[-1] if last.stdout.strip() else ""
    return EndToEnd(
        corpus=name,
        runs=runs,
        wall_s=statistics.median(m.wall_s for m in builds),
        every_wall_s=[m.wall_s for m in builds],
        peak_rss_mb=max(m.peak_rss_mb for m in builds),
        cpu_s=statistics.median(m.cpu_s for m in builds),
        passages=_passages_in(summary),
        reindex_runs=reindex_runs,
        reindex_s=statistics.median(m.wall_s for m in reindex) if reindex else 0.0,
        every_reindex_s=[m.wall_s for m in reindex],
        summary=summary,
    )


# --- cold queries -------------------------------------------------------------------------------


@dataclass
class Cold:
    name: str  # engine and query
    engine: str
    command: str
    median_ms: float
    min_ms: float
    max_ms: float
    runs: int
    tool: str  # hyperfine or subprocess


def cold_commands(
    indexes: dict[str, str], queries: Sequence[BenchQuery], missing: dict[str, str]
) -> list[tuple[str, str, list[str]]]:
    """(name, engine, argv) for each engine and query, each a whole process from nothing."""
    commands = []
    for q in queries:
        ours = [str(BIN / "search"), "query", q.text, "--index", indexes["ours"]]
        if q.year_arg:
            ours += ["--year", q.year_arg]
        commands.append((f"ours: {q.line}", "ours", [*ours, "--color", "never"]))
        for peer in PEERS:
            if peer in missing or peer not in indexes or (peer == "bm25s" and not q.plain):
                continue
            if peer == "rg":
                argv = rg_command(q, Path(indexes["rg"]))
                if argv is None:
                    continue
            else:
                engines = str(BENCH / "engines.py")
                argv = [PYTHON, engines, "cold", peer, indexes[peer], q.line]
            commands.append((f"{peer}: {q.line}", peer, argv))
    return commands


def cold_runs(commands: list[tuple[str, str, list[str]]], runs: int, warmup: int) -> list[Cold]:
    """hyperfine (no shell) when installed, else the median of repeated subprocess runs."""
    hyperfine = shutil.which("hyperfine")
    if hyperfine is not None:
        with tempfile.TemporaryDirectory() as tmp:
            export = Path(tmp) / "cold.json"
            argv = [hyperfine, "-N", "-i", "--style", "none", "--warmup", str(warmup)]
            argv += ["--runs", str(runs), "--export-json", str(export)]
            for name, _, command in commands:
                argv += ["-n", name, shlex.join(command)]
            subprocess.run(argv, cwd=CHILDREN.cwd, env=child_env(), check=True, capture_output=True)
            data = json.loads(export.read_text("utf-8"))["results"]
        return [
            Cold(
                name,
                engine,
                shlex.join(cmd),
                r["median"] * 1000,
                r["min"] * 1000,
                r["max"] * 1000,
                len(r["times"]),
                "hyperfine",
            )
            for (name, engine, cmd), r in zip(commands, data, strict=True)
        ]
    results = []
    for name, engine, command in commands:
        times = []
        for i in range(warmup + runs):
            start = time.perf_counter()
            subprocess.run(
                command, cwd=CHILDREN.cwd, env=child_env(), capture_output=True, check=False
            )
            if i >= warmup:
                times.append((time.perf_counter() - start) * 1000)
        results.append(
            Cold(
                name,
                engine,
                shlex.join(command),
                statistics.median(times),
                min(times),
                max(times),
                runs,
                "subprocess",
            )
        )
    return results


# --- profiles -----------------------------------------------------------------------------------

# py-spy categories: regexes on frames, joined by " > " (called below) or " >> " (called
# directly); see profiles._chain. Engine._rank ranks every match: through numpy arrays
# (VectorScorer, search/vector.py) or, for small queries before numpy is imported, whoosh's
# matcher (Store.search).
_RANK = r"^Engine\._rank \("
QUERY_CATEGORIES = [
    ("ranking every match (Engine._rank)", _RANK),
    (
        "  decoding postings from whoosh's blocks (Store._read_postings)",
        r"^Store\._read_postings \(",
    ),
    ("  the filter's passages (Store.passage_docnums)", r"^Store\.passage_docnums \("),
    (
        "  phrases: word for word over the fingerprints (VectorScorer._in_a_row)",
        r"^VectorScorer\._in_a_row \(",
    ),
    ("  whoosh's matcher, small queries (Store.search)", r"^Store\.search \("),
    ("loading the top 10's stored passages (Store.row)", r"^Store\.row \("),
    ("highlighting the top 10 (find_matches)", r"^find_matches \("),
    ("filters: year to document ids (Engine._filters)", r"^Engine\._filters \("),
    ("query parsing and analysis (parse_query, _clause)", r"^(parse_query|Engine\._clause) \("),
]
BUILD_CATEGORIES = [
    ("adding passages (StoreWriter.add_document)", r"^StoreWriter\.add_document \("),
    ("  tokens handed to whoosh (ChainTokenizer.__call__)", r"^ChainTokenizer\.__call__ \("),
    ("  whoosh's field indexing (Field.index / add_field)", r"^(.*\.index|.*add_field) \(whoosh"),
    ("  analysing section headings in the writer (analyse)", r"^analyse \(indexer/analysis"),
    (
        "postings spilled to disk and merged back (whoosh SortingPool runs)",
        r"^SortingPool\.(_write_run|_read_run|_merge_runs|save) \(",
    ),
    ("committing (StoreWriter.commit)", r"^StoreWriter\.commit \("),
    ("  writing postings (whoosh pools and codec)", r"whoosh/(codec|filedb|util)/"),
]
EXTRACT_CATEGORIES = [
    ("read: PDF text via pypdfium2 (read_document)", r"^read_document \("),
    ("clean: page chrome (clean_lines)", r"^clean_lines \("),
    ("chunk: paragraphs (chunk_paragraphs)", r"^chunk_paragraphs \("),
    ("metadata (extract_metadata)", r"^extract_metadata \("),
    ("analyse: words, folding, stemming (analyse)", r"^analyse \("),
    ("  Snowball stemming (nltk)", r"nltk/stem"),
]


@dataclass
class Profile:
    name: str
    command: str
    seconds: float = 0.0  # the workload's cumulative time under cProfile
    top: list[Row] = field(default_factory=list)  # cProfile
    samples: int = 0  # py-spy samples in the workload
    shares: list[Share] = field(default_factory=list)  # py-spy, inclusive, by category
    inclusive: list[Share] = field(default_factory=list)  # py-spy, inclusive, by function
    leaves: list[Share] = field(default_factory=list)  # py-spy, self
    counts: dict[str, int] = field(default_factory=dict)  # calls counted by the workload


def profile(
    name: str,
    args: list[str],
    root: str,
    categories: list[tuple[str, str]],
    work: Path,
    cprofile: bool = True,
) -> Profile:
    """The workload `python bench/profiles.py ARGS` under py-spy, and under cProfile when
    asked (or when py-spy is not there)."""
    script = str(BENCH / "profiles.py")
    result = Profile(name, shlex.join(["bench/profiles.py", *args]))
    pyspy = shutil.which("py-spy") or str(BIN / "py-spy")
    if Path(pyspy).exists():
        raw = work / f"{name}.pyspy.txt"
        argv = [pyspy, "record", "-r", "250", "-f", "raw", "-o", str(raw), "--", PYTHON, script]
        spied = run_measured([*argv, *args])
        if spied.returncode != 0 or not raw.exists():
            raise RuntimeError(f"py-spy on {name} failed: {spied.stderr[-2000:]}")
        result.samples, result.shares = pyspy_shares(raw, f"^{root} ", categories)
        result.inclusive = pyspy_top(raw, f"^{root} ", 12)
        result.leaves = pyspy_self(raw, f"^{root} ", 8)
        result.counts = _last_json(spied.stdout)
    else:
        cprofile = True
    if cprofile:
        prof = work / f"{name}.prof"
        m = run_measured([PYTHON, script, "--cprofile", str(prof), *args])
        if m.returncode != 0:
            raise RuntimeError(f"cProfile on {name} failed: {m.stderr[-2000:]}")
        result.seconds, result.top = cprofile_top(prof, root, 12)
        result.counts = {
            **(result.counts or _last_json(m.stdout)),
            **cprofile_calls(prof, [("whoosh/collectors.py", "collect")]),
        }
    return result


def _last_json(stdout: str) -> dict[str, Any]:
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def _median_ms(argv: list[str], runs: int) -> float:
    """Median wall time of a command run `runs` times (after one unmeasured run)."""
    times = []
    for i in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(argv, cwd=CHILDREN.cwd, env=child_env(), capture_output=True, check=True)
        if i:
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


# Each prints nothing; each process is timed whole, so subtract Python's own start-up.
STEMMER_IMPORTS = {
    "nltk": "from nltk.stem.snowball import SnowballStemmer; SnowballStemmer('english')",
    "nltk without numpy and scipy": "import sys; sys.modules['numpy'] = sys.modules['scipy'] = "
    "None; from nltk.stem.snowball import SnowballStemmer; SnowballStemmer('english')",
    "PyStemmer": "import Stemmer; Stemmer.Stemmer('english')",
}


def cold_imports(seed_index: str, passages: Path | None) -> dict[str, Any]:
    """Where a cold `search query` goes: `python -X importtime`, Python's own start-up, and the
    stemmer's import (nltk with and without numpy/scipy in the venv, PyStemmer)."""
    code = "import sys; from search.cli import main; sys.argv[0] = 'search'; main()"
    argv = [PYTHON, "-X", "importtime", "-c", code, "query", "care leavers", "--index", seed_index]
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        done = subprocess.run(
            argv, cwd=CHILDREN.cwd, env=child_env(), capture_output=True, text=True
        )
        runs.append(((time.perf_counter() - start) * 1000, done.stderr))
    process_ms, stderr = sorted(runs, key=lambda run: run[0])[1]  # the median run
    total, packages, nested, knots = importtime(stderr, ("scipy.stats", "numpy"))
    python_ms = _median_ms([PYTHON, "-c", "pass"], 5)
    stemmers = {}
    for name, snippet in STEMMER_IMPORTS.items():
        if name == "PyStemmer" and importlib.util.find_spec("Stemmer") is None:
            continue
        stemmers[name] = max(0.0, _median_ms([PYTHON, "-c", snippet], 5) - python_ms)
    return {
        "process_ms": process_ms,
        "imports_ms": total,
        "packages": packages[:8],
        "nested": nested,
        "knots": [asdict(k) for k in knots[:8]],
        "python_startup_ms": python_ms,
        "stemmer_import_ms": stemmers,
        "stemmer_agreement": stemmer_agreement(passages) if passages else {},
    }


def stemmer_agreement(passages: Path, limit: int = 20_000) -> dict[str, Any]:
    """Would PyStemmer stem as our nltk Snowball stemmer does? Every distinct word of the
    first `limit` passages, folded and lower-cased as our chain does, stemmed by both."""
    if importlib.util.find_spec("Stemmer") is None:
        return {}
    import Stemmer

    try:
        from indexer.analysis import _stemmer, fold_characters, lowercase, split_words
    except ImportError:  # the library's analysis changed: nothing to compare
        return {}

    words: set[str] = set()
    count = 0
    with open(passages, "rb") as handle:
        while count < limit:
            try:
                _, rows, _ = pickle.load(handle)
            except EOFError:
                break
            for row in rows:
                words.update(t.text for t in lowercase(fold_characters(split_words(row.text))))
            count += len(rows)
    ordered = sorted(words)
    nltk, c = _stemmer(), Stemmer.Stemmer("english")
    start = time.perf_counter()
    ours = [nltk.stem(w) for w in ordered]
    nltk_s = time.perf_counter() - start
    start = time.perf_counter()
    theirs = c.stemWords(ordered)
    c_s = time.perf_counter() - start
    differ = [(w, a, b) for w, a, b in zip(ordered, ours, theirs, strict=True) if a != b]
    return {
        "words": len(ordered),
        "passages": count,
        "differ": len(differ),
        "examples": differ[:8],
        "nltk_us_per_word": nltk_s / len(ordered) * 1e6,
        "pystemmer_us_per_word": c_s / len(ordered) * 1e6,
    }


# --- the run ----------------------------------------------------------------------------------


T = TypeVar("T")
P = ParamSpec("P")


def attempt(
    report: Report, what: str, action: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> T | None:
    """Run one step; a failure is logged and reported, and the benchmark goes on."""
    try:
        return action(*args, **kwargs)
    except Exception as error:  # one failing step must not lose the others' results
        say(f"FAILED: {what}: {type(error).__name__}: {error}")
        report.errors.append(f"{what}: {type(error).__name__}: {str(error)[-600:]}")
        return None


def extract_corpora(report: Report, corpora: list[tuple[str, Path]], work: Path) -> None:
    for name, root in corpora:
        say(f"extracting {name} from {root}")
        extracted = attempt(report, f"extracting {name}", extract, name, root, work / name)
        if extracted is None:
            continue
        report.corpora[name] = extracted
        say(
            f"  {extracted.documents} documents, {extracted.passages} passages, "
            f"{extracted.seconds:.1f} s"
        )
    base = report.corpora.get("reports")
    if base is None:
        return
    report.analysis_ms = analysis_seconds(Path(base.ours)) * 1000
    copies = report.plan.copies
    if copies > 1:
        report.corpora["10x"] = Extracted(
            "10x",
            base.root,
            base.documents * copies,
            base.passages * copies,
            seconds=0.0,
            workers=base.workers,
            copies=copies,
            ours=base.ours,
            peers=base.peers,
        )


def build_and_query(report: Report, engines: list[str], work: Path, keep: bool) -> None:
    plan = report.plan
    for name, corpus in report.corpora.items():
        runs = plan.build_runs.get(name, 1)
        for engine in engines:
            say(f"building {engine} on {name} ({runs}×)")
            done = attempt(
                report, f"building {engine} on {name}", build, engine, corpus, work / name, runs
            )
            if done is None:
                continue
            report.builds[(engine, name)] = done
            size, peak = format_size(done.size_mb), format_size(done.peak_rss_mb)
            say(f"  {done.build_s:.2f} s, {done.rate:,.0f} passages/s, {size}, peak {peak}")
        for engine in report.engines(name):
            say(f"warm queries: {engine} on {name}")
            index, rounds = report.builds[(engine, name)].index, plan.query_runs.get(name, 1)
            what = f"warm queries of {engine} on {name}"
            lat = attempt(report, what, warm_queries, engine, index, name, rounds, plan.slow_s)
            if lat is None:
                continue
            report.latency[(engine, name)] = lat
            stats = lat.stats(report.everything)
            if stats:
                say(f"  p50 {stats[0]:.2f} ms, p95 {stats[1]:.2f} ms over {stats[2]} queries")
        report.save()  # partial results, in case a later step fails
        if corpus.copies > 1 and not keep:
            for engine in report.engines(name):  # gigabytes; nothing later needs them
                shutil.rmtree(report.builds[(engine, name)].index, ignore_errors=True)


def as_users_run_it(report: Report, corpora: list[tuple[str, Path]], work: Path) -> None:
    plan = report.plan
    for name, root in corpora:
        say(f"search index on {name}: {plan.e2e_runs}× from files, {plan.reindex_runs}× unchanged")
        index = work / name / "e2e-index"
        what = f"search index on {name}"
        e2e = attempt(report, what, end_to_end, name, root, index, plan.e2e_runs, plan.reindex_runs)
        if e2e is not None:
            report.e2e[name] = e2e
            every = ", ".join(f"{x:.2f}" for x in e2e.every_reindex_s)
            say(f"  {e2e.wall_s:.1f} s; unchanged {every} s")
        report.save()


def cold_queries(report: Report, engines: list[str], work: Path) -> None:
    say("cold queries")
    indexes = {e: report.builds[(e, "seeds")].index for e in report.engines("seeds")}
    if "seeds" in report.e2e:
        indexes["ours"] = str(work / "seeds" / "e2e-index")  # as `search index seeds` built it
    if "ours" not in indexes:
        return
    chosen = [q for q in report.queries if q.line in COLD_QUERIES]
    commands = cold_commands(indexes, chosen, report.missing)
    plan = report.plan
    cold = attempt(report, "cold queries", cold_runs, commands, plan.cold_runs, plan.cold_warmup)
    report.cold = cold or []
    reports = report.corpora.get("reports")
    passages = Path(reports.ours) if reports else None
    report.imports = attempt(report, "importtime", cold_imports, indexes["ours"], passages) or {}
    report.save()


def profile_ours(report: Report, corpus: Path, work: Path) -> None:
    reports = report.corpora.get("reports")
    if reports is None or ("ours", "reports") not in report.builds:
        return
    index = report.builds[("ours", "reports")].index
    workloads = [
        ("warm queries", ["query", index, str(QUERIES)], "workload_queries", QUERY_CATEGORIES),
        (
            "warm plain keyword queries",
            ["query", index, str(QUERIES), "--plain", "--rounds", "5"],
            "workload_queries",
            QUERY_CATEGORIES,
        ),
        (
            "indexing",
            [
                "build",
                reports.ours,
                str(work / "reports" / "profile-index"),
                "--documents",
                str(PROFILE_DOCUMENTS),
            ],
            "workload_build",
            BUILD_CATEGORIES,
        ),
        (
            "extraction",
            ["extract", str(corpus), "--sample", str(PROFILE_PDFS)],
            "workload_extract",
            EXTRACT_CATEGORIES,
        ),
    ]
    for name, args, root, categories in workloads:
        say(f"profiling our {name}")
        shutil.rmtree(work / "reports" / "profile-index", ignore_errors=True)
        # cProfile (for call counts) where it is cheap; the 50 queries take long under it
        cheap = name != "warm queries"
        what = f"profiling {name}"
        done = attempt(report, what, profile, name, args, root, categories, work, cheap)
        if done is not None:
            report.profiles[name] = done
    report.save()


def run(args: argparse.Namespace) -> None:
    plan = QUICK if args.quick else FULL
    if args.copies is not None:
        plan = Plan(**{**asdict(plan), "copies": args.copies})
    work: Path = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    code = snapshot(work, args.worktree)
    missing = missing_peers()
    queries = load_queries(QUERIES)
    report = Report(plan, environment(), missing, queries, args.out, work / "results.json")
    report.code = code
    engines = [e for e in ENGINES if e not in missing]
    for peer, why in missing.items():
        say(f"skipping {peer}: {why}")
    corpora: list[tuple[str, Path]] = [("seeds", ROOT / "seeds")]
    if args.corpus.is_dir():
        corpora.append(("reports", args.corpus.resolve()))
    else:
        say(f"no report corpus at {args.corpus}: seeds only")
        report.errors.append(f"no report corpus at {args.corpus}: the seeds only")
    extract_corpora(report, corpora, work)
    build_and_query(report, engines, work, args.keep)
    as_users_run_it(report, corpora, work)
    cold_queries(report, engines, work)
    if args.corpus.is_dir():
        profile_ours(report, args.corpus.resolve(), work)
    report.save()
    say(f"wrote {report.out} and {report.raw_out}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Benchmark our passage index against SQLite FTS5, tantivy, bm25s and rg."
    )
    parser.add_argument("--quick", action="store_true", help="skip the 10x corpus; fewer repeats")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="the report corpus")
    parser.add_argument(
        "--work",
        type=Path,
        default=Path(tempfile.gettempdir()) / "passage-bench",
        help="where the extracted passages and indexes go (several GB for the 10x corpus)",
    )
    parser.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    parser.add_argument("--copies", type=int, default=None, help="the 10x corpus's copies")
    parser.add_argument("--keep", action="store_true", help="keep the 10x indexes")
    parser.add_argument(
        "--worktree",
        action="store_true",
        help="measure indexer/ and search/ as they are on disk (default: as committed at HEAD)",
    )
    run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
