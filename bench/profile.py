"""Where our time goes, by our public module names only: self time of our warm queries under
cProfile (`search.engine`, `search.vector`, `indexer.store`, ..., and other packages as a
whole: `whoosh`, `numpy`), and a cold query's imports (`python -X importtime`)."""

from __future__ import annotations

import pstats
import statistics
import subprocess
import sysconfig
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.measure import CHILDREN, PYTHON, child_env, run_measured

OURS = ("indexer", "search")
BUILTINS = "built-ins (C)"
STDLIB = Path(sysconfig.get_path("stdlib")).resolve()
SITE = tuple(Path(sysconfig.get_path(p)).resolve() for p in ("purelib", "platlib"))


def module_of(filename: str) -> str:
    """The module a profiled function belongs to: ours by its dotted name, any other package
    as a whole, the standard library and built-ins as one each."""
    if filename.startswith(("~", "<")):
        return BUILTINS
    path = Path(filename).resolve()
    for base in (*([CHILDREN.src.resolve()] if CHILDREN.src else []), *SITE):
        if path.is_relative_to(base):
            parts = path.relative_to(base).with_suffix("").parts
            if parts[0] in OURS:
                return ".".join(p for p in parts if p != "__init__")
            return parts[0]
    if path.is_relative_to(STDLIB):
        return "Python's standard library"
    return parts[0] if (parts := path.parts) else filename


def warm_profile(index: str, work: Path, rounds: int = 2) -> list[dict[str, Any]]:
    """Self time of the warm queries by module, largest first."""
    out = work / "warm-queries.prof"
    m = run_measured(
        [PYTHON, "-m", "bench.child", "profile", index, str(out), "--rounds", str(rounds)]
    )
    m.json()
    return module_shares(out)


def module_shares(prof: Path) -> list[dict[str, Any]]:
    """A cProfile file's self time by module, largest first."""
    stats = pstats.Stats(str(prof))
    by_module: dict[str, float] = defaultdict(float)
    for (filename, _, _), (_, _, self_s, _, callers) in stats.stats.items():  # type: ignore[attr-defined]
        module = module_of(filename)
        if module != BUILTINS or not callers:
            by_module[module] += self_s
            continue
        # a C built-in's time goes to the module that called it (cProfile keeps it per caller)
        for (caller_file, _, _), (_, _, caller_self_s, _) in callers.items():
            by_module[module_of(caller_file)] += caller_self_s
    total = sum(by_module.values()) or 1.0
    ranked = sorted(by_module.items(), key=lambda kv: -kv[1])
    return [{"module": k, "self_s": v, "share": v / total} for k, v in ranked]


def _top_name(name: str) -> str:
    top = name.split(".")[0]
    return name if top in OURS else top


def import_times(index: str, runs: int = 3) -> list[dict[str, Any]]:
    """A cold `search query`'s imports, self time by module (ours) or package (others), the
    median over `runs` processes, largest first."""
    from bench.peers.ours import search_command

    command = [
        PYTHON,
        "-X",
        "importtime",
        search_command(),
        "query",
        "care leavers",
        "--index",
        index,
    ]
    samples: dict[str, list[float]] = defaultdict(list)
    for _ in range(runs):
        done = subprocess.run(
            command, cwd=CHILDREN.cwd, env=child_env(), capture_output=True, text=True
        )
        totals: dict[str, float] = defaultdict(float)
        for line in done.stderr.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            self_us, _, name = (part.strip() for part in line[len("import time:") :].split("|"))
            totals[_top_name(name)] += int(self_us) / 1000
        for name, ms in totals.items():
            samples[name].append(ms)
    ranked = sorted(((n, statistics.median(v)) for n, v in samples.items()), key=lambda kv: -kv[1])
    return [{"module": n, "self_ms": ms} for n, ms in ranked]
