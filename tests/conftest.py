"""Shared fixtures: indexes built through the library in temporary folders."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from indexer.pipeline import build_index
from indexer.store import Store
from search.engine import Engine

# In CI the property tests replay the same examples every run (a red CI blocks a landing);
# on a developer's machine they explore new ones each time.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The five seeds, indexed once for the session (tests must not write to it)."""
    corpus = tmp_path_factory.mktemp("corpus") / "seeds"
    shutil.copytree(SEEDS, corpus)
    index_dir = tmp_path_factory.mktemp("index")
    build_index([corpus], index_dir)
    return index_dir


@pytest.fixture(scope="session")
def engine(seed_index: Path) -> Engine:
    return Engine.open(seed_index)


def write_corpus(folder: Path, documents: dict[str, str]) -> Path:
    """Write small documents (name -> text) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in documents.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    """Three one-paragraph documents whose BM25 scores are easy to work out by hand."""
    return write_corpus(
        tmp_path / "tiny",
        {
            "a.txt": "Foster carers support children.\n",
            "b.txt": "Children in care see social workers; children thrive.\n",
            "c.txt": "Leaders inspect practice.\n",
        },
    )


# The shared Ofsted corpus (beside the checkout, as in CI). Tests marked `corpus` use it.
OFSTED = ROOT.parent / "shared" / "corpora" / "ofsted-ilacs"


def whoosh_reader(store: Store) -> Any:
    """whoosh's own reader of a store's generation, opened through whoosh's public API: the
    independent truth that tests check our arrays against."""
    from whoosh import index

    from indexer.generations import INDEX_NAME

    return index.open_dir(str(store.generation), indexname=INDEX_NAME).reader()
