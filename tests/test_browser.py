"""`search serve` in a real browser: a uvicorn process over the seed index, driven by Playwright
through Debian's Chromium (/usr/bin/chromium; never a browser download of Playwright's own, and
no network). What a person does: type and press Enter, follow a facet and go back, copy a
reference, download the CSV, press `/`; and axe-core's WCAG 2.x A/AA rules on each kind of page.
Truth: the JSON API of the same server for the same search, and the page's own text.

Each test saves a screenshot under its tmp_path. With SEARCH_SCREENSHOTS_TO_DOCS=1 the search,
passage and document pages' screenshots are also copied to docs/screenshots/ (for the README);
tests never write there otherwise."""

from __future__ import annotations

import contextlib
import csv
import ctypes
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

pytestmark = pytest.mark.slow

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "tests" / "vendor" / "axe.min.js"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
STARTUP = 30.0  # seconds the server has to answer; generous for a loaded 2-core machine
WAIT_MS = 30_000  # every Playwright wait and navigation: generous, never a timing assertion
PASSAGE = "004_26166e069228efdc#35"
DOCUMENT = "004_26166e069228efdc"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _search_command() -> list[str]:
    script = Path(sys.executable).with_name("search")  # .venv/bin/search beside this python
    return [str(script)] if script.exists() else [sys.executable, "-m", "search"]


def _die_with_parent() -> None:
    """In the server, before it starts (Linux): be sent SIGTERM if pytest itself dies, even
    by SIGKILL, so that no run leaves a server behind."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _stop(process: subprocess.Popen) -> None:
    """End the server and anything it started (its own process group), surely."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


def _start(index_dir: Path, log: Path) -> tuple[subprocess.Popen, str]:
    """One server on a free port, answering `/`; a port taken in the meantime is tried again."""
    for _attempt in range(3):
        port = _free_port()
        command = [*_search_command(), "serve", "--index", str(index_dir), "--port", str(port)]
        with log.open("ab") as out:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so that _stop ends it all
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP
        try:
            while time.monotonic() < deadline and process.poll() is None:
                try:
                    with urllib.request.urlopen(base + "/", timeout=5) as answer:
                        if answer.status == 200:
                            return process, base
                except (urllib.error.URLError, OSError):
                    time.sleep(0.25)
        except BaseException:
            _stop(process)
            raise
        exited = process.poll()  # before _stop: its own exit, or None if it never answered
        _stop(process)
        if "cannot serve" not in log.read_text(errors="replace"):
            break  # not a port taken by someone else: no point in trying again
    how = f"exited ({exited})" if exited is not None else f"did not answer in {STARTUP:.0f} s"
    pytest.fail(f"search serve {how}:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def server(seed_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a real `search serve` over the seed index; stopped after the module."""
    log = tmp_path_factory.mktemp("server") / "serve.log"
    process, base = _start(seed_index, log)
    try:
        yield base
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def browser() -> Iterator[sync_api.Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: `make setup` installs Debian's chromium"
        if os.environ.get("CI"):  # a CI run must not go green by skipping the browser
            pytest.fail(message)
        pytest.skip(message)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: sync_api.Browser, server: str) -> Iterator[sync_api.Page]:
    context = browser.new_context(
        base_url=server,
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
        permissions=["clipboard-read", "clipboard-write"],
    )
    context.set_default_timeout(WAIT_MS)
    context.set_default_navigation_timeout(WAIT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def screenshot(page: sync_api.Page, tmp_path: Path, name: str) -> Path:
    """The page as the person sees it (the viewport), kept under tmp_path; copied to
    docs/screenshots/ only when SEARCH_SCREENSHOTS_TO_DOCS=1 asks for it."""
    folder = tmp_path / "screenshots"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    if os.environ.get("SEARCH_SCREENSHOTS_TO_DOCS") == "1" and name in (
        "search",
        "passage",
        "document",
    ):
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / path.name)
    return path


def api(server: str, **params: str) -> dict:
    with urllib.request.urlopen(f"{server}/api/search?{urlencode(params)}", timeout=30) as r:
        return json.load(r)


def heading(total: int) -> str:
    return f"{total} passage{'' if total == 1 else 's'} match"


def test_a_query_typed_and_entered_shows_results_with_matches_marked(
    page: sync_api.Page, server: str, tmp_path: Path
) -> None:
    page.goto("/")
    box = page.get_by_role("searchbox", name="Search passages")
    box.fill("care leavers")
    box.press("Enter")
    page.wait_for_url("**/?q=care+leavers")
    expected = api(server, q="care leavers", limit="20")
    expect(page.locator("h1")).to_contain_text(heading(expected["total"]))
    keys = page.locator(".hit .key code").all_inner_texts()
    assert keys == [r["citation"] for r in expected["results"]]
    marked = [m.lower() for m in page.locator(".hit blockquote mark").all_inner_texts()]
    assert {"care", "leavers"} <= set(marked)  # both words, stemmed: `careful` is marked too
    screenshot(page, tmp_path, "typed")


def test_a_facet_narrows_and_going_back_restores_the_first_state(
    page: sync_api.Page, server: str, tmp_path: Path
) -> None:
    page.goto("/?q=care")
    first = api(server, q="care", limit="1")["total"]
    expect(page.locator("h1")).to_contain_text(heading(first))
    facet = page.locator("nav.facets li").filter(
        has=page.get_by_role("link", name="news", exact=True)
    )
    count = int(facet.locator(".count").inner_text())
    assert 0 < count < first
    facet.get_by_role("link").click()
    page.wait_for_url("**kind=news**")
    expect(page.locator("h1")).to_contain_text(heading(count))
    assert api(server, q="care", kind="news", limit="1")["total"] == count
    expect(page.get_by_role("link", name="Remove kind news")).to_be_visible()
    screenshot(page, tmp_path, "facet")
    page.go_back()
    page.wait_for_url("**/?q=care")
    expect(page.locator("h1")).to_contain_text(heading(first))
    expect(page.get_by_role("link", name="Remove kind news")).to_have_count(0)
    screenshot(page, tmp_path, "back")


def test_a_hit_opens_its_passage_whose_reference_the_copy_button_copies(
    page: sync_api.Page, tmp_path: Path
) -> None:
    page.goto("/?q=" + quote('"relationship with their PA"'))
    hit = page.locator(".hit").filter(has=page.locator(".key code", has_text=PASSAGE))
    hit.get_by_role("link").click()  # its title
    page.wait_for_url("**/passage/**")
    assert page.url.endswith("/passage/" + quote(PASSAGE, safe=""))
    reference = page.locator("#reference")
    cited = "Ofsted, Inspection of Camden local authority children's services, 21 June 2022"
    expect(reference).to_contain_text(f"{cited}, paragraph 27")
    button = page.get_by_role("button", name="Copy reference")
    expect(button).to_be_visible()  # shown by app.js only where there is a clipboard
    button.click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    # announced: a live region (role=status) says so, as a screen reader would read it
    status = page.locator("#copy-status[role=status]")
    expect(status).to_have_text("Reference copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == reference.inner_text()
    screenshot(page, tmp_path, "copied")


def test_the_csv_export_downloads_the_searchs_matches(
    page: sync_api.Page, server: str, tmp_path: Path
) -> None:
    page.goto("/?q=adoption")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV", exact=True).click()
    download = download_info.value
    assert download.suggested_filename == "search.csv"
    saved = tmp_path / "search.csv"
    download.save_as(saved)
    text = saved.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")  # so that a spreadsheet reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(text[1:], newline="")))
    expected = api(server, q="adoption", limit="10000")
    assert rows and len(rows) == expected["total"]
    assert [r["citation"] for r in rows] == [r["citation"] for r in expected["results"]]
    screenshot(page, tmp_path, "export")


def test_slash_puts_the_cursor_in_the_search_box(page: sync_api.Page, tmp_path: Path) -> None:
    page.goto("/?q=care")
    box = page.locator("#q")
    page.locator("h1").click()  # focus anywhere but the box
    expect(box).not_to_be_focused()
    page.keyboard.press("/")
    expect(box).to_be_focused()
    assert box.input_value() == "care"  # the key moved the cursor and typed nothing
    screenshot(page, tmp_path, "slash")


def axe_violations(page: sync_api.Page) -> list[str]:
    """axe-core's WCAG 2.x A and AA rules over the page as loaded: one line per rule broken."""
    page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG
    )
    assert results["passes"], "axe ran no rule"
    return [
        f"{v['id']} ({v['impact']}): {v['help']}: "
        + "; ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        for v in results["violations"]
    ]


PAGES = {
    "search": "/?q=care+leavers",
    "passage": "/passage/" + quote(PASSAGE),
    "document": "/document/" + DOCUMENT,
}


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_at_320_pixels_wide_no_page_scrolls_sideways(page: sync_api.Page, path: str) -> None:
    """WCAG 1.4.10 Reflow (AA), which axe does not check: at 320 CSS pixels (1280 at 400%
    zoom) the text wraps; nothing needs scrolling in two directions."""
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(path)
    wider = page.evaluate(  # what sticks out, or holds what sticks out: to say where
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > innerWidth + 0.5
                         || e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0)
            .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))"""
    )
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), wider
    assert not wider


def _luminance(rgb: str) -> float:
    """The relative luminance (WCAG 2.x) of a computed colour, `rgb(r, g, b)`."""
    channels = [int(c) / 255 for c in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_the_focus_indicator_stands_out_from_the_page(page: sync_api.Page) -> None:
    """WCAG 1.4.11 Non-text Contrast (AA), which axe does not check: the outline that shows
    where the keyboard is has at least 3:1 against the page behind it, on a link, the box and a
    button alike."""
    page.goto("/?q=care")
    background = _luminance(page.evaluate("getComputedStyle(document.body).backgroundColor"))
    for target in [
        page.locator("nav.facets a").first,
        page.locator("#q"),
        page.locator("button").first,
    ]:
        target.focus()
        style = target.evaluate(
            "e => [getComputedStyle(e).outlineStyle, getComputedStyle(e).outlineColor]"
        )
        assert style[0] not in ("none", "hidden"), target
        lighter, darker = sorted([_luminance(style[1]), background], reverse=True)
        assert (lighter + 0.05) / (darker + 0.05) >= 3, (target, style)


def test_axe_finds_what_it_should(page: sync_api.Page) -> None:
    """The check below is only as good as axe's run: a page with known faults must fail it."""
    page.set_content(
        "<!doctype html><html><head><title>t</title></head><body><main>"
        '<img src="data:,"><p style="color:#aaa;background:#fff">faint</p>'
        '<input type="text"></main></body></html>'
    )
    broken = {line.split(" ", 1)[0] for line in axe_violations(page)}
    assert {"image-alt", "color-contrast", "label", "html-has-lang"} <= broken


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("search", "/?q=care+leavers"),
        ("passage", "/passage/" + quote(PASSAGE)),
        ("document", "/document/" + DOCUMENT),
        ("home", "/"),
        ("problem", "/?q=care&year=abcd"),
    ],
)
def test_no_wcag_a_or_aa_violations(
    page: sync_api.Page, tmp_path: Path, name: str, path: str
) -> None:
    page.goto(path)
    found = axe_violations(page)
    assert not found, "\n".join(found)
    if name in ("search", "passage", "document"):
        screenshot(page, tmp_path, name)


def _hang_up_mid_response(base: str, path: str) -> int:
    """Ask for `path` with a tiny receive window, read a little, then reset the connection
    (SO_LINGER 0: an RST, as a closed laptop lid or a killed tab does). Returns bytes read."""
    host, port = base.removeprefix("http://").split(":")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)  # the server must wait
        client.settimeout(30)
        client.connect((host, int(port)))
        client.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        read = len(client.recv(512))
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    return read


def test_the_server_survives_clients_that_hang_up_mid_response(
    seed_index: Path, tmp_path: Path
) -> None:
    """Twenty resets in the middle of the biggest responses (every match exported, a whole
    document): the same process then answers as before, and logs no error. Each response is
    bigger than what the two sockets' buffers hold at first (16 KB of the server's, Linux's
    tcp_wmem default, and the client's 4.5 KB), so the server is still writing when reset."""
    log = tmp_path / "serve.log"
    process, base = _start(seed_index, log)
    try:
        before = api(base, q="children")
        paths = ["/export.md?q=children", "/export.csv?q=the+children", f"/document/{DOCUMENT}"]
        for path in paths:
            with urllib.request.urlopen(base + path, timeout=30) as whole:
                assert len(whole.read()) > 24_000, path
        for round_ in range(20):
            assert _hang_up_mid_response(base, paths[round_ % len(paths)]) > 0
        assert process.poll() is None, log.read_text(errors="replace")
        assert api(base, q="children") == before
    finally:
        _stop(process)
    logged = log.read_text(errors="replace")
    assert "Traceback" not in logged and "Exception in ASGI application" not in logged, logged
