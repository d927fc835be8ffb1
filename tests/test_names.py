"""Names a question uses that no document mentions, which make an answer abstain."""

from __future__ import annotations

import pytest

from qa.retrieval.names import NameVocabulary, question_names

CORPUS = [
    "Gazprom signed with CNPC. Beijing bought Su-27 fighters; Xi–Putin talks followed.",
    "The US-backed plan met Moscow's objections at the SCO summit in Tashkent.",
]


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("How large a stake did Sinopec buy in Sibur?", ["Sinopec", "Sibur"]),
        ("Su-35 fighter sale to China value", ["Su-35", "China"]),
        ("What did the Xi–Putin declaration of 2016 say?", ["Xi", "Putin"]),
        ("Why were Moscow's objections US-backed?", ["Moscow", "US"]),
        ("Approximately how many troops took part in 2010?", []),  # first word, a year
        ("Who came to the start-of-2011 ceremony in the 1990s?", []),
        ("Which plant makes the J-11B?", ["J-11B"]),
        ("WTO accession China position", ["WTO", "China"]),
    ],
)
def test_question_names_are_capitalised_words_and_designations(
    question: str, names: list[str]
) -> None:
    assert question_names(question) == names


def test_names_the_documents_never_use_are_unknown_once_each_in_question_order() -> None:
    vocabulary = NameVocabulary(CORPUS)
    question = "Did Sibur or Gazprom buy Su-35 jets from Sinopec, and what did Sibur pay?"
    assert vocabulary.unknown_names(question) == ["Sibur", "Su-35", "Sinopec"]


@pytest.mark.parametrize(
    "question",
    [
        "What did gazprom sign with CNPC?",  # case does not matter
        "Which Su-27 fighters did Beijing buy?",  # a designation the corpus uses
        "What came of the Moscow–Tashkent talks?",  # each part of a dashed pair is known
        "Why did Moscow's objections matter at the SCO's summit?",  # possessives
    ],
)
def test_names_the_documents_use_are_known(question: str) -> None:
    assert NameVocabulary(CORPUS).unknown_names(question) == []
