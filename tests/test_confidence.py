"""`confidence`: the calibrated probability that the first passage answers, and its words."""

from __future__ import annotations

import re

from qa.answer import confidence_features, first_passage_confidence
from qa.render import CONFIDENCE_BANDS
from qa.settings import REPO_ROOT
from qa.types import Chunk, Hit


def hit(score: float, **ranks: int) -> Hit:
    chunk = Chunk("d.txt#s/0", "d.txt", "D", (), None, ("S",), ((0, 5),), "text")
    scores = {"fused": score, "sentence": 0.6, "dense": 0.5, "dense2": 0.8}
    scores |= {f"{name}_rank": float(rank) for name, rank in ranks.items()}
    return Hit(chunk=chunk, score=score, scores=scores)


AGREED = [hit(0.19, dense=1, dense2=1, sentence=1, bm25=1), hit(0.10, dense=2, bm25=2)]
SPLIT = [hit(0.11, dense=1, dense2=9, sentence=4, bm25=12), hit(0.10, dense=2, bm25=1)]


def test_the_features_say_how_far_the_rankers_agree_on_the_first_hit() -> None:
    agreed, split = confidence_features(AGREED, 0.0), confidence_features(SPLIT, 0.0)

    assert (agreed["top_firsts"], agreed["top_votes"]) == (4.0, 4.0)
    assert (split["top_firsts"], split["top_votes"]) == (1.0, 1.0)
    assert agreed["fused_margin"] > split["fused_margin"]


def test_agreement_raises_confidence_and_an_unknown_name_lowers_it() -> None:
    agreed = first_passage_confidence(confidence_features(AGREED, 0.0))
    split = first_passage_confidence(confidence_features(SPLIT, 0.0))
    unknown = first_passage_confidence(confidence_features(AGREED, 0.25, unknown_names=1))

    assert 0.0 < unknown < split < agreed < 1.0


def test_the_page_and_the_cli_say_confidence_in_the_same_words() -> None:
    script = (REPO_ROOT / "qa" / "web" / "static" / "js" / "common.js").read_text()
    bands = re.search(r"CONFIDENCE_BANDS = \[(.*?)\];", script, re.DOTALL)
    assert bands is not None
    page = re.findall(r'\[([-\w.]+), "([^"]+)"\]', bands.group(1))

    assert [words for _, words in page] == [words for _, words in CONFIDENCE_BANDS]
    assert [float(floor) for floor, _ in page[:-1]] == [f for f, _ in CONFIDENCE_BANDS[:-1]]
