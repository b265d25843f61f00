"""`search`: the command line. Each command parses, calls one library function, formats.

Exit codes: 0 success (zero hits included), 1 a runtime error, 2 a usage error.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import functools
import json
import math
import os
import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

import click

from indexer.bm25 import K1, B

DEFAULT_INDEX = "index"
DEFAULT_CORPUS = "seeds"

F = TypeVar("F", bound=Callable[..., Any])

_ASCII = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...",
                        "\u00a0": " ", "•": "*", "◼": "*", "£": "GBP "})  # fmt: skip


class OutputError(click.ClickException):
    """Standard output cannot be written (closed, or a full disk)."""


def echo(message: str = "", *, err: bool = False, color: bool | None = None) -> None:
    """click.echo, but readable on a terminal that cannot show UTF-8 (typographic marks as
    ASCII, anything else as '?'), and a failed write to stdout is one line, not a traceback."""
    stream = sys.stderr if err else sys.stdout
    if stream is None and not err:
        raise OutputError("cannot write the output: standard output is closed")
    encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("_", "-")
    if encoding not in ("utf-8", "utf8", "utf-16", "utf-32"):
        message = message.translate(_ASCII).encode(encoding, "replace").decode(encoding)
    try:
        click.echo(message, err=err, color=color)
    except BrokenPipeError:
        raise  # a reader that went away: quiet (see main)
    except OSError as error:
        if err:
            raise
        raise OutputError(f"cannot write the output: {error.strerror or error}") from None


def echo_export(text: str) -> None:
    """An export (CSV, Markdown) as UTF-8 bytes whatever the terminal's encoding: it is a file
    for another program, not text for this terminal."""
    if sys.stdout is None:
        raise OutputError("cannot write the output: standard output is closed")
    try:
        click.echo(text.encode("utf-8"), nl=False)
    except BrokenPipeError:
        raise  # a reader that went away: quiet (see main)
    except OSError as error:
        raise OutputError(f"cannot write the output: {error.strerror or error}") from None


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """ "1 passage", "2 passages" """
    return f"{count} {singular if count == 1 else plural_form or singular + 's'}"


class FiniteFloat(click.FloatRange):
    """A float within bounds that is a real number: 'nan' and 'inf' are usage errors."""

    name = "number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


# Bounds that keep every score a finite number far from overflow (a passage's term frequency
# is at most a few thousand): beyond them a parameter changes nothing a person could want.
K1_RANGE = FiniteFloat(0, 1000)
B_RANGE = FiniteFloat(0, 1)
BOOST_RANGE = FiniteFloat(0, 1000)


def ranking_options(function: F) -> F:
    """--heading-boost, --proximity, --rm3: refinements beyond BM25 (search.rerank)."""
    options = [
        click.option(
            "--rm3", is_flag=True, help="Expand the query by pseudo-relevance feedback (RM3)."
        ),
        click.option(
            "--proximity", is_flag=True, help="Reward query words that stand close together."
        ),
        click.option(
            "--heading-boost",
            type=BOOST_RANGE,
            default=0.0,
            help="Weight of query words found in a passage's heading (section or title).",
        ),
    ]
    for option in options:
        function = option(function)
    return function


def _refinements(heading_boost: float, proximity: bool, rm3: bool) -> Any:
    from search.rerank import Refinements

    return Refinements(heading_boost=heading_boost, proximity=proximity, rm3=rm3)


def index_option(function: F) -> F:
    return click.option(
        "--index",
        "index_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=lambda: os.environ.get("SEARCH_INDEX", DEFAULT_INDEX),
        show_default="index/ or $SEARCH_INDEX",
        help="The index folder.",
    )(function)


def json_option(function: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(
        function
    )


def _echo_json(data: Any) -> None:
    try:
        # the last guard: NaN and Infinity are not JSON, whatever produced them
        text = json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False)
    except ValueError as error:
        raise click.ClickException(f"cannot write JSON: {error}") from None
    echo(text)


def _use_color(choice: str) -> bool:
    if choice == "always":
        return True
    if choice == "never":
        return False
    tty = sys.stdout is not None and sys.stdout.isatty()
    return tty and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def _open_engine(index_dir: Path, *, build_if_missing: bool = False) -> Any:
    """Open the index; with `build_if_missing`, build it from seeds/ first and say so."""
    from indexer.errors import IndexBeingBuilt, IndexOutdated
    from indexer.generations import NotOurs
    from search.engine import Engine, IndexDamaged, IndexMissing

    try:
        return Engine.open(index_dir)
    except NotOurs as error:  # a folder this tool did not make: never built into
        raise click.ClickException(str(error)) from None
    except IndexOutdated:
        roots = _recorded_roots(index_dir)
        shown = ", ".join(str(r) for r in roots)
        echo(f"The index was built by another version: rebuilding it from {shown}.", err=True)
        _build_for_reading(roots, index_dir)
        return Engine.open(index_dir)
    except IndexBeingBuilt as error:
        raise click.ClickException(f"{error}: try again when it has finished") from None
    except IndexMissing:
        corpus = Path(DEFAULT_CORPUS)
        if not build_if_missing or not corpus.is_dir():
            raise click.ClickException(
                f"no index at {index_dir}/. Build one with: search index PATH [--index {index_dir}]"
            ) from None
        echo(f"No index at {index_dir}/ yet: building it from {corpus}/ first.", err=True)
        _build_for_reading([corpus], index_dir)
        return Engine.open(index_dir)
    except IndexDamaged as error:
        raise click.ClickException(
            f"the index is damaged ({error}). "
            f"Rebuild it with: search index --rebuild --index {index_dir}"
        ) from None


def _build_for_reading(roots: list[Path], index_dir: Path) -> None:
    """Build the index a reading command needs; one line if it cannot be written."""
    try:
        _run_index(roots, index_dir, rebuild=False, quiet=True)
    except OSError as error:
        raise click.ClickException(
            f"cannot build the index in {index_dir}/ ({_os_reason(error)})"
        ) from None


def _os_reason(error: OSError) -> str:
    """ "Permission denied: index/LOCK" """
    if error.strerror and error.filename:
        return f"{error.strerror}: {error.filename}"
    return error.strerror or str(error)


class Commands(click.Group):
    """The `search` group: a usage error is one line, with where to find help."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        with _one_line_usage_errors():
            return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        from indexer.errors import IndexDamaged

        with _one_line_usage_errors():
            try:
                return super().invoke(ctx)
            except IndexDamaged as error:  # found while reading, after the index opened
                raise click.ClickException(
                    f"the index is damaged ({error}). Rebuild it with: search index --rebuild"
                ) from None


@contextlib.contextmanager
def _one_line_usage_errors() -> Iterator[None]:
    """click prints a usage error after the command's usage lines: make it the one line."""
    try:
        yield
    except click.UsageError as error:
        if error.ctx is None:
            raise
        message = error.format_message()
        if type(error) is not click.UsageError:  # click's own: say where help is
            message += f" (see '{error.ctx.command_path} --help')"
        raise click.UsageError(message) from None


class QueryCommand(click.Command):
    """`search query`: a word may start with "-" (an excluded word), but never with "--".

    Unknown options are let through as words (for "-adoption"); a word starting with "--"
    before a lone "--" is taken for a mistyped option and refused, naming the closest one.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        options = [p for p in self.get_params(ctx) if isinstance(p, click.Option)]
        names = {name for o in options for name in o.opts + o.secondary_opts}
        takes_value = {name for o in options if not o.is_flag for name in o.opts}
        position = 0
        while position < len(args) and args[position] != "--":
            name, equals, _ = args[position].partition("=")
            if name.startswith("--") and name not in names:
                closest = difflib.get_close_matches(name, sorted(names), n=1, cutoff=0)
                message = f"No such option '{name}'. Did you mean '{closest[0]}'?"
                raise click.NoSuchOption(name, message, ctx=ctx)
            position += 2 if name in takes_value and not equals else 1
        return super().parse_args(ctx, args)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="passage-search")
def cli() -> None:
    """Find, filter and cite passages in inspection reports and the news about them.

    \b
    Quick start:
      search index seeds/                 build the index (also done on first query)
      search query "care leavers" --year 2022
      search show 004_26166e069228efdc#35 --context 1
    """


# --- index ------------------------------------------------------------------------------------


def _run_index(
    paths: list[Path],
    index_dir: Path,
    *,
    rebuild: bool,
    quiet: bool,
    wait: bool = False,
    follow_links: bool | None = None,
) -> Any:
    from indexer.errors import DiskFull, IndexDamaged
    from indexer.generations import IndexBusy, NotOurs
    from indexer.metadata import FactsError
    from indexer.pipeline import CorpusNotFound, build_index

    def warn(path: str, reason: str, failed: bool) -> None:
        what = "failed" if failed else "skipped"
        echo(f"{'error' if failed else 'warning'}: {what} {path}: {reason}", err=True)

    try:
        with _sigterm_cancels():
            return build_index(
                paths,
                index_dir,
                on_problem=warn,
                progress=None if not quiet else False,
                rebuild=rebuild,
                wait=wait,
                follow_links=follow_links,
            )
    except KeyboardInterrupt as stop:  # Ctrl-C, or SIGTERM (Cancelled)
        signum = getattr(stop, "signum", signal.SIGINT)
        name = signal.Signals(signum).name
        echo(f"error: cancelled by {name}; the index was left whole.", err=True)
        raise click.exceptions.Exit(128 + signum) from None
    except IndexBusy as error:
        raise click.ClickException(
            f"{error}. Wait for it to finish, or run this again with --wait."
        ) from None
    except CorpusNotFound as error:
        hint = "Give a folder or file of .txt, .md or .html documents."
        raise click.UsageError(f"{error}. {hint}") from None
    except FactsError as error:
        raise click.ClickException(f"facts file: {error}") from None
    except (NotOurs, DiskFull) as error:
        raise click.ClickException(str(error)) from None
    except IndexDamaged as error:
        raise click.ClickException(
            f"the index is damaged ({error}). "
            f"Rebuild it with: search index --rebuild --index {index_dir}"
        ) from None


class Cancelled(KeyboardInterrupt):
    """The run was stopped by a signal other than Ctrl-C's (SIGTERM)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _sigterm_cancels() -> Iterator[None]:
    """SIGTERM cancels the run as Ctrl-C does: the writer discards its work and the workers
    are stopped (a default SIGTERM would end us at once and leave them running)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may handle signals
        return

    def cancel(signum: int, frame: object) -> None:
        signal.signal(signum, signal.SIG_IGN)  # once: let the clean-up finish
        raise Cancelled(signum)

    previous = signal.signal(signal.SIGTERM, cancel)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# An out-of-date index is brought up to date before a query when that is quick.
AUTO_UPDATE_FILES = 10
AUTO_UPDATE_BYTES = 20_000_000


def _fresh_engine(engine: Any, index_dir: Path) -> Any:
    """Never answer silently from a stale index: update it if that is quick and possible,
    else say why not. A query never fails because of its corpus or the index's writability:
    it answers from the index as built, with one line on stderr."""
    stale = engine.staleness()
    if not stale:
        if stale.touched and _auto_update(engine.roots, index_dir) is None:
            # the results are the same either way; recording the new times spares every
            # later query hashing those files again
            engine.close()
            return _open_engine(index_dir)
        return engine
    as_is = "these results are from the index as it is"
    if stale.unavailable:
        why = "; ".join(stale.unavailable)
        echo(f"warning: {why}, so the index is not updated; {as_is}.", err=True)
        return engine
    files = len(stale.changed) + len(stale.added)
    if files > AUTO_UPDATE_FILES or stale.bytes_to_read > AUTO_UPDATE_BYTES:
        echo(
            f"warning: the index is out of date ({stale.summary()} since it was built); "
            f"{as_is}. Update it with: search index",
            err=True,
        )
        return engine
    failure = _auto_update(engine.roots, index_dir)
    if failure:
        echo(f"warning: the index is out of date ({stale.summary()}) and {failure}; {as_is}.",
             err=True)  # fmt: skip
        return engine
    engine.close()
    echo(f"Updated the index first: {stale.summary()} since it was built.", err=True)
    return _open_engine(index_dir)


def _auto_update(roots: list[str], index_dir: Path) -> str | None:
    """Update the index from the folders it was built from, and from nothing else, if the
    lock is free at once; None when done, else why not."""
    from indexer.errors import IndexDamaged
    from indexer.generations import IndexBusy, query_update
    from indexer.metadata import FactsError
    from indexer.pipeline import build_index

    try:
        with query_update():
            build_index([Path(r) for r in roots], index_dir, progress=False)
    except IndexBusy as busy:
        return str(busy)
    except OSError as error:  # read-only, another user's, a full disk; a root gone meanwhile
        return f"cannot be updated ({_os_reason(error)})"
    except (FactsError, IndexDamaged) as error:
        return f"cannot be updated ({error})"
    return None


@cli.command("index")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_option
@click.option("--rebuild", is_flag=True, help="Build the index again from scratch.")
@click.option("--wait", is_flag=True, help="If another process is indexing, wait for it.")
@click.option(
    "--follow-links/--no-follow-links",
    default=None,
    help="Follow symbolic links that lead outside the folders indexed (default: as the "
    "index was built; at first, not). Never to /proc, /sys or /dev.",
)
def index_command(
    paths: tuple[Path, ...], index_dir: Path, rebuild: bool, wait: bool, follow_links: bool | None
) -> None:
    """Build or update the index from PATHS (folders or files; default: seeds/).

    Unchanged files are skipped, changed ones re-indexed, removed ones dropped. A folder's
    facts.toml supplies metadata its documents' texts lack.
    """
    targets = list(paths) or _recorded_roots(index_dir)
    report = _run_index(
        targets, index_dir, rebuild=rebuild, quiet=False, wait=wait, follow_links=follow_links
    )
    echo(
        f"Index {index_dir}/ holds {plural(report.documents, 'document')}, "
        f"{plural(report.passages, 'passage')}{_by_kind(index_dir)}. "
        f"This run: {report.indexed} indexed ({len(report.added)} new, "
        f"{len(report.updated)} changed), {len(report.unchanged)} unchanged, "
        f"{len(report.removed)} removed, {len(report.skipped)} skipped, "
        f"{len(report.failed)} failed."
    )
    if report.failed:
        raise click.exceptions.Exit(1)


def _by_kind(index_dir: Path) -> str:
    """ "; by kind: 431 inspection, 371 focused-visit" (most first), read from the index just
    built; "" if it cannot be read (the run's own line has said what it did)."""
    from indexer.errors import IndexDamaged
    from indexer.generations import NotOurs
    from search.engine import Engine

    try:
        engine = Engine.open(index_dir)
    except (OSError, IndexDamaged, NotOurs):
        return ""
    try:
        counts = Counter(d.kind or "unknown kind" for d in engine.documents())
    finally:
        engine.close()
    if not counts:
        return ""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return "; by kind: " + ", ".join(f"{n} {kind}" for kind, n in ordered)


def _recorded_roots(index_dir: Path) -> list[Path]:
    """The folders the index was built from (seeds/ for a brand-new index). Refused when one
    is gone or cannot be read: indexing it would drop its documents, and anything else would
    index what the index was not built from."""
    from indexer.freshness import why_unreadable
    from indexer.manifest import indexed_roots

    recorded = [Path(r) for r in indexed_roots(index_dir)]
    if not recorded:
        return [Path(DEFAULT_CORPUS)]
    problems = [why for why in map(why_unreadable, recorded) if why]
    if problems:
        raise click.ClickException(
            f"{'; '.join(problems)}. Name the folders to index: search index PATH..."
        )
    return recorded


# --- query ------------------------------------------------------------------------------------


@cli.command(
    "query",
    cls=QueryCommand,
    # "-adoption" is an excluded word, not an option; so no short options here but --help
    context_settings={"ignore_unknown_options": True, "help_option_names": ["--help"]},
)
@click.argument("words", nargs=-1, required=True)
@click.option("--year", help="Inspection year, or a range: 2022, 2020-2022.")
@click.option("--from", "date_from", help="Published on or after: YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--to", "date_to", help="Published on or before: YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--source", help="Only documents whose id or file path contains this.")
@click.option(
    "--la",
    help="Local authority the document is about, however spelt: camden, 'north yorkshire', "
    "'bournemouth christchurch & poole'.",
)
@click.option(
    "--grade",
    help="Overall effectiveness of the report: outstanding, good, 'requires improvement', "
    "adequate, inadequate.",
)
@click.option(
    "--kind",
    help="Kind of document: inspection, focused-visit, monitoring-visit, jtai, send, news, other.",
)
@click.option(
    "--role",
    help="Only passages of this role: finding, recommendation, judgement, label, table, "
    "quotation, boilerplate.",
)
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True)
@click.option(
    "--per-document",
    type=click.IntRange(min=1),
    help="At most N passages of each document, grouped under it (documents by their best).",
)
@click.option("--k1", type=K1_RANGE, help=f"BM25 k1 (default: the index's, else {K1:g}).")
@click.option("--b", type=B_RANGE, help=f"BM25 b (default: the index's, else {B:g}).")
@click.option("--exact", is_flag=True, help="Do not expand acronyms and spellings (CSE, behavior).")
@click.option("--no-role-weights", "plain_roles", is_flag=True,
              help="Rank recommendations as other passages (default: a little lower).")  # fmt: skip
@click.option(
    "--color",
    "--colour",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Highlight matches; auto: only on a terminal.",
)
@ranking_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "csv", "markdown"]),
    default="text",
    show_default=True,
    help="text for reading, json (as --json), csv for a spreadsheet, markdown quotes.",
)
@json_option
@index_option
def query_command(
    words: tuple[str, ...],
    year: str | None,
    date_from: str | None,
    date_to: str | None,
    source: str | None,
    la: str | None,
    grade: str | None,
    kind: str | None,
    role: str | None,
    limit: int,
    per_document: int | None,
    k1: float | None,
    b: float | None,
    exact: bool,
    plain_roles: bool,
    color: str,
    heading_boost: float,
    proximity: bool,
    rm3: bool,
    output_format: str,
    as_json: bool,
    index_dir: Path,
) -> None:
    """Search for WORDS; best passages first, matches highlighted.

    \b
    care leavers          any of the words (more matches rank higher)
    "children in care"    an exact phrase
    +word  -word          must / must not contain
    inspect*              words starting with inspect
    section:leavers       a field: section, title, publisher, paragraph, source,
                          year, la, grade, kind, role
    """
    from search.engine import FilterError, QueryError

    text = " ".join(words)
    engine = _fresh_engine(_open_engine(index_dir, build_if_missing=True), index_dir)
    try:
        result = engine.search(
            text,
            year=year,
            date_from=date_from,
            date_to=date_to,
            source=source,
            la=la,
            grade=grade,
            kind=kind,
            role=role,
            limit=limit,
            k1=k1,
            b=b,
            refine=_refinements(heading_boost, proximity, rm3),
            per_document=per_document,
            exact=exact,
            role_weights=not plain_roles,
        )
    except (QueryError, FilterError) as error:
        raise click.UsageError(str(error)) from None
    if output_format in ("csv", "markdown"):
        from search import export

        if output_format == "csv":
            echo_export(export.hits_csv(result.results, engine.document))
        else:
            echo_export(export.hits_markdown(result.query, result.total, result.results) + "\n")
        return
    if as_json or output_format == "json":
        _echo_json(
            {
                "query": result.query,
                "total": result.total,
                "did_you_mean": result.did_you_mean,
                "expanded": list(result.expanded),
                "results": [_hit_json(hit) for hit in result.results],
            }
        )
        return
    _print_hits(result, engine.document, _use_color(color))


def _hit_json(hit: Any) -> dict[str, Any]:
    data = asdict(hit)
    order = ["rank", "score", "citation", "source", "title", "publisher", "date",
             "inspection_year", "section", "paragraph", "text", "matches", "lines",
             "pages", "kind", "role"]  # fmt: skip
    return {key: data[key] for key in order}


def _where(passage: Any) -> str:
    """ "  paragraph 27, page 5" """
    parts = []
    if passage.paragraph:
        parts.append(f"paragraph {passage.paragraph}")
    if passage.pages:
        from search.cite import location

        parts.append(location(passage))
    return ("  " + ", ".join(parts)) if parts else ""


def _print_hits(result: Any, document_of: Callable[[str], Any], color: bool) -> None:
    from search.cite import human_date, relative_source
    from search.highlight import render

    style = _styler(color)
    out = functools.partial(echo, color=color)  # click strips ANSI off a tty unless told
    suggestion = f" Did you mean: {result.did_you_mean}" if result.did_you_mean else ""
    if not result.results:
        out(f"No passages match {result.query!r}.{suggestion and suggestion + '?'}")
        return
    shown = len(result.results)
    more = f"; showing the best {shown}" if shown < result.total else ""
    verb = "matches" if result.total == 1 else "match"
    out(f"{plural(result.total, 'passage')} {verb} {result.query!r}{more}.")
    for row in result.expanded:
        out(
            style(
                f"Also searched: {row['short']} = {row['long']} (turn off with --exact)", dim=True
            )
        )
    out(f"{suggestion.strip()}?\n" if suggestion else "")
    for hit in result.results:
        out(f"{hit.rank}. {style(hit.citation, bold=True)}{_where(hit)}  (score {hit.score:.3f})")
        about = [hit.title or relative_source(hit)]  # never a machine's absolute path
        about += [p for p in (hit.kind, hit.publisher, human_date(hit.date)) if p]
        if hit.inspection_year:
            about.append(f"inspected {hit.inspection_year}")
        document = document_of(hit.citation.rsplit("#", 1)[0])
        if document is not None and document.overall_effectiveness:
            about.append(f"overall: {document.overall_effectiveness}")
        if hit.role:
            about.append(f"role: {hit.role}")
        out("   " + style(" | ".join(about), dim=True))
        if hit.section:
            out("   " + style(f"Section: {hit.section}", dim=True))
        body = render(hit.text, hit.matches, color)
        out("   " + body.replace("\n", "\n   ") + "\n")


def _styler(color: bool) -> Callable[..., str]:
    def style(text: str, **kwargs: Any) -> str:
        return click.style(text, **kwargs) if color else text

    return style


# --- show -------------------------------------------------------------------------------------


@cli.command("show")
@click.argument("citation")
@click.option("--context", "-C", "around", type=click.IntRange(min=0), default=0, show_default=True,
              help="Also show N passages before and after.")  # fmt: skip
@json_option
@index_option
def show_command(citation: str, around: int, as_json: bool, index_dir: Path) -> None:
    """Show the passage with key CITATION, its metadata and a ready-to-paste reference."""
    from search.cite import human_date, location, reference
    from search.engine import CitationNotFound

    engine = _open_engine(index_dir)
    try:
        before, passage, after = engine.context(citation, around)
    except CitationNotFound as error:
        raise click.ClickException(f"{error}. Find keys with: search query WORDS") from None
    if as_json:
        data = asdict(passage)
        data["reference"] = reference(passage)
        data["context"] = [asdict(p) for p in before + after]
        _echo_json(data)
        return
    document = engine.document(passage.citation.rsplit("#", 1)[0])
    echo(f"{passage.citation}" + (f"  paragraph {passage.paragraph}" if passage.paragraph else ""))
    echo(f"Title:     {passage.title or '(unknown)'}")
    echo(f"Kind:      {passage.kind or '(unknown)'}")
    echo(f"Publisher: {passage.publisher or '(unknown)'}")
    echo(f"Published: {human_date(passage.date) or '(unknown)'}")
    inspected = str(passage.inspection_year) if passage.inspection_year else "(unknown)"
    if document.inspection_start and document.inspection_end:
        inspected += (
            f" ({human_date(document.inspection_start)} to {human_date(document.inspection_end)})"
        )
    echo(f"Inspected: {inspected}")
    if document.local_authority:
        echo(f"Authority: {document.local_authority}")
    for area, grade in document.judgements:
        echo(f"Judgement: {area}: {grade}")
    if document.overall_effectiveness:
        echo(f"Overall:   {document.overall_effectiveness}")
    if passage.section:
        echo(f"Section:   {passage.section}")
    echo(f"Source:    {passage.source}, {location(passage)}")
    echo("")
    for p in before:
        echo(f"  [{p.citation}] {p.text}\n")
    echo(passage.text + "\n")
    for p in after:
        echo(f"  [{p.citation}] {p.text}\n")
    echo(f"Cite as: {reference(passage)}.")


# --- documents --------------------------------------------------------------------------------


@cli.command("documents")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "csv"]),
    default="text",
    show_default=True,
    help="csv: one row a document, one column per judgement area, for a spreadsheet.",
)
@json_option
@index_option
def documents_command(output_format: str, as_json: bool, index_dir: Path) -> None:
    """List every indexed document with its metadata and passage count."""
    engine = _open_engine(index_dir)
    documents = engine.documents()
    if output_format == "csv":
        from search.export import documents_csv

        echo_export(documents_csv(documents))
        return
    if as_json or output_format == "json":
        _echo_json([asdict(d) for d in documents])
        return
    for doc in documents:
        echo(f"{doc.doc_id}  ({plural(doc.passages, 'passage')})")
        echo(f"   {doc.title or '(no title)'}")
        facts = [
            f"kind: {doc.kind or 'unknown'}",
            f"publisher: {doc.publisher or 'unknown'}",
            f"published: {doc.date or 'unknown'}",
            f"inspection year: {doc.inspection_year or 'unknown'}",
        ]
        if doc.local_authority:
            facts.append(f"authority: {doc.local_authority}")
        if doc.overall_effectiveness:
            facts.append(f"overall: {doc.overall_effectiveness} ({doc.framework})")
        echo("   " + " | ".join(facts))
        echo(f"   {doc.source}\n")
    total = sum(d.passages for d in documents)
    echo(f"{plural(len(documents), 'document')}, {plural(total, 'passage')}.")


# --- serve ------------------------------------------------------------------------------------


@cli.command("serve")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Another address only when asked: there is no login.")  # fmt: skip
@index_option
def serve_command(port: int, host: str, index_dir: Path) -> None:
    """Serve the search page on this machine (read-only; follows the index as it updates)."""
    import uvicorn

    from search.web import create_app

    _open_engine(index_dir).close()  # a missing or damaged index is one line, before serving
    if host not in ("127.0.0.1", "localhost", "::1"):
        echo(f"warning: serving on {host}: anyone who can reach it can search; there is no login",
             err=True)  # fmt: skip
    echo(f"Serving {index_dir}/ at http://{host}:{port}/ (Ctrl-C stops)", err=True)
    try:
        uvicorn.run(create_app(index_dir), host=host, port=port, log_level="warning")
    except OSError as error:
        raise click.ClickException(
            f"cannot serve on {host}:{port}: {error.strerror or error}"
        ) from None


# --- eval -------------------------------------------------------------------------------------


@cli.command("eval")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--k1", type=K1_RANGE, help=f"BM25 k1 (default: the index's, else {K1:g}).")
@click.option("--b", type=B_RANGE, help=f"BM25 b (default: the index's, else {B:g}).")
@click.option("--exact", is_flag=True, help="Judged files: no acronym and spelling expansion.")
@click.option(
    "--no-role-weights",
    "plain_roles",
    is_flag=True,
    help="Judged files: recommendations rank as others (as collections always do).",
)
@click.option(
    "--tune",
    is_flag=True,
    help="Judged files: choose k1 and b for the index by cross-validation (search.tuning).",
)
@click.option("--folds", type=click.IntRange(2, 100), default=5, show_default=True,
              help="With --tune: how many folds.")  # fmt: skip
@click.option("--save", is_flag=True, help="With --tune: keep the choice in the index.")
@ranking_options
@json_option
@index_option
def eval_command(
    path: Path,
    k1: float | None,
    b: float | None,
    exact: bool,
    plain_roles: bool,
    tune: bool,
    folds: int,
    save: bool,
    heading_boost: float,
    proximity: bool,
    rm3: bool,
    as_json: bool,
    index_dir: Path,
) -> None:
    """Measure ranking: nDCG@10, Recall@100, MRR@10 and MAP.

    PATH is a test collection in BEIR layout (a folder with corpus.jsonl, queries.jsonl and
    qrels.tsv: its corpus is indexed in a temporary folder), or a file of your own judged
    queries (query<TAB>citation key<TAB>grade, one a line) run against --index.

    --tune scores a grid of k1 and b on the judged queries, cross-validates the choice, and
    with --save keeps it in the index: `search query`, `search serve` and `search eval` then
    rank with it unless --k1 or --b is given.
    """
    from indexer.display import shown
    from search.evaluate import JudgementsError, evaluate_collection, evaluate_judged_file

    if (tune or save) and (path.is_dir() or k1 is not None or b is not None):
        raise click.UsageError("--tune takes a judged-queries file, and no --k1 or --b")
    if save and not tune:
        raise click.UsageError("--save keeps what --tune chose: give --tune too")
    try:
        refine = _refinements(heading_boost, proximity, rm3)
        if tune:
            options = {"refine": refine, "exact": exact, "role_weights": not plain_roles}
            _tune(path, index_dir, folds, save, options, as_json)
            return
        if path.is_dir():  # a collection keeps its own settings, not the index's
            k1, b = (K1 if k1 is None else k1), (B if b is None else b)
            report = evaluate_collection(path, k1=k1, b=b, refine=refine)  # plain BM25
        else:
            engine = _open_engine(index_dir)
            report = evaluate_judged_file(
                engine, path, k1=k1, b=b, refine=refine, exact=exact, role_weights=not plain_roles
            )
    except JudgementsError as error:
        raise click.UsageError(str(error)) from None
    if report.not_in_index:
        # a warning, not an error: the metrics are still trec_eval's, and a key gone stale
        # after its document changed should not stop the rest being measured
        where = "the collection's corpus" if path.is_dir() else f"the index {index_dir}/"
        examples = ", ".join(shown(e) for e in report.not_in_index_examples)
        more = ", ..." if report.not_in_index > len(report.not_in_index_examples) else ""
        echo(
            f"warning: {plural(report.not_in_index, 'judged document')} not in {where} "
            f"(they count as relevant and never found): {examples}{more}",
            err=True,
        )
    if as_json:
        _echo_json(asdict(report))
        return
    echo(
        f"{report.collection}: {plural(report.queries, 'judged query', 'judged queries')} "
        f"over {plural(report.documents, 'document')}, k1={report.k1:g} b={report.b:g}, "
        f"{report.refinements}"
    )
    for label, value in (
        ("nDCG@10", report.ndcg_at_10),
        ("Recall@100", report.recall_at_100),
        ("MRR@10", report.mrr_at_10),
        ("MAP", report.map),
    ):
        echo(f"  {label:<11}{value:.4f}")
    timing = f"queries {report.query_seconds:.1f} s"
    if report.index_seconds:
        timing = f"indexing {report.index_seconds:.1f} s, " + timing
    echo(f"  ({timing})")


def _tune(
    path: Path, index_dir: Path, folds: int, save: bool, options: dict[str, Any], as_json: bool
) -> None:
    """search eval --tune: the cross-validated choice of k1 and b, kept with --save."""
    from search.evaluate import tune_judged_file

    engine = _open_engine(index_dir)
    try:
        report = tune_judged_file(engine, path, folds=folds, **options)
    finally:
        engine.close()
    if save:
        _save_parameters(index_dir, report.chosen)
    if as_json:
        _echo_json({**asdict(report), "saved": save})
        return
    echo(f"{report.collection}: {plural(report.queries, 'judged query', 'judged queries')}, "
         f"{len(report.folds)}-fold cross-validation over k1 x b")  # fmt: skip
    for number, fold in enumerate(report.folds, start=1):
        queries = plural(fold.queries, "query", "queries")
        echo(f"  fold {number}: {queries:>11}  k1={fold.k1:g} b={fold.b:g}  "
             f"nDCG@10 {fold.ndcg_at_10:.4f}")  # fmt: skip
    echo(f"  cross-validated nDCG@10 {report.cross_validated_ndcg_at_10:.4f}; "
         f"k1={K1:g} b={B:g} {report.defaults_ndcg_at_10:.4f}; best in sample "
         f"k1={report.best_k1:g} b={report.best_b:g} {report.best_ndcg_at_10:.4f}")  # fmt: skip
    noise = "more than" if report.gain > report.gain_standard_error else "within"
    echo(f"  gain {report.gain:+.4f}, standard error {report.gain_standard_error:.4f}: "
         f"{noise} one standard error")  # fmt: skip
    chosen = report.chosen
    verdict = "kept in the index" if save else "not saved (add --save to keep it)"
    echo(f"  choice: k1={chosen.k1:g} b={chosen.b:g}, {chosen.chosen_by}; {verdict}")
    echo(f"  (queries {report.query_seconds:.1f} s)")


def _save_parameters(index_dir: Path, parameters: Any) -> None:
    from indexer.generations import IndexBusy
    from indexer.pipeline import save_parameters

    try:
        save_parameters(index_dir, parameters)
    except IndexBusy as busy:
        raise click.ClickException(str(busy)) from None
    except OSError as error:
        raise click.ClickException(
            f"{index_dir}: cannot be written ({_os_reason(error)})"
        ) from None


def main() -> None:
    """Console entry point: a closed pipe (`search query x | head -1`) ends quietly, a stdout
    that cannot be written (closed, a full disk) is one line on stderr and exit 1, and a
    terminal that cannot show UTF-8 gets readable ASCII rather than an error."""
    if hasattr(signal, "SIGPIPE"):
        # as grep and head do: a reader that went away ends us quietly (exit status 141)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if sys.stdout is None:  # started with stdout closed (`>&-`): echo() says so
        _occupy_closed_descriptor(1)
    try:
        cli(standalone_mode=True)
    except BrokenPipeError:
        _silence_stdout()
        sys.exit(0)
    except SystemExit as done:
        sys.exit(_flushed(done.code))
    except OSError as error:
        # click's own output (--help, --version) that could not be written; any other
        # OSError names its file and is not ours to explain
        if error.filename is not None or error.errno not in _WRITE_ERRORS:
            raise
        _silence_stdout()
        echo(f"Error: cannot write the output: {error.strerror}", err=True)
        sys.exit(1)


_WRITE_ERRORS = {errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG, errno.EBADF}


def _flushed(code: int | str | None) -> int | str | None:
    """The exit code once stdout's last bytes are written; a write that fails now is reported
    here (unless the command already failed), never by Python at exit as a traceback."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except OSError as error:
        _silence_stdout()
        if code in (0, None):
            echo(f"Error: cannot write the output: {error.strerror or error}", err=True)
            return 1
    return code


def _silence_stdout() -> None:
    """Point stdout at devnull: Python flushes it at exit and would complain again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # no descriptor to replace: nothing will be flushed to it


def _occupy_closed_descriptor(fd: int) -> None:
    """Hold a closed standard descriptor with devnull, so that no file opened later (an
    index file) gets its number and receives what a worker process prints."""
    try:
        os.fstat(fd)
    except OSError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        if devnull != fd:
            os.dup2(devnull, fd)
            os.close(devnull)


if __name__ == "__main__":
    main()
