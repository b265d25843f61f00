"""RESULTS.md: the benchmark's measures as tables, medians and ratios, the targets met or
not, the profiles and the optimisation opportunities they point to.

`bench/run.py` fills a `Report` as it measures and calls `save()` after each stage, so a
failure late in the run keeps what was measured before it.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engines import ENGINES, BenchQuery

if TYPE_CHECKING:
    from run import Build, Cold, EndToEnd, Extracted, Latency, Plan, Profile

PEERS = ENGINES[1:]

# Opportunities under this share of their workload's time are left out of RESULTS.md.
MIN_SHARE = 0.03

# The targets.
COLD_MS = 150
REPORTS_WALL_S = 45
REINDEX_S = 3
REPORTS_P50_MS, REPORTS_P95_MS = 5, 25
TENX_P95_MS, TENX_MEMORY_MB = 100, 2048


def requiring(package: str) -> list[str]:
    """Installed distributions that declare `package` as a requirement."""
    names = []
    for dist in importlib.metadata.distributions():
        for requirement in dist.requires or ():
            if "extra ==" in requirement:
                continue  # an optional dependency: it did not bring the package here
            if re.match(rf"{package}\b", requirement, re.IGNORECASE):
                names.append(f"{dist.metadata['Name']} {dist.version}")
                break
    return sorted(names)


def _ratio(ours: float, peer: float, lower_better: bool, words: tuple[str, str]) -> str:
    """How ours compares with a peer: '3.2× slower' / '1.5× faster' (words: worse, better)."""
    if not ours or not peer:
        return "n/a"
    worse = ours > peer if lower_better else ours < peer
    factor = max(ours, peer) / min(ours, peer)
    if factor < 1.05:
        return "same"
    return f"{_number(factor)}× {words[0] if worse else words[1]}"


def _importer(via: str) -> str:
    """'via whoosh.compat': the nearest module in an import chain ("a ← b ← c") that is not
    the standard library's: what brought a standard module in."""
    chain = [m for m in via.split(" ← ") if m]
    outside = [m for m in chain if m.split(".")[0] not in sys.stdlib_module_names]
    if not chain:
        return "imported directly"
    return f"via {' ← '.join(chain[: chain.index(outside[0]) + 1] if outside else chain)}"


def _number(value: float) -> str:
    """Three significant digits at most: 1234, 123, 12.3, 1.23, 0.12."""
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 1 else f"{value:.2f}"


def _ms(value: float) -> str:
    return f"{_number(value)} ms"


def _s(value: float) -> str:
    return f"{_number(value)} s"


def format_size(mb: float) -> str:
    return f"{mb / 1024:.2f} GB" if mb >= 1024 else f"{mb:.0f} MB" if mb >= 10 else f"{mb:.1f} MB"


def _rate(value: float) -> str:
    return f"{value:,.0f}/s"


def _met(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


class Report:
    """Collects the results and writes RESULTS.md."""

    def __init__(
        self,
        plan: Plan,
        env: dict[str, Any],
        missing: dict[str, str],
        queries: list[BenchQuery],
        out: Path,
        raw: Path,
    ) -> None:
        self.plan, self.env, self.missing, self.queries = plan, env, missing, queries
        self.out, self.raw_out = out, raw
        self.code = ""  # which code was measured (run.snapshot)
        self.errors: list[str] = []
        self.corpora: dict[str, Extracted] = {}
        self.builds: dict[tuple[str, str], Build] = {}
        self.latency: dict[tuple[str, str], Latency] = {}
        self.e2e: dict[str, EndToEnd] = {}
        self.cold: list[Cold] = []
        self.profiles: dict[str, Profile] = {}
        self.imports: dict[str, Any] = {}
        self.analysis_ms: float = 0.0
        self.started = time.perf_counter()
        self.lines: list[str] = []

    # what the measures are, by corpus

    def engines(self, corpus: str) -> list[str]:
        return [e for e in ENGINES if (e, corpus) in self.builds]

    @property
    def plain(self) -> list[int]:
        return [i for i, q in enumerate(self.queries) if q.plain]

    @property
    def everything(self) -> list[int]:
        return list(range(len(self.queries)))

    def w(self, line: str = "") -> None:
        self.lines.append(line)

    def table(self, header: Sequence[str], rows: Iterator[Sequence[str]] | list[list[str]]) -> None:
        self.w("| " + " | ".join(header) + " |")
        self.w("|" + "|".join(" --- " for _ in header) + "|")
        for row in rows:
            self.w("| " + " | ".join(row) + " |")
        self.w()

    # sections

    def save(self) -> None:
        self.write(self.out, self.raw_out)

    def write(self, out: Path, raw: Path) -> None:
        self.lines = []
        self.header()
        self.targets()
        for corpus in self.corpora:
            self.corpus_table(corpus)
        self.end_to_end_table()
        self.cold_table()
        self.profiles_section()
        self.opportunities()
        self.method()
        out.write_text("\n".join(self.lines).rstrip() + "\n", "utf-8")
        raw.write_text(json.dumps(self.raw(), indent=1, default=str), "utf-8")

    def raw(self) -> dict[str, Any]:
        return {
            "plan": asdict(self.plan),
            "environment": self.env,
            "missing": self.missing,
            "corpora": {k: asdict(v) for k, v in self.corpora.items()},
            "builds": [asdict(b) for b in self.builds.values()],
            "latency": [asdict(v) for v in self.latency.values()],
            "end_to_end": {k: asdict(v) for k, v in self.e2e.items()},
            "cold": [asdict(c) for c in self.cold],
            "profiles": {k: asdict(v) for k, v in self.profiles.items()},
            "imports": self.imports,
            "errors": self.errors,
            "code": self.code,
        }

    def header(self) -> None:
        env, plan = self.env, self.plan
        minutes = (time.perf_counter() - self.started) / 60
        kind = "`--quick`: no 10x corpus, fewer repeats" if plan.quick else "the full run"
        self.w("# Benchmark: our passage index against SQLite FTS5, tantivy, bm25s and ripgrep")
        self.w()
        self.w(
            f"Written by `bench/run.py` ({kind}) on {env['date']}, in {minutes:.0f} minutes. "
            f"Code measured: {self.code}, copied aside before the run so that edits to the "
            "checkout during it cannot mix versions. Re-run with `make bench` (or "
            "`.venv/bin/python bench/run.py --quick`); set-up in bench/requirements.txt and "
            "the docstring of bench/run.py."
        )
        self.w()
        for error in self.errors:
            self.w(f"- **A step failed**: {error}")
        if self.errors:
            self.w()
        load = ", ".join(f"{x:.2f}" for x in env["load_before"])
        load_after = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        self.w(
            f"**Machine**: {env['nproc']} cores, {env['cpu']}, {env['ram_gb']} GB RAM, "
            f"{env['os']}. Load average (1, 5, 15 min) {load} at the start, {load_after} at "
            "the end: other work on the machine adds noise; the medians and the ratios (every "
            "engine measured in the same run) are the numbers to read."
        )
        self.w()
        versions = ", ".join(
            v if v.lower().startswith(k.lower()) else f"{k} {v}" for k, v in env["versions"].items()
        )
        self.w(f"**Versions**: {versions}.")
        self.w()
        if self.missing:
            for peer, why in self.missing.items():
                self.w(f"- **{peer} skipped**: {why}.")
            self.w()
        rows = []
        for c in self.corpora.values():
            what = (
                f"the reports {c.copies}× under new document ids" if c.copies > 1 else f"`{c.root}`"
            )
            skipped = f", {len(c.skipped)} files skipped" if c.skipped else ""
            extraction = f"{_s(c.seconds)} ({c.workers} processes)" if c.copies == 1 else "(reused)"
            rows.append([c.name, what, f"{c.documents:,}{skipped}", f"{c.passages:,}", extraction])
        self.w(
            "**Corpora** (extracted once with our indexer; every engine gets the same passages):"
        )
        self.w()
        self.table(["corpus", "what", "documents", "passages", "extraction"], rows)

    def targets(self) -> None:
        self.w("## Targets")
        self.w()
        rows = []
        cold = [c for c in self.cold if c.engine == "ours"]
        if cold:
            worst = max(c.median_ms for c in cold)
            each = ", ".join(_ms(c.median_ms) for c in cold)
            rows.append(
                [
                    f"cold `search query` on the seed index ≤ {COLD_MS} ms (median)",
                    f"{each} (3 queries; worst {_ms(worst)})",
                    _met(worst <= COLD_MS),
                ]
            )
        if (e := self.e2e.get("reports")) is not None:
            rows.append(
                [
                    f"report corpus PDFs to a searchable index ≤ {REPORTS_WALL_S} s",
                    f"{_s(e.wall_s)} (median of {e.runs})",
                    _met(e.wall_s <= REPORTS_WALL_S),
                ]
            )
            rows.append(
                [
                    f"re-index of the unchanged report corpus ≤ {REINDEX_S} s",
                    f"{_s(e.reindex_s)} (median of {e.reindex_runs})",
                    _met(e.reindex_s <= REINDEX_S),
                ]
            )
        if (lat := self.latency.get(("ours", "reports"))) is not None:
            stats = lat.stats(self.everything)
            assert stats is not None
            p50, p95, n = stats
            rows.append(
                [
                    f"warm queries, report corpus: p50 ≤ {REPORTS_P50_MS} ms",
                    f"{_ms(p50)} ({n} queries)",
                    _met(p50 <= REPORTS_P50_MS),
                ]
            )
            rows.append(
                [
                    f"warm queries, report corpus: p95 ≤ {REPORTS_P95_MS} ms",
                    _ms(p95),
                    _met(p95 <= REPORTS_P95_MS),
                ]
            )
        if (lat := self.latency.get(("ours", "10x"))) is not None:
            stats = lat.stats(self.everything)
            assert stats is not None
            rows.append(
                [
                    f"warm queries, 10x corpus: p95 ≤ {TENX_P95_MS} ms",
                    _ms(stats[1]),
                    _met(stats[1] <= TENX_P95_MS),
                ]
            )
        if (b := self.builds.get(("ours", "10x"))) is not None:
            rows.append(
                [
                    f"peak memory indexing the 10x corpus < {TENX_MEMORY_MB // 1024} GB",
                    f"{format_size(b.peak_rss_mb)} ({b.passages:,} passages through StoreWriter)",
                    _met(b.peak_rss_mb < TENX_MEMORY_MB),
                ]
            )
        elif self.plan.quick:
            rows.append(["10x corpus targets", "not measured (`--quick`)", "—"])
        self.table(["target", "measured", ""], rows)

    def corpus_table(self, corpus: str) -> None:
        engines = self.engines(corpus)
        if "ours" not in engines:
            return
        c = self.corpora[corpus]
        ours = self.builds[("ours", corpus)]
        self.w(f"## {corpus}: {c.passages:,} passages")
        self.w()
        self.w(
            "Each cell: the median, then how ours compares with that engine in this run "
            "(ours ÷ peer, worded). Builds: median of "
            f"{self.plan.build_runs.get(corpus, 1)} run(s) of the engine's own work on the "
            "extracted passages (extraction excluded); peak memory: the largest over them."
        )
        self.w()
        header = ["measure", *engines]
        rows: list[list[str]] = []

        def add(
            label: str,
            value: Callable[[str], float | None],
            fmt: Callable[[float], str],
            lower_better: bool,
            words: tuple[str, str],
        ) -> None:
            mine = value("ours")
            row = [label]
            for engine in engines:
                v = value(engine)
                if v is None:
                    row.append("—")
                elif engine == "ours" or mine is None:
                    row.append(fmt(v))
                else:
                    row.append(f"{fmt(v)} · ours {_ratio(mine, v, lower_better, words)}")
            rows.append(row)

        def b(e: str) -> Build:
            return self.builds[(e, corpus)]

        add("index build (s)", lambda e: b(e).build_s, _s, True, ("slower", "faster"))
        add("build rate (passages/s)", lambda e: b(e).rate, _rate, False, ("slower", "faster"))
        if c.copies == 1:
            add(
                "wall incl. extraction (extraction + build)",
                lambda e: c.seconds + b(e).build_s,
                _s,
                True,
                ("slower", "faster"),
            )
        add("CPU time of the build process", lambda e: b(e).cpu_s, _s, True, ("more", "less"))
        add("index size on disk", lambda e: b(e).size_mb, format_size, True, ("larger", "smaller"))
        add(
            "peak memory (RSS) building",
            lambda e: b(e).peak_rss_mb,
            format_size,
            True,
            ("more", "less"),
        )

        def lat(e: str, chosen: list[int], k: int, first: bool = False) -> float | None:
            latency = self.latency.get((e, corpus))
            stats = latency.stats(chosen, first=first) if latency else None
            return stats[k] if stats else None

        n_all, n_plain = len(self.everything), len(self.plain)
        add(
            f"warm query p50, all {n_all} queries",
            lambda e: lat(e, self.everything, 0),
            _ms,
            True,
            ("slower", "faster"),
        )
        add(
            f"warm query p95, all {n_all} queries",
            lambda e: lat(e, self.everything, 1),
            _ms,
            True,
            ("slower", "faster"),
        )
        add(
            f"first run of each query p50, all {n_all} (warm process, query new to it)",
            lambda e: lat(e, self.everything, 0, True),
            _ms,
            True,
            ("slower", "faster"),
        )
        add(
            f"first run of each query p95, all {n_all}",
            lambda e: lat(e, self.everything, 1, True),
            _ms,
            True,
            ("slower", "faster"),
        )
        add(
            f"warm query p50, {n_plain} plain keyword queries",
            lambda e: lat(e, self.plain, 0),
            _ms,
            True,
            ("slower", "faster"),
        )
        add(
            f"warm query p95, {n_plain} plain keyword queries",
            lambda e: lat(e, self.plain, 1),
            _ms,
            True,
            ("slower", "faster"),
        )
        add(
            "opening the index (s)",
            lambda e: (
                None
                if e == "rg" or (e, corpus) not in self.latency
                else self.latency[(e, corpus)].open_s
            ),
            _s,
            True,
            ("slower", "faster"),
        )
        add(
            "memory (RSS) of the query process",
            # rg's figure would be the Python harness that starts it, not rg
            lambda e: (
                None
                if e == "rg" or (e, corpus) not in self.latency
                else self.latency[(e, corpus)].rss_mb
            ),
            format_size,
            True,
            ("more", "less"),
        )
        self.table(header, rows)
        runs = self.plan.query_runs.get(corpus, 1)
        answered = []
        for e in engines:
            if (e, corpus) in self.latency:
                lt = self.latency[(e, corpus)]
                some = sum(1 for h in lt.hits.values() if h)
                once = sum(1 for n in lt.runs_per_query.values() if n == 1)
                slow = f", {once} timed once (slower than {self.plan.slow_s:g} s)" if once else ""
                answered.append(f"{e} {some}/{len(lt.hits)} with hits{slow}")
        self.w(
            f"Warm queries: per query the median of {runs} run(s) after one warm-up query; "
            "p50/p95 over the queries (nearest rank); the queries take turns, so a query is "
            "never timed straight after itself. Ours keeps the postings it decoded for the next "
            "query (Store.postings), so a query's later runs find its words' postings kept; the "
            "'first run' rows time each query the first time the process sees it. "
            "bm25s runs the plain keyword queries "
            "only (it has no phrases and no filters), so compare it on the plain rows. "
            "Queries answered: " + "; ".join(answered) + "."
        )
        self.w()
        if corpus == "reports":
            self.slowest(corpus)
        if self.analysis_ms and c.copies == 1 and corpus == "reports":
            share = self.analysis_ms / 1000 * c.passages
            self.w(
                f"Our build starts from passages already analysed (tokens, stems) in the "
                f"extraction workers, as `search index` does; the peers tokenise inside their "
                f"build. Our analysis alone costs {self.analysis_ms:.2f} ms a passage in one "
                f"process ({_s(share)} for this corpus): ours with it would be "
                f"{_s(ours.build_s + share)}, {_rate(c.passages / (ours.build_s + share))}."
            )
            self.w()

    def slowest(self, corpus: str) -> None:
        lat = self.latency[("ours", corpus)]
        worst = sorted(lat.per_query_ms.items(), key=lambda kv: -kv[1])[:8]
        rows = []
        for i, ms in worst:
            peers = []
            for e in PEERS:
                other = self.latency.get((e, corpus))
                if other and i in other.per_query_ms:
                    peers.append(f"{e} {_ms(other.per_query_ms[i])}")
            rows.append([f"`{self.queries[i].line}`", _ms(ms), ", ".join(peers)])
        self.w(f"Our slowest queries on {corpus}:")
        self.w()
        self.table(["query", "ours", "peers"], rows)

    def end_to_end_table(self) -> None:
        if not self.e2e:
            return
        self.w("## `search index` and re-index, as a user runs them")
        self.w()
        self.w(
            "`search index CORPUS --index DIR` into an empty folder (PDF extraction in a "
            "process per core, then our writer), then the same command again over the "
            "unchanged files. Peers have no such command; the corpus tables give them our "
            "extraction time plus their build."
        )
        self.w()
        rows = []
        for e in self.e2e.values():
            rate = e.passages / e.wall_s if e.wall_s else 0
            rows.append(
                [
                    e.corpus,
                    f"{_s(e.wall_s)} (runs: {', '.join(_s(x) for x in e.every_wall_s)})",
                    _rate(rate),
                    format_size(e.peak_rss_mb),
                    _s(e.cpu_s),
                    f"{_s(e.reindex_s)} (runs: {', '.join(_s(x) for x in e.every_reindex_s)})",
                ]
            )
        self.table(
            [
                "corpus",
                "index from files (wall)",
                "passages/s",
                "peak memory (process tree)",
                "CPU time",
                "unchanged re-index (wall)",
            ],
            rows,
        )

    def cold_table(self) -> None:
        if not self.cold:
            return
        tool = self.cold[0].tool
        self.w("## Cold queries: a whole process, from nothing, on the seed corpus index")
        self.w()
        self.w(
            f"Median of {self.cold[0].runs} runs after {self.plan.cold_warmup} warm-up runs "
            f"({'hyperfine, no shell' if tool == 'hyperfine' else 'repeated subprocesses'}). "
            "Ours is the real `search query` command; the Python peers are "
            "`python bench/engines.py cold ENGINE INDEX QUERY` (Python start-up, the import of "
            "their library, opening the index, one query); rg is the rg command itself."
        )
        self.w()
        by_query: dict[str, dict[str, Cold]] = {}
        for c in self.cold:
            by_query.setdefault(c.name.split(": ", 1)[1], {})[c.engine] = c
        engines = [e for e in ENGINES if any(e in v for v in by_query.values())]
        rows = []
        for line, results in by_query.items():
            mine = results.get("ours")
            row = [f"`{line}`"]
            for e in engines:
                c = results.get(e)
                if c is None:
                    row.append("—")
                elif e == "ours" or mine is None:
                    row.append(_ms(c.median_ms))
                else:
                    ratio = _ratio(mine.median_ms, c.median_ms, True, ("slower", "faster"))
                    row.append(f"{_ms(c.median_ms)} · ours {ratio}")
            rows.append(row)
        self.table(["query", *engines], rows)
        if self.imports:
            imp = self.imports
            packages = ", ".join(f"{name} {ms:.0f} ms" for name, ms in imp["packages"])
            self.w(
                f"Where a cold `search query` goes (`python -X importtime`, the median of 3 "
                f"runs, {imp['process_ms']:.0f} ms under importtime): Python itself starts in "
                f"{imp['python_startup_ms']:.0f} ms; imports take {imp['imports_ms']:.0f} ms, "
                f"by package (the self time of its modules): {packages}.{self._scipy_note()}"
            )
            self.w()

    def _scipy_note(self) -> str:
        imp = self.imports
        nested, stemmers = imp.get("nested", {}), imp.get("stemmer_import_ms", {})
        parts = []
        if nested.get("scipy.stats"):
            parts.append(
                f" Of nltk's time, {nested['scipy.stats']:.0f} ms is `scipy.stats` and "
                f"{nested.get('numpy', 0):.0f} ms numpy: `import nltk` runs nltk/__init__.py, "
                "which imports `nltk.metrics` and with it scipy and numpy whenever they are "
                "installed (here: scipy required by "
                f"{', '.join(requiring('scipy')) or 'nothing'}, numpy by "
                f"{', '.join(requiring('numpy')) or 'nothing'})."
            )
        if stemmers:
            each = ", ".join(f"{name} {ms:.0f} ms" for name, ms in stemmers.items())
            parts.append(f" Importing a Snowball English stemmer, start-up excluded: {each}.")
        agreement = imp.get("stemmer_agreement") or {}
        if agreement:
            examples = ", ".join(f"{w} → {a} / {b}" for w, a, b in agreement["examples"][:5])
            parts.append(
                f" PyStemmer and our nltk stemmer disagree on {agreement['differ']} of the "
                f"{agreement['words']:,} distinct words of the first {agreement['passages']:,} "
                f"report passages{': ' + examples if examples else ''} "
                f"(nltk {agreement['nltk_us_per_word']:.1f} µs a word, PyStemmer "
                f"{agreement['pystemmer_us_per_word']:.2f} µs)."
            )
        return "".join(parts)

    def profiles_section(self) -> None:
        if not self.profiles:
            return
        self.w("## Profiles of our engine (report corpus)")
        self.w()
        self.w(
            "Each workload runs in a child process under py-spy, sampling at 250 Hz; shares "
            "are of the workload's samples (its imports and set-up left out) and inclusive of "
            "callees, so an indented row is part of the row above it. The cheaper workloads "
            "also run under cProfile for call counts (its overhead inflates functions called "
            "per posting or per token: read its shares as upper bounds)."
        )
        self.w()
        for p in self.profiles.values():
            self.w(f"### {p.name}: `{p.command}`")
            self.w()
            if p.shares:
                self.w(f"py-spy, {p.samples:,} samples:")
                self.w()
                rows = [[s.label.replace("  ", "  ↳ ", 1), f"{s.share:.0%}"] for s in p.shares]
                self.table(["where", "share of time"], rows)
            if p.inclusive:
                top = "; ".join(f"`{s.label}` {s.share:.0%}" for s in p.inclusive)
                self.w(f"Top functions by cumulative (inclusive) share: {top}.")
                self.w()
            if p.leaves:
                leaves = "; ".join(f"`{s.label}` {s.share:.0%}" for s in p.leaves)
                self.w(f"Self time (the innermost function of each sample): {leaves}.")
                self.w()
            if p.counts:
                counts = ", ".join(f"`{k}` {v:,}" for k, v in p.counts.items())
                self.w(f"Calls counted in the workload: {counts}.")
                self.w()
            if p.top:
                under = _s(p.seconds)
                self.w(f"cProfile, top functions by cumulative time ({under} under the profiler):")
                self.w()
                self.table(
                    ["function", "calls", "cumulative", "share"],
                    [
                        [f"`{r.function}`", f"{r.calls:,}", _s(r.cumulative_s), f"{r.share:.0%}"]
                        for r in p.top
                    ],
                )

    def share(self, profile: str, label_start: str) -> float | None:
        p = self.profiles.get(profile)
        if p is None:
            return None
        for s in p.shares:
            if s.label.strip().startswith(label_start):
                return s.share
        return None

    def opportunities(self) -> None:
        """Concrete and measured: each names shares of time measured in this run, the
        largest first; those under 3% of their workload are left out."""
        self.w("## Optimisation opportunities (measured in this run)")
        self.w()
        self.w(
            "Ordered by the share of its workload's time each would address (the workloads "
            "differ: warm queries, a cold process, the writer)."
        )
        self.w()
        found = [
            o
            for o in (self._ranking(), self._cold(), self._writer())
            if o is not None and o[0] >= MIN_SHARE
        ]
        found.sort(key=lambda item: -item[0])
        for n, (_, text) in enumerate(found, start=1):
            self.w(f"{n}. {text}")
        self.w()

    def _query_ms(self, corpus: str, line: str) -> str:
        """`ours 1566 ms, fts5 7.6 ms, tantivy 1.6 ms` for one query of the set."""
        index = next((i for i, q in enumerate(self.queries) if q.line == line), None)
        times = []
        for engine in ENGINES:
            lat = self.latency.get((engine, corpus))
            if index is not None and lat and index in lat.per_query_ms:
                times.append(f"{engine} {_ms(lat.per_query_ms[index])}")
        return ", ".join(times)

    def _ranking(self) -> tuple[float, str] | None:
        """Where a warm query's time goes now that it is scored over arrays."""
        profile = "warm queries"
        rank = self.share(profile, "ranking every match")
        if rank is None:
            return None
        decode = self.share(profile, "decoding postings") or 0.0
        phrases = self.share(profile, "phrases: word for word") or 0.0
        row = self.share(profile, "loading the top 10") or 0.0
        marks = self.share(profile, "highlighting") or 0.0
        counts = self.profiles[profile].counts
        reads = counts.get("Store._read_postings", 0)
        asked = counts.get("Store.postings", 0)
        kept = f" ({asked - reads:,} of {asked:,} postings lists found kept)" if asked else ""
        stats = []
        for corpus in ("reports", "10x"):
            lat = self.latency.get(("ours", corpus))
            found = lat.stats(self.everything) if lat else None
            first = lat.stats(self.everything, first=True) if lat else None
            if found and first:
                stats.append(
                    f"{corpus}: p50 {_ms(found[0])}, p95 {_ms(found[1])}; first runs "
                    f"p50 {_ms(first[0])}, p95 {_ms(first[1])}"
                )
        return rank, (
            f"**Ranking every match over numpy arrays** (`Engine._rank`, `search/vector.py`): "
            f"{rank:.0%} of the 50 warm queries' time (report corpus), of which decoding "
            f"postings from whoosh's pickled blocks is {decode:.0%}{kept} and checking "
            f"phrases word for word {phrases:.0%}; loading the top 10's stored passages "
            f"{row:.0%}, highlighting them {marks:.0%}. "
            f"{'; '.join(stats)}. The rest of the gap to tantivy is Python's per-query "
            "overhead (parsing, numpy calls on small arrays, whoosh's stored fields) and "
            "decoding whoosh's postings the first time: a query new to the process reads "
            "its words' postings at ~0.2 µs a posting."
        )

    def _cold(self) -> tuple[float, str] | None:
        cold_ms = [c.median_ms for c in self.cold if c.engine == "ours"]
        if not self.imports or not cold_ms:
            return None
        imp, median = self.imports, statistics.median(cold_ms)
        knots = imp.get("knots", [])[:4]
        avoidable = ", ".join(
            f"{k['name']} {k['ms']:.0f} ms ({_importer(k['via'])})" for k in knots
        )
        packages = ", ".join(f"{name} {ms:.0f} ms" for name, ms in imp["packages"][:3])
        text = (
            f"**Cold start**: a cold `search query` takes {median:.0f} ms (target {COLD_MS} "
            f"ms). Python starts in {imp['python_startup_ms']:.0f} ms; imports take "
            f"{imp['imports_ms']:.0f} ms on importtime's clock (own time by package: "
            f"{packages}). The largest imports that are not ours: {avoidable}."
        )
        nltk = dict(imp["packages"]).get("nltk", 0.0)
        stemmers = imp.get("stemmer_import_ms", {})
        if nltk > 0.1 * median:
            text += f" nltk alone is {nltk:.0f} ms, for one Snowball stemmer."
        elif stemmers.get("nltk"):
            text += (
                f" nltk is not imported any more (in this venv, where numpy and scipy are "
                f"installed, it costs {stemmers['nltk']:.0f} ms)."
            )
        return min(1.0, sum(k["ms"] for k in knots) / median), text

    def _writer(self) -> tuple[float, str] | None:
        add = self.share("indexing", "adding passages")
        if add is None:
            return None
        fields = self.share("indexing", "whoosh's field indexing") or 0.0
        spill = self.share("indexing", "postings spilled") or 0.0
        commit = self.share("indexing", "committing") or 0.0
        rates = []
        for corpus in ("reports", "10x"):
            ours, fts5 = self.builds.get(("ours", corpus)), self.builds.get(("fts5", corpus))
            if ours and fts5:
                rates.append(f"{_rate(ours.rate)} on {corpus} (FTS5 {_rate(fts5.rate)})")
        e2e = self.e2e.get("reports")
        wall = f"; `search index` on the report PDFs takes {_s(e2e.wall_s)}" if e2e else ""
        return max(add, spill), (
            f"**The writer**: ours adds passages at {' and '.join(rates)}{wall}. {add:.0%} of the "
            f"writer's time is whoosh's per-passage `add_document`, pure Python ({fields:.0%} "
            f"its field indexing), and {commit:.0%} the commit; across both, {spill:.0%} is "
            "whoosh's external sort writing runs of postings to disk and reading them back "
            "(`StoreWriter` sorts up to `WRITER_POOL_MB` = 512 MB in memory: the reports fit, "
            "the 10x corpus spills). The writer is one process while extraction uses every "
            "core; whoosh's multiprocessing writer (`procs=2`) is the experiment not yet tried."
        )

    def method(self) -> None:
        plan = self.plan
        self.w("## Method")
        self.w()
        notes = [
            "Same passages for every engine: each corpus is extracted once with our pipeline "
            "(`index_document`: read, clean, chunk, metadata, analyse) in a process per core; "
            "ours is built from those rows through `StoreWriter.add_document` and one commit, "
            "as `build_index` does; the peers get each passage's citation, inspection year "
            "and text.",
            "The 10x corpus is the report corpus's passages ten times under new document ids "
            "(`x0/…` to `x9/…`), streamed from disk by each builder (bm25s alone needs the "
            "whole corpus in memory).",
            "Queries (bench/queries.txt): ours runs the line as typed (`Engine.search(text, "
            "year=..., limit=10)`); FTS5 `MATCH` with each word or phrase quoted and OR-ed, "
            'the year as a column filter (`year : "2023"`), ranked by `bm25()` on the text '
            'column, with `highlight()`; tantivy\'s query parser (OR by default, "phrases", '
            "`year:2023` / `year:[2020 TO 2022]` on an indexed integer field), the stored "
            "citation of each top-10 hit fetched; bm25s: the plain keyword queries only, "
            "`retrieve(k=10)`; rg: `rg --count --ignore-case --fixed-strings -e …` over the "
            "passage files (one passage a line, a folder per inspection year): no stemming, "
            "no ranking, every match counted. Stopwords are dropped from bare words for every "
            "peer, as ours does; phrases keep them.",
            f"Repeats: builds {plan.build_runs}, warm query rounds {plan.query_runs} (a query "
            f"slower than {plan.slow_s:g} s is timed once), `search index` on the PDFs "
            f"{plan.e2e_runs}×, unchanged re-index {plan.reindex_runs}×, cold queries "
            f"{plan.cold_runs}× after {plan.cold_warmup} warm-ups.",
            "Peak memory: the summed RSS of the child process and its children, sampled every "
            "50 ms, or GNU time's peak RSS of the largest single process if higher.",
            "Build time is the engine's own work, timed inside the child around its calls "
            "(reading the extracted passages from disk excluded; ours includes importing the "
            "stemmer, since the writer analyses section headings: most of its time on the "
            "seed corpus); tantivy uses its own writer "
            "threads (hence CPU time above wall time), FTS5 includes `optimize`, bm25s its "
            "tokenisation and `save()`, rg writing the passage files.",
        ]
        for note in notes:
            self.w(f"- {note}")
        self.w()
