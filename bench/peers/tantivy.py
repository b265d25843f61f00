"""tantivy-py: `en_stem` tokenizer, positions for phrases, its query parser, BM25."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.peers import BuildResult, K, Peer

if TYPE_CHECKING:
    from bench.corpora import Corpus
    from bench.queries import BenchQuery

COLD_PROGRAM = (
    "import sys, tantivy\n"
    "index = tantivy.Index.open(sys.argv[1])\n"
    "searcher = index.searcher()\n"
    "for _, address in searcher.search(index.parse_query(sys.argv[2], ['text']), 10).hits:\n"
    "    doc = searcher.doc(address)\n"
    "    print(doc['citation'][0], doc['text'][0], sep='\\n', end='\\n\\n')\n"
)


def query_text(query: BenchQuery) -> str:
    """Its query parser, OR by default: words, "phrases", and `year:Y` / `year:[A TO B]`."""
    text = " ".join(f'"{term}"' if " " in term else term for term in query.terms)
    if query.years is None:
        return text
    first, last = query.years
    year = f"year:{first}" if first == last else f"year:[{first} TO {last}]"
    return f"({text}) AND {year}"


class Tantivy(Peer):
    name = "tantivy"
    description = "tantivy-py, `en_stem` tokenizer, its query parser (BM25)"

    def __init__(self) -> None:
        self.index: Any = None
        self.searcher: Any = None

    @classmethod
    def unavailable(cls) -> str | None:
        if importlib.util.find_spec("tantivy") is None:
            return "not installed (tantivy): `make bench-setup`"
        return None

    def build(self, corpus: Corpus, folder: Path) -> BuildResult:
        """tantivy's default writer (its own threads), one commit, merges waited for."""
        import tantivy

        from bench.corpora import documents

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("citation", stored=True, tokenizer_name="raw")
        builder.add_text_field(
            "text", stored=True, tokenizer_name="en_stem", index_option="position"
        )
        builder.add_integer_field("year", stored=False, indexed=True, fast=True)
        folder.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        writer = tantivy.Index(builder.build(), path=str(folder)).writer()
        seconds, count = time.perf_counter() - start, 0
        for document in documents(corpus):
            start = time.perf_counter()
            for p in document:
                fields: dict[str, Any] = {"citation": p.citation, "text": p.text}
                if p.year:
                    fields["year"] = p.year
                writer.add_document(tantivy.Document(**fields))
            seconds += time.perf_counter() - start
            count += len(document)
        start = time.perf_counter()
        writer.commit()
        writer.wait_merging_threads()
        return BuildResult(count, seconds + time.perf_counter() - start)

    def open(self, folder: Path) -> None:
        import tantivy

        self.index = tantivy.Index.open(str(folder))
        self.searcher = self.index.searcher()

    def search(self, query: BenchQuery, k: int = K) -> list[str]:
        parsed = self.index.parse_query(query_text(query), ["text"])
        hits = self.searcher.search(parsed, k).hits
        # the stored passages of the top hits, as ours returns them
        return [self.searcher.doc(address)["citation"][0] for _, address in hits]

    def close(self) -> None:
        self.index = self.searcher = None

    def cold_command(self, folder: Path, query: BenchQuery) -> list[str] | None:
        return [sys.executable, "-c", COLD_PROGRAM, str(folder), query_text(query)]


PEER = Tantivy
