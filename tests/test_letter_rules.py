"""The letter reader's rules one by one, on small texts: kinds of Ofsted document beyond the
focused visits in ../shared (monitoring visits, joint targeted area inspections, area SEND
inspections), visit dates as letters write them, the printed date and its conflicts, the
corpus's naming convention, and the letter's anatomy in passages."""

from __future__ import annotations

import pytest

from indexer.chunk import chunk_paragraphs
from indexer.clean import FOOTNOTE, clean_lines
from indexer.metadata import extract_metadata
from indexer.ofsted import from_file_name, visit_kind
from indexer.pdf import PdfLine, rebuild_paragraphs


def metadata(text: str, file_name: str = "", folder: str = ""):
    cleaned = clean_lines(text)
    chunked = chunk_paragraphs(cleaned.kept)
    return extract_metadata("doc", text, cleaned, chunked, {}, file_name=file_name, folder=folder)


MONITORING = (
    "12 May 2023\n"
    "\n"
    "Jane Smith\n"
    "Director of Children's Services\n"
    "Barnsley Council\n"
    "Barnsley S70 2TA\n"
    "\n"
    "Dear Jane\n"
    "\n"
    "Monitoring visit to Barnsley children’s services\n"
    "\n"
    "This letter summarises the findings of the monitoring visit to Barnsley "
    "children’s services on 18 and 19 April 2023. This visit was the third monitoring"
    " visit since the local authority was judged inadequate in 2021.\n"
)

JTAI = (
    "20 April 2023\n"
    "\n"
    "Dear Ms Brown\n"
    "\n"
    "Joint targeted area inspection of the multi-agency response to serious youth "
    "violence in Leeds\n"
    "\n"
    "Between 6 and 10 March 2023, Ofsted, the Care Quality Commission (CQC), His "
    "Majesty’s Inspectorate of Constabulary and Fire & Rescue Services (HMICFRS) and "
    "His Majesty’s Inspectorate of Probation (HMIP) carried out a joint inspection of"
    " the multi-agency response to serious youth violence in Leeds. The last "
    "inspection was in 2019.\n"
)

SEND = (
    "Area SEND inspection of Leeds Local Area Partnership\n"
    "\n"
    "Inspection dates: 6 to 10 March 2023\n"
    "\n"
    "Dates of previous inspection: 13 to 17 November 2017\n"
    "\n"
    "Inspection outcome\n"
    "\n"
    "The local area partnership’s special educational needs and/or disabilities "
    "(SEND) arrangements typically lead to positive experiences and outcomes for "
    "children and young people with SEND. The local area partnership is taking action"
    " where improvements are needed.\n"
)


@pytest.mark.parametrize(
    ("text", "kind", "authority", "start", "end", "date"),
    [
        (MONITORING, "monitoring-visit", "Barnsley", "2023-04-18", "2023-04-19", "2023-05-12"),
        (JTAI, "jtai", "Leeds", "2023-03-06", "2023-03-10", "2023-04-20"),
        (SEND, "send", "Leeds", "2023-03-06", "2023-03-10", None),
    ],
    ids=["monitoring", "jtai", "send"],
)
def test_other_kinds_of_ofsted_document(text, kind, authority, start, end, date) -> None:
    meta = metadata(text)
    assert (meta.kind, meta.local_authority) == (kind, authority)
    assert (meta.inspection_start, meta.inspection_end, meta.date) == (start, end, date)
    assert meta.inspection_year == 2023  # never the previous inspection's, 2021, 2019 or 2017
    assert meta.publisher == "Ofsted"
    assert meta.provenance["kind"].startswith("text:")
    assert authority in meta.title and "Dear" not in meta.title


def test_an_area_send_outcome_is_recorded_as_written() -> None:
    (area, outcome), *_ = metadata(SEND).judgements
    assert area == "Outcome"
    assert outcome.startswith("The local area partnership’s special educational needs")
    assert outcome.endswith("taking action where improvements are needed.")


def letter(opening: str, printed: str = "22 November 2018") -> str:
    return (
        f"{printed}\n\nMark Smith\nCheshire East\nSandbach\nCW11 1HZ\n\nDear Mark\n\n"
        f"Focused visit to Cheshire East children’s services\n\n{opening}\n"
    )


@pytest.mark.parametrize(
    ("opening", "start", "end"),
    [
        ("on 30 and 31 October 2018.", "2018-10-30", "2018-10-31"),
        ("on the 15 and 16 of October 2018.", "2018-10-15", "2018-10-16"),
        ("between 30 September and 2 October 2018.", "2018-09-30", "2018-10-02"),
        ("on 29 and 30 September, and 1 October 2018.", "2018-09-29", "2018-10-01"),
        ("on 13 October 2018.", "2018-10-13", "2018-10-13"),
        ("on 30 and 31 October.", "2018-10-30", "2018-10-31"),  # the letter's year
        ("on 24 October 2017 to 25 October 2018.", "2018-10-24", "2018-10-25"),  # a misprint
    ],
)
def test_visit_dates_as_letters_write_them(opening: str, start: str, end: str) -> None:
    text = "This letter summarises the findings of a focused visit to Cheshire East "
    meta = metadata(letter(text + "children’s services " + opening))
    assert (meta.inspection_start, meta.inspection_end) == (start, end)
    assert meta.inspection_year == int(start[:4])


def test_a_year_without_one_comes_from_the_letters_date_before_it() -> None:
    text = "This letter summarises the findings of a focused visit on 10 and 11 December."
    meta = metadata(letter(text, printed="8 January 2019"))
    assert (meta.inspection_start, meta.inspection_end) == ("2018-12-10", "2018-12-11")


FILE = "children's services focused visit - 21 january 2020.pdf"


def test_a_printed_date_before_the_visit_gives_way_to_the_file_name() -> None:
    text = "This letter summarises the findings of a focused visit on 18 and 19 December 2019."
    meta = metadata(letter(text, printed="21 January 2019"), FILE, "80464_dudley")
    assert meta.date == "2020-01-21"
    assert meta.provenance["date"].startswith("file name:")
    assert (
        "'21 January 2019'" in meta.provenance["date"]
        and "before the visit" in meta.provenance["date"]
    )


def test_the_printed_date_wins_over_the_file_name() -> None:
    text = "This letter summarises the findings of a focused visit on 18 and 19 December 2019."
    meta = metadata(letter(text, printed="10 January 2020"), FILE, "80464_dudley")
    assert meta.date == "2020-01-10" and meta.provenance["date"].startswith("text:")


def test_the_naming_convention_fills_only_what_the_text_leaves_unknown() -> None:
    text = (
        "Focused visit to children’s services\n\n"
        "This letter summarises the findings of a focused visit on 3 and 4 March 2020.\n"
    )
    meta = metadata(text, "children's services focused visit - 01 april 2020.pdf", "80441_bristol")
    assert meta.local_authority == "Bristol"
    assert meta.provenance["local_authority"] == "file name: folder '80441_bristol'"
    assert meta.date == "2020-04-01" and meta.provenance["date"].startswith("file name:")
    assert meta.title == "Focused visit to Bristol children’s services"
    assert meta.provenance["title"].startswith("composed:")
    convention = from_file_name(
        "80477_kingston upon hull", "children's services inspection - 1 may 2020.pdf"
    )
    assert convention["local_authority"].value == "Kingston upon Hull"
    assert convention["kind"].value == "inspection"
    assert from_file_name("letters", "notes.pdf") == {}


def test_a_news_piece_about_a_visit_is_not_the_visit() -> None:
    text = (
        "Barnsley praised by inspectors\n\nOfsted's inspectors said after a focused visit to "
        "Barnsley children’s services on 10 and 11 May 2023 that children are safer.\n"
    )
    assert visit_kind(text) is None
    meta = metadata(text)
    assert meta.kind == "news" and meta.local_authority is None


def test_unknown_stays_unknown() -> None:
    meta = metadata("Minutes of the meeting\n\nThe group met on 3 May 2022 and agreed a plan.\n")
    assert (
        meta.kind == "other"
        and meta.local_authority is None
        and meta.title == "Minutes of the meeting"
    )


# --- anatomy --------------------------------------------------------------------------------


def test_salutation_signature_cc_and_closing_boilerplate_are_not_passages() -> None:
    text = (
        "Dear Ms. Coles\n\nFocused visit to Leeds children’s services\n\n"
        "Children are safe. Leaders know their services well.\n\n"
        "Ofsted will take the findings from this focused visit into account when planning "
        "your next inspection or visit.\n\nYours sincerely\n\nJane Doe\nHer Majesty’s Inspector\n\n"
        "cc Paul Smith Chief Executive\n"
    )
    chunked = chunk_paragraphs(clean_lines(text).kept)
    assert [c.text for c in chunked.chunks] == [
        "Children are safe. Leaders know their services well."
    ]
    assert chunked.title == "Focused visit to Leeds children’s services"


def test_bulleted_paragraphs_are_passages_of_their_own_and_a_short_list_stays_whole() -> None:
    findings = (
        "- Social workers know children well. They visit them often and listen.\n\n"
        "- Managers oversee plans. Supervision is regular and helpful.\n"
    )
    needs = "- Supervision.\n- Plans for children.\n"
    chunked = chunk_paragraphs(
        clean_lines(
            f"Focused visit to Leeds\n\nFindings\n\n{findings}\nWhat needs to improve\n\n{needs}"
        ).kept
    )
    texts = [(c.section, c.text) for c in chunked.chunks]
    assert texts == [
        ("Findings", "- Social workers know children well. They visit them often and listen."),
        ("Findings", "- Managers oversee plans. Supervision is regular and helpful."),
        ("What needs to improve", "- Supervision.\n- Plans for children."),
    ]


def test_a_number_that_ends_a_line_mid_sentence_is_not_a_label() -> None:
    text = (
        "Inspectors looked at arrangements for care leavers aged 18 to\n"
        "25. This visit focused on housing.\n"
    )
    (chunk,) = chunk_paragraphs(clean_lines(text).kept).chunks
    assert chunk.paragraph is None and chunk.text.endswith(
        "aged 18 to 25. This visit focused on housing."
    )


def _line(text: str, y: float, x: float = 70.0, size: float = 12.0) -> PdfLine:
    return PdfLine(text, x, y, size, False)


BODY = [
    _line(f"Body text line number {i} of the letter, long enough to read", 700 - i * 14.5)
    for i in range(3)
]


def test_address_blocks_do_not_split_the_paragraph_around_them() -> None:
    page = [
        _line("The local authority has responded well to the arrival of", 200),
        _line("Ofsted", 790, size=9),
        _line("Piccadilly Gate", 779, size=9),
        _line("Manchester", 768, size=9),
        _line("M1 2WD", 757, size=9),
        _line("T 0300 123 1231", 779, x=169, size=9),
        _line("enquiries@ofsted.", 768, x=169, size=9),
        _line("gov.uk", 757, x=169, size=9),
    ]
    second = [_line("children seeking asylum, who are looked after well.", 720)]
    pages = rebuild_paragraphs([(BODY + page, 842.0), (second, 842.0)])
    assert "Piccadilly" not in "".join(pages) and "ofsted" not in "".join(pages)
    chunked = chunk_paragraphs(clean_lines("\n\n".join(pages)).kept)
    assert chunked.chunks[-1].text.endswith(
        "arrival of children seeking asylum, who are looked after well."
    )


def test_a_footnote_does_not_take_the_text_that_follows_it() -> None:
    first = [
        *BODY,
        _line(
            "This lack of engagement means some children remain on plans, with limited evidence of",
            300,
        ),
        _line(
            "1 The areas for improvement are cross-referenced with the national framework.",
            100,
            size=10,
        ),
        _line("It sets out the outcomes expected.", 86, size=10),
    ]
    second = [
        _line("sustained change in the care they receive.", 720),
        *[_line(b.text, b.y - 40) for b in BODY],
    ]
    pages = rebuild_paragraphs([(first, 842.0), (second, 842.0)])
    assert FOOTNOTE in pages[0]
    texts = [c.text for c in chunk_paragraphs(clean_lines("\n\n".join(pages)).kept).chunks]
    # (page 2 repeats page 1's body word for word: dropped as a repeat)
    assert texts[1].endswith("limited evidence of sustained change in the care they receive.")
    assert texts[2] == (
        "1 The areas for improvement are cross-referenced with the national framework. "
        "It sets out the outcomes expected."
    )
