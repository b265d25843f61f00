"""An HTML page's own metadata (indexer.html.read_html) as evidence of the document's
metadata: it fills what the page's words leave unknown, after them and before facts.toml."""

from __future__ import annotations

from pathlib import Path

from indexer.pipeline import build_index
from search.engine import Engine

from .conftest import write_corpus

ARTICLE = (
    "Care leavers in the borough now have a personal adviser until they are 25, and most of"
    " them say the adviser knows them well. The council's leaders set out the change last"
    " year after listening to young people."
)


def page(head: str, body_extra: str = "") -> str:
    return (
        f"<html><head><title>Advisers for care leavers</title>{head}</head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><main><article>"
        f"<h1>Advisers for care leavers</h1><p>{ARTICLE}</p><p>{ARTICLE}</p>{body_extra}"
        "</article></main><footer><p>Contact us</p></footer></body></html>"
    )


MARKUP = (
    '<meta property="article:published_time" content="2023-05-04T09:30:00+01:00">'
    '<meta property="og:site_name" content="Borough Gazette">'
)


def _document(tmp_path: Path, files: dict[str, str]):
    corpus = write_corpus(tmp_path / "c", files)
    build_index([corpus], tmp_path / "i")
    engine = Engine.open(tmp_path / "i")
    try:
        return {d.doc_id: d for d in engine.documents()}
    finally:
        engine.close()


def test_the_page_markup_gives_the_date_and_publisher_with_provenance(tmp_path: Path) -> None:
    doc = _document(tmp_path, {"advisers.html": page(MARKUP)})["advisers"]
    assert doc.date == "2023-05-04"
    assert doc.publisher == "Borough Gazette"
    assert doc.provenance["date"] == "html meta: article:published_time"
    assert doc.provenance["publisher"] == "html meta: og:site_name"
    assert doc.title == "Advisers for care leavers"


def test_without_markup_the_page_has_no_date_or_publisher(tmp_path: Path) -> None:
    doc = _document(tmp_path, {"advisers.html": page("")})["advisers"]
    assert doc.date is None and doc.publisher is None
    assert "date" not in doc.provenance and "publisher" not in doc.provenance


def test_the_pages_own_words_come_before_its_markup(tmp_path: Path) -> None:
    printed = "<p>Report published: 1 June 2023</p>"
    doc = _document(tmp_path, {"advisers.html": page(MARKUP, printed)})["advisers"]
    assert doc.date == "2023-06-01" and doc.provenance["date"].startswith("text:")


def test_the_markup_comes_before_the_facts_file(tmp_path: Path) -> None:
    facts = "".join(
        f'[[fact]]\ndocument = "advisers"\nfield = "{name}"\nvalue = {value}\nsource = "note"\n'
        for name, value in (
            ("date", '"2020-01-01"'),
            ("publisher", '"Other"'),
            ("inspection_year", 2022),
        )
    )
    doc = _document(tmp_path, {"advisers.html": page(MARKUP), "facts.toml": facts})["advisers"]
    assert (doc.date, doc.publisher) == ("2023-05-04", "Borough Gazette")
    assert doc.inspection_year == 2022  # what the markup does not say, the facts file may
    assert doc.provenance["inspection_year"].startswith("facts.toml")
