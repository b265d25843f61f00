"""The engines compared, one module each, behind one small interface (`Peer`).

A peer builds its index from a corpus into a folder, opens it, answers a query with the
citations of its top `k` passages, and says how a user would run one query from nothing (a
whole process: `cold_command`). `unavailable()` says why it cannot run here (a library or
tool not installed), or None.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.corpora import Corpus
    from bench.queries import BenchQuery

NAMES = ("ours", "fts5", "tantivy", "bm25s", "ripgrep")
K = 10


@dataclass(frozen=True)
class BuildResult:
    """What a build did: how many passages, and the seconds of the engine's own work."""

    passages: int
    seconds: float


class Peer(ABC):
    """One engine of the benchmark."""

    name: str
    description: str

    @classmethod
    def unavailable(cls) -> str | None:
        """Why this engine cannot run here, or None."""
        return None

    @abstractmethod
    def build(self, corpus: Corpus, folder: Path) -> BuildResult:
        """Index the corpus into `folder` (empty or absent)."""

    @abstractmethod
    def open(self, folder: Path) -> None:
        """Open the index built in `folder` for `search`."""

    @abstractmethod
    def search(self, query: BenchQuery, k: int = K) -> list[str]:
        """The citations of the top `k` passages (unranked engines: the first `k` found)."""

    def close(self) -> None:  # noqa: B027 (optional: most peers hold nothing to close)
        """Let go of the open index."""

    def supports(self, query: BenchQuery) -> bool:
        """Whether this engine can run the query as meant (phrases, filters)."""
        return True

    def cold_command(self, folder: Path, query: BenchQuery) -> list[str] | None:
        """The command a user would run for this one query, from nothing (None: none)."""
        return None


def peer(name: str) -> Peer:
    """A new instance of the named engine (its module imports its library only when used)."""
    module = importlib.import_module(f"bench.peers.{name}")
    cls: type[Peer] = module.PEER
    return cls()


def peer_class(name: str) -> type[Peer]:
    return importlib.import_module(f"bench.peers.{name}").PEER  # type: ignore[no-any-return]
