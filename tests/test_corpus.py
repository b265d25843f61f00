"""The whole Ofsted corpus (../shared/corpora/ofsted-ilacs): indexed once, then checked.

Marked `corpus`: `make test` runs these after the unit tests; they take about a minute.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.analysis import terms
from indexer.pipeline import IndexReport, build_index
from indexer.sources import document_id
from search.cli import cli
from search.engine import Engine

from .conftest import OFSTED, whoosh_reader

pytestmark = pytest.mark.corpus

HTML_PAGES = {  # PROVENANCE.md: four error pages saved with a .pdf name
    "80429_birmingham/children's services inspection - 19 october 2012.pdf",
    "80431_blackpool/children's services inspection - 13 july 2012.pdf",
    "80490_bromley/children's services inspection - 17 august 2012.pdf",
    "80543_rotherham/children's services inspection - 10 august 2012.pdf",
}


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, IndexReport]:
    if not OFSTED.is_dir():
        pytest.skip(f"the shared Ofsted corpus is not at {OFSTED}")
    index_dir = tmp_path_factory.mktemp("ofsted-index")
    return index_dir, build_index([OFSTED], index_dir, progress=False)


@pytest.fixture(scope="module")
def engine(corpus_index: tuple[Path, IndexReport]) -> Engine:
    return Engine.open(corpus_index[0])


def test_every_real_report_is_indexed_and_the_four_bad_files_skipped(corpus_index) -> None:
    _, report = corpus_index
    pdfs = sorted(OFSTED.glob("reports/*/*.pdf"))
    assert len(pdfs) == 435
    assert report.failed == []
    skipped = {str(Path(p).relative_to(OFSTED / "reports")): why for p, why in report.skipped}
    assert set(skipped) == HTML_PAGES
    assert all(why.startswith("an HTML page") for why in skipped.values())
    indexed_pdfs = [d for d in report.added if d.startswith("reports/")]
    assert len(indexed_pdfs) == 431


def test_reports_carry_their_inspection_metadata(engine: Engine) -> None:
    reports = [d for d in engine.documents() if d.doc_id.startswith("reports/")]
    with_metadata = [d for d in reports if d.local_authority]
    # One file is a stand-alone review of a safeguarding board, not an inspection report.
    assert len(with_metadata) == 430
    assert all(d.publisher == "Ofsted" and d.inspection_year for d in with_metadata)
    assert all(d.overall_effectiveness for d in with_metadata)


def test_the_issue_query_returns_correct_highlighted_citable_passages(engine: Engine) -> None:
    result = engine.search("missing from education", year="2023", grade="inadequate", limit=10)
    assert result.total > 10
    for hit in result.results:
        document = engine.store.documents[hit.citation.rsplit("#", 1)[0]]
        assert document.inspection_year == 2023
        assert document.overall_effectiveness == "inadequate"
        marked = {terms(hit.text[a:b])[0] for a, b in hit.matches}
        assert marked & set(terms("missing education"))  # "missed" and "educated" count too
        assert engine.passage(hit.citation).text == hit.text
        assert hit.pages is not None


def test_citation_keys_from_awkward_file_names_paste_back(engine: Engine, corpus_index) -> None:
    # "bournemouth, christchurch & poole" and "children's services": slugs a shell takes
    keys = [d.doc_id for d in engine.documents() if "christchurch" in d.doc_id]
    assert keys and all(re.fullmatch(r"[a-z0-9_/-]+", k) for k in keys)
    result = CliRunner().invoke(
        cli, ["show", f"{keys[0]}#3", "--json", "--index", str(corpus_index[0])]
    )
    assert result.exit_code == 0
    assert "&" in json.loads(result.output)["source"]


def test_no_running_header_or_page_number_inside_passages(engine: Engine) -> None:
    # ILACS running header: "Inspection of X local authority children's services" then
    # "<inspection dates> <page>"; SIF: "<authority> Inspection of ... <page>".
    header = re.compile(
        r"local authority children.s services \d{1,2}( to| -|–)[\w ]{3,30}\d{4} \d{1,2}\b"
    )
    reader = whoosh_reader(engine.store)
    texts = [fields["text"] for _, fields in reader.iter_docs()]
    assert len(texts) > 40_000
    assert [t[:80] for t in texts if header.search(t)] == []
    split = [t for t in texts if t[:1].islower()]  # a paragraph cut in two starts in lower case
    assert len(split) < len(texts) * 0.001


def test_reindexing_an_unchanged_corpus_reads_nothing(corpus_index) -> None:
    index_dir, first = corpus_index
    again = build_index([OFSTED], index_dir, progress=False)
    assert again.indexed == 0 and again.failed == []
    assert len(again.unchanged) == len(first.added)


def test_file_names_repeated_across_authorities_keep_their_own_keys(engine: Engine) -> None:
    """102 file names stand in more than one authority's folder; each file keeps its natural
    key (the path below the corpus), none is qualified or replaced."""
    documents = engine.documents()
    by_name = Counter(Path(d.path).name for d in documents)
    assert sum(1 for count in by_name.values() if count > 1) >= 100
    for document in documents:
        relative = Path(document.path).relative_to(OFSTED.resolve()).as_posix()
        assert document.doc_id == document_id(relative)
    assert len({d.path for d in documents}) == len(documents)
    camden = "reports/80491_camden/childrens-services-inspection-21-june-2022"
    assert camden in engine.store.documents
