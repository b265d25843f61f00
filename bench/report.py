"""RESULTS.md from the measurements (WORK/results.json): tables, ratios, the targets met or
not, and a fixed note on method. Numbers become tables and one-line findings only.

    python -m bench.report WORK/results.json [--out bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.measure import percentile

OURS = "ours"
# issue 12's targets, as ratios to the peers measured in the same run
COLD_SEEDS_X, COLD_REPORTS_X = 2.5, 3.0
BUILD_X = 1.5  # from PDFs to a searchable index / extraction alone
WARM_P50_X, WARM_P95_X = 8.0, 4.0  # / tantivy's
TENX_FIRST_P95_MS = 40.0
PAGE_P95_MS, PAGE_KB = 30.0, 150.0  # search serve's results page (issue 14)
QUERY_RSS_MB = 120.0
SIZE_X = 1.5  # / FTS5's

METHOD = """\
## Method

- Every engine indexes the same passages, extracted once by our indexer's public stages
  (`indexer.pipeline.index_document`, a process per core). Ours is built as a user builds it,
  from the files with `indexer.pipeline.build_index` (extraction included: its build time is
  compared with the extraction alone); each peer from the extracted passages
  (bench/peers/*.py, one module each).
- Builds and warm queries run in a child process each (`python -m bench.child`); peak memory is
  GNU time's maximum resident set of that process. Warm queries: the index opened once, one
  warm-up query, then rounds over bench/queries.txt; each query's median, then p50/p95 over
  the queries; "first" is each query's first run. Ratios compare the same queries.
- Cold runs are whole processes as a user runs them: ours `search query "..." --index DIR`, each
  peer the smallest program a user would write (`python3 -c` importing only its library; for
  FTS5, sqlite3 and `bm25()`), bytecode compiled for both; hyperfine when installed, else a
  loop of subprocesses; medians.
- Profiles name our modules (`search.engine`, `indexer.store`, ...) and other packages as a
  whole; nothing is patched.
"""


def _ms(v: float | None) -> str:
    return "—" if v is None else f"{v:.1f} ms" if v >= 10 else f"{v:.2f} ms"


def _s(v: float) -> str:
    return f"{v:.2f} s" if v < 10 else f"{v:.1f} s"


def _mb(v: float) -> str:
    return f"{v:.1f} MB" if v < 100 else f"{v:.0f} MB"


def _x(ours: float | None, peer: float | None) -> str:
    return "—" if not ours or not peer else f"{ours / peer:.2f}x"


def _table(header: Sequence[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return [*lines, *("| " + " | ".join(r) + " |" for r in rows), ""]


def _stats(values: dict[str, float], chosen: set[str]) -> tuple[float, float] | None:
    picked = [v for k, v in values.items() if k in chosen]
    return (percentile(picked, 50), percentile(picked, 95)) if picked else None


def _warm_pair(warm: dict[str, Any], peer: str, first: bool = False) -> tuple[Any, Any]:
    """(ours p50/p95, peer p50/p95) over the queries both ran."""
    if OURS not in warm or peer not in warm:
        return None, None
    key = "first_ms" if first else "median_ms"
    common = set(warm[OURS][key]) & set(warm[peer][key])
    return _stats(warm[OURS][key], common), _stats(warm[peer][key], common)


def _cold(results: dict[str, Any], corpus: str, engine: str, query: str) -> float | None:
    return next(
        (c["median_ms"] for c in results["cold"]
         if (c["corpus"], c["engine"], c["query"]) == (corpus, engine, query)),
        None,
    )  # fmt: skip


def header(r: dict[str, Any]) -> list[str]:
    env, plan = r["environment"], r["plan"]
    kind = "`--quick`: seeds and reports, fewer repeats" if plan["quick"] else "the full run"
    load = ", ".join(f"{x:.2f}" for x in env["load_before"])
    after = ", ".join(f"{x:.2f}" for x in env.get("load_after", env["load_before"]))
    versions = ", ".join(
        v if v.lower().startswith(k.lower()) else f"{k} {v}" for k, v in env["versions"].items()
    )
    lines = [
        "# Benchmark: our passage index against SQLite FTS5, tantivy, bm25s and ripgrep",
        "",
        f"Written by `python -m bench` ({kind}) on {env['date']} in {r.get('minutes', 0):.0f} "
        f"minutes. Code measured: {r['code']}. Re-run: `make bench` (`make bench-quick`).",
        "",
        f"**Machine**: {env['nproc']} cores, {env['cpu']}, {env['os']}; load average {load} at "
        f"the start, {after} at the end (other work adds noise: read medians and ratios).",
        "",
        f"**Versions**: {versions}.",
        "",
    ]
    lines += [f"- **A step failed**: {e}" for e in r["errors"]]
    lines += [f"- **{name} skipped**: {why}." for name, why in r["missing"].items()]
    lines += ["", "**Engines**:", ""]
    lines += [f"- `{n}`: {d}" for n, d in r["engines"].items() if n not in r["missing"]]
    rows = [
        [
            name,
            f"`{c['root']}`" if c["copies"] == 1 else f"the reports {c['copies']}x (links)",
            f"{c['documents']:,}" + (f" ({len(c['skipped'])} skipped)" if c["skipped"] else ""),
            f"{c['passages']:,}",
            _s(c["extract_s"]) + f" ({c['workers']} processes)" if c["copies"] == 1 else "reused",
        ]
        for name, c in r["corpora"].items()
    ]
    return [*lines, "", *_table(["corpus", "files", "documents", "passages", "extraction"], rows)]


def targets(r: dict[str, Any]) -> list[str]:
    rows = []
    seeds = [q for q in {c["query"] for c in r["cold"] if c["corpus"] == "seeds"}]
    ratios = [
        (q, o / p)
        for q in sorted(seeds)
        if (o := _cold(r, "seeds", OURS, q)) and (p := _cold(r, "seeds", "fts5", q))
    ]
    if ratios:
        worst = max(x for _, x in ratios)
        each = ", ".join(f"{x:.2f}x" for _, x in ratios)
        rows.append(
            [
                f"cold `search query`, seeds, ≤ {COLD_SEEDS_X}x FTS5",
                each,
                _met(worst <= COLD_SEEDS_X),
            ]
        )
    q = "care leavers accommodation"
    o, p = _cold(r, "reports", OURS, q), _cold(r, "reports", "fts5", q)
    if o and p:
        rows.append(
            [
                f'cold "{q}", reports, ≤ {COLD_REPORTS_X}x FTS5',
                f"{_ms(o)} / {_ms(p)} = {o / p:.2f}x",
                _met(o / p <= COLD_REPORTS_X),
            ]
        )
    build = r["builds"].get("reports", {}).get(OURS)
    if build and (c := r["corpora"].get("reports")):
        x = build["wall_s"] / c["extract_s"]
        measured = f"{_s(build['wall_s'])} / {_s(c['extract_s'])} = {x:.2f}x"
        if c.get("extract_cpu_s"):
            cpu = f"{_s(build['cpu_s'])} / {_s(c['extract_cpu_s'])}"
            measured += f" (CPU: {cpu} = {build['cpu_s'] / c['extract_cpu_s']:.2f}x)"
        what = f"reports from PDFs to an index ≤ {BUILD_X}x extraction alone (wall)"
        rows.append([what, measured, _met(x <= BUILD_X)])
    warm = r["warm"].get("reports", {})
    ours, theirs = _warm_pair(warm, "tantivy")
    if ours and theirs:
        x50, x95 = ours[0] / theirs[0], ours[1] / theirs[1]
        rows.append(
            [
                f"warm reports p50 ≤ {WARM_P50_X:.0f}x tantivy",
                f"{_ms(ours[0])} / {_ms(theirs[0])} = {x50:.1f}x",
                _met(x50 <= WARM_P50_X),
            ]
        )
        rows.append(
            [
                f"warm reports p95 ≤ {WARM_P95_X:.0f}x tantivy",
                f"{_ms(ours[1])} / {_ms(theirs[1])} = {x95:.1f}x",
                _met(x95 <= WARM_P95_X),
            ]
        )
    tenx = next((w for name, w in r["warm"].items() if name.endswith("x") and OURS in w), None)
    if tenx:
        first = _stats(tenx[OURS]["first_ms"], set(tenx[OURS]["first_ms"]))
        assert first is not None
        rows.append(
            [
                f"first runs on the 10x corpus, p95 ≤ {TENX_FIRST_P95_MS:.0f} ms",
                _ms(first[1]),
                _met(first[1] <= TENX_FIRST_P95_MS),
            ]
        )
    else:
        rows.append(["first runs on the 10x corpus", "not measured (`--quick`)", "—"])
    if OURS in warm:
        rss = warm[OURS]["rss_mb"]
        rows.append(
            [
                f"query process on the reports ≤ {QUERY_RSS_MB:.0f} MB resident",
                _mb(rss),
                _met(rss <= QUERY_RSS_MB),
            ]
        )
    built = r["builds"].get("reports", {})
    if OURS in built and "fts5" in built:
        x = built[OURS]["size_mb"] / built["fts5"]["size_mb"]
        rows.append(
            [
                f"index on disk ≤ {SIZE_X}x FTS5's",
                f"{_mb(built[OURS]['size_mb'])} / {_mb(built['fts5']['size_mb'])} = {x:.2f}x",
                _met(x <= SIZE_X),
            ]
        )
    if page := r.get("web"):
        rows.append(
            [
                f"`search serve` results page with facets, reports, p95 ≤ {PAGE_P95_MS:.0f} ms "
                f"and ≤ {PAGE_KB:.0f} KB (issue 14)",
                f"p50 {_ms(page['p50_ms'])}, p95 {_ms(page['p95_ms'])}; "
                f"largest {page['largest_kb']:.0f} KB",
                _met(page["p95_ms"] <= PAGE_P95_MS and page["largest_kb"] <= PAGE_KB),
            ]
        )
    return ["## Targets (issue 12)", "", *_table(["target", "measured", ""], rows)]


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def builds(r: dict[str, Any], corpus: str) -> list[str]:
    built = r["builds"].get(corpus, {})
    ours = built.get(OURS)
    rows = []
    for name, b in built.items():
        rate = b["passages"] / b["build_s"] if b["build_s"] else 0
        size_x = "" if name == OURS or not ours else _x(ours["size_mb"], b["size_mb"])
        rows.append(
            [
                name,
                f"{b['passages']:,}",
                _s(b["build_s"]),
                f"{rate:,.0f}",
                _s(b["wall_s"]),
                _s(b["cpu_s"]),
                _mb(b["peak_rss_mb"]),
                _mb(b["size_mb"]),
                size_x,
            ]
        )
    head = [
        "engine",
        "passages",
        "build",
        "passages/s",
        "process",
        "CPU",
        "peak RSS",
        "on disk",
        "ours / this on disk",
    ]
    note = (
        "Ours builds from the files (extraction included); the peers from the extracted passages."
    )
    return [f"### Builds: {corpus}", "", note, "", *_table(head, rows)]


def warm_table(r: dict[str, Any], corpus: str) -> list[str]:
    warm = r["warm"].get(corpus, {})
    rows = []
    for name, w in warm.items():
        every = _stats(w["median_ms"], set(w["median_ms"]))
        first = _stats(w["first_ms"], set(w["first_ms"]))
        ratio50 = ratio95 = ""
        if name != OURS:
            ours, theirs = _warm_pair(warm, name)
            if ours and theirs:
                ratio50, ratio95 = _x(ours[0], theirs[0]), _x(ours[1], theirs[1])
        p50, p95 = every or (None, None)
        first50, first95 = first or (None, None)
        rows.append(
            [
                name,
                str(len(w["median_ms"])),
                _ms(p50),
                _ms(p95),
                _ms(first50),
                _ms(first95),
                _s(w["open_s"]),
                _mb(w["rss_mb"]),
                ratio50,
                ratio95,
            ]
        )
    head = [
        "engine",
        "queries",
        "p50",
        "p95",
        "first p50",
        "first p95",
        "open",
        "RSS",
        "ours / this p50",
        "ours / this p95",
    ]
    return [f"### Warm queries: {corpus}", "", *_table(head, rows)]


def cold_table(r: dict[str, Any]) -> list[str]:
    rows = []
    for c in r["cold"]:
        ours = _cold(r, c["corpus"], OURS, c["query"])
        ratio = "" if c["engine"] == OURS else _x(ours, c["median_ms"])
        spread = f"{c['min_ms']:.0f}–{c['max_ms']:.0f}"
        rows.append(
            [
                c["corpus"],
                f"`{c['query']}`",
                c["engine"],
                _ms(c["median_ms"]),
                spread,
                str(c["runs"]),
                ratio,
            ]
        )
    tool = r["cold"][0]["tool"] if r["cold"] else "—"
    head = ["corpus", "query", "engine", "median", "min–max ms", "runs", "ours / this"]
    return ["## Cold queries", "", f"Each run a whole process ({tool}).", "", *_table(head, rows)]


def reindex_table(r: dict[str, Any]) -> list[str]:
    rows = [
        [c, _s(x["median_s"]), str(x["runs"]), _mb(x["peak_rss_mb"])]
        for c, x in r["reindex"].items()
    ]
    return [
        "## `search index` again over unchanged files",
        "",
        *_table(["corpus", "median", "runs", "peak RSS"], rows),
    ]


def profiles(r: dict[str, Any]) -> list[str]:
    lines = []
    if r["profile"]:
        rows = [
            [f"`{p['module']}`", f"{p['share']:.0%}", _s(p["self_s"])] for p in r["profile"][:12]
        ]
        lines += [
            "## Where our warm queries go (reports, cProfile self time by module; a C "
            "built-in's time counted to the module that called it)",
            "",
        ]
        lines += _table(["module", "share", "self time"], rows)
    for corpus, imports in r["imports"].items():
        if imports:
            rows = [[f"`{i['module']}`", _ms(i["self_ms"])] for i in imports[:12]]
            total = sum(i["self_ms"] for i in imports)
            lines += [
                f"## A cold query's imports ({corpus}: {_ms(total)} in all, "
                "`-X importtime` self time)",
                "",
            ]
            lines += _table(["module or package", "self"], rows)
    return lines


def render(r: dict[str, Any]) -> str:
    lines = [*header(r), *targets(r), "## Builds and warm queries", ""]
    for corpus in r["corpora"]:
        lines += builds(r, corpus) + warm_table(r, corpus)
    lines += cold_table(r) + reindex_table(r) + profiles(r) + [METHOD]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.report", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("results", type=Path)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "RESULTS.md")
    args = parser.parse_args(argv)
    args.out.write_text(render(json.loads(args.results.read_text("utf-8"))), "utf-8")


if __name__ == "__main__":
    main()
