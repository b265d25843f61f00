"""How a value someone typed is quoted back in a one-line message."""

from __future__ import annotations


def shown(value: str, limit: int = 60) -> str:
    """`value` on one line: control characters and line breaks as spaces, runs of space as
    one, cut to `limit` characters with an ellipsis."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in value).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
