"""Evaluate ranking: on IR test collections (BEIR layout), and on a person's own judged
queries over their own corpus.

A BEIR collection is a folder with `corpus.jsonl` ({"_id", "title", "text"}), `queries.jsonl`
({"_id", "text"}) and `qrels.tsv` (a header, then query-id, corpus-id, graded relevance). Its
corpus is indexed with the same analysis as everything else, each judged query is run as a
bag of words, and the metrics are computed as trec_eval does (search.metrics).

The judged-queries file is tab-separated UTF-8, one judgement a line:

    # comment lines and blank lines are ignored
    query<TAB>citation key<TAB>grade

`grade` is a whole number: 3 = the passage to quote, 2 = clearly relevant, 1 = marginal;
passages not listed count as 0. A query may use the whole query language (`"phrase"`,
`year:2022`, ...). Every line of one query repeats its text exactly.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from indexer.bm25 import K1, B
from indexer.display import shown
from search.engine import PLAIN, CitationNotFound, Engine, QueryError
from search.metrics import Scores, evaluate, ndcg_at
from search.rerank import Refinements
from search.tuning import FOLDS, TuneReport, choose, score_grid

DEPTH = 1000  # documents retrieved per query (trec_eval's and BEIR's usual depth)
EXAMPLES = 5  # unknown judged documents named in a report


class JudgementsError(ValueError):
    """A judged-queries file or test collection that cannot be read."""


def load_judged_queries(path: Path) -> dict[str, dict[str, int]]:
    """query -> {citation: grade}, in the order the queries first appear."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise JudgementsError(f"{path}: cannot read: {error}") from None
    judged: dict[str, dict[str, int]] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise JudgementsError(f"{path}:{number}: expected query<TAB>citation<TAB>grade")
        query, citation, grade = (p.strip() for p in parts)
        if not grade.lstrip("-").isdigit():
            raise JudgementsError(f"{path}:{number}: grade '{grade}' is not a whole number")
        if "#" not in citation:
            raise JudgementsError(f"{path}:{number}: '{citation}' is not a citation key")
        judged.setdefault(query, {})[citation] = int(grade)
    if not judged:
        raise JudgementsError(f"{path}: no judgements")
    return judged


# --- test collections ------------------------------------------------------------------------


@dataclass(frozen=True)
class Collection:
    name: str
    folder: Path
    queries: dict[str, str]  # judged queries only
    qrels: dict[str, dict[str, int]]


def load_beir(folder: Path) -> Collection:
    """A BEIR-layout collection's judged queries and judgements (the corpus is streamed)."""
    missing = [
        n for n in ("corpus.jsonl", "queries.jsonl", "qrels.tsv") if not (folder / n).is_file()
    ]
    if missing:
        raise JudgementsError(
            f"{folder} is not a test collection: it lacks {', '.join(missing)} "
            "(expected BEIR layout: corpus.jsonl, queries.jsonl, qrels.tsv)"
        )
    qrels = _load_qrels(folder / "qrels.tsv")
    queries = {}
    for _, query in _json_objects(folder / "queries.jsonl", ("_id", "text")):
        query_id = str(query["_id"]).strip()
        if query_id in qrels:
            queries[query_id] = str(query["text"])
    missing_queries = sorted(set(qrels) - set(queries))
    if missing_queries:
        raise JudgementsError(
            f"{folder}: judged queries missing from queries.jsonl: {missing_queries[:5]}"
        )
    return Collection(folder.name, folder, queries, qrels)


def _load_qrels(path: Path) -> dict[str, dict[str, int]]:
    """query id -> {document id: grade}, from a BEIR qrels.tsv (its header line is skipped)."""
    qrels: dict[str, dict[str, int]] = {}
    for number, line in enumerate(_read_lines(path), start=1):
        parts = line.split("\t")
        if not line.strip() or (number == 1 and not parts[-1].strip().lstrip("-").isdigit()):
            continue  # a blank line, or the header
        if len(parts) < 3 or not parts[2].strip().lstrip("-").isdigit():
            raise JudgementsError(f"{path}:{number}: expected query, document, grade")
        qrels.setdefault(parts[0].strip(), {})[parts[1].strip()] = int(parts[2])
    if not qrels:
        raise JudgementsError(f"{path}: no judgements")
    return qrels


def _read_lines(path: Path) -> Iterator[str]:
    """The lines of a UTF-8 file, streamed; unreadable or not UTF-8 is a JudgementsError."""
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                yield line.rstrip("\r\n")
    except UnicodeDecodeError as error:
        raise JudgementsError(f"{path}: not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise JudgementsError(f"{path}: cannot read: {error.strerror or error}") from None


def _json_objects(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line of a JSON-lines file; any line that is
    not a JSON object with the `required` fields is a JudgementsError naming it."""
    for number, line in enumerate(_read_lines(path), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as error:
            raise JudgementsError(f"{path}:{number}: not JSON ({error})") from None
        if not isinstance(value, dict):
            raise JudgementsError(
                f"{path}:{number}: expected a JSON object, found {type(value).__name__}"
            )
        missing = [name for name in required if name not in value]
        if missing:
            raise JudgementsError(f"{path}:{number}: the object lacks {', '.join(missing)}")
        wrong = [n for n in ("_id", "title", "text") if not isinstance(value.get(n, ""), _TEXT)]
        if wrong:
            raise JudgementsError(f"{path}:{number}: {', '.join(wrong)} is not text")
        yield number, value


_TEXT = (str, int, type(None))  # BEIR ids are strings, some collections' are numbers


def corpus_records(folder: Path) -> Iterator[object]:
    from indexer.pipeline import Record

    path = folder / "corpus.jsonl"
    seen: set[str] = set()
    for number, doc in _json_objects(path, ("_id",)):
        doc_id = str(doc["_id"]).strip()
        if not doc_id or doc_id in seen:
            what = "an empty" if not doc_id else f"a repeated ('{doc_id[:40]}')"
            raise JudgementsError(f"{path}:{number}: {what} _id")
        seen.add(doc_id)
        yield Record(doc_id, str(doc.get("title") or ""), str(doc.get("text") or ""))


def trec_order(scores: Mapping[str, float]) -> list[str]:
    """Documents as trec_eval ranks them: by score, ties by document id descending."""
    return [doc for doc, _ in sorted(scores.items(), key=lambda x: (x[1], x[0]), reverse=True)]


@dataclass(frozen=True)
class EvalReport:
    """What `search eval` prints (`--json` is `asdict()` of it)."""

    collection: str
    documents: int
    queries: int
    k1: float
    b: float
    refinements: str  # "plain BM25" or which of heading boost, proximity, RM3
    ndcg_at_10: float
    recall_at_100: float
    mrr_at_10: float
    map: float
    index_seconds: float
    query_seconds: float
    # judged documents (or passage keys) the corpus (or index) does not hold: they count as
    # relevant and never retrieved, as trec_eval counts them, so they lower every metric
    not_in_index: int = 0
    not_in_index_examples: tuple[str, ...] = ()


def evaluate_collection(
    folder: Path,
    *,
    k1: float = K1,
    b: float = B,
    refine: Refinements = PLAIN,
    progress: bool | None = None,
    role_weights: bool = False,
) -> EvalReport:
    """Index a BEIR collection in a temporary folder, run its judged queries, score them:
    plain BM25 unless asked (the role weights were measured on inspection reports; on
    Cranfield they lose 0.0005 nDCG@10, below bm25s's reference)."""
    from indexer.pipeline import index_records

    collection = load_beir(folder)
    show = sys.stderr.isatty() if progress is None else progress
    with tempfile.TemporaryDirectory(prefix="search-eval-") as tmp:
        started = time.perf_counter()
        documents = index_records(
            corpus_records(folder), Path(tmp), source=str(folder), progress=show
        )
        indexed = time.perf_counter()
        if not documents:
            raise JudgementsError(f"{folder / 'corpus.jsonl'}: no documents")
        engine = Engine.open(Path(tmp))
        unknown = _unknown(collection.qrels, {d.doc_id for d in engine.documents()})
        try:
            runs = {}
            for query_id in _progress(collection.queries, show):
                text = collection.queries[query_id]
                ranked = engine.rank_documents(
                    text, depth=DEPTH, k1=k1, b=b, refine=refine, role_weights=role_weights
                )
                runs[query_id] = trec_order(dict(ranked))
        finally:
            engine.close()
        done = time.perf_counter()
    scores = evaluate(runs, collection.qrels)
    timing = (indexed - started, done - indexed)
    report = _report(collection.name, documents, scores, k1, b, refine, timing, unknown)
    return _with_roles(report, role_weights)


def evaluate_judged_file(
    engine: Engine,
    path: Path,
    *,
    k1: float | None = None,
    b: float | None = None,
    refine: Refinements = PLAIN,
    progress: bool | None = None,
    exact: bool = False,
    role_weights: bool = True,
) -> EvalReport:
    """A person's judged queries (see the module docstring) over the index they search, as
    `search query` runs them (`exact`: without the acronym expansion); k1 and b are the
    index's own (search eval --tune) unless given."""
    judged, unknown = _as_indexed(engine, load_judged_queries(path))
    show = sys.stderr.isatty() if progress is None else progress
    k1, b = (engine.parameters.k1 if k1 is None else k1), (engine.parameters.b if b is None else b)
    started = time.perf_counter()
    options = {"k1": k1, "b": b, "refine": refine, "exact": exact, "role_weights": role_weights}
    runs = _runs(engine, path, judged, show, **options)
    done = time.perf_counter()
    scores = evaluate(runs, judged)
    documents = len(engine.documents())
    timing = (0.0, done - started)
    report = _with_roles(
        _report(path.name, documents, scores, k1, b, refine, timing, unknown), role_weights
    )
    if exact or engine.ranker.ranking == "matcher":
        return report
    return replace(report, refinements=report.refinements + " + synonyms")


def _with_roles(report: EvalReport, role_weights: bool) -> EvalReport:
    if not role_weights:
        return report
    return replace(report, refinements=report.refinements + " + role weights")


def _runs(
    engine: Engine, path: Path, queries: Iterable[str], show: bool, **options: Any
) -> dict[str, list[str]]:
    """Each judged query's passages, best first, to DEPTH (`options`: Engine.search's)."""
    runs = {}
    for query in _progress(queries, show):
        try:
            found = engine.search(query, limit=DEPTH, highlight=False, **options)
        except QueryError as error:
            raise JudgementsError(f"{path}: the judged query '{shown(query)}': {error}") from None
        runs[query] = [h.citation for h in found.results]
    return runs


def tune_judged_file(
    engine: Engine,
    path: Path,
    *,
    folds: int = FOLDS,
    refine: Refinements = PLAIN,
    exact: bool = False,
    progress: bool | None = None,
    role_weights: bool = True,
) -> TuneReport:
    """Choose k1 and b for the index from judged queries by cross-validation (search.tuning)."""
    judged, _ = _as_indexed(engine, load_judged_queries(path))
    queries = [q for q in judged if any(g > 0 for g in judged[q].values())]
    if len(queries) < max(folds, 2):
        raise JudgementsError(
            f"{path}: {len(queries)} judged queries with a relevant passage; tuning with "
            f"{folds} folds needs at least {max(folds, 2)}"
        )
    show = sys.stderr.isatty() if progress is None else progress
    started = time.perf_counter()

    def ndcg(k1: float, b: float) -> dict[str, float]:
        runs = _runs(engine, path, queries, False, **options, k1=k1, b=b)
        return {q: ndcg_at(runs[q], judged[q], 10) for q in queries}

    options = {"refine": refine, "exact": exact, "role_weights": role_weights}
    report = choose(score_grid(queries, ndcg, progress=show), queries, folds, path.name)
    return replace(report, query_seconds=time.perf_counter() - started)


def _as_indexed(
    engine: Engine, judged: dict[str, dict[str, int]]
) -> tuple[dict[str, dict[str, int]], list[str]]:
    """Judged keys as the index writes them (a report's own "#p27" becomes the passage's key,
    which is what a query returns), and the keys the index does not hold."""
    keyed: dict[str, dict[str, int]] = {}
    unknown: list[str] = []
    for query, grades in judged.items():
        keyed[query] = {}
        for citation, grade in grades.items():
            try:
                key = engine.passage(citation).citation
            except CitationNotFound:
                key = citation
                unknown.append(citation)
            keyed[query][key] = max(grade, keyed[query].get(key, grade))
    return keyed, sorted(set(unknown))


def _unknown(qrels: Mapping[str, Mapping[str, int]], known: set[str]) -> list[str]:
    return sorted({doc for grades in qrels.values() for doc in grades} - known)


def _report(
    name: str,
    documents: int,
    scores: Scores,
    k1: float,
    b: float,
    refine: Refinements,
    timing: tuple[float, float],
    unknown: list[str],
) -> EvalReport:
    return EvalReport(
        collection=name,
        documents=documents,
        queries=scores.queries,
        k1=k1,
        b=b,
        refinements=describe(refine),
        ndcg_at_10=scores.ndcg_at_10,
        recall_at_100=scores.recall_at_100,
        mrr_at_10=scores.mrr_at_10,
        map=scores.map,
        index_seconds=timing[0],
        query_seconds=timing[1],
        not_in_index=len(unknown),
        not_in_index_examples=tuple(unknown[:EXAMPLES]),
    )


def describe(refine: Refinements) -> str:
    parts = []
    if refine.heading_boost:
        parts.append(f"heading boost {refine.heading_boost:g}")
    if refine.proximity:
        parts.append("proximity")
    if refine.rm3:
        parts.append(f"RM3 ({refine.fb_docs} docs, {refine.fb_terms} terms)")
    return " + ".join(["BM25", *parts])


def _progress(items: Iterable[str], show: bool) -> Iterator[str]:
    from tqdm import tqdm

    yield from tqdm(list(items), unit="query", disable=not show, leave=False, dynamic_ncols=True)
