"""The corpora: the seeds, the Ofsted reports, and the reports 10x under new ids.

Each is extracted once with our indexer's public stages (`indexer.pipeline.index_document`
over `indexer.sources.find_documents`, a process per core, as `search index` does): every
peer then gets the same passages. Ours is built from the files themselves (`build_index`),
as a user builds it; the 10x corpus is, for ours, a tree of symbolic links (one copy of the
reports per folder `x<k>/`) and, for the peers, the extracted passages under `x<k>/` ids.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
REPORTS = ROOT.parent / "shared" / "corpora" / "ofsted-ilacs"


@dataclass(frozen=True)
class Passage:
    """One passage as every peer indexes it."""

    citation: str
    year: int | None  # the document's inspection year (the filter of the queries)
    text: str


@dataclass
class Corpus:
    """Where a corpus's files are, and its passages as extracted once (a pickle stream)."""

    name: str
    root: str  # the files, as ours indexes them
    passages_file: str
    documents: int = 0
    passages: int = 0
    extract_s: float = 0.0
    extract_cpu_s: float = 0.0  # the workers' CPU seconds (less moved by load than wall time)
    workers: int = 1
    copies: int = 1  # the 10x corpus: the reports this many times
    follow_links: bool = False  # the 10x tree is made of links to the reports
    skipped: list[str] = field(default_factory=list)


def _extract_one(job: tuple[Any, Any]) -> tuple[str, list[Passage] | None, str | None]:
    from indexer.pipeline import index_document
    from indexer.sources import SourceError

    source, facts = job
    try:
        document, rows, _ = index_document(source, facts)
    except SourceError as error:
        return source.display, None, str(error)
    year = document.inspection_year
    return source.display, [Passage(r.citation, year, r.text) for r in rows], None


def extract(name: str, root: Path, work: Path, workers: int | None = None) -> Corpus:
    """Read, clean, chunk, describe and analyse every document under `root`, a process per
    core (`workers` 1: in this process), into WORK/passages.pkl (a list of passages a
    document)."""
    from indexer.metadata import load_facts
    from indexer.sources import find_documents

    work.mkdir(parents=True, exist_ok=True)
    workers = workers or os.cpu_count() or 1
    corpus = Corpus(name, str(root), str(work / "passages.pkl"), workers=workers)
    start, cpu_start = time.perf_counter(), _cpu()
    facts = load_facts(root if root.is_dir() else root.parent)
    jobs = [(source, facts) for source in find_documents(root)]
    with contextlib.ExitStack() as stack, open(corpus.passages_file, "wb") as out:
        if workers == 1:
            done: Iterator[Any] = map(_extract_one, jobs)
        else:
            pool = stack.enter_context(multiprocessing.get_context("fork").Pool(workers))
            done = pool.imap(_extract_one, jobs, chunksize=1)
        for shown, passages, problem in done:
            if passages is None:
                corpus.skipped.append(f"{shown}: {problem}")
                continue
            pickle.dump(passages, out, protocol=pickle.HIGHEST_PROTOCOL)
            corpus.documents += 1
            corpus.passages += len(passages)
    corpus.extract_s, corpus.extract_cpu_s = time.perf_counter() - start, _cpu() - cpu_start
    return corpus


def _cpu() -> float:
    """CPU seconds of this process and of its children waited for."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def multiplied(base: Corpus, copies: int, work: Path) -> Corpus:
    """The base corpus `copies` times: for ours a tree of links (`x<k>/...` to each file),
    for the peers the same passages under `x<k>/` citations (read by `passages`)."""
    tree = work / "files"
    source = Path(base.root)
    for k in range(copies):
        for folder, _, files in os.walk(source):
            target = tree / f"x{k}" / Path(folder).relative_to(source)
            target.mkdir(parents=True, exist_ok=True)
            for name in files:
                link = target / name
                if not link.is_symlink():
                    link.symlink_to(Path(folder) / name)
    return Corpus(
        f"{copies}x",
        str(tree),
        base.passages_file,
        documents=base.documents * copies,
        passages=base.passages * copies,
        workers=base.workers,
        copies=copies,
        follow_links=True,
    )


def documents(corpus: Corpus) -> Iterator[list[Passage]]:
    """The corpus's passages, one list a document (each copy under its own citations)."""
    for k in range(corpus.copies):
        with open(corpus.passages_file, "rb") as handle:
            while True:
                try:
                    passages: list[Passage] = pickle.load(handle)
                except EOFError:
                    break
                if corpus.copies > 1:
                    passages = [Passage(f"x{k}/{p.citation}", p.year, p.text) for p in passages]
                yield passages


def passages(corpus: Corpus) -> Iterator[Passage]:
    for document in documents(corpus):
        yield from document
