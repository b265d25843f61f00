"""Benchmark PDF text extractors on the Ofsted ILACS corpus.

Measures, on a fixed seeded sample of real reports (stratified so every publication year is
present) plus a few hand-picked full reports:

1. speed: seconds per report for each extractor, all in one process, extractor order rotated
   from report to report;
2. accuracy proxies: tokens outside a per-report consensus vocabulary (glued / split words),
   coverage of the consensus words, ligatures and unusual characters, line-end hyphens,
   numbered paragraphs (attached to their text, in order, preceded by a blank line), the
   judgement table on page 1 (label followed by its grade), running headers/footers and page
   numbers at the edges of each page's text;
3. robustness: HTML saved as .pdf, an empty file, a truncated PDF and encrypted PDFs, each in
   a child process with a time limit;
4. memory: peak RSS of a child process extracting the largest reports;
5. for pypdfium2, per-line geometry and font (vertical gaps, font size, weight) and a
   prototype paragraph reconstruction built on it.

The extractors are not project dependencies. Run it from a separate virtualenv:

    python3 -m venv /tmp/pdfvenv
    /tmp/pdfvenv/bin/pip install pypdfium2==5.15.2 pdfplumber==0.11.10 pypdf==7.1.0
    /tmp/pdfvenv/bin/pip install pymupdf==2.0   # optional, AGPL-3.0
    /tmp/pdfvenv/bin/python bench/pdf_extractors.py [--sample N] [--out DIR]

Missing extractors are skipped. Results go to DIR/results.json and DIR/results.md, and the
extracted text of every sampled report to DIR/text/<extractor>/<report>.txt (pages separated
by a form feed) for reading by eye.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import importlib.util
import itertools
import json
import logging
import random
import re
import resource
import statistics
import subprocess
import sys
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

CORPUS = Path("/work/shared/corpora/ofsted-ilacs/reports")
DEFAULT_OUT = Path("/tmp/pdf_extractors_bench")
DEFAULT_SEED = 20250101
CHILD_TIMEOUT_S = 120.0

# The report with the most pages (58) in the corpus; the largest file is found by size.
LONGEST_REPORT = "80481_leeds/children's services inspection - 27 march 2015.pdf"

# Reports always extracted in full and dumped for reading by eye: one per framework era.
DETAIL_REPORTS = (
    "80418_norfolk/children's services inspection,  pdf - 16 august 2013.pdf",  # 2013 LAC
    "80481_leeds/children's services inspection - 27 march 2015.pdf",  # SIF, 58 pages
    "80511_newham/children's services inspection - 25 march 2019.pdf",  # ILACS 2018 format
    "80462_doncaster/children's services inspection - 18 march 2025.pdf",  # ILACS 2023+ format
)

# --------------------------------------------------------------------------------------------
# Extractors: each takes a path and returns the text of every page.

Extractor = Callable[[Path], list[str]]


def extract_pypdfium2(path: Path) -> list[str]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    try:
        pages: list[str] = []
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            pages.append(textpage.get_text_bounded())
            textpage.close()
            page.close()
        return pages
    finally:
        pdf.close()


def extract_pdfplumber(path: Path) -> list[str]:
    import pdfplumber

    pages: list[str] = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            pages.append(page.extract_text() or "")
            page.close()  # drop the page's cached layout objects
    return pages


def extract_pdfminer(path: Path) -> list[str]:
    """pdfminer.six's own layout analysis (text boxes, separated by blank lines)."""
    from pdfminer.high_level import extract_text

    return extract_text(str(path)).split("\f")[:-1] or [""]


def extract_pypdf(path: Path) -> list[str]:
    from pypdf import PdfReader

    reader = PdfReader(path)
    return [page.extract_text() or "" for page in reader.pages]


def extract_pymupdf(path: Path) -> list[str]:
    import pymupdf

    with pymupdf.open(path) as doc:
        return [page.get_text() for page in doc]


EXTRACTORS: dict[str, tuple[str, Extractor]] = {
    # name: (module to import, function)
    "pypdfium2": ("pypdfium2", extract_pypdfium2),
    "pdfplumber": ("pdfplumber", extract_pdfplumber),
    "pypdf": ("pypdf", extract_pypdf),
    "pdfminer": ("pdfminer.high_level", extract_pdfminer),
    "pymupdf": ("pymupdf", extract_pymupdf),
}


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str] = {}
    for dist in ("pypdfium2", "pdfplumber", "pdfminer.six", "pypdf", "pymupdf"):
        with contextlib.suppress(PackageNotFoundError):
            out[dist] = version(dist)
    return out


def available_extractors(wanted: Sequence[str] | None) -> dict[str, Extractor]:
    names = list(wanted) if wanted else list(EXTRACTORS)
    out: dict[str, Extractor] = {}
    for name in names:
        module, function = EXTRACTORS[name]
        if importlib.util.find_spec(module.split(".")[0]) is None:
            print(f"skipping {name}: {module} is not installed", file=sys.stderr)
            continue
        out[name] = function
    return out


def quiet_libraries() -> None:
    for name in ("pypdf", "pdfminer", "pdfplumber"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")


# --------------------------------------------------------------------------------------------
# pypdfium2 with geometry: one record per text line, from the per-character API.


@dataclass
class Line:
    text: str
    x0: float
    x1: float
    top: float  # distance from the top of the page, PDF points
    bottom: float
    size: float  # largest font size on the line
    bold: float  # share of non-space characters with weight >= 600 or 'Bold' in the font name
    first_baseline: float  # baseline of the first full-size character, from the top
    last_baseline: float  # baseline of the last full-size character (a later row when pdfium
    # joined a hyphenated line end, U+0002, into this line)


@dataclass
class PageLines:
    width: float
    height: float
    lines: list[Line]


class _LineBuilder:
    """Accumulates the characters of one pdfium line."""

    def __init__(self) -> None:
        self.chars: list[str] = []
        self.boxes: list[tuple[float, float, float, float]] = []  # left, right, bottom, top
        self.sizes: list[float] = []
        self.baselines: list[float] = []  # character origins' y, PDF coordinates
        self.bold = 0

    def line(self, page_height: float) -> Line | None:
        text = "".join(self.chars).strip()
        if not text or not self.boxes:
            return None
        size = max(self.sizes)
        full = [y for y, s in zip(self.baselines, self.sizes, strict=True) if s >= 0.8 * size]
        return Line(
            text=text,
            x0=min(b[0] for b in self.boxes),
            x1=max(b[1] for b in self.boxes),
            top=page_height - max(b[3] for b in self.boxes),
            bottom=page_height - min(b[2] for b in self.boxes),
            size=size,
            bold=self.bold / len(self.boxes),
            first_baseline=page_height - full[0],
            last_baseline=page_height - full[-1],
        )


def pdfium_lines(path: Path) -> list[PageLines]:
    """Lines of every page, as pdfium breaks them, with boxes and font size/weight.

    One pass over pdfium's characters: CR/LF that pdfium generates end a line; every visible
    character contributes its box, font size and weight (>= 600, or 'Bold' in the font name
    when pdfium reports no weight)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    left, right, bottom, top, origin_x, origin_y = (ctypes.c_double() for _ in range(6))
    font_name = ctypes.create_string_buffer(96)
    flags = ctypes.c_int()
    pdf = pdfium.PdfDocument(path)
    out: list[PageLines] = []
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            width, height = page.get_size()
            textpage = page.get_textpage()
            tp = textpage.raw
            lines: list[Line] = []
            builder = _LineBuilder()
            for i in range(raw.FPDFText_CountChars(tp)):
                code = raw.FPDFText_GetUnicode(tp, i)
                if code in (0x0D, 0x0A):
                    if code == 0x0A:
                        line = builder.line(height)
                        if line:
                            lines.append(line)
                        builder = _LineBuilder()
                    continue
                char = chr(code)
                builder.chars.append(char)
                if char.isspace() or raw.FPDFText_IsGenerated(tp, i):
                    continue
                raw.FPDFText_GetCharBox(tp, i, left, right, bottom, top)
                builder.boxes.append((left.value, right.value, bottom.value, top.value))
                builder.sizes.append(raw.FPDFText_GetFontSize(tp, i))
                raw.FPDFText_GetCharOrigin(tp, i, origin_x, origin_y)
                builder.baselines.append(origin_y.value)
                weight = raw.FPDFText_GetFontWeight(tp, i)
                if weight < 0:
                    raw.FPDFText_GetFontInfo(tp, i, font_name, 96, ctypes.byref(flags))
                    builder.bold += b"Bold" in font_name.value
                else:
                    builder.bold += weight >= 600
            line = builder.line(height)
            if line:
                lines.append(line)
            textpage.close()
            page.close()
            out.append(PageLines(width, height, lines))
        return out
    finally:
        pdf.close()


def positional_variants() -> dict[str, Callable[[Path], Any]]:
    """Per-character / per-word APIs, timed for the question 'is geometry affordable?'."""
    variants: dict[str, Callable[[Path], Any]] = {}
    if importlib.util.find_spec("pypdfium2"):
        variants["pypdfium2 lines+font"] = pdfium_lines
    if importlib.util.find_spec("pdfplumber"):

        def plumber_words(path: Path) -> list[list[dict[str, Any]]]:
            import pdfplumber

            pages = []
            with pdfplumber.open(path) as pdf:
                for page in pdf.pages:
                    pages.append(page.extract_words(extra_attrs=["fontname", "size"]))
                    page.close()
            return pages

        variants["pdfplumber words+font"] = plumber_words
    if importlib.util.find_spec("pymupdf"):

        def mupdf_dict(path: Path) -> list[dict[str, Any]]:
            import pymupdf

            with pymupdf.open(path) as doc:
                return [page.get_text("dict") for page in doc]

        variants["pymupdf dict"] = mupdf_dict
    return variants


# --------------------------------------------------------------------------------------------
# Corpus and sample


@dataclass(frozen=True)
class Report:
    rel: str  # path below the corpus folder
    year: int
    size: int

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "_", self.rel.lower().removesuffix(".pdf")).strip("_")


def is_pdf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(1024).lstrip().startswith(b"%PDF-")


def list_reports(corpus: Path) -> tuple[list[Report], list[Path]]:
    """Real PDFs, and the files named .pdf that are not PDFs."""
    reports: list[Report] = []
    fakes: list[Path] = []
    for path in sorted(corpus.glob("*/*.pdf")):
        if not is_pdf(path):
            fakes.append(path)
            continue
        match = re.search(r"(\d{1,2}) ([a-z]+) (\d{4})\.pdf$", path.name)
        year = int(match.group(3)) if match else 0
        reports.append(Report(path.relative_to(corpus).as_posix(), year, path.stat().st_size))
    return reports, fakes


def choose_sample(reports: list[Report], n: int, seed: int) -> list[Report]:
    """n reports: one per publication year first, the rest uniformly; plus DETAIL_REPORTS."""
    rng = random.Random(seed)
    by_year: dict[int, list[Report]] = defaultdict(list)
    for report in reports:
        by_year[report.year].append(report)
    picked = [rng.choice(by_year[year]) for year in sorted(by_year)]
    rest = [r for r in reports if r not in picked]
    rng.shuffle(rest)
    picked += rest[: max(0, n - len(picked))]
    for rel in DETAIL_REPORTS:
        match = [r for r in reports if r.rel == rel]
        if match and match[0] not in picked:
            picked.append(match[0])
    return sorted(picked, key=lambda r: (r.year, r.rel))


# --------------------------------------------------------------------------------------------
# Text metrics

WORD = re.compile(r"[A-Za-z]+")
LIGATURES = re.compile("[\ufb00-\ufb06]")
PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\ufffe\uffff]")
CHAR_CLASSES: dict[str, re.Pattern[str]] = {
    "ligature ﬁ ﬂ": LIGATURES,
    "private-use (bullet glyphs)": PRIVATE_USE,
    "control (\\x02 etc.)": CONTROL,
    "U+FFFD": re.compile("\ufffd"),
    "soft hyphen U+00AD": re.compile("\u00ad"),
    "nbsp": re.compile("\u00a0"),
    "curly quotes ‘’“”": re.compile("[\u2018\u2019\u201c\u201d]"),
    "dashes – —": re.compile("[\u2013\u2014]"),
    "bullets • ◼ ■ ▪ ●": re.compile("[\u2022\u25fc\u25a0\u25aa\u25cf]"),
    "tab": re.compile("\t"),
}
GRADE = r"(Outstanding|Good|Requires\s+improvement(?:\s+to\s+be\s+good)?|Inadequate)"
JUDGEMENT_LABELS = (
    "The impact of leaders on social work practice with children and families",
    "The experiences and progress of children who need help and protection",
    "The experiences and progress of children in care and care leavers",
    "The experiences and progress of children in care",
    "The experiences and progress of care leavers",
    "Overall effectiveness",
    "Children who need help and protection",
    "Children looked after and achieving permanence",
    "Adoption performance",
    "Experiences and progress of care leavers",
    "Leadership, management and governance",
)
JUDGEMENT_PATTERNS = [  # case-insensitive: 2014 reports print "Requires Improvement"
    re.compile(r"(?<![A-Za-z])" + r"\s+".join(map(re.escape, label.split())) + r"\s+" + GRADE, re.I)
    for label in JUDGEMENT_LABELS
]
# a numbered paragraph: pdfium sometimes drops the space after the number ("10.Child ...")
NUMBERED = re.compile(r"^\s*(\d{1,3})\.(?:\s+[A-Z0-9‘“'\"(£]|[A-Z‘“'\"(])")
NUMBERED_NO_SPACE = re.compile(r"^\s*\d{1,3}\.[A-Z‘“'\"(]")
BARE_NUMBER_DOT = re.compile(r"^\s*\d{1,3}\.\s*$")


def normalise(text: str) -> str:
    """Common line ends; pdfium's \\x02 (a hyphen it joined across a line end) made '-'."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x02", "-")


def words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


def judgement_pairs(page1: str) -> list[tuple[str, str]]:
    """(label, grade) pairs that read contiguously on page 1; overlapping labels resolved."""
    found: list[tuple[int, int, str, str]] = []
    for label, pattern in zip(JUDGEMENT_LABELS, JUDGEMENT_PATTERNS, strict=True):
        for m in pattern.finditer(page1):
            grade = re.sub(r"\s+", " ", m.group(1)).capitalize()
            found.append((m.start(), m.end(), label, grade))
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    pairs: list[tuple[str, str]] = []
    last_end = -1
    for start, end, label, grade in found:
        if start >= last_end and not any(start > s and end <= e for s, e, *_ in found):
            pairs.append((label, grade))
            last_end = end
    return pairs


def edge_lines(page: str, k: int = 3) -> tuple[list[str], list[str]]:
    lines = [ln.strip() for ln in page.split("\n") if ln.strip()]
    return lines[:k], lines[-k:]


def running_lines(pages: list[str]) -> Counter[str]:
    """Lines (digits masked) found on at least half of the pages (>= 3)."""
    counts: Counter[str] = Counter()
    for page in pages:
        seen = {re.sub(r"\d+", "#", re.sub(r"\s+", " ", ln.strip())) for ln in page.split("\n")}
        counts.update(s for s in seen if s)
    threshold = max(3, len(pages) // 2)
    return Counter({line: n for line, n in counts.items() if n >= threshold})


def page_number_position(pages: list[str]) -> dict[str, float]:
    """Where the printed page number sits in each page's text (pages 2..n)."""
    best: dict[str, float] = {}
    for offset in (0, 1, 2):
        first = last = bare = 0
        total = 0
        for index, page in enumerate(pages[1:], start=2):
            number = str(index - offset)
            if int(number) < 1:
                continue
            total += 1
            head, tail = edge_lines(page)
            hit = [ln for ln in head + tail if ln == number or ln.endswith(" " + number)]
            first += any(ln == number or ln.endswith(" " + number) for ln in head)
            last += any(ln == number or ln.endswith(" " + number) for ln in tail)
            bare += any(ln == number for ln in hit)
        if total and (first + last) / total > best.get("found", -1):
            best = {
                "found": (first + last) / total,
                "first_lines": first / total,
                "last_lines": last / total,
                "bare": bare / total,
                "offset": offset,
            }
    return best


@dataclass
class TextMetrics:
    tokens: int = 0
    oov: int = 0
    glued: int = 0
    split: int = 0
    coverage_num: float = 0.0
    coverage_den: float = 0.0
    chars: Counter[str] = field(default_factory=Counter)
    line_end_hyphen: int = 0
    joined_hyphen: int = 0
    lines: int = 0
    blank_lines: int = 0
    para_attached: int = 0
    para_detached: int = 0
    para_in_order: int = 0
    para_blank_before: int = 0
    judgement_paired: int = 0
    judgement_expected: int = 0
    judgement_disagree: int = 0
    running_first_or_last: float = 0.0
    running_pages: int = 0
    page_number_found: list[float] = field(default_factory=list)
    page_number_bare: list[float] = field(default_factory=list)
    para_no_space: int = 0
    ws_tokens: int = 0
    ws_excess: int = 0
    ws_examples: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)


def ws_tokens(text: str) -> Counter[str]:
    """Whitespace-separated tokens, after undoing line-end hyphenation the way pdfium does
    (keep the hyphen, drop the line break): exposes glued or split tokens like '10.Child'."""
    return Counter(re.sub(r"-\s*\n\s*", "-", text).split())


def consensus_vocab(texts: dict[str, str]) -> tuple[set[str], Counter[str]]:
    """Words found by a majority of extractors, and the median count of each word."""
    counters = {name: Counter(words(t)) for name, t in texts.items()}
    need = len(counters) // 2 + 1
    present: Counter[str] = Counter()
    for counter in counters.values():
        present.update(counter.keys())
    vocab = {w for w, n in present.items() if n >= need}
    median = Counter(
        {w: int(statistics.median(c.get(w, 0) for c in counters.values())) for w in vocab}
    )
    return vocab, median


def splits_into(word: str, vocab: set[str]) -> str | None:
    for i in range(2, len(word) - 1):
        if word[:i] in vocab and word[i:] in vocab:
            return f"{word[:i]}+{word[i:]}"
    return None


def score_report(
    texts: dict[str, list[str]], metrics: dict[str, TextMetrics], report: Report
) -> None:
    joined = {name: normalise("\n".join(pages)) for name, pages in texts.items()}
    vocab, median = consensus_vocab(joined)
    pairs = {name: judgement_pairs(normalise(pages[0])) for name, pages in texts.items()}
    expected = max((len(p) for p in pairs.values()), default=0)
    majority: Counter[tuple[tuple[str, str], ...]] = Counter(
        tuple(p) for p in pairs.values() if len(p) == expected
    )
    consensus_pairs = set(majority.most_common(1)[0][0]) if majority else set()
    ws = {name: ws_tokens(text) for name, text in joined.items()}
    ws_median = {
        w: statistics.median_low(c.get(w, 0) for c in ws.values())
        for w in set().union(*(c.keys() for c in ws.values()))
    }
    for name, pages in texts.items():
        m = metrics[name]
        text = joined[name]
        m.ws_tokens += sum(ws[name].values())
        for w, n in ws[name].items():
            if n > ws_median[w]:
                m.ws_excess += int(n - ws_median[w])
                m.ws_examples[w] += int(n - ws_median[w])
        toks = words(text)
        m.tokens += len(toks)
        counter = Counter(toks)
        m.coverage_num += sum(min(counter.get(w, 0), n) for w, n in median.items())
        m.coverage_den += sum(median.values())
        for i, tok in enumerate(toks):
            if tok in vocab:
                continue
            m.oov += 1
            split = splits_into(tok, vocab)
            if split:
                m.glued += 1
                if len(m.examples.setdefault("glued", [])) < 12:
                    m.examples.setdefault("glued", []).append(split)
                continue
            neighbours = [toks[i - 1] + tok] if i else []
            if i + 1 < len(toks):
                neighbours.append(tok + toks[i + 1])
            if any(n in vocab for n in neighbours):
                m.split += 1
                if len(m.examples.setdefault("split", [])) < 12:
                    m.examples.setdefault("split", []).append(tok)
        raw_text = "\n".join(pages)
        for label, pattern in CHAR_CLASSES.items():
            m.chars[label] += len(pattern.findall(raw_text))
        m.joined_hyphen += raw_text.count("\x02")
        lines = text.split("\n")
        m.lines += len(lines)
        m.blank_lines += sum(1 for ln in lines if not ln.strip())
        for a, b in itertools.pairwise(lines):
            if re.search(r"[a-z]-\s*$", a) and re.match(r"\s*[a-z]", b):
                m.line_end_hyphen += 1
        previous_number = 0
        for i, ln in enumerate(lines):
            match = NUMBERED.match(ln)
            if match:
                number = int(match.group(1))
                m.para_attached += 1
                m.para_no_space += NUMBERED_NO_SPACE.match(ln) is not None
                m.para_in_order += number == previous_number + 1
                previous_number = number
                m.para_blank_before += i > 0 and not lines[i - 1].strip()
            elif BARE_NUMBER_DOT.match(ln):
                m.para_detached += 1
        m.judgement_expected += expected
        m.judgement_paired += len(pairs[name])
        m.judgement_disagree += len(set(pairs[name]) - consensus_pairs)
        norm_pages = [normalise(p) for p in pages]
        running = running_lines(norm_pages)
        if running and len(pages) >= 4:
            m.running_pages += len(pages)
            hits = 0
            for page in norm_pages:
                head, tail = edge_lines(page)
                edges = {re.sub(r"\d+", "#", re.sub(r"\s+", " ", ln)) for ln in head + tail}
                hits += bool(edges & set(running))
            m.running_first_or_last += hits
            if len(m.examples.setdefault("running", [])) < 8:
                m.examples.setdefault("running", []).extend(
                    f"{report.year}: {line!r} x{n}" for line, n in running.most_common(2)
                )
        position = page_number_position(norm_pages)
        if position:
            m.page_number_found.append(position["found"])
            m.page_number_bare.append(position["bare"])


# --------------------------------------------------------------------------------------------
# Child processes: robustness and memory


def peak_rss_kib() -> int:
    """This process's peak resident set (VmHWM). Unlike getrusage's ru_maxrss, it is not
    inherited from the parent across fork+exec, so a small child started by a big parent
    reports its own peak."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child_main(name: str, path: str) -> None:
    """Extract one file and print one JSON line: status, exception, time, peak memory."""
    quiet_libraries()
    extractor = available_extractors([name])[name]
    importlib.import_module(EXTRACTORS[name][0])  # baseline: interpreter + library
    result: dict[str, Any] = {"base_kib": peak_rss_kib()}
    t0 = time.perf_counter()
    try:
        pages = extractor(Path(path))
        result.update(
            status="ok",
            pages=len(pages),
            chars=sum(len(p) for p in pages),
            first=normalise(pages[0])[:80] if pages else "",
        )
    except BaseException as exc:  # report every failure, including SystemExit from libraries
        result.update(
            status="error",
            exc_type=f"{type(exc).__module__}.{type(exc).__qualname__}",
            message=str(exc)[:160],
        )
    result["seconds"] = time.perf_counter() - t0
    result["peak_kib"] = peak_rss_kib()
    result["ru_maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(result))


def run_child(name: str, path: Path, timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", name, str(path)]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "seconds": time.perf_counter() - t0}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {
            "status": f"crash rc={proc.returncode}",
            "seconds": time.perf_counter() - t0,
            "message": proc.stderr.strip().splitlines()[-1:] or "",
        }
    return json.loads(lines[-1])


def make_bad_inputs(corpus: Path, fakes: list[Path], scratch: Path) -> dict[str, Path]:
    from_pypdf = importlib.util.find_spec("pypdf") is not None
    scratch.mkdir(parents=True, exist_ok=True)
    bad: dict[str, Path] = {f"html-as-pdf {p.parent.name.split('_', 1)[1]}": p for p in fakes}
    empty = scratch / "empty.pdf"
    empty.write_bytes(b"")
    bad["empty file"] = empty
    real = corpus / DETAIL_REPORTS[3]
    data = real.read_bytes()
    truncated = scratch / "truncated half.pdf"
    truncated.write_bytes(data[: len(data) // 2])
    bad["truncated (first half)"] = truncated
    if from_pypdf:
        from pypdf import PdfReader, PdfWriter

        for label, user in (("encrypted, user password", "secret"), ("encrypted, owner only", "")):
            writer = PdfWriter(clone_from=PdfReader(real))
            writer.encrypt(user_password=user, owner_password="owner", algorithm="AES-128")
            target = scratch / f"{label.replace(', ', '_').replace(' ', '-')}.pdf"
            with target.open("wb") as handle:
                writer.write(handle)
            bad[label] = target
    return bad


# --------------------------------------------------------------------------------------------
# Paragraph reconstruction prototypes for pypdfium2: plain text only, and with line geometry

PAGE_NUMBER = re.compile(r"(Page\s+)?\d{1,3}(\s+of\s+\d{1,3})?")
# bullet glyphs: • ◼ ■ ▪ ● ◦ and any private-use glyph (Wingdings/Symbol bullets: U+F06E, U+F0A7...)
BULLET = re.compile(r"^\s*[\u2022\u25fc\u25a0\u25aa\u25cf\u25e6\ue000-\uf8ff]\s*")
MID_BLOCK_NUMBER = re.compile(r"[.!?’”)] \d{1,3}\. [A-Z]")


def mask_digits(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", " ", text.strip()))


def strip_running_text(pages: list[list[str]]) -> list[list[str]]:
    """Drop lines within 4 lines of a page's start or end that repeat (digits masked) on at
    least half the pages, and bare page numbers there."""
    counts: Counter[str] = Counter()
    for lines in pages:
        counts.update({mask_digits(ln) for ln in lines[:4] + lines[-4:]})
    repeated = {ln for ln, c in counts.items() if len(pages) >= 4 and c >= max(3, len(pages) // 2)}
    out = []
    for lines in pages:
        kept = []
        for position, ln in enumerate(lines):
            edge = position < 4 or position >= len(lines) - 4
            if edge and (mask_digits(ln) in repeated or PAGE_NUMBER.fullmatch(ln)):
                continue
            kept.append(ln)
        out.append(kept)
    return out


def paragraphs_from_text(pages: list[str]) -> list[str]:
    """Plain-text recipe (no geometry): after dropping running lines, start a block at the
    next expected paragraph number, at a bullet, or after a line that ends a sentence and is
    clearly shorter than a full line; end a block after a judgement heading ('...: good')."""
    split = [[ln.strip() for ln in normalise(p).split("\n") if ln.strip()] for p in pages]
    lengths = sorted(len(ln) for lines in split for ln in lines)
    full = lengths[int(0.9 * len(lengths))] if lengths else 80  # a full line, in characters
    blocks: list[str] = []
    current: list[str] = []
    last_number = 0

    def flush() -> None:
        if current:
            blocks.append(" ".join(current))
            current.clear()

    for lines in strip_running_text(split):
        for ln in lines:
            numbered = NUMBERED.match(ln)
            number = int(numbered.group(1)) if numbered else 0
            expected = numbered is not None and number in (1, last_number + 1)
            ends_previous = bool(current) and (
                re.search(r"[.:;?!’”)]$", current[-1]) is not None
                and len(current[-1]) < 0.8 * full
                and (ln[:1].isupper() or ln[:1].isdigit() or BULLET.match(ln) is not None)
            )
            if expected or BULLET.match(ln) or ends_previous:
                flush()
            if expected:
                last_number = number
            current.append(ln)
            if re.search(r":\s*" + GRADE + r"\s*$", ln, re.I):  # end of a judgement heading
                flush()
    flush()
    return blocks


@dataclass
class Block:
    kind: str  # heading | numbered | bullet | text | footnote
    page: int  # 1-based page where the block starts
    text: str
    number: int | None = None


def body_font_size(pages: list[PageLines]) -> float:
    sizes: Counter[float] = Counter()
    for page in pages:
        for line in page.lines:
            sizes[round(line.size)] += len(line.text)
    return float(sizes.most_common(1)[0][0]) if sizes else 12.0


def body_line_pitch(pages: list[PageLines], body: float) -> float:
    """The commonest baseline-to-baseline distance between consecutive body-size lines."""
    pitches: Counter[float] = Counter()
    for page in pages:
        for a, b in itertools.pairwise(page.lines):
            pitch = b.first_baseline - a.last_baseline
            if abs(a.size - body) < 0.5 and abs(b.size - body) < 0.5 and body < pitch < 2 * body:
                pitches[round(pitch * 2) / 2] += 1
    return pitches.most_common(1)[0][0] if pitches else 1.2 * body


def extra_leading(a: Line, b: Line, pitch: float, body: float) -> float:
    """White space between two lines beyond the report's normal line spacing, in ems
    (negative when b sits higher on the page than a, as in table cells)."""
    size = max(a.size, b.size)
    return (b.first_baseline - a.last_baseline - pitch * size / body) / size


def running_keys(pages: list[PageLines]) -> set[str]:
    """Digit-masked lines in the top 10% / bottom 13% of at least half the pages."""
    counts: Counter[str] = Counter()
    for page in pages:
        counts.update({mask_digits(ln.text) for ln in page.lines if in_margin(ln, page.height)})
    need = max(3, len(pages) // 2)
    return {key for key, n in counts.items() if len(pages) >= 4 and n >= need}


def in_margin(line: Line, height: float) -> bool:
    return line.top < 0.10 * height or line.top > 0.87 * height


def paragraphs_from_lines(pages: list[PageLines]) -> list[Block]:
    """Geometric recipe (see PDF_EXTRACTORS.md): drop running lines and footnote markers,
    then start a new block on a vertical gap, a change of font size or boldness, a move back
    up the page (table cell) or a bullet; continue a block over a page break when it did not
    end a sentence and the next page does not start with the next paragraph number.

    A line that merely starts with "N. " is not enough to start a paragraph: wrapped lines
    such as "15. The proportion ..." (after "in 2014–") or "4. Education ..." (after "key
    stage") do; the white space above real numbered paragraphs separates them."""
    body = body_font_size(pages)
    pitch = body_line_pitch(pages, body)
    repeated = running_keys(pages)
    blocks: list[Block] = []
    current: list[Line] = []
    start_page = 1

    def flush() -> None:
        nonlocal current
        if not current:
            return
        text = " ".join(ln.text for ln in current).replace("\x02", "-")
        text = re.sub(r"\s+", " ", BULLET.sub("", text) if BULLET.match(text) else text)
        first = current[0]
        numbered = NUMBERED.match(first.text)
        bold = statistics.mean(ln.bold for ln in current)
        if numbered:
            block = Block("numbered", start_page, text, int(numbered.group(1)))
        elif BULLET.match(first.text):
            block = Block("bullet", start_page, text)
        elif first.size < body - 1.0:
            block = Block("footnote", start_page, text)
        elif (bold >= 0.8 or first.size > body + 1.0) and len(text) < 200:
            block = Block("heading", start_page, text)
        else:
            block = Block("text", start_page, text)
        blocks.append(block)
        current = []

    for page_no, page in enumerate(pages, start=1):
        kept = [
            ln
            for ln in page.lines
            if not (
                in_margin(ln, page.height)
                and (mask_digits(ln.text) in repeated or PAGE_NUMBER.fullmatch(ln.text))
            )
            and not (re.fullmatch(r"\d{1,2}", ln.text) and ln.size < body - 1.0)
        ]
        if kept and kept[0].text == "Contents":  # table of contents: not reader's text
            continue
        if current and kept:  # page break: carry a paragraph on if its sentence goes on
            a, b = current[-1], kept[0]
            numbered = NUMBERED.match(b.text)
            current_number = NUMBERED.match(current[0].text)
            last_number = (
                int(current_number.group(1))
                if current_number
                else next((x.number for x in reversed(blocks) if x.number), 0)
            )
            carries = (
                not re.search(r"[.?!:]['’”)]?$", a.text)
                and not (numbered and int(numbered.group(1)) == last_number + 1)
                and not BULLET.match(b.text)
                and abs(a.size - b.size) <= 1.0
                and (a.bold >= 0.8) == (b.bold >= 0.8)
            )
            if not carries:
                flush()
        elif current:
            flush()
        for i, line in enumerate(kept):
            if current and i > 0:
                a = current[-1]
                new_block = (
                    # more white space than the report's normal line spacing
                    extra_leading(a, line, pitch, body) > 0.3
                    or line.first_baseline < a.last_baseline - 1.0  # back up: next table cell
                    or abs(line.size - a.size) > 1.0
                    or (line.bold >= 0.8) != (a.bold >= 0.8)
                    or BULLET.match(line.text) is not None
                )
                if new_block:
                    flush()
            if not current:
                start_page = page_no
            current.append(line)
    flush()
    return blocks


def block_quality(blocks: list[Block]) -> dict[str, float]:
    """Checks on reconstructed blocks: numbered paragraphs in sequence, none merged."""
    numbers = [b.number for b in blocks if b.number is not None]
    in_order = sum(1 for x, y in itertools.pairwise(numbers) if y == x + 1)
    return {
        "blocks": len(blocks),
        "numbered": len(numbers),
        "numbered_in_order": in_order / max(1, len(numbers) - 1),
        "headings": sum(b.kind == "heading" for b in blocks),
        "bullets": sum(b.kind == "bullet" for b in blocks),
        "footnotes": sum(b.kind == "footnote" for b in blocks),
        "merged_numbered": sum(bool(MID_BLOCK_NUMBER.search(b.text)) for b in blocks),
        "running_left": sum(
            bool(re.search(r"Inspection of [A-Z].{2,60} children’s services \d", b.text))
            for b in blocks
        ),
    }


def gap_statistics(reports: list[list[PageLines]]) -> dict[str, float]:
    """How well does extra white space between lines separate paragraphs?

    Starts: lines beginning a numbered paragraph. Wraps: the following lines of that
    paragraph on the same page (same font size, at the paragraph's hanging indent, not a
    bullet), up to the next numbered paragraph or anything else. Measured: extra_leading(),
    white space beyond the report's commonest body line spacing, in ems."""
    starts: list[float] = []
    wraps: list[float] = []
    for pages in reports:
        body = body_font_size(pages)
        pitch = body_line_pitch(pages, body)
        for page in pages:
            lines = [ln for ln in page.lines if not in_margin(ln, page.height)]
            indent: float | None = None  # x0 of the current numbered paragraph's 2nd line
            inside = False
            for a, b in itertools.pairwise(lines):
                extra = extra_leading(a, b, pitch, body)
                if NUMBERED.match(b.text):
                    if extra > -0.5:
                        starts.append(extra)
                    inside, indent = True, None
                    continue
                if not inside or extra < -0.5 or BULLET.match(b.text) or a.size != b.size:
                    inside = False
                    continue
                if indent is None:
                    indent = b.x0
                if abs(b.x0 - indent) > 2.0:
                    inside = False
                    continue
                wraps.append(extra)
    if not starts or not wraps:
        return {}
    return {
        "numbered_starts": len(starts),
        "wrapped_lines": len(wraps),
        "starts_median_extra_em": statistics.median(starts),
        "wraps_median_extra_em": statistics.median(wraps),
        "starts_with_extra_gt_0.3em": sum(x > 0.3 for x in starts) / len(starts),
        "wraps_with_extra_gt_0.3em": sum(x > 0.3 for x in wraps) / len(wraps),
    }


# --------------------------------------------------------------------------------------------
# Main


def fmt(x: float, digits: int = 3) -> str:
    return f"{x:.{digits}f}"


def md_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=40, help="reports in the random sample")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--extractors", nargs="*", choices=list(EXTRACTORS))
    parser.add_argument("--skip-children", action="store_true", help="no robustness/memory")
    parser.add_argument("--child", nargs=2, metavar=("EXTRACTOR", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_main(*args.child)
        return 0
    quiet_libraries()
    extractors = available_extractors(args.extractors)
    if not extractors:
        print("no extractor installed", file=sys.stderr)
        return 2
    reports, fakes = list_reports(args.corpus)
    sample = choose_sample(reports, args.sample, args.seed)
    print(
        f"{len(reports)} real PDFs, {len(fakes)} fake; sample of {len(sample)} "
        f"(years {sample[0].year}-{sample[-1].year}); extractors: {', '.join(extractors)}",
        file=sys.stderr,
    )
    for name in extractors:  # import and warm up each library outside the timings
        extractors[name](args.corpus / sample[0].rel)

    times: dict[str, list[float]] = {name: [] for name in extractors}
    page_counts: list[int] = []
    metrics = {name: TextMetrics() for name in extractors}
    failures: dict[str, list[str]] = defaultdict(list)
    names = list(extractors)
    for index, report in enumerate(sample):
        path = args.corpus / report.rel
        order = names[index % len(names) :] + names[: index % len(names)]
        texts: dict[str, list[str]] = {}
        for name in order:
            t0 = time.perf_counter()
            try:
                texts[name] = extractors[name](path)
            except Exception as exc:
                failures[name].append(f"{report.rel}: {type(exc).__name__}: {exc}")
                continue
            times[name].append(time.perf_counter() - t0)
            folder = args.out / "text" / name
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{report.slug}.txt").write_text("\f".join(texts[name]), encoding="utf-8")
        page_counts.append(max((len(p) for p in texts.values()), default=0))
        if len(texts) == len(extractors):
            score_report(texts, metrics, report)
        print(
            f"  [{index + 1}/{len(sample)}] {report.rel} ({page_counts[-1]} pages)", file=sys.stderr
        )

    results: dict[str, Any] = {
        "versions": versions(),
        "python": sys.version.split()[0],
        "sample": [asdict(r) for r in sample],
        "pages": sum(page_counts),
        "failures": failures,
    }
    speed_rows = []
    for name in extractors:
        t = times[name]
        speed_rows.append(
            [
                name,
                fmt(statistics.median(t)),
                fmt(max(t), 2),
                fmt(sum(t), 1),
                fmt(1000 * sum(t) / sum(page_counts), 1),
            ]
        )
    results["speed"] = {name: times[name] for name in extractors}

    # positional variants (pypdfium2 geometry, pdfplumber words, pymupdf dict): speed only
    variant_rows = []
    pdfium_geometry: dict[str, list[PageLines]] = {}
    for label, fn in positional_variants().items():
        fn(args.corpus / sample[0].rel)
        t: list[float] = []
        for report in sample:
            t0 = time.perf_counter()
            value = fn(args.corpus / report.rel)
            t.append(time.perf_counter() - t0)
            if label.startswith("pypdfium2"):
                pdfium_geometry[report.rel] = value
        variant_rows.append([label, fmt(statistics.median(t)), fmt(sum(t), 1)])

    accuracy_rows = []
    layout_rows = []
    char_rows = []
    for name, m in metrics.items():
        per10k = 10000 / max(1, m.tokens)
        accuracy_rows.append(
            [
                name,
                m.tokens,
                fmt(100 * m.coverage_num / max(1, m.coverage_den), 2),
                fmt(m.oov * per10k, 1),
                fmt(m.glued * per10k, 2),
                fmt(m.split * per10k, 2),
                m.line_end_hyphen,
                m.joined_hyphen,
                fmt(m.ws_excess * 10000 / max(1, m.ws_tokens), 1),
            ]
        )
        layout_rows.append(
            [
                name,
                m.para_attached,
                m.para_no_space,
                m.para_detached,
                fmt(100 * m.para_in_order / max(1, m.para_attached), 1),
                fmt(100 * m.para_blank_before / max(1, m.para_attached), 1),
                fmt(100 * m.blank_lines / max(1, m.lines), 1),
                f"{m.judgement_paired}/{m.judgement_expected} ({m.judgement_disagree} differ)",
                fmt(100 * m.running_first_or_last / max(1, m.running_pages), 1),
                fmt(100 * statistics.mean(m.page_number_found or [0]), 1),
                fmt(100 * statistics.mean(m.page_number_bare or [0]), 1),
            ]
        )
        char_rows.append([name] + [m.chars[label] for label in CHAR_CLASSES])
    results["metrics"] = {
        name: {k: dict(v) if isinstance(v, dict) else v for k, v in vars(m).items()}
        for name, m in metrics.items()
    }

    gaps = gap_statistics(list(pdfium_geometry.values()))
    results["pdfium_gaps"] = gaps

    robust_rows = []
    memory_rows = []
    if not args.skip_children:
        bad = make_bad_inputs(args.corpus, fakes, args.out / "bad")
        results["robustness"] = {}
        for label, path in bad.items():
            row = [label]
            for name in extractors:
                r = run_child(name, path, CHILD_TIMEOUT_S)
                results["robustness"][f"{label} / {name}"] = r
                if r["status"] == "ok":
                    cell = f"ok, {r['pages']} pages, {r['chars']} chars"
                elif r["status"] == "error":
                    cell = f"`{r['exc_type'].rsplit('.', 1)[-1]}`"
                else:
                    cell = r["status"]
                row.append(f"{cell} ({fmt(r['seconds'], 2)} s)")
            robust_rows.append(row)
        largest = {
            "largest file": max(reports, key=lambda r: r.size),
            "most pages": next(r for r in reports if r.rel == LONGEST_REPORT),
        }
        results["memory"] = {}
        for label, report in largest.items():
            for name in extractors:
                r = run_child(name, args.corpus / report.rel, CHILD_TIMEOUT_S)
                results["memory"][f"{label} / {name}"] = r
                memory_rows.append(
                    [
                        name,
                        f"{label}: {report.rel} ({report.size // 1024} KiB, {r.get('pages')} pp)",
                        fmt(r.get("base_kib", 0) / 1024, 0),
                        fmt(r.get("peak_kib", 0) / 1024, 0),
                        fmt((r.get("peak_kib", 0) - r.get("base_kib", 0)) / 1024, 0),
                        fmt(r.get("seconds", 0), 2),
                    ]
                )

    # paragraph reconstruction prototypes (pypdfium2): plain text vs line geometry
    recon_rows = []
    if "pypdfium2" in extractors and pdfium_geometry:
        folder = args.out / "paragraphs"
        folder.mkdir(parents=True, exist_ok=True)
        quality: dict[str, list[dict[str, float]]] = {"plain text": [], "geometry": []}
        recon_time: dict[str, list[float]] = {"plain text": [], "geometry": []}
        for report in sample:
            text_dir = args.out / "text" / "pypdfium2"
            pages = (text_dir / f"{report.slug}.txt").read_text(encoding="utf-8").split("\f")
            t0 = time.perf_counter()
            plain = paragraphs_from_text(pages)
            recon_time["plain text"].append(time.perf_counter() - t0)
            as_blocks = []
            for text in plain:
                numbered = NUMBERED.match(text)
                number = int(numbered.group(1)) if numbered else None
                as_blocks.append(Block("numbered" if numbered else "text", 0, text, number))
            plain_quality = block_quality(as_blocks)
            del plain_quality["headings"], plain_quality["footnotes"], plain_quality["bullets"]
            quality["plain text"].append(plain_quality)
            t0 = time.perf_counter()
            blocks = paragraphs_from_lines(pdfium_geometry[report.rel])
            recon_time["geometry"].append(time.perf_counter() - t0)
            quality["geometry"].append(block_quality(blocks))
            # headings / footnotes found by geometry that the plain recipe glued into a block
            glued = Counter(
                g.kind
                for g in blocks
                if g.kind in ("heading", "footnote") and len(g.text) >= 20
                for text in [re.sub(r"\s+", " ", g.text)]
                if any(text in q and len(q) > len(text) + 20 for q in plain)
            )
            quality["plain text"][-1]["glued_headings"] = glued["heading"]
            quality["plain text"][-1]["glued_footnotes"] = glued["footnote"]
            if report.rel in DETAIL_REPORTS:
                (folder / f"{report.slug}.plain.txt").write_text(
                    "\n\n".join(plain), encoding="utf-8"
                )
                (folder / f"{report.slug}.geometry.txt").write_text(
                    "\n\n".join(f"[{b.kind} p{b.page}] {b.text}" for b in blocks),
                    encoding="utf-8",
                )
        for label, rows in quality.items():
            recon_rows.append(
                [
                    label,
                    fmt(1000 * statistics.median(recon_time[label]), 1),
                    sum(int(r["blocks"]) for r in rows),
                    sum(int(r["numbered"]) for r in rows),
                    fmt(100 * statistics.mean(r["numbered_in_order"] for r in rows), 1),
                    sum(int(r["merged_numbered"]) for r in rows),
                    sum(int(r["running_left"]) for r in rows),
                    *(
                        sum(int(r[key]) for r in rows) if key in rows[0] else "-"
                        for key in ("headings", "footnotes", "glued_headings", "glued_footnotes")
                    ),
                ]
            )
        results["reconstruction"] = quality

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1, default=list))
    md = [
        f"Sample: {len(sample)} reports, {sum(page_counts)} pages, seed {args.seed}; "
        f"versions {results['versions']}; Python {results['python']}",
        "",
        "Speed (seconds per report, one process, sequential):",
        md_table(["extractor", "median s/report", "max s", "total s", "ms/page"], speed_rows),
        "",
        "Positional APIs (speed only):",
        md_table(["variant", "median s/report", "total s"], variant_rows),
        "",
        "Words (per 10k tokens; vocabulary = words found by a majority of extractors):",
        md_table(
            [
                "extractor",
                "tokens",
                "coverage %",
                "OOV",
                "glued",
                "split",
                "line-end hyphens",
                "pdfium \\x02",
                "whitespace tokens off consensus",
            ],
            accuracy_rows,
        ),
        "",
        "Layout:",
        md_table(
            [
                "extractor",
                "numbered paras",
                "no space after number",
                "detached numbers",
                "in order %",
                "blank line before %",
                "blank lines %",
                "judgement pairs",
                "running lines at page edges %",
                "page no. at edges %",
                "page no. bare %",
            ],
            layout_rows,
        ),
        "",
        "Characters (counts in the whole sample):",
        md_table(["extractor", *CHAR_CLASSES], char_rows),
        "",
        f"pypdfium2 vertical gaps: {json.dumps(gaps)}",
        "",
        "Paragraph reconstruction (pypdfium2), whole sample:",
        md_table(
            [
                "recipe",
                "median ms/report (after extraction)",
                "blocks",
                "numbered",
                "numbered in sequence %",
                "blocks with 2 numbered paras",
                "running header left",
                "headings",
                "footnotes",
                "headings glued into a paragraph",
                "footnotes glued into a paragraph",
            ],
            recon_rows,
        ),
        "",
    ]
    if robust_rows:
        md += ["Robustness:", md_table(["input", *extractors], robust_rows), ""]
        md += [
            "Memory:",
            md_table(
                ["extractor", "file", "RSS after import MiB", "peak MiB", "extraction MiB", "s"],
                memory_rows,
            ),
            "",
            "Robustness messages:",
            *(
                f"- {key}: {r.get('exc_type', r['status'])}: "
                f"{r.get('message', r.get('first', ''))!r}"
                for key, r in results["robustness"].items()
            ),
            "",
        ]
    md += ["Examples:"]
    for name, m in metrics.items():
        for kind, items in m.examples.items():
            md.append(f"- {name} {kind}: {items[:10]}")
        common = [f"{w!r} x{n}" for w, n in m.ws_examples.most_common(12)]
        md.append(f"- {name} whitespace tokens off consensus: {', '.join(common)}")
    if failures:
        md += ["", "Failures:"] + [f"- {n}: {f}" for n, fs in failures.items() for f in fs]
    (args.out / "results.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
