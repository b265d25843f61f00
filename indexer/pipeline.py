"""The indexing pipeline, wired in one function: `build_index`."""

from __future__ import annotations

import contextlib
import ctypes
import faulthandler
import fcntl
import multiprocessing
import os
import resource
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from indexer.analysis import analyse_passage
from indexer.bm25 import Parameters
from indexer.chunk import chunk_paragraphs
from indexer.clean import clean_lines
from indexer.freshness import same_content
from indexer.identity import distinct_key
from indexer.metadata import Fact, extract_metadata, load_facts
from indexer.records import Document, PassageRow, Tokens
from indexer.roles import role_of
from indexer.sources import (
    HTML_SUFFIXES,
    SourceError,
    SourceFile,
    find_documents,
    read_document,
    sha256,
    shown_path,
)
from indexer.writer import StoreWriter

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
    # an HTML page marks its headings (h1-h6): a short line is not one by its shape alone
    marked = source.path.suffix.lower() in HTML_SUFFIXES
    chunked = chunk_paragraphs(cleaned.kept, headings_marked=marked)
    if not chunked.chunks:
        raise SourceError("no passages: the file has no paragraphs of text")
    meta = extract_metadata(
        source.doc_id,
        content.text,
        cleaned,
        chunked,
        facts,
        pages=content.raw_pages,
        page=content.page,
        file_name=source.name,
        folder=shown_path(source.path.parent.name),
    )
    page_of = content.page_of_line
    stems: dict[str, str] = {}

    @cache
    def tokens_of(text: str) -> tuple[Tokens, tuple[str, ...]]:
        """Analysed here, in the worker, so that the writer never analyses again: the indexed
        words, and every word in order (stopwords too) for phrases."""
        analysed = analyse_passage(text)
        stems.update(analysed.stems)
        return analysed.tokens, analysed.words

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
            role=role_of(chunk.text, chunk.section),
            tokens=tokens,
            section_tokens=tokens_of(chunk.section)[0] if chunk.section else (),
            words=words,
        )
        for n, (chunk, (tokens, words)) in enumerate(
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
        path=source.location,
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
    index = 0
    while index < len(jobs):
        with _worker_pool(max(1, workers), lock_fd) as (executor, _):
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
                # A worker died. Which of the jobs in flight killed it is unknown: those that
                # had finished keep their result; each of the others is tried again alone.
                pending = {index: submitted.pop(index, None), **submitted}
                for position in sorted(pending):
                    future = pending[position]
                    if future is not None and future.done() and future.exception() is None:
                        yield future.result()
                    else:
                        yield _alone(jobs[position], lock_fd)
                index = max(pending) + 1


@contextlib.contextmanager
def _worker_pool(size: int, lock_fd: int | None) -> Iterator[tuple[ProcessPoolExecutor, int]]:
    """A pool of workers that never outlive it, and the file their stderr goes to (so that
    a crash dump never reaches the terminal, and can become the file's reason). Left by an
    exception (a signal's, or the writer's), the workers are killed there and then; should
    this process die instead, the kernel kills them (see _worker_start)."""
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    before = set(multiprocessing.active_children())
    # the log is unnamed: nothing is left behind, whatever happens
    with _broken_pipes_raise(), tempfile.TemporaryFile() as log:
        log_fd = log.fileno()
        fcntl.fcntl(log_fd, fcntl.F_SETFL, fcntl.fcntl(log_fd, fcntl.F_GETFL) | os.O_APPEND)
        shared = log_fd if context.get_start_method() == "fork" else None
        executor = ProcessPoolExecutor(
            size, mp_context=context, initializer=_worker_start,
            initargs=(lock_fd, os.getpid(), shared),
        )  # fmt: skip
        try:
            yield executor, log_fd
        except BaseException:
            executor.shutdown(wait=False, cancel_futures=True)
            ours = set(multiprocessing.active_children()) - before
            for child in ours:
                child.kill()
            for child in ours:
                child.join(timeout=10)
            raise
        executor.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def _broken_pipes_raise() -> Iterator[None]:
    """The pool's pipes to a worker that died break, and the pool expects an error (EPIPE)
    then, not the SIGPIPE that the command line sets to end it quietly (`| head`)."""
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGPIPE, signal.SIG_IGN) if main else None
    yield
    # Left by an exception, the pool's feeder threads may still write to the workers just
    # killed: SIGPIPE stays ignored (it ended the process before its one-line error), and a
    # reader of our own output that goes away is a BrokenPipeError, quiet all the same.
    if previous is not None:
        signal.signal(signal.SIGPIPE, previous)


def _alone(job: _Job, lock_fd: int | None) -> _Outcome:
    with _worker_pool(1, lock_fd) as (executor, log_fd):
        try:
            return executor.submit(_run_job, job).result()
        except BrokenProcessPool:
            limits = f"{WORKER_MEMORY // 2**30} GB of memory, {WORKER_SECONDS} s"
            reason = f"reading it crashed or went over the limits ({limits})"
            crash = _first_crash_line(log_fd)
            reason += f": {crash}" if crash else ""
            return _Outcome(job, error=SourceError(reason, failed=True))


def _first_crash_line(log_fd: int) -> str:
    """The line of a dead worker's stderr that says what happened ("Fatal Python error:
    Aborted", or the last line of a traceback), shortened to fit the one-line reason."""
    size = os.fstat(log_fd).st_size
    text = os.pread(log_fd, 16384, max(0, size - 16384)).decode("utf-8", "replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith("Fatal Python error")]
    line = (fatal or lines[-1:] or [""])[0]
    return line if len(line) <= 120 else line[:117] + "..."


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _worker_start(lock_fd: int | None, parent: int, log_fd: int | None) -> None:
    """A forked worker shares the writer's lock: it lets go of its copy, so that the lock
    dies with the writer and not with the last worker. It dies with its parent, leaves
    signals to it, sends its stderr to the pool's log, and takes on its limits."""
    global _IN_WORKER
    _IN_WORKER = True
    _die_with(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler, if it has one
    if lock_fd is not None:
        with contextlib.suppress(OSError):
            os.close(lock_fd)
    if log_fd is not None:
        os.dup2(log_fd, 2)
        os.close(log_fd)
        faulthandler.enable(file=2)  # its crash dump goes to the log too, not to a terminal
    with contextlib.suppress(ValueError, OSError):
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        ceiling = WORKER_MEMORY if hard == resource.RLIM_INFINITY else min(WORKER_MEMORY, hard)
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))


def _die_with(parent: int) -> None:
    """Linux kills this process when its parent dies (even by kill -9): PR_SET_PDEATHSIG.
    Elsewhere a thread watches for the parent to go. Either way, a parent already gone
    before we asked is checked for at once."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        asked = libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):  # not Linux
        asked = False
    if os.getppid() != parent:
        os._exit(1)
    if not asked:

        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(1)
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()


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
    follow_links: bool | None = None,
) -> IndexReport:
    """Index the documents under `paths` into `index_dir`, adding, updating and removing.

    1. sources: find every .txt/.md/.html/.pdf file under each path;
    2. skip each file whose content (SHA-256) is unchanged since the last run;
    3. read the text of the others (a file that cannot be read is reported and passed over);
    4. clean: drop page chrome and boilerplate lines;
    5. chunk into passages by paragraph, with paragraph labels and sections;
    6. metadata: title, publisher, dates, inspection year (text first, then facts.toml);
    7. analyse each passage (tokens, folding, stopwords, stems) for exact BM25 lengths,
       and recognise its role (indexer.roles: finding, recommendation, judgement...);
    8. write: whoosh postings and stored passages, then the documents manifest;
    9. remove documents whose files have gone from under the given paths.
    Steps 3-7 run in a pool of `workers` processes (default: every core). Documents indexed
    from other paths are left as they are. The work goes into a new generation of the index,
    published only when complete (indexer.generations): readers see the old index or the new,
    and a run killed half way leaves the old one whole. `rebuild` starts from nothing; `wait`
    waits for another process writing the index instead of raising IndexBusy.
    `follow_links` follows symbolic links that lead outside the folders (None: as the index
    was built). Each file's key is its own for good (indexer.identity).
    `on_problem(path, reason, failed)` hears of each file skipped or failed as it happens.
    """
    roots = [Path(p) for p in paths]
    for root in roots:
        if not root.exists():
            raise CorpusNotFound(f"{shown_path(str(root))}: no such file or folder")
        if shown_path(str(root.resolve())) != str(root.resolve()):
            # The folders are recorded by name for later updates: a name must be UTF-8. (A
            # file or folder below them may have any name: it is stored escaped.)
            raise CorpusNotFound(
                f"{shown_path(str(root.resolve()))}: a folder name that is not UTF-8 cannot "
                "be indexed; rename it"
            )
    workers = workers or os.cpu_count() or 1
    show = sys.stderr.isatty() if progress is None else progress
    report = IndexReport()
    writer = StoreWriter(index_dir, wait=wait, fresh=rebuild)
    try:
        if follow_links is not None:
            writer.set_follow_links(follow_links)
        jobs, seen = _plan(roots, writer, report, on_problem)
        report_problems = _write_outcomes(jobs, workers, writer, report, on_problem, show)
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


def save_parameters(index_dir: Path, parameters: Parameters, *, wait: bool = False) -> None:
    """Keep BM25's k1 and b in the index (a new generation: the documents are as they were)."""
    writer = StoreWriter(index_dir, wait=wait)
    try:
        writer.set_parameters(parameters)
        writer.commit(writer.roots)
    except BaseException:
        writer.cancel()
        raise


def _write_outcomes(
    jobs: list[_Job],
    workers: int,
    writer: StoreWriter,
    report: IndexReport,
    on_problem: Callable[[str, str, bool], None] | None,
    show: bool,
) -> dict[str, dict[str, object]]:
    """Read the jobs' files (in the pool) and write each document as it comes; returns the
    files that could not be indexed. The pool is closed here, whatever happens: left to the
    garbage collector, a writer's error (a full disk) kept its workers, and so the process,
    alive after the error was reported."""
    problems: dict[str, dict[str, object]] = {}
    bar = _progress(len(jobs), show)
    with contextlib.closing(_outcomes(jobs, workers, writer.lock_fd)) as outcomes:
        for outcome in outcomes:
            bar.update(1)  # type: ignore[attr-defined]
            source = outcome.job.source
            if outcome.error is not None:
                # A document indexed before keeps its last good version (it is in `seen`).
                _problem(report, on_problem, source.display, outcome.error)
                problems[source.location] = {
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
    return problems


def _plan(
    roots: list[Path],
    writer: StoreWriter,
    report: IndexReport,
    on_problem: Callable[[str, str, bool], None] | None,
) -> tuple[list[_Job], set[str]]:
    """Which files need reading (new ones and those whose content changed), each with its
    key: the one the index gave its path, or a new one no file has had (indexer.identity).
    Returns the jobs and the keys of every document file found."""
    jobs: list[_Job] = []
    seen: set[str] = set()
    taken = {given.key: path for path, given in writer.keys.items()}
    paths = set()  # a file reached twice (folders given inside each other) counts once

    def skipped(path: str, reason: str) -> None:
        _problem(report, on_problem, path, SourceError(reason))

    for root in roots:
        folder = root.resolve() if root.is_dir() else root.resolve().parent
        facts = load_facts(folder)
        found = find_documents(root, follow_links=writer.follow_links, on_skip=skipped)
        for source in found:
            if source.location in paths:
                continue
            paths.add(source.location)
            key = _key_for(source, str(folder), writer, taken)
            source = source._replace(key=key)
            seen.add(key)
            known = writer.documents.get(key)
            if known is not None and known.path == source.location and same_content(source, known):
                report.unchanged.append(key)
                writer.restat(key, source.size, source.mtime_ns)
                continue
            jobs.append(_Job(source, facts, known is not None))
    return jobs, seen


def _key_for(source: SourceFile, folder: str, writer: StoreWriter, taken: dict[str, str]) -> str:
    """The key given to this file before, else a key no file has had, else the key of a
    removed file with exactly this file's text (the same document, moved or renamed)."""
    given = writer.keys.get(source.location)
    if given is not None:
        return given.key
    natural = source.doc_id
    holder = taken.get(natural)
    if holder is not None and holder not in writer.keys:
        holder = None  # given earlier in this run
    if holder is not None and _retired(holder) and _same_text(source, holder, writer):
        key = natural
    else:
        key = distinct_key(natural, source.location, folder, taken)
    taken[key] = source.location
    return key


def _retired(holder: str) -> bool:
    """The file that had a key is no longer there (its document, if still indexed, is of a
    file that has gone: a file with its text takes its key and its place)."""
    return not os.path.lexists(holder)


def _same_text(source: SourceFile, holder: str, writer: StoreWriter) -> bool:
    try:
        with open(source.file, "rb") as handle:  # a regular file: the walk checked
            return sha256(handle.read()) == writer.keys[holder].sha256
    except OSError:
        return False


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
                analysed = analyse_passage(text)
                writer.add_stems(analysed.stems)
                tokens = analysed.tokens
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
                        role=role_of(text),
                        tokens=tokens,
                        words=analysed.words,
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
