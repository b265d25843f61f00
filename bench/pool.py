"""Pool passages for grading: the judged Ofsted query set of issue #13.

    python -m bench.pool --index /work/judging/index --out /work/judging/round1
    python -m bench.pool --index /work/judging/index --out /work/judging/round2 \\
        --add-run variant.tsv --judged /work/judging/round1

The first form runs every query of tests/judged/ofsted-queries.tsv through five systems over
exactly the index's passages: ours (plain BM25 with the defaults, with --rm3, with
--proximity), bm25s (PyStemmer's English stemmer) and SQLite FTS5 (porter), takes each one's
top DEPTH, and pools the union. The second pools only a variant's run (lines of
`id<TAB>citation`, best first; its first DEPTH a query), minus every passage already in a
grade sheet or pool under --judged: a later grading round.

Filters in a query (year:, la:, grade:, kind:) are applied by the peers too: FTS5 by a WHERE
on its unindexed metadata columns, bm25s by its `weight_mask`; both match `la:` as a
case-insensitive substring of the document's authority.

Written to --out: packet-A.md and packet-B.md (half the queries each, every category in
both; a passage's citation, document, section and full text, in an order shuffled by a
seeded hash so that a grader cannot tell which system found what) and the empty sheets
grades-A.tsv and grades-B.tsv. Which system found what goes elsewhere (--runs, by default
`<out>/../runs/<name of out>`): one run file per system and pool.tsv, for later analysis.
`python -m bench.judged_sheets` turns the graded sheets into tests/judged/.
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import statistics
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bench.queries import STOPWORDS

if TYPE_CHECKING:
    from search.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "tests" / "judged" / "ofsted-queries.tsv"
DEPTH = 10
SEED = "ofsted-round1"
GRADERS = ("A", "B")


class PoolError(Exception):
    """A queries file, run file or grade sheet that cannot be used."""


@dataclass(frozen=True)
class JudgedQuery:
    """One line of the queries file: the query as typed and what a passage must answer."""

    id: str
    category: str
    part: str  # "tune" or "held"
    text: str
    need: str


@dataclass(frozen=True)
class PoolPassage:
    """A passage as a grader sees it: its citation, its document and its text."""

    citation: str
    doc_id: str
    title: str
    authority: str
    kind: str
    year: int | None
    grade: str | None
    section: str
    text: str


@dataclass(frozen=True)
class PeerQuery:
    """A query taken apart for a peer: words, phrases and the filters it names."""

    words: tuple[str, ...]
    phrases: tuple[str, ...]
    years: tuple[int, int] | None = None
    authority: str | None = None
    grade: str | None = None
    kind: str | None = None


def load_queries(path: Path = QUERIES) -> list[JudgedQuery]:
    """The queries file: id, category, part, query, need; `#` lines are comments."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise PoolError(f"{path}: cannot read: {error}") from None
    queries, seen = [], set()
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 5 or parts[2] not in ("tune", "held"):
            raise PoolError(f"{path}:{number}: expected id, category, tune|held, query, need")
        if parts[0] in seen:
            raise PoolError(f"{path}:{number}: the id {parts[0]} is used twice")
        seen.add(parts[0])
        queries.append(JudgedQuery(*(p.strip() for p in parts)))
    if not queries:
        raise PoolError(f"{path}: no queries")
    return queries


# --- the passages, as the index holds them ----------------------------------------------------


def read_passages(engine: Engine) -> dict[str, PoolPassage]:
    """Every passage of the index (citation -> passage), in document order."""
    passages = {}
    for doc in engine.documents():
        for row in engine.store.passages_of(doc.doc_id):
            passages[row.citation] = PoolPassage(
                citation=row.citation,
                doc_id=doc.doc_id,
                title=doc.title or "",
                authority=doc.local_authority or "",
                kind=doc.kind or "",
                year=doc.inspection_year,
                grade=doc.overall_effectiveness,
                section=row.section or "",
                text=row.text,
            )
    return passages


def allowed(passage: PoolPassage, query: PeerQuery) -> bool:
    """Whether a passage's document passes the query's filters (as a peer applies them)."""
    if query.years and not (passage.year and query.years[0] <= passage.year <= query.years[1]):
        return False
    if query.authority and query.authority.casefold() not in passage.authority.casefold():
        return False
    if query.grade and passage.grade != query.grade:
        return False
    return not (query.kind and passage.kind != query.kind)


# --- the queries, taken apart for the peers ---------------------------------------------------


def peer_query(text: str) -> PeerQuery:
    """Our query language read as the peers can use it (search.query's parser): the text's
    words (stopwords dropped, as ours drops them) and phrases, and its filters."""
    from indexer.ofsted import normalise_grade
    from search.engine import parse_year_range
    from search.query import parse_query

    words: list[str] = []
    phrases: list[str] = []
    years, authority, grade, kind = None, None, None, None
    for clause in parse_query(text).clauses:
        if clause.occur == "must_not":
            continue  # no query here excludes anything; a peer would need its own syntax
        if clause.field == "year":
            years = parse_year_range(clause.text)
        elif clause.field == "local_authority":
            authority = clause.text
        elif clause.field == "grade":
            grade = normalise_grade(clause.text)
        elif clause.field == "kind":
            kind = clause.text.casefold()
        elif clause.phrase or "-" in clause.text.strip("-"):
            phrases.append(" ".join(clause.text.lower().replace("-", " ").split()))
        elif clause.text.lower() not in STOPWORDS:
            words.append(clause.text.lower())
    return PeerQuery(tuple(words), tuple(phrases), years, authority, grade, kind)


# --- the systems -------------------------------------------------------------------------------

System = Callable[[JudgedQuery], list[str]]


def ours(engine: Engine, **refine: bool) -> System:
    """Our engine at its defaults, with the refinements named (rm3=True, proximity=True)."""
    from search.rerank import Refinements

    refinements = Refinements(**refine)

    def run(query: JudgedQuery) -> list[str]:
        found = engine.search(query.text, limit=DEPTH, refine=refinements)
        return [hit.citation for hit in found.results]

    return run


def bm25s_system(passages: Sequence[PoolPassage]) -> System:
    """bm25s (Lucene's BM25, k1 1.2, b 0.75) with PyStemmer, as bench/peers/bm25s.py builds
    it; a phrase is its words; filters by `weight_mask`."""
    import bm25s
    import numpy
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    tokens = bm25s.tokenize(
        [p.text for p in passages], stopwords="en", stemmer=stemmer, show_progress=False
    )
    retriever = bm25s.BM25(k1=1.2, b=0.75)
    retriever.index(tokens, show_progress=False)

    def run(query: JudgedQuery) -> list[str]:
        taken = peer_query(query.text)
        text = " ".join((*taken.phrases, *taken.words))
        wanted = bm25s.tokenize(text, stopwords="en", stemmer=stemmer, show_progress=False)
        if not wanted.vocab:
            return []
        mask = numpy.array([allowed(p, taken) for p in passages], dtype=numpy.float32)
        found, scores = retriever.retrieve(
            wanted, k=DEPTH, show_progress=False, n_threads=1, weight_mask=mask
        )
        return [passages[i].citation for i, s in zip(found[0], scores[0], strict=True) if s > 0]

    return run


FTS5_TOKENIZE = "porter unicode61 remove_diacritics 2"
FTS5_SELECT = "SELECT citation FROM p WHERE p MATCH ?{where} ORDER BY bm25(p) LIMIT {depth}"


def fts5_system(passages: Sequence[PoolPassage]) -> System:
    """SQLite FTS5 (porter), ranked by `bm25()`, as bench/peers/fts5.py builds it: any of the
    words or phrases, each quoted; filters by a WHERE on the unindexed metadata columns."""
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE p USING fts5(text, citation UNINDEXED, year UNINDEXED, "
        f"authority UNINDEXED, grade UNINDEXED, kind UNINDEXED, tokenize='{FTS5_TOKENIZE}')"
    )
    db.executemany(
        "INSERT INTO p VALUES (?, ?, ?, ?, ?, ?)",
        [(p.text, p.citation, p.year, p.authority, p.grade, p.kind) for p in passages],
    )
    db.execute("INSERT INTO p(p) VALUES ('optimize')")

    def run(query: JudgedQuery) -> list[str]:
        taken = peer_query(query.text)
        terms = [*taken.phrases, *taken.words]
        if not terms:
            return []
        match = " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
        where, values = fts5_where(taken)
        sql = FTS5_SELECT.format(where=where, depth=DEPTH)
        return [citation for (citation,) in db.execute(sql, (match, *values))]

    return run


def fts5_where(query: PeerQuery) -> tuple[str, list[object]]:
    """The SQL that applies a query's filters to FTS5's metadata columns, and its values."""
    where, values = [], []
    if query.years:
        where.append("year BETWEEN ? AND ?")
        values += list(query.years)
    if query.authority:
        where.append("authority LIKE ?")
        values.append(f"%{query.authority}%")
    if query.grade:
        where.append("grade = ?")
        values.append(query.grade)
    if query.kind:
        where.append("kind = ?")
        values.append(query.kind)
    return "".join(f" AND {w}" for w in where), values


def systems(engine: Engine, passages: Sequence[PoolPassage]) -> dict[str, System]:
    """The five pooled systems, by name."""
    return {
        "ours": ours(engine),
        "ours-rm3": ours(engine, rm3=True),
        "ours-proximity": ours(engine, proximity=True),
        "bm25s": bm25s_system(passages),
        "fts5": fts5_system(passages),
    }


# --- pooling -----------------------------------------------------------------------------------

Runs = dict[str, dict[str, list[str]]]  # system -> query id -> citations, best first


def run_all(queries: Sequence[JudgedQuery], named: Mapping[str, System]) -> Runs:
    return {name: {q.id: system(q)[:DEPTH] for q in queries} for name, system in named.items()}


def read_run(path: Path, ids: Iterable[str]) -> dict[str, list[str]]:
    """A variant's run: `id<TAB>citation` lines, best first (more columns are ignored); its
    first DEPTH citations a query."""
    known, run = set(ids), {}
    for number, line in enumerate(_lines(path), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 2 or parts[0].strip() not in known:
            raise PoolError(f"{path}:{number}: expected <query id><TAB><citation>, a known id")
        ranked = run.setdefault(parts[0].strip(), [])
        if len(ranked) < DEPTH and parts[1].strip() not in ranked:
            ranked.append(parts[1].strip())
    return run


def read_judged(paths: Iterable[Path]) -> set[tuple[str, str]]:
    """(query id, citation) pairs already pooled: every `id<TAB>citation...` line of the
    grade sheets and pool files given (a folder: its grades-*.tsv)."""
    judged = set()
    for path in paths:
        files = sorted(path.glob("grades-*.tsv")) if path.is_dir() else [path]
        if not files:
            raise PoolError(f"{path}: no grades-*.tsv in this folder")
        for file in files:
            for line in _lines(file):
                parts = line.split("\t")
                if len(parts) >= 2 and not line.lstrip().startswith("#"):
                    judged.add((parts[0].strip(), parts[1].strip()))
    return judged


Pool = dict[str, dict[str, list[str]]]  # query id -> citation -> the systems that found it


def pool(runs: Runs, judged: AbstractSet[tuple[str, str]] = frozenset()) -> Pool:
    """query id -> citation -> the systems that found it (in their top DEPTH), leaving out
    what is already judged."""
    pooled: Pool = {}
    for name, run in runs.items():
        for qid, citations in run.items():
            found = pooled.setdefault(qid, {})
            for citation in citations[:DEPTH]:
                if (qid, citation) not in judged:
                    found.setdefault(citation, []).append(name)
    return pooled


def shuffled(qid: str, citations: Iterable[str], seed: str = SEED) -> list[str]:
    """The citations in an order fixed by a seeded hash: the same every run, and unrelated to
    any system's ranking."""
    key = lambda c: hashlib.sha256(f"{seed}\t{qid}\t{c}".encode()).hexdigest()  # noqa: E731
    return sorted(citations, key=key)


def graders(queries: Sequence[JudgedQuery]) -> dict[str, str]:
    """query id -> grader. Within each category the queries go A, B, B, A, A, B, ...: each
    grader gets half of every category, and (since the parts alternate tune, held) half of
    each part of it."""
    position: dict[str, int] = {}
    chosen = {}
    for query in queries:
        n = position.get(query.category, 0)
        position[query.category] = n + 1
        chosen[query.id] = GRADERS[0] if n % 4 in (0, 3) else GRADERS[1]
    return chosen


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise PoolError(f"{path}: cannot read: {error}") from None


# --- what the graders get -----------------------------------------------------------------------

INSTRUCTIONS = """\
Grade every passage below for its query's **information need** (not for the words of the
query), on its own, by reading it:

- **3**: the passage to quote for this need: it answers it, squarely and with substance.
- **2**: clearly relevant: it is about the need and says something useful about it.
- **1**: marginal: it touches the need (a mention, a label, a list item without substance).
- **0**: not relevant, or outside what the need allows (a filter it names: another year,
  authority, grade or kind of document).

Write the grade in the third column of your sheet ({sheet}), on the line with the passage's
query id and citation; leave no line blank. The passages of a query are in no particular
order: do not read anything into it. Do not run any search to help you; judge what is here.
"""


def packet(
    grader: str,
    queries: Sequence[JudgedQuery],
    pooled: Mapping[str, Mapping[str, object]],
    passages: Mapping[str, PoolPassage],
    seed: str = SEED,
) -> tuple[str, str]:
    """A grader's packet (markdown) and empty grade sheet (TSV), their queries in id order
    (those with passages to grade)."""
    queries = [q for q in queries if pooled.get(q.id)]
    sheet_name = f"grades-{grader}.tsv"
    total = sum(len(pooled.get(q.id, {})) for q in queries)
    text = [
        f"# Grading packet {grader}: {len(queries)} queries, {total} passages",
        "",
        INSTRUCTIONS.format(sheet=sheet_name),
    ]
    sheet = [
        f"# Grade sheet {grader}: query id<TAB>citation<TAB>grade (0-3), one line a passage of "
        f"packet-{grader}.md, in its order.",
    ]
    for query in queries:
        citations = shuffled(query.id, pooled.get(query.id, {}), seed)
        text += _query_section(query, citations, passages)
        sheet += [f"{query.id}\t{citation}\t" for citation in citations]
    return "\n".join(text) + "\n", "\n".join(sheet) + "\n"


def _query_section(
    query: JudgedQuery, citations: Sequence[str], passages: Mapping[str, PoolPassage]
) -> list[str]:
    lines = [
        f"## {query.id}: `{query.text}`",
        "",
        f"**Information need:** {query.need}",
        "",
        f"{len(citations)} passages.",
        "",
    ]
    for number, citation in enumerate(citations, start=1):
        p = passages[citation]
        year = p.year if p.year is not None else "unknown"
        grade = f"; overall effectiveness: {p.grade}" if p.grade else ""
        lines += [
            f"### {query.id}.{number} `{citation}`",
            "",
            f"*{p.title}*; authority: {p.authority or 'unknown'}; kind: {p.kind or 'unknown'}; "
            f"inspection year: {year}{grade}",
            "",
            f"Section: {p.section or '(none)'}",
            "",
            "~~~~text",
            p.text,
            "~~~~",
            "",
        ]
    return lines


def write_round(
    out: Path,
    runs_dir: Path,
    queries: Sequence[JudgedQuery],
    runs: Runs,
    passages: Mapping[str, PoolPassage],
    judged: AbstractSet[tuple[str, str]],
) -> Pool:
    """Packets and sheets into `out`; the runs and the pool (with its systems) into
    `runs_dir`. Returns the pool."""
    missing = {c for run in runs.values() for r in run.values() for c in r} - set(passages)
    if missing:
        raise PoolError(f"{len(missing)} citations not in the index, e.g. {sorted(missing)[0]}")
    pooled = pool(runs, judged)
    out.mkdir(parents=True, exist_ok=True)
    runs_dir.mkdir(parents=True, exist_ok=True)
    chosen = graders(queries)
    for grader in GRADERS:
        mine = [q for q in queries if chosen[q.id] == grader]
        text, sheet = packet(grader, mine, pooled, passages)
        (out / f"packet-{grader}.md").write_text(text, "utf-8")
        (out / f"grades-{grader}.tsv").write_text(sheet, "utf-8")
    for name, run in runs.items():
        lines = [f"{qid}\t{c}\t{rank}" for qid, r in run.items() for rank, c in enumerate(r, 1)]
        (runs_dir / f"{name}.tsv").write_text("\n".join(lines) + "\n", "utf-8")
    rows = [
        f"{q.id}\t{c}\t{chosen[q.id]}\t{','.join(pooled[q.id][c])}"
        for q in queries
        for c in shuffled(q.id, pooled.get(q.id, {}))
    ]
    header = "# query id<TAB>citation<TAB>grader<TAB>systems that found it (top 10)\n"
    (runs_dir / "pool.tsv").write_text(header + "\n".join(rows) + "\n", "utf-8")
    return pooled


def summary(queries: Sequence[JudgedQuery], pooled: Mapping[str, Mapping[str, object]]) -> str:
    """Pool sizes: per query, and median, max and total, overall and per grader."""
    chosen = graders(queries)
    sizes = {q.id: len(pooled.get(q.id, {})) for q in queries}
    lines = [f"{q.id}\t{q.category}\t{q.part}\t{chosen[q.id]}\t{sizes[q.id]}" for q in queries]
    every = list(sizes.values())
    lines.append(
        f"# {len(every)} queries, {sum(every)} passages pooled: median {statistics.median(every)}"
        f" a query, min {min(every)}, max {max(every)}"
    )
    for grader in GRADERS:
        mine = [sizes[q.id] for q in queries if chosen[q.id] == grader]
        lines.append(f"# grader {grader}: {len(mine)} queries, {sum(mine)} passages")
    for part in ("tune", "held"):
        mine = [sizes[q.id] for q in queries if q.part == part]
        lines.append(f"# {part}: {len(mine)} queries, {sum(mine)} passages")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="the index to pool from")
    parser.add_argument("--out", type=Path, required=True, help="where packets and sheets go")
    parser.add_argument("--queries", type=Path, default=QUERIES)
    parser.add_argument("--runs", type=Path, help="where runs and pool.tsv go")
    parser.add_argument("--add-run", type=Path, action="append", default=[], metavar="FILE")
    parser.add_argument("--judged", type=Path, action="append", default=[], metavar="PATH")
    args = parser.parse_args(argv)
    from search.engine import Engine

    try:
        queries = load_queries(args.queries)
        judged = read_judged(args.judged)
        engine = Engine.open(args.index)
        passages = read_passages(engine)
        if args.add_run:
            runs = {p.stem: read_run(p, [q.id for q in queries]) for p in args.add_run}
        else:
            runs = run_all(queries, systems(engine, list(passages.values())))
        runs_dir = args.runs or args.out.parent / "runs" / args.out.name
        pooled = write_round(args.out, runs_dir, queries, runs, passages, judged)
    except (PoolError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    report = summary(queries, pooled)
    (runs_dir / "sizes.tsv").write_text(report, "utf-8")
    print(report, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
