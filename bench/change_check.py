"""What the change check costs a query on a corpus of many small files.

Every `search query` first asks whether the corpus changed since the index was built
(`indexer.freshness.check_freshness`: a walk and a stat per file). This builds N small text
files in a temporary folder (default 20,000, spread over 100 folders), indexes them, then
times the check on the unchanged corpus several times and prints the median:

    .venv/bin/python bench/change_check.py [--files 20000] [--runs 7]

Standalone: the project's public functions only, nothing asserted (speed is measured here,
never in tests). The index is built once (about a minute for 20,000 files).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.freshness import check_freshness  # noqa: E402
from indexer.pipeline import build_index  # noqa: E402
from indexer.sources import find_documents  # noqa: E402
from indexer.store import Store  # noqa: E402

WORDS = ("care", "leavers", "foster", "children", "social", "workers", "inspection", "leaders")


def make_corpus(folder: Path, files: int) -> None:
    for n in range(files):
        sub = folder / f"area-{n % 100:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        words = " ".join(WORDS[(n + k) % len(WORDS)] for k in range(12))
        (sub / f"Report {n:05d}.txt").write_text(f"Document {n}: {words}.\n", encoding="utf-8")


def median_seconds(action: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of `action` (CPU time is what load on a shared
    machine changes least)."""
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="change-check-") as tmp:
        corpus, index_dir = Path(tmp) / "corpus", Path(tmp) / "index"
        make_corpus(corpus, args.files)
        start = time.perf_counter()
        report = build_index([corpus], index_dir, progress=False)
        print(f"indexed {report.documents} files in {time.perf_counter() - start:.1f} s")
        store = Store.open(index_dir)
        try:
            stale = check_freshness(store.documents, store.problems, store.roots)
            assert not stale, f"the unchanged corpus looks changed: {stale.summary()}"

            def check() -> None:
                check_freshness(store.documents, store.problems, store.roots)

            def walk() -> None:
                for _ in find_documents(corpus):
                    pass

            walk_s, check_s = median_seconds(walk, args.runs), median_seconds(check, args.runs)
        finally:
            store.close()
    load = os.getloadavg()[0]
    print(f"median of {args.runs} runs, load average {load:.1f} on {os.cpu_count()} cores:")
    print(f"walk (find_documents): {walk_s[0]:.3f} s ({walk_s[1]:.3f} s of CPU)")
    print(f"change check (check_freshness): {check_s[0]:.3f} s ({check_s[1]:.3f} s of CPU)")


if __name__ == "__main__":
    main()
