"""Queries never fail because of the corpus or the index's writability.

When the corpus folder is moved, deleted, unmounted or unreadable, or the index cannot be
written (read-only, another user's, a full disk, another writer holding the lock), `search
query` answers from the index as built and says why in one line. An automatic update indexes
only the folders the index was built from, and `search index` with no path refuses folders
that are gone. A query's update never makes a real `search index` fail: it waits for it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import indexer.generations
from indexer.freshness import check_freshness
from indexer.generations import WriteLock, query_update
from search.cli import cli
from search.engine import Engine

from .conftest import ROOT, write_corpus

DOCUMENTS = {
    "a.txt": "Care leavers find homes.\n",
    "b.txt": "Social workers visit children in care.\n",
    "sub/c.txt": "Leaders inspect practice with care.\n",
}
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def invoke(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def generations_of(index: Path) -> list[str]:
    return sorted(p.name for p in index.glob("gen-*"))


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path]:
    corpus = write_corpus(tmp_path / "corpus", DOCUMENTS)
    index = tmp_path / "index"
    assert invoke("index", str(corpus), "--index", str(index)).exit_code == 0
    return corpus, index


def _move(corpus: Path) -> None:
    corpus.rename(corpus.with_name("moved"))


def _delete(corpus: Path) -> None:
    shutil.rmtree(corpus)


def _unmount(corpus: Path) -> None:  # what an unmounted folder looks like: there, and empty
    _move(corpus)
    corpus.mkdir()


def _lose_subfolder(corpus: Path) -> None:  # for root, whose reads never fail: see slow tests
    shutil.rmtree(corpus / "sub")


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (_move, "is missing (moved, renamed or unmounted?)"),
        (_delete, "is missing (moved, renamed or unmounted?)"),
        (_unmount, "holds none of its indexed documents (unmounted?)"),
    ],
    ids=["moved", "deleted", "unmounted"],
)
def test_a_query_answers_from_the_index_when_its_corpus_is_gone(built, damage, reason) -> None:
    corpus, index = built
    before = generations_of(index)
    damage(corpus)
    (corpus.parent / "seeds").mkdir()  # never indexed instead
    result = invoke("query", "care", "--index", str(index))
    assert result.exit_code == 0
    assert "3 passages match 'care'" in result.stdout
    line = one_line(result.stderr)
    assert line.startswith(f"warning: {corpus} {reason}, so the index is not updated;")
    assert generations_of(index) == before  # nothing written
    assert len(Engine.open(index).documents()) == 3


def test_documents_really_removed_are_still_dropped_by_the_automatic_update(built) -> None:
    corpus, index = built
    _lose_subfolder(corpus)
    result = invoke("query", "care", "--index", str(index))
    assert result.exit_code == 0
    assert "Updated the index first: 1 removed" in result.stderr
    assert len(Engine.open(index).documents()) == 2


def test_freshness_tells_a_missing_folder_from_removed_documents(built) -> None:
    corpus, index = built
    _move(corpus)
    store = Engine.open(index).store
    stale = check_freshness(store.documents, store.problems, store.roots)
    assert stale.removed == () and stale.changed == () and stale.added == ()
    assert stale.unavailable == (f"{corpus} is missing (moved, renamed or unmounted?)",)


def test_index_with_no_path_refuses_folders_that_are_gone(built, monkeypatch) -> None:
    corpus, index = built
    before = generations_of(index)
    _move(corpus)
    write_corpus(corpus.parent / "seeds", {"other.txt": "Another folder entirely.\n"})
    monkeypatch.chdir(corpus.parent)  # where a seeds/ folder would be picked up
    result = invoke("index", "--index", str(index))
    assert result.exit_code == 1
    line = one_line(result.stderr)
    assert str(corpus) in line and "is missing" in line and "search index PATH" in line
    assert generations_of(index) == before
    assert sorted(Engine.open(index).store.documents) == ["a", "b", "sub/c"]


def test_index_with_no_path_uses_seeds_only_for_a_brand_new_index(tmp_path, monkeypatch) -> None:
    write_corpus(tmp_path / "seeds", {"one.txt": "A seed paragraph.\n"})
    monkeypatch.chdir(tmp_path)
    result = invoke("index", "--index", str(tmp_path / "index"))
    assert result.exit_code == 0, result.stderr
    assert "holds 1 document," in result.stdout


def test_a_query_never_builds_over_an_index_whose_current_is_missing(built, monkeypatch) -> None:
    corpus, index = built
    (index / "CURRENT").unlink()
    write_corpus(corpus.parent / "seeds", {"other.txt": "Another folder about care.\n"})
    monkeypatch.chdir(corpus.parent)  # where the build-if-missing would find seeds/
    before = generations_of(index)
    result = invoke("query", "care", "--index", str(index))
    assert result.exit_code == 1
    line = one_line(result.stderr)
    assert "the index is damaged" in line and "CURRENT is missing" in line
    assert f"search index --rebuild --index {index}" in line  # the recorded folders, not seeds/
    assert generations_of(index) == before


@pytest.fixture
def stale(built) -> tuple[Path, Path]:
    corpus, index = built
    (corpus / "new.txt").write_text("A new paragraph about care.\n")
    return corpus, index


@pytest.fixture
def held_lock(request) -> Iterator[WriteLock]:
    """The index's lock held here, as a 'search index' would hold it (or a query's update)."""
    index = request.getfixturevalue("stale")[1]
    lock = WriteLock(index)
    if getattr(request, "param", "index") == "query":
        with query_update():
            lock.acquire()
    else:
        lock.acquire()
    yield lock
    lock.release()


@pytest.mark.parametrize(
    ("held_lock", "who"),
    [("index", "another 'search index'"), ("query", "a query's automatic update")],
    indirect=["held_lock"],
)
def test_a_query_answers_while_another_writer_holds_the_lock(stale, held_lock, who) -> None:
    _, index = stale
    started = time.monotonic()
    result = invoke("query", "care", "--index", str(index))
    assert result.exit_code == 0
    assert "3 passages match 'care'" in result.stdout  # the index as built
    line = one_line(result.stderr)
    assert line.startswith("warning: the index is out of date (1 new) and ")
    assert f"{who} (process {os.getpid()}) is writing" in line
    assert time.monotonic() - started < indexer.generations.QUERY_UPDATE_WAIT  # never waits


def test_the_lock_says_who_holds_it(stale) -> None:
    _, index = stale
    lock = WriteLock(index)
    with query_update():
        lock.acquire()
    assert (index / "LOCK").read_text().split() == [str(os.getpid()), "query"]
    lock.release()
    lock.acquire()
    assert (index / "LOCK").read_text().split() == [str(os.getpid()), "index"]
    lock.release()


def test_search_index_waits_for_a_query_update_then_runs(stale) -> None:
    corpus, index = stale
    lock = WriteLock(index)
    with query_update():
        lock.acquire()
    releaser = threading.Timer(1.0, lock.release)
    releaser.start()
    try:
        result = invoke("index", str(corpus), "--index", str(index))
    finally:
        releaser.join()
    assert result.exit_code == 0, result.stderr
    assert "1 new" in result.stdout


def test_search_index_gives_up_on_a_query_update_that_never_ends(stale, monkeypatch) -> None:
    corpus, index = stale
    monkeypatch.setattr(indexer.generations, "QUERY_UPDATE_WAIT", 0.5)
    lock = WriteLock(index)
    with query_update():
        lock.acquire()
    try:
        result = invoke("index", str(corpus), "--index", str(index))
    finally:
        lock.release()
    assert result.exit_code == 1
    line = one_line(result.stderr)
    assert f"a query's automatic update (process {os.getpid()}) is writing" in line
    assert "--wait" in line


def test_search_index_is_refused_at_once_by_another_search_index(stale) -> None:
    corpus, index = stale
    lock = WriteLock(index)
    lock.acquire()
    started = time.monotonic()
    try:
        result = invoke("index", str(corpus), "--index", str(index))
    finally:
        lock.release()
    assert result.exit_code == 1
    assert f"another 'search index' (process {os.getpid()}) is writing" in result.stderr
    assert time.monotonic() - started < indexer.generations.QUERY_UPDATE_WAIT


# --- as another user, and on a full disk (real processes, privileges dropped) ------------


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder under /tmp that the unprivileged user can reach; removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="search-readonly-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in [folder, *folder.rglob("*")]:
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)


def as_nobody(*args: str) -> subprocess.CompletedProcess[str]:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run a command as another user")
    return subprocess.run(
        [*NOBODY, sys.executable, "-m", "search", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def readable_index(folder: Path) -> tuple[Path, Path]:
    corpus = write_corpus(folder / "corpus", DOCUMENTS)
    index = folder / "index"
    assert invoke("index", str(corpus), "--index", str(index)).exit_code == 0
    # another user's index that its owner lets others read (the manifest is written 0600
    # today; the ownership part makes it follow the umask)
    subprocess.run(["chmod", "-R", "a+rX", str(folder)], check=True)
    return corpus, index


@pytest.mark.slow
@pytest.mark.parametrize("where", ["corpus", "corpus/sub"])
def test_an_unreadable_corpus_folder_is_reported_and_not_dropped(shared_tmp, where) -> None:
    corpus, index = readable_index(shared_tmp)
    (corpus / "new.txt").write_text("A new paragraph about care.\n")
    (shared_tmp / where).chmod(0)
    result = as_nobody("query", "care", "--index", str(index))
    assert result.returncode == 0, result.stderr
    assert "3 passages match 'care'" in result.stdout
    line = one_line(result.stderr)
    assert f"{shared_tmp / where} cannot be read (Permission denied)" in line
    (shared_tmp / where).chmod(0o755)
    assert len(Engine.open(index).documents()) == 3  # nothing dropped


@pytest.mark.slow
@pytest.mark.parametrize("how", ["another user's", "read-only"])
def test_a_query_answers_when_the_index_cannot_be_written(shared_tmp, how) -> None:
    corpus, index = readable_index(shared_tmp)
    if how == "read-only":
        subprocess.run(["chmod", "-R", "a-w", str(index)], check=True)
    before = generations_of(index)
    (corpus / "new.txt").write_text("A new paragraph about care.\n")
    result = as_nobody("query", "care", "--index", str(index))
    assert result.returncode == 0, result.stderr
    assert "3 passages match 'care'" in result.stdout
    line = one_line(result.stderr)
    assert line.startswith("warning: the index is out of date (1 new) and cannot be updated (")
    assert "Permission denied" in line
    assert generations_of(index) == before


@pytest.fixture
def small_disk() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="search-full-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        folder.rmdir()
        pytest.skip("cannot mount a small tmpfs here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=False)  # even if still busy
        folder.rmdir()


@pytest.mark.slow
def test_a_query_answers_when_the_disk_is_full(tmp_path, small_disk) -> None:
    corpus = write_corpus(tmp_path / "corpus", DOCUMENTS)
    index = small_disk / "index"
    assert invoke("index", str(corpus), "--index", str(index)).exit_code == 0
    before = generations_of(index)
    with open(small_disk / "filler", "wb") as filler:
        block = b"\0" * 65536
        try:
            while True:
                filler.write(block)
                filler.flush()
        except OSError:
            pass
    (corpus / "new.txt").write_text("A new paragraph about care.\n")
    result = invoke("query", "care", "--index", str(index))
    assert result.exit_code == 0
    assert "3 passages match 'care'" in result.stdout
    line = one_line(result.stderr)
    assert "cannot be updated (no space left on device" in line.lower()
    assert generations_of(index) == before
