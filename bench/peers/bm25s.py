"""bm25s with PyStemmer's English stemmer: plain keywords only (no phrases, no filters)."""

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
    "import sys, bm25s, Stemmer\n"
    "retriever = bm25s.BM25.load(sys.argv[1], load_corpus=True)\n"
    "tokens = bm25s.tokenize(sys.argv[2], stopwords='en', stemmer=Stemmer.Stemmer('english'),"
    " show_progress=False)\n"
    "k = min(10, len(retriever.corpus))\n"
    "docs, scores = retriever.retrieve(tokens, k=k, show_progress=False)\n"
    "for doc, score in zip(docs[0], scores[0]):\n"
    "    if score > 0:\n"
    "        print(doc['citation'], doc['text'], sep='\\n', end='\\n\\n')\n"
)


class Bm25s(Peer):
    name = "bm25s"
    description = "bm25s with PyStemmer (Lucene's BM25, k1 1.2, b 0.75); plain keywords only"

    def __init__(self) -> None:
        self.retriever: Any = None
        self.stemmer: Any = None

    @classmethod
    def unavailable(cls) -> str | None:
        absent = [m for m in ("bm25s", "Stemmer") if importlib.util.find_spec(m) is None]
        if absent:
            return f"not installed ({', '.join(absent)}): `make bench-setup`"
        return None

    def supports(self, query: BenchQuery) -> bool:
        return query.plain

    def build(self, corpus: Corpus, folder: Path) -> BuildResult:
        """The whole corpus in memory (bm25s's way): tokenise, index, save with the corpus."""
        import bm25s
        import Stemmer

        from bench.corpora import passages

        texts = [{"citation": p.citation, "text": p.text} for p in passages(corpus)]
        start = time.perf_counter()
        tokens = bm25s.tokenize(
            [t["text"] for t in texts],
            stopwords="en",
            stemmer=Stemmer.Stemmer("english"),
            show_progress=False,
        )
        retriever = bm25s.BM25(k1=1.2, b=0.75)
        retriever.index(tokens, show_progress=False)
        retriever.save(str(folder), corpus=texts)
        return BuildResult(len(texts), time.perf_counter() - start)

    def open(self, folder: Path) -> None:
        import bm25s
        import Stemmer

        self.retriever = bm25s.BM25.load(str(folder), load_corpus=True)
        self.stemmer = Stemmer.Stemmer("english")

    def search(self, query: BenchQuery, k: int = K) -> list[str]:
        import bm25s

        tokens = bm25s.tokenize(
            " ".join(query.words), stopwords="en", stemmer=self.stemmer, show_progress=False
        )
        k = min(k, len(self.retriever.corpus))
        docs, scores = self.retriever.retrieve(tokens, k=k, show_progress=False, n_threads=1)
        return [d["citation"] for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    def close(self) -> None:
        self.retriever = None

    def cold_command(self, folder: Path, query: BenchQuery) -> list[str] | None:
        if not query.plain:
            return None
        return [sys.executable, "-c", COLD_PROGRAM, str(folder), " ".join(query.words)]


PEER = Bm25s
