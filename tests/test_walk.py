"""The corpus walk: inside the folder given, regular files only, paths shown as given."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.freshness import check_freshness
from indexer.pipeline import build_index
from indexer.sources import SourceError, find_documents, read_document
from indexer.store import Store
from search.cli import cli

from .conftest import write_corpus


def _walk(root: Path, **options: bool) -> tuple[list[str], list[tuple[str, str]]]:
    skipped: list[tuple[str, str]] = []
    found = [s.relative for s in find_documents(root, on_skip=_collect(skipped), **options)]
    return found, skipped


def _collect(into: list[tuple[str, str]]) -> Callable[[str, str], None]:
    return lambda path, reason: into.append((path, reason))


@pytest.fixture
def linked(tmp_path: Path) -> Path:
    """A corpus with links: to a file inside, to a file and a folder outside."""
    corpus = write_corpus(tmp_path / "c", {"a.txt": "Alpha inside.\n"})
    outside = write_corpus(tmp_path / "out", {"secret.txt": "Secret outside.\n"})
    os.symlink(corpus / "a.txt", corpus / "inside.txt")
    os.symlink(outside / "secret.txt", corpus / "secret.txt")
    os.symlink(outside, corpus / "elsewhere")
    return corpus


def test_links_leading_outside_are_skipped_with_a_reason(linked: Path) -> None:
    found, skipped = _walk(linked)
    assert found == ["a.txt", "inside.txt"]
    assert sorted(p for p, _ in skipped) == [str(linked / "elsewhere"), str(linked / "secret.txt")]
    assert all("outside" in why and "--follow-links" in why for _, why in skipped)


def test_follow_links_allows_links_outside(linked: Path) -> None:
    found, skipped = _walk(linked, follow_links=True)
    assert found == ["a.txt", "inside.txt", "secret.txt", "elsewhere/secret.txt"]
    assert skipped == []


@pytest.mark.parametrize("target", ["/etc/passwd", "/proc/self/environ", "/dev/zero"])
def test_system_files_behind_links_are_never_read(tmp_path: Path, target: str) -> None:
    corpus = write_corpus(tmp_path / "c", {"a.txt": "Alpha.\n"})
    os.symlink(target, corpus / "leak.txt")
    report = build_index([corpus], tmp_path / "index", follow_links=target != "/etc/passwd")
    assert report.added == ["a"]
    assert [p for p, _ in report.skipped] == [str(corpus / "leak.txt")]


@pytest.mark.parametrize("root", ["/proc/self", "/proc", "/sys/kernel", "/dev"])
def test_a_system_folder_given_to_index_is_not_walked(root: str) -> None:
    found, skipped = _walk(Path(root))
    assert found == [] and len(skipped) == 1


def _finishes(action: Callable[[], object], seconds: float = 60) -> bool:
    thread = threading.Thread(target=action, daemon=True)
    thread.start()
    thread.join(seconds)
    return not thread.is_alive()


def test_a_fifo_named_txt_does_not_hang_the_walk_or_the_read(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"a.txt": "Alpha.\n"})
    os.mkfifo(corpus / "x.txt")
    os.symlink(corpus / "x.txt", corpus / "y.txt")
    result: dict[str, object] = {}
    assert _finishes(lambda: result.update(report=build_index([corpus], tmp_path / "i")))
    report = result["report"]
    assert report.added == ["a"]  # type: ignore[attr-defined]
    skipped = dict(report.skipped)  # type: ignore[attr-defined]
    assert set(skipped) == {str(corpus / "x.txt"), str(corpus / "y.txt")}
    assert all("not a regular file" in why for why in skipped.values())

    def read_fifo() -> None:
        with pytest.raises(SourceError, match="not a regular file"):
            read_document(corpus / "x.txt")

    assert _finishes(read_fifo)


def test_the_option_is_wired_from_the_cli_and_kept_for_updates(
    linked: Path, tmp_path: Path
) -> None:
    index_dir = str(tmp_path / "index")
    runner = CliRunner()
    plain = runner.invoke(cli, ["index", str(linked), "--index", index_dir])
    assert plain.exit_code == 0 and "warning: skipped" in plain.output
    assert "Secret" not in runner.invoke(cli, ["query", "secret", "--index", index_dir]).output
    followed = runner.invoke(cli, ["index", str(linked), "--index", index_dir, "--follow-links"])
    assert followed.exit_code == 0 and "2 new" in followed.output
    store = Store.open(tmp_path / "index")
    assert store.follow_links
    assert not check_freshness(store.documents, store.problems, store.roots, follow_links=True)
    store.close()
    for _ in range(2):  # a query's change check walks as the index was built: nothing removed
        result = runner.invoke(cli, ["query", "secret", "--index", index_dir])
        assert "Updated" not in result.output and "secret" in result.output.lower()
    again = runner.invoke(cli, ["index", "--index", index_dir])
    assert "0 removed" in again.output


def test_paths_are_shown_as_given_through_a_symbolic_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = write_corpus(tmp_path / "real", {"sub/a.txt": "Alpha.\n", "sub/empty.txt": " \n"})
    link = tmp_path / "link"
    os.symlink(corpus, link)
    report = build_index([link], tmp_path / "index")
    assert report.skipped == [(str(link / "sub" / "empty.txt"), "empty file")]
    store = Store.open(tmp_path / "index")
    assert [d.source for d in store.documents.values()] == [str(link / "sub" / "a.txt")]
    assert not check_freshness(store.documents, store.problems, store.roots)
    store.close()
    monkeypatch.chdir(tmp_path)
    relative = build_index([Path("link")], tmp_path / "index2")
    assert relative.skipped == [("link/sub/empty.txt", "empty file")]
    shown = CliRunner().invoke(cli, ["documents", "--json", "--index", "index2"])
    assert [d["source"] for d in json.loads(shown.stdout)] == ["link/sub/a.txt"]


def test_a_file_given_alone_is_shown_as_given(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"a.txt": "Alpha.\n", "b.txt": ""})
    report = build_index([corpus / "b.txt", corpus / "a.txt"], tmp_path / "index")
    assert report.added == ["a"] and report.skipped == [(str(corpus / "b.txt"), "empty file")]
