"""The arrays the fast path reads (indexer.arrays) say what whoosh's public API says.

After a build, an update that deletes and adds (whoosh merges its segments away), and runs
that leave several segments; a reader keeps its generation's arrays while a writer publishes
another; an index of format 4, or written by another whoosh, is rebuilt keeping its keys;
and no module patches whoosh or reads its private fields.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest

import indexer.words
from indexer import arrays, generations
from indexer.analysis import analyse
from indexer.errors import IndexDamaged, IndexOutdated
from indexer.manifest import MANIFEST
from indexer.pipeline import build_index
from indexer.store import Store
from search.engine import Engine
from tests.conftest import whoosh_reader, write_corpus

ROOT = Path(__file__).resolve().parent.parent


def _paragraphs(word: str, count: int) -> str:
    return "\n\n".join(f"Care {word} plan {n} for the child {n % 7}." for n in range(count)) + "\n"


def _whoosh_postings(reader, field: str) -> dict[str, list[tuple[int, float]]]:  # type: ignore[no-untyped-def]
    found = {}
    for term in reader.lexicon(field):
        matcher = reader.postings(field, term)
        pairs = []
        while matcher.is_active():
            pairs.append((matcher.id(), matcher.weight()))
            matcher.next()
        found[term.decode("utf-8")] = pairs
    return found


def assert_arrays_agree_with_whoosh(store: Store) -> None:
    reader = whoosh_reader(store)
    size = reader.doc_count_all()
    for field in arrays.FIELDS:
        expected = _whoosh_postings(reader, field)
        assert expected
        for term, pairs in expected.items():
            docnums, counts = store.postings(term, field)
            assert list(zip(docnums.tolist(), counts.tolist(), strict=True)) == pairs, term
            # the same maps read without numpy (search.plain)
            assert list(zip(*store.postings_lists(term, field), strict=True)) == pairs, term
        for missing in ("zzz-not-a-term", "", "\uffff" * 40):  # past the end, longer than any
            assert len(store.postings(missing, field)[0]) == 0
            assert len(store.postings_lists(missing, field)[0]) == 0
    assert store.get("no-such-document#1") is None and store.get("#1") is None
    lengths = list(reader.column_reader("length"))
    assert store.lengths().tolist() == [float(n) for n in lengths]
    assert store.length_list().tolist() == lengths
    # the words live in our arrays only, as numbers: each passage's must be its own stored
    # text's words, analysed afresh here and numbered by the table as read by a plain rule,
    # whatever whoosh's merges did to its docnum
    table = {}
    for line in (store.generation / "words.tsv").read_text("utf-8").splitlines():
        word, number = line.split("\t")
        table[word] = int(number)
    assert sorted(table.values()) == list(range(len(table)))  # numbered 0, 1, 2, ... once
    flat, starts, words = store.sequences()
    plain_flat, plain_starts = store.sequence_views()
    narrow = len(table) <= indexer.words.NARROW_WORDS  # 65,536 (a test may lower it)
    assert flat.dtype.itemsize == store.words.width == (2 if narrow else 4)
    for docnum in range(size):
        if reader.is_deleted(docnum):
            continue
        stored = reader.stored_fields(docnum)
        found = store.get(stored["citation"])  # by its document's passages and their numbers
        assert found is not None and found.text == stored["text"], stored["citation"]
        analysed = analyse(stored["text"], keep_stopwords=True)
        expected = [table[w.text] for w in analysed]
        assert flat[starts[docnum] : starts[docnum] + words[docnum]].tolist() == expected
        assert plain_flat[plain_starts[docnum] : plain_starts[docnum + 1]].tolist() == expected
    live = store.live_mask()
    deleted = [d for d in range(size) if reader.is_deleted(d)]
    assert (live is None) == (not deleted)
    if live is not None:
        assert np.flatnonzero(~live).tolist() == deleted


def test_after_a_build(seed_index: Path) -> None:
    store = Store.open(seed_index)
    assert_arrays_agree_with_whoosh(store)
    assert store.passage_count() == len(store.lengths())


def test_the_writer_codec_leaves_segments_of_whoosh_s_own_codec(tmp_path: Path) -> None:
    """The writer's codec (no length statistics) is not kept in the index: its segments name
    whoosh's codec, so reading one needs nothing of ours but the schema's analyzer. The exact
    length is a column, never postings."""
    index = tmp_path / "index"
    build_index([write_corpus(tmp_path / "c", {"a.txt": _paragraphs("leavers", 30)})], index)
    store = Store.open(index)
    (toc,) = store.generation.glob("_*.toc")
    table = toc.read_bytes()
    assert b"W3Codec" in table and b"WriterCodec" not in table
    reader = whoosh_reader(store)
    assert reader.doc_frequency("text", "leaver") == 30
    assert "length" not in reader.indexed_field_names()
    lengths = list(reader.column_reader("length"))
    assert len(lengths) == 30 and min(lengths) >= 4  # "care leaver plan child" and a number
    store.close()


def test_after_updates_with_deletions_and_runs_in_several_segments(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"a.txt": _paragraphs("leavers", 300)})
    index = tmp_path / "index"
    build_index([corpus], index)
    for step in range(4):  # each run adds a document: a segment of its own until merged
        write_corpus(corpus, {f"n{step}.txt": _paragraphs(f"word{step}", 40 + step)})
        build_index([corpus], index)
        store = Store.open(index)
        assert_arrays_agree_with_whoosh(store)
        store.close()
    segments = len(whoosh_reader(Store.open(index)).leaf_readers())
    write_corpus(corpus, {"a.txt": _paragraphs("changed", 120)})  # deletes 300, adds 120
    (corpus / "n1.txt").unlink()
    build_index([corpus], index)
    store = Store.open(index)
    assert_arrays_agree_with_whoosh(store)
    assert len(store.postings("leaver")[0]) == 0
    assert len(store.postings("chang")[0]) == 120
    assert segments > 1  # the arrays were checked over several segments
    # a phrase of a kept document, after the merge renumbered it, on every ranking path
    for path in ("matcher", "arrays", "python"):
        found = Engine.open(index, ranking=path).search('"word3 plan 41 for the"', limit=None)
        assert [h.text for h in found.results] == ["Care word3 plan 41 for the child 6."], path
    assert not list(store.generation.glob(".added-sequences*"))  # the writer's own, gone
    assert len(whoosh_reader(store).leaf_readers()) == 1  # merged: deletions leave none
    assert store.passage_count() == len(store.lengths())


def _digests(generation: Path) -> dict[str, str]:
    return {
        name: hashlib.sha256((generation / name).read_bytes()).hexdigest()
        for name in arrays.names()
    }


def test_a_reader_keeps_its_arrays_while_a_writer_publishes(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"a.txt": _paragraphs("leavers", 200)})
    index = tmp_path / "index"
    build_index([corpus], index)
    engine = Engine.open(index, vector=True)
    before = [(h.citation, h.score) for h in engine.search("care leavers child").results]
    generation = engine.store.generation
    assert generation is not None
    digests = _digests(generation)
    inodes = {name: (generation / name).stat().st_ino for name in arrays.names()}
    write_corpus(corpus, {"a.txt": _paragraphs("other", 50), "b.txt": _paragraphs("x", 90)})
    build_index([corpus], index)  # a new generation, published; the reader's is kept
    assert generations.current(index) != generation
    assert _digests(generation) == digests  # not written in place
    assert {n: (generation / n).stat().st_ino for n in arrays.names()} == inodes
    again = [(h.citation, h.score) for h in engine.search("care leavers child").results]
    assert again == before
    fresh = Engine.open(index, vector=True)
    assert fresh.search("care leavers").total == 140
    assert_arrays_agree_with_whoosh(fresh.store)


def _manifest(index: Path) -> tuple[Path, dict]:  # type: ignore[type-arg]
    generation = generations.current(index)
    assert generation is not None
    path = generation / MANIFEST
    return path, json.loads(path.read_text("utf-8"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": 4}, "another version of this tool"),
        ({"whoosh": "2.7.0"}, "written by whoosh 2.7.0, this is whoosh"),
    ],
)
def test_an_index_of_another_format_or_whoosh_is_rebuilt_keeping_its_keys(
    tmp_path: Path, change: dict, message: str
) -> None:
    corpus = write_corpus(tmp_path / "c", {"a.txt": _paragraphs("leavers", 20), "b.txt": "B.\n"})
    index = tmp_path / "index"
    build_index([corpus], index)
    keys = sorted(Store.open(index).documents)
    path, data = _manifest(index)
    path.write_text(json.dumps({**data, **change}), "utf-8")
    with pytest.raises(IndexOutdated, match=message):
        Store.open(index)
    build_index([corpus], index)
    store = Store.open(index)
    assert sorted(store.documents) == keys
    assert_arrays_agree_with_whoosh(store)


def test_a_generation_without_its_arrays_is_damaged(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"a.txt": _paragraphs("leavers", 5)})
    index = tmp_path / "index"
    build_index([corpus], index)
    generation = generations.current(index)
    assert generation is not None
    (generation / arrays.names()[2]).unlink()
    with pytest.raises(IndexDamaged, match=re.escape(arrays.names()[2]) + " is missing"):
        Store.open(index)


def test_every_array_reads_the_same_without_numpy(seed_index: Path) -> None:
    """arrays.Arrays.view maps an .npy file with the standard library only: every file of a
    set gives numpy's values, in numpy's types."""
    store = Store.open(seed_index)
    assert store.generation is not None
    mine = arrays.Arrays(store.generation)
    for name in arrays.names():
        short = name.removeprefix(arrays.PREFIX).removesuffix(arrays.SUFFIX)
        expected = np.load(store.generation / name, allow_pickle=False)
        view, width = mine.view(short)
        assert width == expected.dtype.itemsize, name
        if expected.dtype.kind == "S":  # fixed-width bytes: the rows, NUL-padded
            assert view.tobytes() == expected.tobytes(), name
        else:
            assert view.tolist() == expected.tolist(), name


def test_an_empty_index_has_empty_arrays(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"a.txt": "Care.\n"})
    index = tmp_path / "index"
    build_index([corpus], index)
    (corpus / "a.txt").unlink()
    build_index([corpus], index)
    store = Store.open(index)
    assert len(store.lengths()) == 0
    assert len(store.postings("care")[0]) == 0
    assert len(store.sequences()[0]) == 0
    assert len(store.postings_lists("care")[0]) == len(store.length_list()) == 0
    assert Engine.open(index, ranking="python").search("care").total == 0


# whoosh attributes the store once patched or read (issue 12): none may come back
PRIVATE = ["_cached_reader", "_LazyBufferFile", "_dbfile", "_offsets", "_byteids"]
PRIVATE += ["_next_block", "_data", "BufferFile", "_basepos", "_read_data", "_read_weights"]


@pytest.mark.parametrize("name", PRIVATE)
def test_no_whoosh_patch_or_private_field_in_the_store(name: str) -> None:
    source = (ROOT / "indexer" / "store.py").read_text("utf-8")
    assert re.search(rf"\b{re.escape(name)}\b", source) is None


def test_nothing_assigns_to_a_whoosh_module_or_to_sys_modules() -> None:
    sources = [*ROOT.glob("indexer/*.py"), *ROOT.glob("search/*.py")]
    whoosh_assignment = re.compile(
        r"^\s*(whoosh|analysis|columns|fields|index|matching|query|scoring|searching)"
        r"\.[\w.]+\s*=[^=]",
        re.M,
    )
    for source in sources:
        text = source.read_text("utf-8")
        assert "sys.modules[" not in text, source
        assert whoosh_assignment.search(text) is None, source
    importing = [
        s.name
        for s in sources
        if re.search(r"^\s*(from|import) whoosh", s.read_text("utf-8"), re.M)
    ]
    assert importing == ["whoosh_index.py"]  # the seam


@pytest.mark.parametrize("cut", [0, 20, -1])
def test_a_cut_or_garbled_array_file_is_damage_found_at_open(tmp_path: Path, cut: int) -> None:
    corpus = write_corpus(tmp_path / "c", {"a.txt": _paragraphs("leavers", 30)})
    index = tmp_path / "index"
    build_index([corpus], index)
    generation = generations.current(index)
    assert generation is not None
    assert arrays.problem(generation) is None
    path = generation / "arrays-text.docnums.npy"
    data = path.read_bytes()
    path.unlink()  # a new file, not the linked one
    path.write_bytes(data[:cut] if cut else b"garbled" + data[7:])
    with pytest.raises(IndexDamaged, match=r"arrays-text\.docnums\.npy is not a whole array"):
        Store.open(index)


def _word_table(store: Store) -> dict[str, int]:
    assert store.generation is not None
    lines = (store.generation / "words.tsv").read_text("utf-8").splitlines()
    return {word: int(number) for word, number in (line.split("\t") for line in lines)}


def test_a_word_keeps_its_number_and_runs_widen_past_65536_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """indexer.words: the table only grows, so kept passages keep their runs; an index with
    more words than two bytes can number stores four bytes a word, kept runs widened."""
    corpus = write_corpus(tmp_path / "c", {"a.txt": _paragraphs("leavers", 50)})
    index = tmp_path / "index"
    build_index([corpus], index)
    store = Store.open(index)
    before = _word_table(store)
    assert store.words.width == 2
    store.close()
    monkeypatch.setattr(indexer.words, "NARROW_WORDS", len(before))  # one more word widens
    write_corpus(corpus, {"b.txt": _paragraphs("newcomers", 20)})
    build_index([corpus], index)
    store = Store.open(index)
    after = _word_table(store)
    assert len(after) > len(before)
    assert {w: after[w] for w in before} == before
    assert store.words.width == 4
    assert_arrays_agree_with_whoosh(store)
    for path in ("matcher", "arrays", "python"):
        engine = Engine.open(index, ranking=path)
        assert engine.search('"leavers plan 7 for the"').total == 1, path
        assert engine.search('"newcomers plan 7 for the"').total == 1, path


@pytest.mark.parametrize("same_size", [False, True], ids=["other size", "same size"])
@pytest.mark.parametrize("garbage", [b"care\tx\n", b"care\n", b"\xff\xfe\tcare\n"])
def test_a_garbled_word_table_is_a_damaged_index_in_one_line(
    tmp_path: Path, garbage: bytes, same_size: bool
) -> None:
    """words.tsv is checked against its size at open and read back by a phrase query and by
    the next writer: damage in one line, never a traceback, never a silent wrong answer."""
    from click.testing import CliRunner

    from search.cli import cli

    corpus = write_corpus(tmp_path / "c", {"a.txt": _paragraphs("leavers", 5)})
    index = tmp_path / "index"
    build_index([corpus], index)
    generation = generations.current(index)
    assert generation is not None
    table = generation / "words.tsv"
    size = table.stat().st_size
    if same_size:  # the words the query needs, garbled, at the size the manifest says
        garbage = (b"care\tx\nleaver\ty\n" + b"z" * size)[: size - 1] + b"\n"
    table.unlink()  # a new file, not the linked one
    table.write_bytes(garbage)
    for args in (
        ["query", '"care leavers"', "--index", str(index)],
        ["index", str(corpus), "--index", str(index)],
    ):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1, (args, result.output)
        assert "words.tsv" in result.output and "damaged" in result.output, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
