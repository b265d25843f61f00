"""The indexer: sources -> clean -> chunk -> metadata -> analysis -> store (see pipeline.py)."""
