"""`search serve`: every page, parameter and error through Starlette's test client, over the
seed index (and small indexes of our own). Truth: the library's own results for the same
search (`Engine.search`), and the escaping of what a document holds."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

from indexer.pipeline import build_index
from search.engine import Engine
from search.web import create_app

from .conftest import write_corpus


@pytest.fixture(scope="module")
def client(seed_index: Path) -> TestClient:
    return TestClient(create_app(seed_index))


def test_the_empty_page_has_the_box_and_no_results(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert '<input id="q" name="q" type="search"' in page.text
    assert "<mark>" not in page.text


def test_results_are_the_librarys_with_matches_marked(client: TestClient, engine: Engine) -> None:
    page = client.get("/", params={"q": "care leavers"}).text
    expected = engine.search("care leavers", limit=20)
    assert f"{expected.total} passages match" in page
    for hit in expected.results:
        assert f"<code>{hit.citation}</code>" in page
    assert "<mark>leavers</mark>" in page
    assert quote(expected.results[0].citation, safe="/") in page  # its page's link, # escaped


def test_facets_count_every_match_and_narrow_when_followed(
    client: TestClient, engine: Engine
) -> None:
    page = client.get("/", params={"q": "care"}).text
    news = engine.search("care", kind="news", limit=None).total
    assert f'href="/?kind=news&amp;q=care">news</a> <span class="count">{news}</span>' in page
    narrowed = client.get("/", params={"q": "care", "kind": "news"}).text
    assert f"{news} passages match" in narrowed
    assert 'aria-label="Remove kind news"' in narrowed


@pytest.mark.parametrize("text", ["care", "children", '"social workers"', "leavers OR fostering"])
def test_each_facet_count_is_the_total_of_the_search_it_narrows_to(
    engine: Engine, text: str
) -> None:
    facets = engine.facets(text)
    option = {"kind": "kind", "inspection_year": "year", "role": "role", "local_authority": "la"}
    assert facets["kind"], "the seeds hold every kind of match"
    for name, parameter in option.items():
        for value, count in facets[name]:
            narrowed = engine.search(text, **{parameter: value}, limit=1).total
            if name == "local_authority":  # a filter by name also takes spellings that hold it
                assert narrowed >= count
            else:
                assert narrowed == count, (name, value)
    assert sum(count for _, count in facets["role"]) == engine.search(text, limit=1).total


def test_every_state_is_a_url_and_paging_follows(client: TestClient, engine: Engine) -> None:
    total = engine.search("children", limit=None).total
    assert total > 20
    second = client.get("/", params={"q": "children", "page": "2"}).text
    expected = engine.search("children", limit=40).results[20:40]
    assert expected[0].citation in second
    assert 'rel="prev"' in second


def test_passage_page_has_context_reference_and_links(client: TestClient) -> None:
    page = client.get("/passage/" + quote("004_26166e069228efdc#35")).text
    assert "personal advisers (PAs)" in page
    cited = (
        "Inspection of Camden local authority children&#39;s services, 21 June 2022, paragraph 27"
    )
    assert f"Ofsted, {cited}" in page
    assert "004_26166e069228efdc#34" in page and "004_26166e069228efdc#36" in page
    assert 'href="/document/004_26166e069228efdc"' in page
    more = client.get("/passage/" + quote("004_26166e069228efdc#35"), params={"context": "5"}).text
    assert "004_26166e069228efdc#30" in more


def test_document_page_lists_passages_in_reading_order(client: TestClient, engine: Engine) -> None:
    page = client.get("/document/004_26166e069228efdc").text
    keys = [p.citation for p in engine.passages_of("004_26166e069228efdc")]
    positions = [page.index(f"<code>{k}</code>") for k in keys]
    assert positions == sorted(positions)


def test_exports_hold_the_search_and_the_api_is_the_json(
    client: TestClient, engine: Engine
) -> None:
    expected = engine.search("adoption", limit=None)
    exported = client.get("/export.csv", params={"q": "adoption"})
    assert exported.headers["content-type"].startswith("text/csv")
    text = exported.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:], newline="")))
    assert [r["citation"] for r in rows] == [h.citation for h in expected.results]
    markdown = client.get("/export.md", params={"q": "adoption"}).text
    assert all(f"(`{h.citation}`)" in markdown for h in expected.results)
    api = client.get("/api/search", params={"q": "adoption", "limit": "3"}).json()
    assert [r["citation"] for r in api["results"]] == [h.citation for h in expected.results[:3]]
    assert api["total"] == expected.total


@pytest.mark.parametrize(
    ("path", "params", "status", "words"),
    [
        ("/", {"q": "care", "year": "abcd"}, 400, "is not a year"),
        ("/", {"q": "the of"}, 400, "nothing to search for"),
        ("/", {"q": "care", "kind": "poem"}, 400, "is not a kind"),
        ("/", {"q": "care", "role": "advice"}, 400, "is not a role"),
        ("/", {"q": "care", "page": "x"}, 200, "passages match"),
        ("/", {"q": "care", "page": "99999999999999"}, 200, "passages match"),
        ("/", {"q": '"\x00<>'}, 400, "nothing to search for"),
        ("/passage/nothing-here", {}, 404, "not a citation key"),
        ("/passage/" + quote("004_26166e069228efdc#999"), {}, 404, "no passage"),
        ("/document/" + quote("../../etc/passwd", safe=""), {}, 404, "No document"),
        ("/file/" + quote("../../etc/passwd", safe=""), {}, 404, "not at hand"),
        ("/file/../../etc/passwd", {}, 404, "No such page"),
        ("/export.exe", {"q": "care"}, 404, "export.csv"),
        ("/export.csv", {}, 400, "Give a query"),
        ("/nowhere", {}, 404, "No such page"),
        ("/api/search", {}, 400, "give a query"),
    ],
)
def test_bad_requests_get_a_page_with_a_message(
    client: TestClient, path: str, params: dict, status: int, words: str
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == status
    assert words in response.text


def test_what_a_document_holds_is_escaped(tmp_path: Path) -> None:
    corpus = write_corpus(
        tmp_path / "c", {"x.txt": 'Care <script>alert("care")</script> & <b>plans</b>.\n'}
    )
    build_index([corpus], tmp_path / "index")
    web = TestClient(create_app(tmp_path / "index"))
    pages = [web.get("/", params={"q": "care <script>"}), web.get("/passage/" + quote("x#1"))]
    for page in [p.text for p in [*pages, web.get("/document/x")]]:
        assert "<script>alert" not in page
        assert "&lt;script&gt;" in page


def test_the_file_is_served_by_its_key_only(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"x.txt": "Care plans.\n"})
    build_index([corpus], tmp_path / "index")
    web = TestClient(create_app(tmp_path / "index"))
    assert web.get("/file/x").text == "Care plans.\n"


def test_the_server_follows_the_index_as_it_is_updated(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"a.txt": "Care plans.\n"})
    index = tmp_path / "index"
    build_index([corpus], index)
    web = TestClient(create_app(index))
    assert "1 passage match" in web.get("/", params={"q": "care"}).text
    write_corpus(corpus, {"b.txt": "Care leavers.\n"})
    build_index([corpus], index)  # a new generation; the old one is removed after the next
    write_corpus(corpus, {"c.txt": "Care homes.\n"})
    build_index([corpus], index)
    assert "3 passages match" in web.get("/", params={"q": "care"}).text


def test_search_query_does_not_import_the_web_stack(seed_index: Path) -> None:
    import subprocess
    import sys

    program = (
        "import sys; from search.cli import main; sys.argv = ['search', 'query', 'care', "
        f"'--index', {str(seed_index)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('starlette', 'uvicorn', 'jinja2') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                         timeout=120, check=True)  # fmt: skip
    assert out.stdout.strip().splitlines()[-1] == "[]"
