"""The follow-up gate: eval/followups.jsonl through the chat session over the real pipeline.

Thresholds sit a little under the own set's scores when the rules were written (README, "Chat"):
follow-ups searched with the question before must find what searching them as typed cannot.
"""

from __future__ import annotations

import pytest

from qa.evaluation.followups import FILES, run

pytestmark = pytest.mark.eval


def test_follow_ups_find_their_answers_and_standalone_questions_stay_as_typed(
    real_pipeline,
) -> None:
    results = run(FILES["own"], real_pipeline)

    follow = results["all follow-ups"]
    assert follow["chat R@5"] >= 0.9 and follow["chat MRR@10"] >= 0.8, follow
    assert follow["chat R@5"] - follow["typed R@5"] >= 0.3, follow
    assert results["standalone"]["left as typed"] == 1.0, results["standalone"]
    assert results["meta"]["answered"] >= 0.85, results["meta"]
