"""The benchmark: our passage index against SQLite FTS5, tantivy, bm25s and ripgrep.

    python -m bench [--quick]        # or `make bench` / `make bench-quick`

Modules: `run` drives; `corpora` extracts each corpus once; `peers/` holds one module per
engine behind `peers.Peer`; `child` is each measured child process; `measure` times whole
processes; `profile` names where our time goes by our module names; `report` writes
RESULTS.md from the measurements. Standalone checks: `news_pages`, `change_check`,
`overview_check` (`python -m bench.<name>`).
"""
