"""A passage repeating a better-ranked one is dropped, and the next distinct one takes its rank."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

from qa.pipeline import Pipeline
from qa.retrieval import dedupe
from qa.retrieval.dedupe import drop_near_duplicates
from tests.conftest import BRIDGES, PONDS, small_corpus_settings

CABLES = "Each cable is spun on site from thousands of parallel steel wires, bundled and compacted."
DECKS = "Stiffening trusses and streamlined box girders now keep long decks steady in storms."


def kept(texts: list[str], most: int = 10) -> list[str]:
    return drop_near_duplicates(texts, lambda t: t, most=most, threshold=0.5)


def test_docstring_examples_hold() -> None:
    result = doctest.testmod(dedupe)
    assert result.attempted and not result.failed


def test_a_repeat_of_a_kept_passage_is_dropped_and_order_is_kept() -> None:
    assert kept([CABLES, DECKS, CABLES.upper()]) == [CABLES, DECKS]


def test_a_passage_contained_in_a_longer_kept_one_is_dropped() -> None:
    assert kept([f"{DECKS} {CABLES}", CABLES]) == [f"{DECKS} {CABLES}"]


def test_passages_sharing_a_phrase_but_not_their_wording_are_both_kept() -> None:
    other = "Engineers say each cable is spun on site, then they inspect the anchorages yearly."
    assert kept([CABLES, other]) == [CABLES, other]


def test_at_most_the_asked_number_are_returned() -> None:
    assert kept([CABLES, CABLES, DECKS, "Short."], most=2) == [CABLES, DECKS]


@pytest.fixture
def doubled_pipeline(tmp_path: Path) -> Pipeline:
    """Ponds dropped in twice (.txt and .md), and bridges once."""
    files = {"ponds.txt": PONDS, "ponds-copy.md": PONDS, "bridges.txt": BRIDGES}
    return Pipeline.open(small_corpus_settings(tmp_path, files))


def test_a_document_dropped_in_twice_shows_each_passage_once(doubled_pipeline: Pipeline) -> None:
    answer = doubled_pipeline.ask("What do dragonfly larvae hunt in a pond?", k=4)

    texts = [p.hit.chunk.text for p in answer.passages]
    assert len(texts) == 4, "the next distinct passages fill the freed ranks"
    assert len(set(texts)) == len(texts), texts
    assert [p.rank for p in answer.passages] == [1, 2, 3, 4]
