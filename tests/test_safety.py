"""Crash safety, concurrency and damage, with real processes.

A build killed at any moment leaves the previous index whole and searchable, and the next
`search index` recovers without help; a second writer is refused (or waits); queries during a
build see the old index or the new, never an error; a damaged index says how to rebuild.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexer.generations import current
from search.engine import Engine

from .conftest import ROOT

# Real processes that build indexes of a few seconds: run after the unit tests (make test).
pytestmark = pytest.mark.slow

WORDS = [
    "care",
    "leavers",
    "children",
    "protection",
    "social",
    "workers",
    "leaders",
    "practice",
    "plans",
    "homes",
]


def make_corpus(folder: Path, documents: int, paragraphs: int = 30) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for d in range(documents):
        body = "\n\n".join(
            f"{n + 1}. " + " ".join(WORDS[(d + n + i) % len(WORDS)] for i in range(40)) + "."
            for n in range(paragraphs)
        )
        (folder / f"doc{d:04d}.txt").write_text(f"Report {d}\n\n{body}\n")
    return folder


def search(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "search", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def start_index(corpus: Path, index: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "search", "index", str(corpus), "--index", str(index), *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def indexed(tmp_path: Path) -> tuple[Path, Path]:
    """An index of 5 documents, and a corpus that now holds 400 (a build of a few seconds)."""
    corpus = make_corpus(tmp_path / "corpus", 5)
    index = tmp_path / "index"
    assert search("index", str(corpus), "--index", str(index)).returncode == 0
    make_corpus(corpus, 400)
    return corpus, index


@pytest.mark.parametrize("delay", [0.3, 0.8, 1.5, 2.5])
def test_a_build_killed_at_any_moment_leaves_the_old_index_whole(indexed, delay: float) -> None:
    corpus, index = indexed
    process = start_index(corpus, index)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()
    engine = Engine.open(index)  # whole: the old generation, or the new one if it got there
    assert len(engine.documents()) in (5, 400)
    assert engine.search("leavers").total > 0
    engine.close()
    # the next run recovers without help: no stale lock, no half-made generation left
    result = search("index", str(corpus), "--index", str(index))
    assert result.returncode == 0, result.stderr
    assert len(Engine.open(index).documents()) == 400
    assert sorted(p.name for p in index.glob("gen-*"))[-1] == current(index).name
    assert len(list(index.glob("gen-*"))) <= 2


def test_a_second_writer_is_refused_with_the_first_ones_pid_or_waits(indexed) -> None:
    corpus, index = indexed
    first = start_index(corpus, index)
    try:
        time.sleep(0.8)
        second = search("index", str(corpus), "--index", str(index))
        assert second.returncode == 1
        assert f"another 'search index' (process {first.pid}) is writing" in second.stderr
        assert "--wait" in second.stderr
        waited = search("index", str(corpus), "--index", str(index), "--wait")
        assert waited.returncode == 0, waited.stderr
    finally:
        first.wait(timeout=120)
    assert first.returncode == 0


def test_queries_during_a_build_see_the_old_index_or_the_new(indexed) -> None:
    corpus, index = indexed
    writer = start_index(corpus, index)
    totals = set()
    while writer.poll() is None:
        result = search("query", "leavers", "--index", str(index), "--json")
        assert result.returncode == 0, result.stderr
        totals.add(result.stdout.count('"citation"'))
    assert writer.returncode == 0
    after = search("query", "leavers", "--index", str(index), "--limit", "1000", "--json")
    assert after.returncode == 0 and "Traceback" not in after.stderr


@pytest.mark.parametrize("damage", ["truncate", "delete", "garble", "pointer"])
def test_damage_is_detected_with_the_way_to_rebuild(tmp_path: Path, damage: str) -> None:
    corpus = make_corpus(tmp_path / "corpus", 3)
    index = tmp_path / "index"
    assert search("index", str(corpus), "--index", str(index)).returncode == 0
    generation = current(index)
    segment = next(generation.glob("*.trm"))  # whoosh's terms (segments are not compound)
    if damage == "truncate":
        segment.write_bytes(segment.read_bytes()[:100])
    elif damage == "delete":
        next(generation.glob("*.toc")).unlink()
    elif damage == "garble":
        (generation / "documents.json").write_text("{not json")
    else:
        (index / "CURRENT").write_text("../../etc")
    result = search("query", "leavers", "--index", str(index))
    assert result.returncode == 1
    assert "search index --rebuild" in result.stderr
    assert "Traceback" not in result.stderr
    rebuilt = search("index", str(corpus), "--index", str(index), "--rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert search("query", "leavers", "--index", str(index)).returncode == 0


def test_the_lock_of_a_killed_writer_is_not_left_behind(indexed) -> None:
    corpus, index = indexed
    process = start_index(corpus, index)
    time.sleep(0.5)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert search("index", str(corpus), "--index", str(index)).returncode == 0


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus", 40)
    index = tmp_path / "index"
    assert search("index", str(corpus), "--index", str(index)).returncode == 0
    args = ["query", "leavers", "--limit", "1000", "--json", "--index", str(index)]
    process = subprocess.Popen(
        [sys.executable, "-m", "search", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout.readline()  # like `head -1`
    process.stdout.close()
    process.wait(timeout=60)
    assert process.returncode in (0, -signal.SIGPIPE)
    assert process.stderr.read() == b""


def test_a_terminal_that_is_not_utf8_gets_readable_ascii(seed_index: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "search",
            "show",
            "001_d51274d8d114c741#1",
            "--index",
            str(seed_index),
        ],
        cwd=ROOT,
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "ascii"},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert b"Ofsted praises children's services' 'dynamic, professionally fertile'" in result.stdout
