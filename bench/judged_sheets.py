"""Assemble graded sheets into the judged sets `search eval` scores (issue #13).

    python -m bench.judged_sheets --grades /work/judging/round1 [--grades /work/judging/round2]

reads every grades-*.tsv of the folders (or the sheets named), checks that every line is
graded 0-3 and that no passage is graded twice with different grades, and writes
tests/judged/ofsted-tune.tsv and tests/judged/ofsted-held.tsv in seeds.tsv's format:
`query<TAB>citation<TAB>grade`, each query's information need as the comment line above it,
only grades of 1 or more listed (unlisted = 0). A query none of whose passages was graded
relevant stays in the file as a comment, and is not scored.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from bench.pool import QUERIES, JudgedQuery, PoolError, load_queries

OUT = QUERIES.parent
GRADES = (0, 1, 2, 3)
HEADER = """\
# Judged queries over the Ofsted reports and focused-visit letters: the {part} part of the
# set of issue #13 (queries, needs and categories: ofsted-queries.tsv; how it was built:
# README.md here). Format: query<TAB>citation<TAB>grade; grades: 3 = the passage to quote,
# 2 = clearly relevant, 1 = marginal; unlisted = 0 (graded 0, or never pooled).
"""

Grades = dict[str, dict[str, int]]  # query id -> citation -> grade


def read_grades(paths: Sequence[Path], ids: set[str]) -> Grades:
    """Every graded line of the sheets (a folder: its grades-*.tsv); PoolError listing the
    lines that are ungraded, malformed, of an unknown query, or graded two ways."""
    grades: Grades = {}
    problems: list[str] = []
    for path in paths:
        files = sorted(path.glob("grades-*.tsv")) if path.is_dir() else [path]
        if not files:
            raise PoolError(f"{path}: no grades-*.tsv in this folder")
        for file in files:
            _read_sheet(file, ids, grades, problems)
    if problems:
        shown = "\n  ".join(problems[:10])
        more = f"\n  ... and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise PoolError(f"{len(problems)} lines cannot be used:\n  {shown}{more}")
    return grades


def _read_sheet(path: Path, ids: set[str], grades: Grades, problems: list[str]) -> None:
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise PoolError(f"{path}: cannot read: {error}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{path}:{number}"
        parts = [p.strip() for p in line.split("\t")]
        if len(parts) < 3 or not parts[2]:
            problems.append(f"{where}: not graded")
            continue
        qid, citation, grade = parts[:3]
        if qid not in ids:
            problems.append(f"{where}: unknown query id '{qid}'")
            continue
        if not grade.isdigit() or int(grade) not in GRADES:
            problems.append(f"{where}: grade '{grade}' is not 0, 1, 2 or 3")
            continue
        before = grades.setdefault(qid, {}).setdefault(citation, int(grade))
        if before != int(grade):
            problems.append(f"{where}: {qid} {citation} graded {grade} here, {before} before")


def judged_file(part: str, queries: Sequence[JudgedQuery], grades: Mapping[str, Mapping]) -> str:
    """One part's judged set in seeds.tsv's format."""
    lines = [HEADER.format(part=part)]
    for query in (q for q in queries if q.part == part):
        relevant = [(c, g) for c, g in grades.get(query.id, {}).items() if g >= 1]
        lines.append(f"# {query.id} ({query.category}): {query.need}")
        if not relevant:
            lines += ["# (no pooled passage was graded 1 or more: not scored)", ""]
            continue
        relevant.sort(key=lambda item: (-item[1], item[0]))
        lines += [f"{query.text}\t{citation}\t{grade}" for citation, grade in relevant]
        lines.append("")
    return "\n".join(lines)


def describe(part: str, queries: Sequence[JudgedQuery], grades: Mapping[str, Mapping]) -> str:
    mine = [q for q in queries if q.part == part]
    counts = Counter(g for q in mine for g in grades.get(q.id, {}).values())
    scored = sum(any(g >= 1 for g in grades.get(q.id, {}).values()) for q in mine)
    ungraded = sum(not grades.get(q.id) for q in mine)
    return (
        f"{part}: {scored} of {len(mine)} queries scored ({ungraded} with no sheet lines); "
        f"graded 3: {counts[3]}, 2: {counts[2]}, 1: {counts[1]}, 0: {counts[0]}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grades", type=Path, action="append", required=True, metavar="PATH")
    parser.add_argument("--queries", type=Path, default=QUERIES)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    try:
        queries = load_queries(args.queries)
        grades = read_grades(args.grades, {q.id for q in queries})
        for part in ("tune", "held"):
            (args.out / f"ofsted-{part}.tsv").write_text(
                judged_file(part, queries, grades), "utf-8"
            )
            print(describe(part, queries, grades))
    except (PoolError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
