"""Passage roles, recognised at index time from a passage's own form and its heading.

A reader asks different things of a finding ("what did inspectors see?") than of a
recommendation ("what must improve?"), and a judgement line, a label or a table row is rarely
the paragraph to quote. The rules read only what any document shows: tabs between cells,
the heading a passage stands under, its length, its first word, its quotation marks, the
statutory and licensing sentences every official publication carries. None is keyed to one
authority, file or site. Checked by `tests/golden/roles.tsv`, passages read by a person.
"""

from __future__ import annotations

import re

ROLES = (
    "finding",  # a paragraph of prose: what was found (the default)
    "recommendation",  # what needs to improve, areas for action, recommendations
    "judgement",  # a line that gives a grade
    "label",  # a one-line label or "key: value" line (dates, inspectors, a heading's echo)
    "table",  # a row or rows of a table (cells separated by tabs)
    "quotation",  # someone's words in quotation marks (a news story's quotes)
    "boilerplate",  # statutory, copyright and licensing sentences
)

# a grade that ends the line, as a line gives one: after a colon or tab, or "is", "are", "be",
# "judged", "of" ("...the characteristics of good"); "require(s) improvement" is its own verb
_JUDGEMENT = re.compile(
    r"(?:(?:[:\t–]|\b(?:is|are|be|remains?|judged|of))\s*(?:that it is\s+)?"
    r"(?:outstanding|good|inadequate|adequate)|\brequires? improvement(?: to be good)?)\W*$",
    re.IGNORECASE,
)
_ADVICE_HEADING = re.compile(
    r"what needs to improve|areas? for (?:priority )?(?:action|improvement)|recommendation"
    r"|priority (?:and immediate )?actions?|immediate action|next steps",
    re.IGNORECASE,
)
# a recommendation is written as an instruction: its first word is a verb in the imperative
_IMPERATIVE = re.compile(
    r"(?:[-•\u2022\uf02d\uf06e]\s*|\d{1,3}\.\s+)?"
    r"(?:ensure|improve|strengthen|develop|review|introduce|revise|implement|establish|embed"
    r"|increase|reduce|continue to|further develop|make sure|take (?:urgent )?action)\b",
    re.IGNORECASE,
)
_BOILERPLATE = re.compile(
    r"carried out under section \d+|©|crown copyright|open government licen[cs]e"
    r"|produces this report under|reproduced? free of charge|in a different format"
    r"|this (?:report|publication|letter) (?:is|will be) (?:available|published)",
    re.IGNORECASE,
)
# the sections every inspection report or letter explains itself in, and the sentences in
# which a document speaks of itself ("This letter summarises...", "This visit was carried out")
_ABOUT_HEADING = re.compile(
    r"what the (?:inspection )?judgements mean|information about this|about this (?:report|"
    r"inspection|visit|letter)",
    re.IGNORECASE,
)
_SELF_REFERENCE = re.compile(
    r"this (?:letter|report|visit|inspection) (?:summarises|sets out|was carried out)\b",
    re.IGNORECASE,
)
_NUMBERED = re.compile(r"\d{1,3}\.\s")  # a report's own numbered paragraph: prose
_KEY_VALUE = re.compile(r"[A-Z][^.:\n]{1,40}:\s+\S")
LABEL_MAX = 100  # characters: a label is one short line
JUDGEMENT_MAX = 200


def role_of(text: str, section: str | None = None) -> str:
    """The role of a passage (one of ROLES), from its text and the heading it stands under."""
    stripped = text.strip()
    lines = stripped.splitlines()
    if "\t" in stripped and (len(lines) > 1 or len(stripped) <= JUDGEMENT_MAX):
        single_grade = len(lines) == 1 and _JUDGEMENT.search(stripped)
        return "judgement" if single_grade else "table"
    about = bool(section and _ABOUT_HEADING.search(section))
    if about or _BOILERPLATE.search(stripped) or _SELF_REFERENCE.match(stripped):
        return "boilerplate"
    if _quoted_share(stripped) > 0.5:
        return "quotation"
    if _is_judgement(stripped, lines):
        return "judgement"
    if _is_label(stripped, lines):
        return "label"
    if (section and _ADVICE_HEADING.search(section)) or _IMPERATIVE.match(stripped):
        return "recommendation"
    return "finding"


def _is_judgement(text: str, lines: list[str]) -> bool:
    """One short line that ends in a grade, and not a numbered paragraph of findings."""
    if len(lines) != 1 or len(text) > JUDGEMENT_MAX or _NUMBERED.match(text):
        return False
    return bool(_JUDGEMENT.search(text))


def _is_label(text: str, lines: list[str]) -> bool:
    if len(lines) != 1 or len(text) > LABEL_MAX:
        return False
    return bool(_KEY_VALUE.match(text)) or text[-1] not in '.!?"”’)'


def _quoted_share(text: str) -> float:
    """How much of the text stands inside quotation marks (“...”, "...", ‘...’)."""
    quoted = sum(len(m) for m in re.findall(r"“[^”]*”?|\"[^\"]*\"?", text))
    return quoted / len(text) if text else 0.0
