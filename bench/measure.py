"""Measuring whole processes: wall time, CPU time, peak memory, sizes on disk, medians.

Every measured thing is a child process, timed from outside with public tools: GNU time for
a process's peak resident memory (`/usr/bin/time -f %M`), hyperfine for cold runs when it is
installed (else a loop of subprocesses, the same statistics). Children run in the work folder,
with the snapshot of the code to measure first on PYTHONPATH (`Children`).
"""

from __future__ import annotations

import compileall
import json
import math
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PYTHON = sys.executable
GNU_TIME = "/usr/bin/time"
MB = 1024 * 1024


@dataclass
class Children:
    """Where child processes run: outside the checkout (so that `python -m` and `-c` do not
    put it first on sys.path), with the snapshot of the code first on PYTHONPATH."""

    cwd: Path = Path(tempfile.gettempdir())
    src: Path | None = None


CHILDREN = Children()


def child_env() -> dict[str, str]:
    env = {**os.environ, "TQDM_DISABLE": "1", "PYTHONHASHSEED": "0", "NO_COLOR": "1"}
    if CHILDREN.src is not None:
        paths = (str(CHILDREN.src), os.environ.get("PYTHONPATH", ""))
        env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    return env


def compile_bytecode(*folders: Path) -> None:
    """Bytecode for every module a cold run imports, as an installed program has it.
    PYTHONDONTWRITEBYTECODE (set on this machine) would otherwise make each cold process
    compile its modules again; folders that cannot be written are left as they are."""
    for folder in folders:
        if folder.is_dir() and os.access(folder, os.W_OK):
            compileall.compile_dir(str(folder), quiet=2, workers=0)


def site_packages() -> list[Path]:
    import sysconfig

    return [Path(sysconfig.get_path("purelib")), Path(sysconfig.get_path("platlib"))]


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def size_mb(path: Path) -> float:
    """Megabytes of the files under `path`."""
    if path.is_file():
        return path.stat().st_size / MB
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / MB


@dataclass(frozen=True)
class Measured:
    """One child process: wall and CPU seconds, peak resident memory, what it printed."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float  # the largest single process's peak (GNU time), 0 without it
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        if self.returncode != 0:
            raise RuntimeError(f"child failed ({self.returncode}): {self.stderr[-1500:]}")
        lines = [line for line in self.stdout.splitlines() if line.startswith("{")]
        return json.loads(lines[-1])


def run_measured(command: Sequence[str]) -> Measured:
    """Run a child to its end; its wall time, CPU time (rusage) and peak memory."""
    with tempfile.NamedTemporaryFile("r") as peak:
        timer = [GNU_TIME, "-f", "%M", "-o", peak.name] if Path(GNU_TIME).exists() else []
        cpu_before = _children_cpu()
        start = time.perf_counter()
        proc = subprocess.Popen(
            [*timer, *command],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=CHILDREN.cwd,
            env=child_env(),
        )
        try:
            stdout, stderr = proc.communicate()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        wall = time.perf_counter() - start
        lines = peak.read().split()
    usage = _children_cpu() - cpu_before
    kilobytes = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    return Measured(
        wall_s=wall,
        cpu_s=usage,
        peak_rss_mb=kilobytes / 1024,
        returncode=proc.returncode,
        stdout=stdout.decode("utf-8", "replace"),
        stderr=stderr.decode("utf-8", "replace"),
    )


def _children_cpu() -> float:
    """CPU seconds of every child of this process waited for so far (the driver runs one
    measured child at a time, so the difference over a run is that child's)."""
    times = os.times()
    return times.children_user + times.children_system


@dataclass(frozen=True)
class Timed:
    """A command run many times, each a whole process: the median and the spread."""

    name: str
    command: str
    median_ms: float
    min_ms: float
    max_ms: float
    runs: int
    tool: str  # hyperfine or subprocess


def time_commands(commands: list[tuple[str, list[str]]], runs: int, warmup: int) -> list[Timed]:
    """Each command `runs` times after `warmup` runs: hyperfine (no shell) when installed,
    else a loop of subprocesses. A command that fails is an error, not a fast run."""
    for name, command in commands:
        done = subprocess.run(command, cwd=CHILDREN.cwd, env=child_env(), capture_output=True)
        if done.returncode != 0:
            raise RuntimeError(f"{name}: exit {done.returncode}: {done.stderr[-500:]!r}")
    if (hyperfine := shutil.which("hyperfine")) is not None:
        return _hyperfine(hyperfine, commands, runs, warmup)
    results = []
    for name, command in commands:
        times = []
        for i in range(warmup + runs):
            start = time.perf_counter()
            subprocess.run(command, cwd=CHILDREN.cwd, env=child_env(), capture_output=True)
            if i >= warmup:
                times.append((time.perf_counter() - start) * 1000)
        median = statistics.median(times)
        results.append(
            Timed(name, shlex.join(command), median, min(times), max(times), runs, "subprocess")
        )
    return results


def _hyperfine(
    hyperfine: str, commands: list[tuple[str, list[str]]], runs: int, warmup: int
) -> list[Timed]:
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "cold.json"
        argv = [hyperfine, "-N", "--style", "none", "--warmup", str(warmup), "--runs", str(runs)]
        argv += ["--export-json", str(export)]
        for name, command in commands:
            argv += ["-n", name, shlex.join(command)]
        subprocess.run(argv, cwd=CHILDREN.cwd, env=child_env(), check=True, capture_output=True)
        data = json.loads(export.read_text("utf-8"))["results"]
    return [
        Timed(
            name,
            shlex.join(command),
            r["median"] * 1000,
            r["min"] * 1000,
            r["max"] * 1000,
            len(r["times"]),
            "hyperfine",
        )
        for (name, command), r in zip(commands, data, strict=True)
    ]
