""" "Did you mean": for a query word the index does not hold, the closest word it does.

Candidates are the corpus's own words as written (the index's stem table), of a similar
length and starting with the same letter; of those close enough by difflib's ratio, the one
whose stem the most passages hold. A suggestion is always a word the index can find, however
the query's word was inflected ("safegaurding" -> "safeguarding").
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable

CUTOFF = 0.8  # difflib's ratio: "safegaurding" / "safeguarding" is 0.92, "care" / "core" 0.75
MIN_LENGTH = 4  # a short word has too many neighbours to guess from


def closest_word(
    word: str, vocabulary: Iterable[tuple[str, str]], frequency: Callable[[str], int]
) -> str | None:
    """The best suggestion for `word` from (word, stem) pairs, or None."""
    if len(word) < MIN_LENGTH:
        return None
    candidates = {
        w: stem
        for w, stem in vocabulary
        if w[:1] == word[:1] and abs(len(w) - len(word)) <= 2 and w != word
    }
    close = difflib.get_close_matches(word, list(candidates), n=10, cutoff=CUTOFF)
    # the closest first, then the commonest among equals
    scored = [(round(_ratio(word, w), 3), frequency(candidates[w]), w) for w in close]
    found = [item for item in scored if item[1] > 0]
    return max(found)[2] if found else None


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


def corrected(text: str, replacements: dict[str, str]) -> str:
    """`text` with each word of `replacements` (as folded) replaced where it stands alone."""

    def swap(match: re.Match[str]) -> str:
        return replacements.get(match.group(0).casefold(), match.group(0))

    return re.sub(r"[^\W_]+", swap, text)
