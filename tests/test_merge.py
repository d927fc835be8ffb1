"""Neighbouring hits of one section merge into one passage; others stay apart."""

from __future__ import annotations

from qa.corpus.spans import text_from_spans
from qa.retrieval.merge import merge_adjacent
from qa.types import Chunk, Hit

SOURCE = "Alpha one.\n\nAlpha two.\n\nAlpha three.\n\nBeta one.\n"
SPANS = [(0, 10), (12, 22), (24, 36), (38, 47)]
SECTIONS = [("A",), ("A",), ("A",), ("B",)]


def chunk(row: int) -> Chunk:
    span = SPANS[row]
    return Chunk(
        chunk_id=f"doc.txt#s/{row}",
        doc_id="doc.txt",
        title="T",
        authors=(),
        date=None,
        section_path=SECTIONS[row],
        spans=(span,),
        text=SOURCE[span[0] : span[1]],
    )


def hits(*rows: int) -> list[Hit]:
    return [
        Hit(chunk(r), score=1.0 / (i + 1), scores={"fused": 1.0 / (i + 1)}, row=r)
        for i, r in enumerate(rows)
    ]


SOURCES = {"doc.txt": SOURCE}


def test_next_chunk_of_the_same_section_joins_the_better_ranked_hit_in_reading_order() -> None:
    merged = merge_adjacent(hits(1, 3, 0), SOURCES, window=10)
    assert [rows for _, rows in merged] == [(0, 1), (3,)]
    first = merged[0][0]
    assert first.chunk.spans == (SPANS[0], SPANS[1])
    assert first.chunk.text == text_from_spans(SOURCE, first.chunk.spans) == "Alpha one. Alpha two."
    assert first.chunk.chunk_id == "doc.txt#s/0+doc.txt#s/1"
    assert first.score == 1.0  # the better hit's rank and scores are kept


def test_chunks_of_different_sections_or_not_adjacent_stay_apart() -> None:
    assert [rows for _, rows in merge_adjacent(hits(2, 3), SOURCES, window=10)] == [
        (2,),
        (3,),
    ]
    assert [rows for _, rows in merge_adjacent(hits(0, 2), SOURCES, window=10)] == [
        (0,),
        (2,),
    ]


def test_a_passage_holds_at_most_the_given_number_of_chunks() -> None:
    merged = merge_adjacent(hits(1, 0, 2), SOURCES, window=10, most=2)
    assert [rows for _, rows in merged] == [(0, 1), (2,)]


def test_hits_beyond_the_window_are_not_merged() -> None:
    merged = merge_adjacent(hits(0, 3, 1), SOURCES, window=2)
    assert [rows for _, rows in merged] == [(0,), (3,), (1,)]


def test_a_hit_without_an_index_row_is_refused_rather_than_merged_by_accident() -> None:
    import pytest

    rowless = [Hit(chunk(0), score=1.0), Hit(chunk(1), score=0.5)]

    with pytest.raises(ValueError, match="no index row"):
        merge_adjacent(rowless, SOURCES, window=10)
