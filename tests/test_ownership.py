"""Only our own folders, files made without following links, generations on disk.

An --index folder this tool did not make is refused and left byte for byte as it was; files of
ours are new files with the umask's permissions, never written through a planted link; what a
dead writer left is cleared without displacing the real previous generation; a lost CURRENT
is damage with the way to rebuild; a full disk leaves the index as it was, in one line.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.analysis import write_stem_table
from indexer.errors import IndexBeingBuilt, IndexDamaged
from indexer.generations import MARKER, NotOurs, current, generation_folders
from indexer.manifest import write_json_atomically
from indexer.pipeline import POOL_THRESHOLD, build_index
from indexer.store import Store
from indexer.writer import StoreWriter
from search.cli import cli
from search.engine import Engine

from .conftest import ROOT, SEEDS, write_corpus

# --- helpers ---------------------------------------------------------------------------------


def snapshot(*places: Path) -> dict[str, tuple[object, ...]]:
    """Every entry under `places` (links not followed): kind, permissions, mtime, and the
    bytes of a file or the target of a link. Folders' mtimes show any entry made and removed."""
    state: dict[str, tuple[object, ...]] = {}
    for place in places:
        paths = [place]
        if place.is_dir() and not place.is_symlink():
            for top, folders, files in os.walk(place):
                paths += [Path(top, name) for name in folders + files]
        for path in paths:
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                content: object = os.readlink(path)
            elif stat.S_ISREG(info.st_mode):
                content = path.read_bytes()
            else:
                content = None
            state[str(path)] = (info.st_mode, info.st_mtime_ns, content)
    return state


def index_cli(*args: str) -> object:
    return CliRunner().invoke(cli, list(args))


def one_line_error(result: object, words: str) -> None:
    assert result.exit_code == 1, result.output
    assert words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.output


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(
        tmp_path / "corpus",
        {
            "a.txt": "Foster carers support children.\n",
            "b.txt": "Children in care see social workers.\n",
            "c.txt": "Leaders inspect practice.\n",
        },
    )


@pytest.fixture
def in_a_folder_with_seeds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working folder holds seeds/, as a user's might: nothing may be built from it."""
    work = tmp_path / "work"
    shutil.copytree(SEEDS, work / "seeds")
    monkeypatch.chdir(work)
    return work


# --- only our own folders ------------------------------------------------------------------


def _json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def _other_programs_index(folder: Path) -> None:
    _json(folder / "documents.json", {"format": 2, "entries": ["x"]})
    (folder / "gen-a").mkdir()
    (folder / "gen-a" / "data.bin").write_bytes(b"\x00\x01")


FOREIGN: dict[str, Callable[[Path], None]] = {
    "another program's documents.json and gen-a/": _other_programs_index,
    "a random file": lambda f: (f / "notes.txt").write_text("my notes\n"),
    "a hidden file": lambda f: (f / ".profile").write_text("export A=1\n"),
    "a nested folder": lambda f: (
        (f / "photos" / "2024").mkdir(parents=True),
        (f / "photos" / "2024" / "a.jpg").write_bytes(b"\xff\xd8"),
    ),
    "an empty folder inside": lambda f: (f / "empty").mkdir(),
    "a documents.json shaped like ours, without whoosh's files": lambda f: _json(
        f / "documents.json", {"format": 4, "roots": ["/"], "documents": []}
    ),
    "another program's documents.json beside a whoosh TOC": lambda f: (
        _json(f / "documents.json", {"version": 4}),
        (f / "_passages_1.toc").write_bytes(b"toc"),
    ),
    "a whoosh index of another program": lambda f: (
        (f / "_MAIN_1.toc").write_bytes(b"toc"),
        (f / "MAIN_abcdefgh12345678.seg").write_bytes(b"seg"),
        _json(f / "documents.json", {"format": 1}),
    ),
    "CURRENT naming a generation of another program": lambda f: (
        (f / "CURRENT").write_text("gen-00000001\n"),
        (f / "gen-00000001").mkdir(),
        (f / "gen-00000001" / "data.bin").write_bytes(b"data"),
    ),
    "generations of another program, shaped like ours": lambda f: (
        (f / "CURRENT").write_text("gen-00000001\n"),
        _json(f / "gen-00000001" / "documents.json", {"format": 4, "documents": []}),
    ),
    "a CURRENT that is not ours": lambda f: (f / "CURRENT").write_text("version 7\n"),
    "a CURRENT that is a link": lambda f: (f / "CURRENT").symlink_to(f.parent / "outside.txt"),
    "a LOCK file with words in it": lambda f: (f / "LOCK").write_text("do not delete\n"),
    "a marker of another tool": lambda f: _json(f / MARKER, {"tool": "something-else"}),
    "a symbolic link": lambda f: (f / "link").symlink_to(f.parent / "outside.txt"),
}


@pytest.fixture(params=list(FOREIGN), ids=list(FOREIGN))
def foreign(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, dict]:
    folder = tmp_path / "theirs"
    folder.mkdir()
    (tmp_path / "outside.txt").write_text("a file a link inside points at\n")
    FOREIGN[request.param](folder)
    os.utime(folder, ns=(1_000_000_000, 1_000_000_000))  # an mtime any write would change
    return folder, snapshot(folder, tmp_path / "outside.txt")


COMMANDS = {
    "index": lambda corpus, folder: ["index", str(corpus), "--index", str(folder)],
    "index --rebuild": lambda corpus, folder: [
        "index",
        "--rebuild",
        str(corpus),
        "--index",
        str(folder),
    ],
    "index (no path)": lambda corpus, folder: ["index", "--index", str(folder)],
    "query": lambda corpus, folder: ["query", "care", "--index", str(folder)],
    "documents": lambda corpus, folder: ["documents", "--index", str(folder)],
}


@pytest.mark.parametrize("command", list(COMMANDS), ids=list(COMMANDS))
def test_a_folder_that_is_not_ours_is_refused_and_left_as_it_was(
    foreign, corpus: Path, in_a_folder_with_seeds: Path, command: str
) -> None:
    folder, before = foreign
    result = index_cli(*COMMANDS[command](corpus, folder))
    one_line_error(result, "is not an index of this tool")
    assert snapshot(folder, folder.parent / "outside.txt") == before


def test_the_library_refuses_a_folder_that_is_not_ours(foreign, corpus: Path) -> None:
    folder, before = foreign
    with pytest.raises(NotOurs):
        Store.open(folder)
    with pytest.raises(NotOurs):
        StoreWriter(folder)
    with pytest.raises(NotOurs):
        build_index([corpus], folder, rebuild=True)
    assert snapshot(folder, folder.parent / "outside.txt") == before


def test_a_file_given_as_the_index_folder_is_left_alone(tmp_path: Path, corpus: Path) -> None:
    path = tmp_path / "a-file"
    path.write_text("keep me\n")
    with pytest.raises(NotOurs):
        StoreWriter(path)
    assert path.read_text() == "keep me\n"


@pytest.mark.parametrize("exists", [True, False], ids=["empty folder", "no folder"])
def test_an_empty_or_new_folder_becomes_an_index_with_the_marker(
    tmp_path: Path, corpus: Path, exists: bool
) -> None:
    folder = tmp_path / "new" / "index"
    if exists:
        folder.mkdir(parents=True)
    build_index([corpus], folder)
    assert json.loads((folder / MARKER).read_text())["tool"] == "passage-search"
    assert len(Engine.open(folder).documents()) == 3


def _as_todays_code_left_it(folder: Path) -> None:
    """What the code before the marker wrote: the same layout, without the marker."""
    (folder / MARKER).unlink()
    for manifest in folder.glob("gen-*/documents.json"):
        manifest.chmod(0o600)  # as mkstemp made it


def test_an_index_made_before_the_marker_is_still_ours(tmp_path: Path, corpus: Path) -> None:
    folder = tmp_path / "index"
    build_index([corpus], folder)
    _as_todays_code_left_it(folder)
    assert len(Engine.open(folder).documents()) == 3  # read as it is, nothing written
    assert not (folder / MARKER).exists()
    (corpus / "d.txt").write_text("Care leavers find homes.\n")
    result = index_cli("index", str(corpus), "--index", str(folder))
    assert result.exit_code == 0, result.output
    assert (folder / MARKER).is_file()
    assert len(Engine.open(folder).documents()) == 4


def test_an_index_of_the_single_folder_layout_is_rebuilt_and_what_is_beside_it_kept(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Until format 3 the index was one folder: documents.json beside whoosh's files."""
    folder = tmp_path / "index"
    build_index([corpus], folder)
    generation = current(folder)
    for path in generation.iterdir():
        if path.name.startswith("arrays-"):  # format 5's own files: format 3 had none
            path.unlink()
        else:
            path.rename(folder / path.name)
    for leftover in ("CURRENT", "LOCK", MARKER, "stems.tsv", "words.tsv"):
        (folder / leftover).unlink()
    shutil.rmtree(generation)
    manifest = folder / "documents.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "format": 3}))
    (folder / "mine.txt").write_text("a file of the user's\n")
    monkeypatch.chdir(tmp_path)
    result = index_cli("query", "leaders", "--index", str(folder))
    assert result.exit_code == 0, result.output
    assert "built by another version: rebuilding it from" in result.stderr
    assert "c#1" in result.stdout
    names = {p.name for p in folder.iterdir()}
    assert names == {"CURRENT", "LOCK", MARKER, "gen-00000001", "mine.txt"}
    assert (folder / "mine.txt").read_text() == "a file of the user's\n"


# --- files made without following links, with the umask's permissions ----------------------


@pytest.fixture
def target(tmp_path: Path) -> Path:
    path = tmp_path / "precious.txt"
    path.write_text("someone else's file\n")
    return path


def test_a_link_planted_at_lock_is_not_followed(tmp_path: Path, corpus: Path, target) -> None:
    folder = tmp_path / "index"
    build_index([corpus], folder)
    (folder / "LOCK").unlink()
    (folder / "LOCK").symlink_to(target)
    before = snapshot(target)
    result = index_cli("index", str(corpus), "--index", str(folder))
    one_line_error(result, "LOCK is a symbolic link")
    assert snapshot(target) == before


def test_a_hard_link_planted_at_lock_is_not_written(tmp_path: Path, corpus: Path, target) -> None:
    folder = tmp_path / "index"
    build_index([corpus], folder)
    (folder / "LOCK").unlink()
    os.link(target, folder / "LOCK")
    before = snapshot(target)
    with pytest.raises(NotOurs):
        build_index([corpus], folder)
    assert snapshot(target) == before


def test_a_link_planted_at_the_pointers_temporary_is_not_followed(
    tmp_path: Path, corpus: Path, target
) -> None:
    folder = tmp_path / "index"
    build_index([corpus], folder)
    (folder / ".CURRENT.tmp").symlink_to(target)
    before = snapshot(target)
    (corpus / "d.txt").write_text("Care leavers find homes.\n")
    result = index_cli("index", str(corpus), "--index", str(folder))
    assert result.exit_code == 0, result.output
    assert snapshot(target) == before
    assert len(Engine.open(folder).documents()) == 4
    assert not (folder / ".CURRENT.tmp").is_symlink()


@pytest.mark.parametrize("planted", [".documents.json.tmp", "documents.json"])
def test_a_link_planted_at_the_manifest_or_its_temporary_is_not_followed(
    tmp_path: Path, target, planted: str
) -> None:
    (tmp_path / planted).symlink_to(target)
    before = snapshot(target)
    write_json_atomically(tmp_path / "documents.json", {"format": 4})
    assert snapshot(target) == before
    assert json.loads((tmp_path / "documents.json").read_text()) == {"format": 4}
    assert not (tmp_path / "documents.json").is_symlink()


def test_the_stem_table_is_replaced_never_written_through_a_link(tmp_path: Path, target) -> None:
    (tmp_path / ".stems.tsv.tmp").symlink_to(target)
    os.link(target, tmp_path / "stems.tsv")  # as a new generation shares the previous one's
    before = snapshot(target)
    write_stem_table(tmp_path / "stems.tsv", {"carers": "carer"})
    assert snapshot(target) == before
    assert (tmp_path / "stems.tsv").read_text() == "carers\tcarer\n"


def test_links_and_foreign_folders_named_like_generations_are_left_alone(
    tmp_path: Path, corpus: Path
) -> None:
    folder = tmp_path / "index"
    build_index([corpus], folder)
    elsewhere = write_corpus(tmp_path / "elsewhere", {"keep.txt": "keep\n"})
    (folder / "gen-00000007").symlink_to(elsewhere, target_is_directory=True)
    write_corpus(folder / "gen-00000005", {"precious.txt": "not a file of ours\n"})
    before = snapshot(elsewhere, folder / "gen-00000007", folder / "gen-00000005")
    for text in ("Care leavers find homes.\n", "Homes for care leavers.\n"):
        (corpus / "d.txt").write_text(text)
        assert index_cli("index", str(corpus), "--index", str(folder)).exit_code == 0
    assert snapshot(elsewhere, folder / "gen-00000007", folder / "gen-00000005") == before
    assert current(folder).name > "gen-00000007"  # a name never taken twice


def _modes(folder: Path) -> dict[str, int]:
    return {
        str(p.relative_to(folder)): stat.S_IMODE(os.lstat(p).st_mode)
        for p in [folder, *folder.rglob("*")]
    }


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002])
def test_permissions_follow_the_umask(tmp_path: Path, corpus: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        folder = tmp_path / "index"
        build_index([corpus], folder)
        (corpus / "d.txt").write_text("Care leavers find homes.\n")
        build_index([corpus], folder)  # an update: new manifest, stems, pointer
    finally:
        os.umask(old)
    modes = _modes(folder)
    for name, mode in modes.items():
        is_dir = (folder / name).is_dir()
        executable = is_dir or name.endswith("_WRITELOCK")  # whoosh makes its lock 0777
        assert mode == (0o777 if executable else 0o666) & ~umask, (name, oct(mode))
    for ours in ("CURRENT", "LOCK", MARKER, f"{current(folder).name}/documents.json"):
        assert ours in modes


AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run a command as another user")
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv (util-linux)")
def test_another_user_can_read_an_index_made_with_umask_022() -> None:
    place = Path(tempfile.mkdtemp(prefix="ownership-"))
    old = os.umask(0o022)
    try:
        place.chmod(0o755)  # reachable by another user, unlike tmp_path's parents
        corpus = write_corpus(place / "corpus", {"a.txt": "Foster carers support children.\n"})
        build_index([corpus], place / "index")
        query = ["query", "carers", "--index", str(place / "index")]
        result = subprocess.run(
            [*AS_NOBODY, sys.executable, "-m", "search", *query],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        os.umask(old)
        shutil.rmtree(place)
    assert result.returncode == 0, result.stderr
    assert "a#1" in result.stdout


# --- generations ----------------------------------------------------------------------------


def _leave_a_dead_writers_generation(folder: Path, number: int) -> Path:
    """What `kill -9` during `search index` leaves: a generation without its manifest, with
    whoosh's segment and temporary folder half written, and the pointer's temporary."""
    generation = folder / f"gen-{number:08d}"
    generation.mkdir()
    (generation / "passages_0123456789abcdef.seg").write_bytes(b"half a segment")
    (generation / "passages_WRITELOCK").write_bytes(b"")
    (generation / "passages.tmp").mkdir()
    (generation / "passages.tmp" / "k3j2h1g0f9e8d7c6.run").write_bytes(b"a run")
    (folder / ".CURRENT.tmp").write_text(generation.name)
    return generation


def test_a_dead_writers_leftovers_are_cleared_by_a_run_with_nothing_to_change(
    tmp_path: Path, corpus: Path
) -> None:
    folder = tmp_path / "index"
    build_index([corpus], folder)
    (corpus / "d.txt").write_text("Care leavers find homes.\n")
    build_index([corpus], folder)  # gen 2, with gen 1 as the previous one
    kept = snapshot(folder / "gen-00000001", folder / "gen-00000002")
    _leave_a_dead_writers_generation(folder, 3)
    report = build_index([corpus], folder)
    assert report.indexed == 0  # nothing to change
    assert [g.name for g in generation_folders(folder)] == ["gen-00000001", "gen-00000002"]
    assert not (folder / ".CURRENT.tmp").exists()
    assert snapshot(folder / "gen-00000001", folder / "gen-00000002") == kept


def test_a_dead_writers_generation_never_displaces_the_real_previous_one(
    tmp_path: Path, corpus: Path
) -> None:
    folder = tmp_path / "index"
    build_index([corpus], folder)
    (corpus / "d.txt").write_text("Care leavers find homes.\n")
    build_index([corpus], folder)
    real = current(folder)
    real_manifest = (real / "documents.json").read_bytes()
    _leave_a_dead_writers_generation(folder, 3)
    _leave_a_dead_writers_generation(folder, 4)
    (corpus / "e.txt").write_text("Social workers visit.\n")
    build_index([corpus], folder)
    now = current(folder)
    assert {g.name for g in generation_folders(folder)} == {real.name, now.name}
    assert (real / "documents.json").read_bytes() == real_manifest
    assert not list(now.glob("passages_0123456789abcdef*"))
    assert len(Engine.open(folder).documents()) == 5


def test_a_half_made_generation_below_the_current_one_is_not_kept_as_previous(
    tmp_path: Path, corpus: Path
) -> None:
    """Earlier versions kept 'the highest number below current', a dead writer's leftover."""
    folder = tmp_path / "index"
    build_index([corpus], folder)
    (corpus / "d.txt").write_text("Care leavers find homes.\n")
    build_index([corpus], folder)  # gen 2 current, gen 1 complete
    (folder / "gen-00000002").rename(folder / "gen-00000005")
    (folder / "CURRENT").write_text("gen-00000005\n")
    _leave_a_dead_writers_generation(folder, 4)
    (folder / ".CURRENT.tmp").unlink()
    build_index([corpus], folder)  # nothing to change: still cleared
    names = [g.name for g in generation_folders(folder)]
    assert names == ["gen-00000001", "gen-00000005"]


def test_a_missing_current_is_damage_never_a_rebuild_from_seeds(
    tmp_path: Path, corpus: Path, in_a_folder_with_seeds: Path
) -> None:
    folder = tmp_path / "index"
    build_index([corpus], folder)
    (folder / "CURRENT").unlink()

    def state() -> dict[str, tuple[object, ...]]:  # but the lock, which a writer takes first
        return {p: v for p, v in snapshot(folder).items() if p != str(folder / "LOCK")}

    before = state()
    with pytest.raises(IndexDamaged, match="CURRENT is missing"):
        Store.open(folder)
    for args in (["query", "care"], ["index"], ["index", str(corpus)], ["documents"]):
        result = index_cli(*args, "--index", str(folder))
        one_line_error(result, f"search index --rebuild --index {folder}")
        assert state() == before, args
    # the way out it names rebuilds from the folders the index was built from, not seeds/
    result = index_cli("index", "--rebuild", "--index", str(folder))
    assert result.exit_code == 0, result.output
    assert sorted(d.doc_id for d in Engine.open(folder).documents()) == ["a", "b", "c"]


@pytest.mark.slow
def test_a_query_during_a_first_build_is_told_to_wait_not_that_the_index_is_damaged(
    tmp_path: Path, corpus: Path, in_a_folder_with_seeds: Path
) -> None:
    """Between a first build's manifest and its CURRENT, the folder looks like one whose
    CURRENT was lost: while a writer holds the lock it is an index being built."""
    folder = tmp_path / "index"
    build_index([corpus], folder)
    (folder / "CURRENT").unlink()
    holding = (
        "import sys; from pathlib import Path; from indexer.generations import WriteLock; "
        "WriteLock(Path(sys.argv[1])).acquire(); print('held', flush=True); sys.stdin.readline()"
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", holding, str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "held\n"
        with pytest.raises(IndexBeingBuilt, match="being built"):
            Store.open(folder)
        result = index_cli("query", "care", "--index", str(folder))
        one_line_error(result, "try again when it has finished")
    finally:
        writer.kill()
        writer.wait(timeout=60)
    with pytest.raises(IndexDamaged, match="CURRENT is missing"):  # the writer is gone
        Store.open(folder)


def test_a_first_build_killed_before_publishing_is_no_index_yet(
    tmp_path: Path, corpus: Path, in_a_folder_with_seeds: Path
) -> None:
    folder = tmp_path / "index"
    build_index([corpus], folder)
    shutil.rmtree(current(folder))
    (folder / "CURRENT").unlink()
    _leave_a_dead_writers_generation(folder, 1)
    result = index_cli("query", "leaders", "--index", str(folder))
    assert result.exit_code == 0, result.output
    assert "building it from seeds/ first" in result.stderr


# --- full disk ------------------------------------------------------------------------------


def make_corpus(folder: Path, documents: int, paragraphs: int = 30) -> Path:
    words = "care leavers children protection social workers leaders practice plans homes"
    vocabulary = words.split()
    folder.mkdir(parents=True, exist_ok=True)
    for d in range(documents):
        body = "\n\n".join(
            f"{n + 1}. "
            + " ".join(f"{vocabulary[(d + n + i) % 10]}{(d * n + i) % 97}" for i in range(40))
            for n in range(paragraphs)
        )
        (folder / f"doc{d:04d}.txt").write_text(f"Report {d}\n\n{body}\n")
    return folder


def _index_process(
    corpus: Path, folder: Path, preexec: Callable[[], None] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "search", "index", str(corpus), "--index", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=preexec,
    )


def _assert_as_it_was(folder: Path, result: subprocess.CompletedProcess[str], reason: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"{reason} while writing {folder}/; the index is as it was" in lines[0]
    assert [g.name for g in generation_folders(folder)] == ["gen-00000001"]
    engine = Engine.open(folder)
    assert sorted(d.doc_id for d in engine.documents()) == ["a", "b", "c"]
    assert engine.search("leaders").total == 1
    engine.close()


@pytest.mark.slow
def test_a_full_disk_leaves_the_index_as_it_was_in_one_line(tmp_path: Path, corpus: Path) -> None:
    """A real full disk: a 2 MB tmpfs (tests run as root here and may mount)."""
    mount = Path(tempfile.mkdtemp(prefix="ownership-disk-"))
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        mount.rmdir()
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); see the EFBIG test")
    try:
        folder = mount / "index"
        build_index([corpus], folder)
        big = make_corpus(corpus, 150)  # several MB of index: more than the disk holds
        result = _index_process(big, folder)
        _assert_as_it_was(folder, result, "no space left on device")
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=False)  # even if still busy
        mount.rmdir()


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 << 10, 256 << 10))


@pytest.mark.slow
def test_a_file_size_limit_leaves_the_index_as_it_was_in_one_line(
    tmp_path: Path, corpus: Path
) -> None:
    """A simulated full disk that needs no mount: RLIMIT_FSIZE makes writes fail (EFBIG).

    Few, long documents, read in the writer's own process: the limit is inherited by pool
    workers too, whose own log then fails, which a full disk under the index does not do
    (the tmpfs test above has the pool)."""
    folder = tmp_path / "index"
    build_index([corpus], folder)
    big = make_corpus(corpus, POOL_THRESHOLD - 1 - 3, paragraphs=400)
    result = _index_process(big, folder, _limit_file_size)
    _assert_as_it_was(folder, result, "file too large")


# --- a real dead writer --------------------------------------------------------------------


@pytest.mark.slow
def test_a_killed_rebuild_is_cleared_by_the_next_run_with_nothing_to_change(
    tmp_path: Path,
) -> None:
    corpus = make_corpus(tmp_path / "corpus", 300)
    folder = tmp_path / "index"
    build_index([corpus], folder)
    real = current(folder)
    command = [sys.executable, "-m", "search", "index", "--rebuild", str(corpus)]
    process = subprocess.Popen(
        [*command, "--index", str(folder)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not (folder / "gen-00000002").exists() and process.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.3)
    finally:  # the whole session: the writer and its pool's workers
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
    if current(folder) != real:
        pytest.skip("the rebuild finished before it could be killed")
    assert (folder / "gen-00000002").exists()
    report = build_index([corpus], folder)
    assert report.indexed == 0
    assert [g.name for g in generation_folders(folder)] == [real.name]
