"""The index against a model of what it should hold, over random sequences of edits to a
corpus, index runs, index runs killed part way, and queries (hypothesis stateful testing).

The model is the simplest possible: the files in the folder and their texts. After a run of
`search index` the index holds exactly those files, each under a key of its own that never
changes while the file keeps its path; a run killed at any moment leaves either the index as
it was or as it would have been; a query finds each document by its own word, and the CLI's
query brings a stale index up to date first. File names are chosen to collide once slugged
(case, spaces and hyphens, NFC and NFD, Cyrillic with and without a diaeresis, the same name
in two folders).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from indexer.pipeline import build_index
from search.cli import cli
from search.engine import Engine

from .conftest import ROOT

pytestmark = pytest.mark.slow

NAMES = (
    "Report.txt",
    "report.md",
    "a b.txt",
    "a-b.txt",
    "caf\u00e9.txt",  # NFC
    "cafe\u0301.txt",  # NFD: the same word to a reader, another name to the file system
    "отчёт.txt",
    "отчет.txt",
    "north/Report.txt",
    "south/Report.txt",
)


def marker(number: int) -> str:
    """A word of letters found in one document only: 0 -> 'quokkaa', 27 -> 'quokkabb'."""
    letters = ""
    while True:
        letters = chr(ord("a") + number % 26) + letters
        number //= 26
        if not number:
            break
    return "quokka" + letters.rjust(2, "a")


class IndexModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.work = Path(tempfile.mkdtemp(prefix="model-"))
        self.corpus = self.work / "corpus"
        self.corpus.mkdir()
        self.index = self.work / "index"
        self.files: dict[str, str] = {}  # name -> its marker word, as on disk now
        self.indexed: dict[str, str] | None = None  # what the index should hold, once built
        self.keys: dict[str, str] = {}  # name -> the key it was given while it was present
        self.counter = 0

    def teardown(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)

    # edits to the corpus ----------------------------------------------------------------------

    @rule(name=st.sampled_from(NAMES))
    def write(self, name: str) -> None:
        word = marker(self.counter)
        self.counter += 1
        path = self.corpus / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"Document {name}\n\nThis paragraph is the one with {word} in it.\n")
        self.files[name] = word

    @precondition(lambda self: self.files)
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.files)))
        (self.corpus / name).unlink()
        del self.files[name]
        self.keys.pop(name, None)  # a new file at that name may be another document

    @precondition(lambda self: self.files and len(self.files) < len(NAMES))
    @rule(data=st.data())
    def rename(self, data: st.DataObject) -> None:
        old = data.draw(st.sampled_from(sorted(self.files)))
        new = data.draw(st.sampled_from([n for n in NAMES if n not in self.files]))
        (self.corpus / new).parent.mkdir(parents=True, exist_ok=True)
        (self.corpus / old).rename(self.corpus / new)
        self.files[new] = self.files.pop(old)
        self.keys.pop(old, None)

    # runs of the indexer ----------------------------------------------------------------------

    @rule()
    def index_run(self) -> None:
        if not self.files and self.indexed is None:
            return  # nothing to index into a new index: not an interesting state
        build_index([self.corpus], self.index, workers=1, progress=False)
        self.indexed = dict(self.files)
        self.check_holds(self.indexed)

    @precondition(lambda self: self.indexed is not None)
    @rule(delay=st.sampled_from([0.0, 0.05, 0.2, 0.5]))
    def killed_run(self, delay: float) -> None:
        before = dict(self.indexed or {})
        process = subprocess.Popen(
            [sys.executable, "-m", "search", "index", str(self.corpus), "--index", str(self.index)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(delay)
            process.send_signal(signal.SIGKILL)
        finally:
            process.wait(timeout=60)
        held = self.held()
        assert held in (before, self.files), (held, before, self.files)
        self.indexed = held

    @precondition(lambda self: self.indexed is not None)
    @rule()
    def cli_query(self) -> None:
        """A query through the CLI answers, bringing the (small) stale index up to date; but
        a folder left with no document at all looks unmounted, and is not emptied by a query
        (an explicit `search index` does that)."""
        result = CliRunner().invoke(cli, ["query", "paragraph", "--index", str(self.index)])
        assert result.exit_code == 0, result.output
        if self.files or not self.indexed:
            self.indexed = dict(self.files)
        else:
            assert "unmounted" in result.stderr
        self.check_holds(self.indexed)

    # what must hold ---------------------------------------------------------------------------

    def held(self) -> dict[str, str]:
        """What the index holds: file name -> the marker word of its text."""
        engine = Engine.open(self.index)
        try:
            held = {}
            for document in engine.documents():
                name = Path(document.path).relative_to(self.corpus.resolve()).as_posix()
                text = " ".join(p.text for p in engine.store.passages_of(document.doc_id))
                held[name] = next(w for w in text.split() if w.startswith("quokka"))
            return held
        finally:
            engine.close()

    def check_holds(self, expected: dict[str, str]) -> None:
        engine = Engine.open(self.index)
        try:
            documents = engine.documents()
            by_name = {
                Path(d.path).relative_to(self.corpus.resolve()).as_posix(): d for d in documents
            }
            assert sorted(by_name) == sorted(expected), "the index holds every file, once"
            assert len({d.doc_id for d in documents}) == len(documents)
            for name, document in by_name.items():
                given = self.keys.setdefault(name, document.doc_id)
                assert document.doc_id == given, f"{name}: key {given} became {document.doc_id}"
            for name, word in expected.items():
                hits = engine.search(word, limit=5).results
                assert [h.citation.rsplit("#", 1)[0] for h in hits] == [by_name[name].doc_id]
        finally:
            engine.close()

    @invariant()
    def no_leftover_generations(self) -> None:
        if self.index.is_dir():
            generations = [p for p in self.index.iterdir() if p.name.startswith("gen-")]
            assert len(generations) <= 2 + 1  # current, previous, and one a killed run left


IndexModel.TestCase.settings = settings(
    max_examples=int(os.environ.get("MODEL_EXAMPLES", "12")),
    stateful_step_count=14,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestIndexModel = IndexModel.TestCase
