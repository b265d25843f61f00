"""Processes: `search index`'s workers die with it, however it ends; SIGTERM cancels a run
as Ctrl-C does; a worker's crash reaches the terminal only as the file's one-line reason.

Real processes. A worker is found by the index folder in its command line (a forked worker
has its parent's), so that one left behind is found even after it has lost its parent; each
test kills whatever it finds in the end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from search.engine import Engine

from .conftest import OFSTED, ROOT, write_corpus
from .test_hostile import _pdf_with_content
from .test_safety import make_corpus, search

pytestmark = pytest.mark.slow

DOCUMENTS = 800  # a run of several seconds on this machine: the pool is surely mid-run


def with_marker(marker: str) -> list[int]:
    """The processes whose command line holds `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue  # gone meanwhile
    return found


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def within(seconds: float, condition: Callable[[], object]) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return bool(condition())


@pytest.fixture
def growing(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """An index of 5 documents whose corpus now holds DOCUMENTS; no process of it outlives
    the test."""
    corpus = make_corpus(tmp_path / "corpus", 5)
    index = tmp_path / "index"
    assert search("index", str(corpus), "--index", str(index)).returncode == 0
    make_corpus(corpus, DOCUMENTS)
    try:
        yield corpus, index
    finally:
        for pid in with_marker(str(index)):
            os.kill(pid, signal.SIGKILL)


def _interruptible() -> None:
    """Ctrl-C's default, as a terminal gives it: a test run in the background of a shell
    inherits SIGINT ignored, and `search index` (rightly) keeps that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_index(corpus: Path, index: Path, **streams: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "search", "index", str(corpus), "--index", str(index)],
        cwd=ROOT,
        preexec_fn=_interruptible,
        **streams,  # type: ignore[arg-type]
    )


def assert_whole(index: Path) -> None:
    engine = Engine.open(index)  # the old generation, or the new one if it got there
    try:
        assert len(engine.documents()) in (5, DOCUMENTS)
        assert engine.search("leavers").total > 0
    finally:
        engine.close()


@pytest.mark.parametrize(
    ("signum", "code"),
    [(signal.SIGKILL, -signal.SIGKILL), (signal.SIGTERM, 143), (signal.SIGINT, 130)],
    ids=["kill -9", "SIGTERM", "SIGINT"],
)
def test_workers_never_outlive_search_index(growing, tmp_path, signum, code) -> None:
    corpus, index = growing
    with open(tmp_path / "stderr", "wb") as stderr:
        process = start_index(corpus, index, stdout=subprocess.DEVNULL, stderr=stderr)
        assert within(120, lambda: children_of(process.pid)), "the pool never started"
        process.send_signal(signum)
        assert process.wait(timeout=60) == code
    assert within(30, lambda: not with_marker(str(index))), with_marker(str(index))
    assert_whole(index)
    if signum != signal.SIGKILL:
        said = (tmp_path / "stderr").read_text().strip().splitlines()
        name = signal.Signals(signum).name
        assert said == [f"error: cancelled by {name}; the index was left whole."]
    again = search("index", str(corpus), "--index", str(index))
    assert again.returncode == 0, again.stderr


def test_search_index_piped_into_cat_ends_after_sigterm(growing) -> None:
    corpus, index = growing
    indexing = start_index(corpus, index, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    cat = subprocess.Popen(["cat"], stdin=indexing.stdout, stdout=subprocess.DEVNULL)
    assert indexing.stdout is not None
    indexing.stdout.close()  # only the pipeline holds it now, as in a shell
    try:
        assert within(120, lambda: children_of(indexing.pid)), "the pool never started"
        indexing.send_signal(signal.SIGTERM)
        assert indexing.wait(timeout=60) == 143
        assert cat.wait(timeout=60) == 0  # the pipe's last writer has gone
    finally:
        cat.kill()
        cat.wait()
    assert_whole(index)


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PDF whose page inflates to 3 GB, beside a fine document (as in test_hostile)."""
    tmp_path = tmp_path_factory.mktemp("bomb")
    packer = zlib.compressobj(9)
    chunk = b"0 0 m " * (2**20 // 6)
    stream = b"".join(packer.compress(chunk) for _ in range(3 * 1024)) + packer.flush()
    corpus = write_corpus(tmp_path / "c", {"fine.txt": "A fine paragraph.\n"})
    (corpus / "bomb.pdf").write_bytes(_pdf_with_content(stream))
    return corpus


@pytest.mark.parametrize("faulthandler", [False, True], ids=["plain", "faulthandler on"])
def test_a_crashing_worker_is_one_line_on_the_terminal(bomb, tmp_path, faulthandler) -> None:
    # as `search index`, with the workers' memory at 1 GB (test_hostile's bound) and, as
    # pytest has it, Python's faulthandler on: its crash dump must not reach the terminal
    run = (
        "import indexer.pipeline as p; p.WORKER_MEMORY = 2**30; from search.cli import main; main()"
    )
    flags = ["-X", "faulthandler"] if faulthandler else []
    index = tmp_path / "i"
    try:
        result = subprocess.run(
            [sys.executable, *flags, "-c", run, "index", str(bomb), "--index", str(index)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        for pid in with_marker(str(index)):
            os.kill(pid, signal.SIGKILL)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: failed {bomb / 'bomb.pdf'}: reading it crashed or went ")
    assert "over the limits (1 GB of memory, 120 s)" in lines[0]
    assert "1 indexed (1 new" in result.stdout


@pytest.mark.corpus
def test_search_index_waits_for_a_query_update_instead_of_failing(tmp_path: Path) -> None:
    reports = sorted((OFSTED / "reports").glob("*/*.pdf"))[:10]
    if len(reports) < 10:
        pytest.skip(f"the shared Ofsted corpus is not at {OFSTED}")
    corpus = write_corpus(tmp_path / "corpus", {"a.txt": "Care leavers find homes.\n"})
    index = tmp_path / "index"
    assert search("index", str(corpus), "--index", str(index)).returncode == 0
    for n, report in enumerate(reports):  # ten new PDFs: a query's update of a few seconds
        (corpus / f"report{n}.pdf").write_bytes(report.read_bytes())
    query = subprocess.Popen(
        [sys.executable, "-m", "search", "query", "care", "--index", str(index)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lock = index / "LOCK"
        assert within(60, lambda: lock.read_text().split()[1:] == ["query"]), "no update seen"
        indexing = search("index", str(corpus), "--index", str(index))
        _, said = query.communicate(timeout=120)
    finally:
        query.kill()
        query.wait()
    assert indexing.returncode == 0, indexing.stderr
    assert "is writing" not in indexing.stderr
    assert query.returncode == 0 and "Updated the index first: 10 new" in said
    assert "11 documents" in indexing.stdout and "11 unchanged" in indexing.stdout
