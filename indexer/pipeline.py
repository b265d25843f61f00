"""The indexing pipeline, wired in one function: `build_index`."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import resource
import signal
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from indexer.analysis import analyse, sequence_of
from indexer.chunk import chunk_paragraphs
from indexer.clean import clean_lines
from indexer.freshness import same_content
from indexer.metadata import Fact, extract_metadata, load_facts
from indexer.records import Document
from indexer.sources import SourceError, SourceFile, find_documents, read_document
from indexer.store import PassageRow, StoreWriter, Tokens

Facts = dict[str, dict[str, Fact]]
# Below this many files to read, a process pool costs more than it saves.
POOL_THRESHOLD = 8


class CorpusNotFound(FileNotFoundError):
    """A path given to index does not exist."""


@dataclass
class IndexReport:
    """What one run of `build_index` did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # not documents: (path, reason)
    failed: list[tuple[str, str]] = field(default_factory=list)  # documents we could not read
    documents: int = 0  # in the index after the run
    passages: int = 0

    @property
    def indexed(self) -> int:
        return len(self.added) + len(self.updated)


@dataclass(frozen=True)
class _Job:
    source: SourceFile
    facts: Facts
    known: bool  # the document was in the index before (so this is an update)


@dataclass(frozen=True)
class _Outcome:
    job: _Job
    document: Document | None = None
    rows: tuple[PassageRow, ...] = ()
    error: SourceError | None = None
    stems: dict[str, str] = field(default_factory=dict)  # each word of the document's stem


def index_document(
    source: SourceFile, facts: Facts
) -> tuple[Document, list[PassageRow], dict[str, str]]:
    """One file through the stages: read -> clean -> chunk -> metadata -> analyse."""
    content = read_document(source.path)
    cleaned = clean_lines(content.text)
    chunked = chunk_paragraphs(cleaned.kept)
    if not chunked.chunks:
        raise SourceError("no passages: the file has no paragraphs of text")
    meta = extract_metadata(
        source.doc_id,
        content.text,
        cleaned,
        chunked,
        facts,
        pages=content.raw_pages,
        file_name=source.path.name,
        folder=source.path.parent.name,
    )
    page_of = content.page_of_line
    stems: dict[str, str] = {}

    @cache
    def tokens_of(text: str) -> tuple[Tokens, bytes]:
        """Analysed here, in the worker, so that the writer never analyses again: the indexed
        words, and the fingerprints of every word in order (stopwords too) for phrases."""
        every = analyse(text, keep_stopwords=True)
        tokens = [t for t in every if not t.stop]
        stems.update((t.surface, t.text) for t in tokens)
        return tuple((t.text, t.position, t.start, t.end) for t in tokens), sequence_of(every)

    analysed = [tokens_of(chunk.text) for chunk in chunked.chunks]
    rows = [
        PassageRow(
            citation=f"{source.doc_id}#{n}",
            doc_id=source.doc_id,
            n=n,
            paragraph=chunk.paragraph,
            section=chunk.section,
            text=chunk.text,
            line_start=chunk.line_start,
            line_end=chunk.line_end,
            length=len(tokens),
            page_start=page_of(chunk.line_start),
            page_end=page_of(chunk.line_end),
            tokens=tokens,
            section_tokens=tokens_of(chunk.section)[0] if chunk.section else (),
            sequence=sequence,
        )
        for n, (chunk, (tokens, sequence)) in enumerate(
            zip(chunked.chunks, analysed, strict=True), start=1
        )
    ]
    document = Document(
        doc_id=source.doc_id,
        source=source.display,
        title=meta.title,
        publisher=meta.publisher,
        date=meta.date,
        inspection_year=meta.inspection_year,
        inspection_start=meta.inspection_start,
        inspection_end=meta.inspection_end,
        local_authority=meta.local_authority,
        framework=meta.framework,
        judgements=meta.judgements,
        overall_effectiveness=meta.overall_effectiveness,
        passages=len(rows),
        tokens=sum(r.length for r in rows),
        sha256=content.sha256,
        path=str(source.path),
        size=source.size,
        mtime_ns=source.mtime_ns,
        provenance=meta.provenance,
        kind=meta.kind,
    )
    return document, rows, stems


def _run_job(job: _Job) -> _Outcome:
    """The worker: never raises, so one bad file cannot stop the run. In a pool worker, an
    alarm ends the process (SIGALRM's default) if one document takes too long."""
    if _IN_WORKER:
        signal.alarm(WORKER_SECONDS)
    try:
        document, rows, stems = index_document(job.source, job.facts)
        return _Outcome(job, document, tuple(rows), stems=stems)
    except MemoryError:
        return _Outcome(job, error=SourceError("reading it needed too much memory", failed=True))
    except SourceError as error:
        return _Outcome(job, error=error)
    except OSError as error:
        return _Outcome(job, error=SourceError(f"cannot read: {error}", failed=True))
    except Exception as error:  # a library failing on one odd file must not stop the others
        reason = f"unexpected error: {type(error).__name__}: {error}"
        return _Outcome(job, error=SourceError(reason, failed=True))
    finally:
        if _IN_WORKER:
            signal.alarm(0)


# Bounds on one document's reading, in a worker: a PDF that inflates to gigabytes (a "zip
# bomb") or never finishes kills only its worker, and fails only itself.
WORKER_MEMORY = 2 * 2**30  # bytes of address space
WORKER_SECONDS = 120  # wall-clock seconds per document
_IN_WORKER = False


def _outcomes(jobs: list[_Job], workers: int, lock_fd: int | None) -> Iterator[_Outcome]:
    """Run the jobs, in job order. PDFs, and any batch large enough to be worth it, go to a
    pool of worker processes under WORKER_MEMORY and WORKER_SECONDS."""
    pdfs = any(j.source.path.suffix.lower() == ".pdf" for j in jobs)
    if not pdfs and (workers <= 1 or len(jobs) < POOL_THRESHOLD):
        yield from map(_run_job, jobs)
        return
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")

    def pool(size: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            size, mp_context=context, initializer=_worker_start, initargs=(lock_fd,)
        )

    index = 0
    while index < len(jobs):
        executor = pool(max(1, workers))
        submitted: dict[int, Future[_Outcome]] = {}
        try:
            while index < len(jobs):
                ahead = index + len(submitted)
                while ahead < len(jobs) and len(submitted) < workers * 3:
                    submitted[ahead] = executor.submit(_run_job, jobs[ahead])
                    ahead += 1
                outcome = submitted.pop(index).result()
                yield outcome
                index += 1
        except BrokenProcessPool:
            # A worker died. Which of the jobs in flight killed it is unknown: those that had
            # finished keep their result; each of the others is tried again on its own.
            executor.shutdown(wait=False, cancel_futures=True)
            pending = {index: submitted.pop(index, None), **submitted}
            for position in sorted(pending):
                future = pending[position]
                if future is not None and future.done() and future.exception() is None:
                    yield future.result()
                else:
                    yield _alone(jobs[position], pool)
            index = max(pending) + 1
        else:
            executor.shutdown()


def _alone(job: _Job, pool: Callable[[int], ProcessPoolExecutor]) -> _Outcome:
    executor = pool(1)
    try:
        return executor.submit(_run_job, job).result()
    except BrokenProcessPool:
        limits = f"{WORKER_MEMORY // 2**30} GB of memory, {WORKER_SECONDS} s"
        reason = f"reading it crashed or went over the limits ({limits})"
        return _Outcome(job, error=SourceError(reason, failed=True))
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


def _worker_start(lock_fd: int | None) -> None:
    """A forked worker shares the writer's lock: it lets go of its copy, so that the lock
    dies with the writer and not with the last worker. Then it takes on its limits."""
    global _IN_WORKER
    _IN_WORKER = True
    if lock_fd is not None:
        with contextlib.suppress(OSError):
            os.close(lock_fd)
    with contextlib.suppress(ValueError, OSError):
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        ceiling = WORKER_MEMORY if hard == resource.RLIM_INFINITY else min(WORKER_MEMORY, hard)
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))


def _progress(total: int, show: bool) -> object:
    from tqdm import tqdm

    return tqdm(total=total, unit="doc", disable=not show, dynamic_ncols=True, leave=False)


def build_index(
    paths: Sequence[Path],
    index_dir: Path,
    *,
    on_problem: Callable[[str, str, bool], None] | None = None,
    workers: int | None = None,
    progress: bool | None = None,
    rebuild: bool = False,
    wait: bool = False,
) -> IndexReport:
    """Index the documents under `paths` into `index_dir`, adding, updating and removing.

    1. sources: find every .txt/.md/.html/.pdf file under each path;
    2. skip each file whose content (SHA-256) is unchanged since the last run;
    3. read the text of the others (a file that cannot be read is reported and passed over);
    4. clean: drop page chrome and boilerplate lines;
    5. chunk into passages by paragraph, with paragraph labels and sections;
    6. metadata: title, publisher, dates, inspection year (text first, then facts.toml);
    7. analyse each passage (tokens, folding, stopwords, stems) for exact BM25 lengths;
    8. write: whoosh postings and stored passages, then the documents manifest;
    9. remove documents whose files have gone from under the given paths.
    Steps 3-7 run in a pool of `workers` processes (default: every core). Documents indexed
    from other paths are left as they are. The work goes into a new generation of the index,
    published only when complete (indexer.generations): readers see the old index or the new,
    and a run killed half way leaves the old one whole. `rebuild` starts from nothing; `wait`
    waits for another process writing the index instead of raising IndexBusy.
    `on_problem(path, reason, failed)` hears of each file skipped or failed as it happens.
    """
    roots = [Path(p) for p in paths]
    for root in roots:
        if not root.exists():
            raise CorpusNotFound(f"{root}: no such file or folder")
    workers = workers or os.cpu_count() or 1
    show = sys.stderr.isatty() if progress is None else progress
    report = IndexReport()
    writer = StoreWriter(index_dir, wait=wait, fresh=rebuild)
    try:
        jobs, seen = _plan(roots, writer.documents, report, on_problem)
        report_problems: dict[str, dict[str, object]] = {}
        bar = _progress(len(jobs), show)
        for outcome in _outcomes(jobs, workers, writer.lock_fd):
            bar.update(1)  # type: ignore[attr-defined]
            source = outcome.job.source
            if outcome.error is not None:
                # A document indexed before keeps its last good version (it is in `seen`).
                _problem(report, on_problem, source.display, outcome.error)
                report_problems[str(source.path)] = {
                    "size": source.size,
                    "mtime_ns": source.mtime_ns,
                    "reason": str(outcome.error),
                    "failed": outcome.error.failed,
                }
                continue
            assert outcome.document is not None
            writer.add_document(outcome.document, outcome.rows)
            writer.add_stems(outcome.stems)
            (report.updated if outcome.job.known else report.added).append(source.doc_id)
        bar.close()  # type: ignore[attr-defined]
        resolved = [r.resolve() for r in roots]
        for doc_id, document in list(writer.documents.items()):
            if _under(Path(document.path), resolved) and doc_id not in seen:
                writer.delete_document(doc_id)
                report.removed.append(doc_id)
        problems = {p: v for p, v in writer.problems.items() if not _under(Path(p), resolved)}
        problems.update(report_problems)
        writer.set_problems(problems)
        writer.commit([str(r) for r in resolved])
    except BaseException:
        writer.cancel()
        raise
    report.documents = len(writer.documents)
    report.passages = sum(d.passages for d in writer.documents.values())
    return report


def _plan(
    roots: list[Path],
    indexed: dict[str, Document],
    report: IndexReport,
    on_problem: Callable[[str, str, bool], None] | None,
) -> tuple[list[_Job], dict[str, str]]:
    """Which files need reading: new ones and those whose content changed."""
    jobs: list[_Job] = []
    seen: dict[str, str] = {}
    for root in roots:
        folder = root.resolve() if root.is_dir() else root.resolve().parent
        facts = load_facts(folder)
        for source in find_documents(root):
            if source.doc_id in seen:
                reason = f"same document id '{source.doc_id}' as {seen[source.doc_id]}"
                _problem(report, on_problem, source.display, SourceError(reason, failed=True))
                continue
            seen[source.doc_id] = source.display
            known = indexed.get(source.doc_id)
            if known is not None and known.path == str(source.path) and same_content(source, known):
                report.unchanged.append(source.doc_id)
                continue
            jobs.append(_Job(source, facts, known is not None))
    return jobs, seen


def _under(path: Path, roots: list[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def _problem(
    report: IndexReport,
    on_problem: Callable[[str, str, bool], None] | None,
    path: str,
    error: SourceError,
) -> None:
    (report.failed if error.failed else report.skipped).append((path, str(error)))
    if on_problem is not None:
        on_problem(path, str(error), error.failed)


@dataclass(frozen=True)
class Record:
    """A document given as text rather than a file (a test collection's corpus)."""

    doc_id: str
    title: str
    text: str


def index_records(
    records: Iterable[Record], index_dir: Path, *, source: str, progress: bool | None = None
) -> int:
    """Index documents given as text: title and text as one passage per document, unless the
    text has paragraphs (blank lines), when each paragraph is a passage and the title leads
    the first. The same analysis and writer as files. Returns the number of documents."""
    writer = StoreWriter(index_dir)
    show = sys.stderr.isatty() if progress is None else progress
    count = 0
    try:
        bar = _progress(0, show)
        for record in records:
            paragraphs = [p.strip() for p in record.text.split("\n\n") if p.strip()] or [""]
            paragraphs[0] = f"{record.title}\n{paragraphs[0]}".strip()
            rows = []
            for n, text in enumerate(paragraphs, start=1):
                every = analyse(text, keep_stopwords=True)
                analysed = [t for t in every if not t.stop]
                writer.add_stems({t.surface: t.text for t in analysed})
                tokens = tuple((t.text, t.position, t.start, t.end) for t in analysed)
                rows.append(
                    PassageRow(
                        f"{record.doc_id}#{n}",
                        record.doc_id,
                        n,
                        None,
                        None,
                        text,
                        n,
                        n,
                        len(tokens),
                        tokens=tokens,
                        sequence=sequence_of(every),
                    )
                )
            writer.add_document(_record_document(record, rows, source), rows)
            count += 1
            bar.update(1)  # type: ignore[attr-defined]
        bar.close()  # type: ignore[attr-defined]
        writer.commit([])
    except BaseException:
        writer.cancel()
        raise
    return count


def _record_document(record: Record, rows: list[PassageRow], source: str) -> Document:
    return Document(
        doc_id=record.doc_id,
        source=source,
        title=record.title or None,
        publisher=None,
        date=None,
        inspection_year=None,
        inspection_start=None,
        inspection_end=None,
        local_authority=None,
        framework=None,
        judgements=(),
        overall_effectiveness=None,
        passages=len(rows),
        tokens=sum(r.length for r in rows),
        sha256="",
        path="",
        size=0,
        mtime_ns=0,
    )
