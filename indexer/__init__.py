"""The indexer: sources -> clean -> chunk -> metadata -> analysis -> store (see pipeline.py)."""

from indexer._lean import defer_unused_imports

# before anything imports whoosh (only indexer.store does): see indexer/_lean.py
defer_unused_imports()
