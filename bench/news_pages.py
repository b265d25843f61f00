"""How well the indexer reads web pages from sites it was never tuned on.

On `../shared/corpora/news-pages` (92 real article pages with the article's text as a person
marked it; see its PROVENANCE.md), each candidate reads every page, and the page goes on
through our real stages (clean -> chunk) as the indexer would take it; the page's passages,
in order, one a line, are its predicted article text. The headline is not part of the truth,
and is not a passage (it becomes the document's title).

The measure is the one of scrapinghub's article-extraction-benchmark (`evaluate.py`), written
again here from its definition: tokens are `\\w+` runs; a page's shingles are its 4-grams of
consecutive tokens (a text of fewer than 4 tokens is one shingle); counted as multisets,
tp = sum of min(true, predicted) counts, fp and fn the excesses; the three are divided by their
sum (so that long pages do not weigh more). Precision is the mean over pages with tp + fp > 0
of tp / (tp + fp), recall the mean over pages with tp + fn > 0 of tp / (tp + fn) (1 for a page
where fp = fn = 0, 0 where tp = fp = 0 resp. tp = fn = 0), and F1 is the harmonic mean of
the two means (not a mean of per-page F1s).

The pages are also split in two halves by a hash of their id (sha256, even / odd first byte);
any choice beyond picking the library (an option, a rule) is made on half A and checked on B.

    .venv/bin/pip install -r bench/requirements.txt   # the candidates, pinned
    .venv/bin/python bench/news_pages.py [--pages DIR] [--only NAME ...] [--raw]

`--raw` also scores each library's own text, before our stages, for comparison with the
benchmark's published figures. Missing libraries are skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.chunk import chunk_paragraphs  # noqa: E402
from indexer.clean import clean_lines  # noqa: E402
from indexer.html import page_text, read_html  # noqa: E402

PAGES = ROOT.parent / "shared" / "corpora" / "news-pages"
TOKEN = re.compile(r"\w+", re.UNICODE | re.MULTILINE | re.IGNORECASE | re.DOTALL)

# --- the measure -----------------------------------------------------------------------------


def shingles(text: str, n: int = 4) -> Counter:
    tokens = TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)))


def tp_fp_fn(true: str, pred: str) -> tuple[float, float, float]:
    t, p = shingles(true), shingles(pred)
    t.pop((), None)
    p.pop((), None)
    tp = float(sum((t & p).values()))
    fp = float(sum((p - t).values()))
    fn = float(sum((t - p).values()))
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (tp, fp, fn)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


def scores(counts: list[tuple[float, float, float]]) -> dict[str, float]:
    precision = statistics.mean(_precision(*c) for c in counts if c[0] + c[1] > 0)
    recall = statistics.mean(_recall(*c) for c in counts if c[0] + c[2] > 0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"f1": f1, "precision": precision, "recall": recall}


def half(page_id: str) -> str:
    return "A" if hashlib.sha256(page_id.encode()).digest()[0] % 2 == 0 else "B"


# --- the candidates: page -> text in the chunker's form --------------------------------------


def _today(html: str) -> str:
    """The indexer's reading before indexer/html.py (sources.py at 68b9d75), kept here only to
    measure against: every text node stripped, so inline elements ran words together."""
    from html.parser import HTMLParser

    blocks = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr"}
    blocks |= {"table", "section", "article", "blockquote", "pre", "dd", "dt", "title"}
    blocks |= {"figcaption"}
    skip = {"script", "style", "nav", "header", "footer", "aside", "noscript", "template"}
    parts: list[str] = []
    depth = [0]

    class Old(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list) -> None:
            if tag in skip:
                depth[0] += 1
            elif tag in blocks:
                parts.append("\n\n- " if tag == "li" else "\n\n")

        def handle_endtag(self, tag: str) -> None:
            if tag in skip:
                depth[0] = max(0, depth[0] - 1)
            elif tag in blocks:
                parts.append("\n\n")

        def handle_data(self, data: str) -> None:
            if not depth[0]:
                parts.append(" ".join(data.split()) if data.strip() else " ")

    parser = Old(convert_charrefs=True)
    parser.feed(html)
    parser.close()
    text = "\n".join(" ".join(line.split()) for line in "".join(parts).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _readability(html: str) -> str:
    from readability import Document

    doc = Document(html)
    return f"# {doc.short_title()}\n\n" + page_text(doc.summary(html_partial=True))


def _newspaper(html: str) -> str:
    import newspaper

    config = newspaper.Config()
    config.fetch_images = False  # no network: the page is all there is
    article = newspaper.Article("https://example.org/article", config=config)  # no address
    article.download(input_html=html)
    article.parse()
    title = f"# {article.title}\n\n" if article.title else ""
    return title + article.text + "\n"


def _justext(html: str) -> str:
    import justext

    paragraphs = justext.justext(html.encode("utf-8"), justext.get_stoplist("English"))
    blocks = [("# " if p.heading else "") + p.text for p in paragraphs if not p.is_boilerplate]
    return "\n\n".join(blocks) + "\n"


def _trafilatura(**options: object) -> Callable[[str], str]:
    return lambda html: read_html(html, options=dict(options)).text


def _no_rescue(html: str) -> str:
    """trafilatura without its whole-page "baseline" rescue of a short extraction (our own
    whole-page reader takes a page where it finds nothing)."""
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "0")
    return read_html(html, options={"config": config}).text


def _ours(html: str) -> str:
    return read_html(html).text


# name -> (library it needs or None, page -> text, headings marked by the source)
CANDIDATES: dict[str, tuple[str | None, Callable[[str], str], bool]] = {
    "today (68b9d75: sources.html_to_text)": (None, _today, False),
    "rules (whole page; shape headings)": (None, page_text, False),
    "rules (whole page; marked headings)": (None, page_text, True),
    "trafilatura, as indexer.html reads (balanced)": ("trafilatura", _ours, True),
    "the same, shape headings": ("trafilatura", _ours, False),
    "trafilatura favor_precision": ("trafilatura", _trafilatura(favor_precision=True), True),
    "trafilatura favor_recall": ("trafilatura", _trafilatura(favor_recall=True), True),
    "trafilatura fast": ("trafilatura", _trafilatura(fast=True), True),
    "trafilatura, no baseline rescue": ("trafilatura", _no_rescue, True),
    "readability-lxml": ("readability", _readability, True),
    "newspaper4k": ("newspaper", _newspaper, True),
    "jusText": ("justext", _justext, True),
}


def passages_text(text: str, headings_marked: bool) -> str:
    """The page's passages, in order, one a line: what the indexer keeps of `text`."""
    chunked = chunk_paragraphs(clean_lines(text).kept, headings_marked=headings_marked)
    return "\n".join(chunk.text for chunk in chunked.chunks)


def load(folder: Path) -> tuple[dict[str, str], dict[str, str]]:
    truth = json.loads((folder / "ground-truth.json").read_text("utf-8"))
    pages = {key: (folder / "pages" / f"{key}.html").read_text("utf-8") for key in truth}
    return pages, {key: value.get("articleBody", "") for key, value in truth.items()}


def measure(
    pages: dict[str, str],
    truth: dict[str, str],
    read: Callable[[str], str],
    marked: bool,
    raw: bool,
) -> dict[str, object]:
    counts: dict[str, tuple] = {}
    counts_raw: dict[str, tuple] = {}
    seconds = []
    for key, html in pages.items():
        start = time.perf_counter()
        try:
            text = read(html)
        except Exception as error:  # a library failing on one page scores it empty
            print(f"  {key[:12]}: {type(error).__name__}: {error}", file=sys.stderr)
            text = ""
        predicted = passages_text(text, marked)
        seconds.append(time.perf_counter() - start)
        counts[key] = tp_fp_fn(truth[key], predicted)
        if raw:
            counts_raw[key] = tp_fp_fn(truth[key], text)
    result: dict[str, object] = {"all": scores(list(counts.values()))}
    for name in ("A", "B"):
        result[name] = scores([c for k, c in counts.items() if half(k) == name])
    if raw:
        result["raw"] = scores(list(counts_raw.values()))
    result["ms_per_page"] = 1000 * statistics.mean(seconds)
    return result


def _triple(result: dict[str, float]) -> str:
    return f"{result['f1']:.3f} / {result['precision']:.3f} / {result['recall']:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=Path, default=PAGES)
    parser.add_argument("--only", nargs="*", help="candidates whose name contains one of these")
    parser.add_argument("--raw", action="store_true", help="also score the libraries' own text")
    args = parser.parse_args()
    pages, truth = load(args.pages)
    halves = Counter(half(k) for k in pages)
    print(f"{len(pages)} pages; half A {halves['A']}, half B {halves['B']}")
    versions = []
    for package in ("trafilatura", "readability-lxml", "newspaper4k", "justext", "lxml"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions.append(f"{package} {importlib.metadata.version(package)}")
    print("versions: " + ", ".join(versions) + "\n")
    raw = " raw F1 |" if args.raw else ""
    print(f"| candidate | F1 | precision | recall | half A: F1 / P / R | half B | ms/page |{raw}")
    print("| --- | --- | --- | --- | --- | --- | --- |" + (" --- |" if args.raw else ""))
    for name, (module, read, marked) in CANDIDATES.items():
        if args.only and not any(part in name for part in args.only):
            continue
        if module and importlib.util.find_spec(module) is None:
            print(f"| {name} | not installed |")
            continue
        r = measure(pages, truth, read, marked, args.raw)
        a, b, every = r["A"], r["B"], r["all"]
        line = (
            f"| {name} | {every['f1']:.3f} | {every['precision']:.3f} | {every['recall']:.3f} "
            f"| {_triple(a)} | {_triple(b)} | {r['ms_per_page']:.0f} |"
        )
        if args.raw:
            line += f" {r['raw']['f1']:.3f} |"
        print(line, flush=True)


if __name__ == "__main__":
    main()
