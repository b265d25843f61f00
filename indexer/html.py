"""HTML: a web page -> its article as paragraphs of text, and what the page says about itself.

The article is found by trafilatura (chosen by measuring it against our own rules and three
other libraries on 92 real article pages from sites we never tuned on: `bench/news_pages.py`).
Its output is written in the form the chunker reads: one paragraph a block, a blank line
between blocks, headings marked `# ` (as `indexer.pdf` marks them by their font), list items
`- `, table rows tab-separated. The page's title is written first, as a heading, so that it
becomes the document's title and never a passage.

A page in which trafilatura sets no article apart (it keeps nothing, or as many words as the
whole page shows: a short page) is read whole by our own parser: every block element a
paragraph, scripts, navigation, headers, footers and asides skipped, inline elements (`<b>`,
`<a>`, `<span>`) running on in the same paragraph with the spaces the page has around them,
and never without one where the page had one. Either way a page marks its headings, so the
pipeline chunks it with `headings_marked=True`: a short paragraph without a full stop stays a
paragraph.

What the page says about itself (`PageMetadata`): its title, its site's name and the date it
was published, each with where it was read ("html meta: og:title"). A date is kept only when
the page states it in its markup (a `<meta>` tag, JSON-LD, a `<time datetime>` element, its
canonical address): a date that trafilatura's date finder read from running text or guessed
is not evidence, and a page without one has no date.

trafilatura (and lxml) are imported only when a page is read: never on the query path.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

# Evidence as `indexer.metadata` records it: field -> (value, where it was found).
Evidence = dict[str, tuple[str, str]]

# Attribute keys that name a publication date (never a modification date).
_PUBLISHED_KEYS = re.compile(
    r"(^|[:_.\s-])(published?|publication|pub|created|issued|release|date|dc\.date|pubdate"
    r"|datepublished|datecreated|article:published_time|og:published_time)",
    re.IGNORECASE,
)
_NOT_PUBLISHED = re.compile(r"modif|updat|revis|expir|edit", re.IGNORECASE)
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
_BEFORE_PUNCTUATION = re.compile(r"\n+(?=[.,;:!?)\]’”])")


@dataclass(frozen=True)
class PageMetadata:
    """What the page's own markup says: each field -> (value, provenance)."""

    evidence: Evidence = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        found = self.evidence.get(name)
        return found[0] if found else None


@dataclass(frozen=True)
class HtmlPage:
    text: str  # the article, in the chunker's form (see the module docstring)
    metadata: PageMetadata
    extractor: str  # "trafilatura" or "whole page"


def html_to_text(html: str) -> str:
    """The article of an HTML page as text, one paragraph a block (see the module docstring)."""
    return read_html(html).text


def read_html(html: str, *, options: dict[str, Any] | None = None) -> HtmlPage:
    """The page's article text and its own metadata. `options` override trafilatura's
    extraction settings (for bench/news_pages.py, which measures them)."""
    import trafilatura  # only when there is HTML to read (it loads lxml and more)

    for name in ("trafilatura", "htmldate"):  # a library's doubts about one page are not ours
        logger = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())

    tree = trafilatura.load_html(html)
    if tree is None:  # not parseable as HTML at all: read what text there is
        return HtmlPage(page_text(html), PageMetadata(), "whole page")
    markup = _markup_evidence(tree)
    settings: dict[str, Any] = {
        "include_comments": False,
        "include_tables": True,
        # trafilatura's balanced default, not favor_precision (0.003 better on both halves of
        # bench/news_pages.py): that drops text written in a <div> without <p>, which older
        # sites do (bench/NEWS_PAGES.md)
        "with_metadata": True,
        # htmldate's markup search only; its text-pattern search guesses (see _date)
        "date_extraction_params": {"extensive_search": False, "original_date": True},
    }
    found = trafilatura.bare_extraction(tree, **(settings | (options or {})))
    evidence = _evidence(found, markup)
    blocks = _render_body(found.body) if found is not None and found.body is not None else []
    whole = page_text(html)
    if not any(not b.startswith("# ") for b in blocks) or _kept_more(blocks, whole, markup):
        text, extractor = whole, "whole page"
    else:
        title = evidence.get("title", ("", ""))[0]
        text = _join(([f"# {title}"] if title else []) + blocks)
        extractor = "trafilatura"
    return HtmlPage(text, PageMetadata(evidence), extractor)


def _kept_more(blocks: list[str], whole: str, markup: list[tuple[str, str]]) -> bool:
    """trafilatura kept as many words as our reader sees in the whole page (<title> aside), or
    more: it set no article apart, and took everything (its rescue of a short page, menus too,
    with a line end between every two text nodes), where our own reader of the whole page
    keeps the page's paragraphs and skips its menus."""
    title = next((value for value, how in markup if how == "html: <title>"), "")
    shown = len(_WORD.findall(whole)) - len(_WORD.findall(title))
    return len(_WORD.findall(" ".join(blocks))) >= shown


def _join(blocks: list[str]) -> str:
    return "\n\n".join(b for b in blocks if b.strip()) + "\n"


# --- trafilatura's article, in the chunker's form ------------------------------------------


def _inline(element: Any) -> str:
    """An element's text with its inline children; a line break (`<lb/>`) stays one."""
    parts = [_spaced(element.text)]
    for child in element:
        if child.tag == "lb":
            parts.append("\n")
        elif child.tag not in ("list", "table"):
            parts.append(_inline(child))
        parts.append(_spaced(child.tail))
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _spaced(text: str | None) -> str:
    """A text node with its line ends as spaces: only `<lb/>` breaks a line. (trafilatura's
    rescue of a short page joins every text node with a line end, "well supported\n.")"""
    return _BEFORE_PUNCTUATION.sub("", text or "").replace("\n", " ")


def _render_body(body: Any) -> list[str]:
    """trafilatura's XML body -> blocks of text: paragraphs, `# ` headings, `- ` items, rows."""
    blocks: list[str] = []
    for element in body:
        tag = element.tag
        if tag == "head":
            heading = " ".join(_inline(element).split())
            if heading:
                blocks.append(f"# {heading}")
        elif tag == "list":
            blocks.append("\n".join(_items(element)))
        elif tag == "table":
            rows = ("\t".join(_inline(c).replace("\n", " ") for c in r) for r in element)
            blocks.append("\n".join(row for row in rows if row.strip()))
        elif tag in ("p", "quote", "code"):
            if any(child.tag in ("list", "table", "p", "head") for child in element):
                blocks.extend(_render_body(element))
                continue
            blocks.append(_inline(element))
        else:  # a container trafilatura kept (a div): its children are the blocks
            blocks.extend(_render_body(element) or [_inline(element)])
    return [b for b in blocks if b.strip()]


def _items(element: Any) -> list[str]:
    items = []
    for item in element:
        text = " ".join(_inline(item).split())
        if text:
            items.append(f"- {text}")
        for sublist in item.iter("list"):
            if sublist is not item:
                items.extend(_items(sublist))
    return items


# --- what the page says about itself --------------------------------------------------------


def _markup_evidence(tree: Any) -> list[tuple[str, str]]:
    """Every (value, provenance) the page's markup states, in the page's order."""
    found: list[tuple[str, str]] = []
    for meta in tree.iter("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop")
        if key and meta.get("content"):
            found.append((meta.get("content").strip(), f"html meta: {key.strip()}"))
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() == "application/ld+json" and script.text:
            try:
                found.extend(_json_ld(json.loads(script.text), "html json-ld"))
            except (ValueError, RecursionError):
                continue  # malformed JSON-LD is not evidence
    for time in tree.iter("time"):
        if time.get("datetime"):
            found.append((time.get("datetime").strip(), "html: <time datetime>"))
    for title in tree.iter("title"):
        found.append((" ".join(title.text_content().split()), "html: <title>"))
        break
    for heading in tree.iter("h1"):
        found.append((" ".join(heading.text_content().split()), "html: <h1>"))
    for link in tree.iter("link"):
        if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
            found.append((link.get("href").strip(), "html link: canonical address"))
    return found


def _json_ld(data: Any, where: str, depth: int = 0) -> list[tuple[str, str]]:
    if depth > 6:
        return []
    if isinstance(data, list):
        return [x for item in data for x in _json_ld(item, where, depth + 1)]
    if not isinstance(data, dict):
        return []
    found = []
    for key, value in data.items():
        if isinstance(value, str) and key in (
            "headline",
            "name",
            "datePublished",
            "dateCreated",
            "dateModified",
        ):
            found.append((value.strip(), f"{where}: {key}"))
        elif isinstance(value, dict | list):
            found.extend(
                _json_ld(value, f"{where}: {key}" if key != "@graph" else where, depth + 1)
            )
    return found


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _provenance(value: str, markup: list[tuple[str, str]], kinds: tuple[str, ...]) -> str | None:
    """Where in the page's markup `value` is stated, preferring the sources named in `kinds`."""
    wanted = _fold(value)
    matches = [how for stated, how in markup if _fold(stated) == wanted]
    for kind in kinds:
        for how in matches:
            if kind in how:
                return how
    return matches[0] if matches else None


def _evidence(found: Any, markup: list[tuple[str, str]]) -> Evidence:
    """trafilatura's title, site name and date, each with where the page states it."""
    evidence: Evidence = {}
    if found is None:
        return evidence
    if found.title:
        how = _provenance(found.title, markup, ("og:title", "headline", "<title>", "<h1>"))
        evidence["title"] = (found.title, how or "html: the page's headline (trafilatura)")
    if found.sitename:
        how = _provenance(found.sitename, markup, ("og:site_name", "publisher"))
        if how is None and any(
            found.sitename.casefold() in stated.casefold() for stated, h in markup if "<title>" in h
        ):
            how = "html: <title>, after the headline (trafilatura)"
        if how:  # a name trafilatura made from the address alone is not the page's word
            evidence["publisher"] = (found.sitename, how)
    if found.date and (date := _date(found.date, markup)):
        evidence["date"] = date
    return evidence


def _date(day: str, markup: list[tuple[str, str]]) -> tuple[str, str] | None:
    """The publication date `day` (YYYY-MM-DD) if the page's markup states it, with where."""
    match = _ISO_DAY.match(day)
    if not match:
        return None
    year, month, date = match.groups()
    in_address = re.compile(rf"/{year}/{month}/{date}(/|$)|/{year}-{month}-{date}(/|$|[^\d])")
    for stated, how in markup:
        key = how.split(": ", 1)[-1]
        if how.startswith("html link"):
            if in_address.search(stated):
                return day, f"{how} ({stated})"
            continue
        if _NOT_PUBLISHED.search(key) or not stated.startswith(day):
            continue
        if how == "html: <time datetime>" or _PUBLISHED_KEYS.search(key):
            return day, how
    return None


# --- our own parser: the whole page, every block element a paragraph ---------------------------

_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "tr", "table", "section", "article", "blockquote",
    "pre", "dd", "dt", "figcaption", "main", "form", "fieldset", "hr", "dl", "figure",
    "address", "details", "summary",
}  # fmt: skip
_HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "title"}
_CELL_TAGS = {"td", "th"}
_SKIP_TAGS = {
    "script", "style", "nav", "header", "footer", "aside", "noscript", "template", "svg",
}  # fmt: skip


def _page_parser() -> type:
    from html.parser import HTMLParser  # only when there is HTML to read

    class _PageParser(HTMLParser):
        """Block elements start paragraphs; inline ones run on, keeping the page's spaces."""

        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []
            self._skip = 0

        def handle_starttag(self, tag: str, attrs: list) -> None:
            if tag in _SKIP_TAGS:
                self._skip += 1
            elif tag in _HEADING_TAGS:
                self.parts.append("\n\n# ")
            elif tag in _BLOCK_TAGS:
                self.parts.append("\n\n- " if tag == "li" else "\n\n")
            elif tag in _CELL_TAGS:
                self.parts.append(" ")

        def handle_endtag(self, tag: str) -> None:
            if tag in _SKIP_TAGS:
                self._skip = max(0, self._skip - 1)
            elif tag in _BLOCK_TAGS or tag in _HEADING_TAGS:
                self.parts.append("\n\n")
            elif tag in _CELL_TAGS:
                self.parts.append(" ")

        def handle_data(self, data: str) -> None:
            if not self._skip:
                # a text's own spaces stay (as one): "The " + "care" + " leavers" is three words
                self.parts.append(_SPACES.sub(" ", data))

    return _PageParser


def page_text(html: str) -> str:
    """Visible text of a whole page: one block element a paragraph, headings marked `# `."""
    parser = _page_parser()()
    parser.feed(html)
    parser.close()
    blocks = []
    for block in "".join(parser.parts).split("\n\n"):
        text = " ".join(block.split())
        if text and text not in ("#", "-", "# -"):
            blocks.append(text)
    return _join(blocks) if blocks else "\n"
