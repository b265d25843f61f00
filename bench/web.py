"""Server time of `search serve`'s results page, with its facets, over an index.

    python -m bench.web --index DIR [--repeat 5]

Each judged Ofsted query (tests/judged/ofsted-queries.tsv) is asked for the results page
through an ASGI transport in the same event loop (no network and no thread hop: the time is
the server's, from the request to the last byte of the page), after one warm-up round;
prints the median and 95th percentile in milliseconds and the largest page's size.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

from bench.pool import QUERIES, load_queries


async def measure(index: Path, queries: list[str], repeat: int) -> tuple[list[float], int]:
    """Milliseconds for each results page asked for, and the largest page in bytes."""
    import httpx2

    from search.web import create_app

    transport = httpx2.ASGITransport(app=create_app(index))
    async with httpx2.AsyncClient(transport=transport, base_url="http://bench") as client:
        for text in queries:  # warm: the arrays mapped, the templates compiled
            await client.get("/", params={"q": text})
        times, largest = [], 0
        for _ in range(repeat):
            for text in queries:
                start = time.perf_counter()
                page = await client.get("/", params={"q": text})
                times.append((time.perf_counter() - start) * 1000)
                largest = max(largest, len(page.content))
    return times, largest


def results_page(index: Path, repeat: int = 5) -> dict[str, float]:
    """The results page's server time over `index` (as `make bench` records it)."""
    queries = [q.text for q in load_queries(QUERIES)]
    times, largest = asyncio.run(measure(index, queries, repeat))
    times.sort()
    return {
        "queries": len(queries),
        "repeat": repeat,
        "p50_ms": statistics.median(times),
        "p95_ms": times[int(0.95 * (len(times) - 1))],
        "largest_kb": largest / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    page = results_page(args.index, args.repeat)
    print(f"results page with facets: {page['queries']} queries x {page['repeat']}:")
    print(f"p50 {page['p50_ms']:.1f} ms, p95 {page['p95_ms']:.1f} ms; "
          f"largest page {page['largest_kb']:.0f} KB")  # fmt: skip


if __name__ == "__main__":
    main()
