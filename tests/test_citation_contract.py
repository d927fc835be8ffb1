"""The citation contract over the whole bundled corpus: for every passage the real pipeline
returns to every eval question, [start, end) covers every piece in `spans`, and no passage
joins a footnote chunk with a body chunk."""

from __future__ import annotations

import pytest

from qa.evaluation.dataset import read_records
from qa.settings import REPO_ROOT

pytestmark = pytest.mark.model

QUESTION_FILES = [
    REPO_ROOT / "eval" / "questions.jsonl",
    REPO_ROOT / "eval" / "locked" / "questions.jsonl",
]


def eval_questions() -> list[str]:
    return [r.question for path in QUESTION_FILES if path.exists() for _, r in read_records(path)]


def test_every_passage_spans_lie_inside_start_end_and_kinds_never_mix(real_pipeline) -> None:
    questions = eval_questions()
    assert len(questions) >= 180
    kinds = {c.chunk_id: c.kind for c in real_pipeline.store.chunks}
    outside, mixed, passages = [], [], 0
    for question in questions:
        for p in real_pipeline.ask(question, 10).passages:
            passages += 1
            chunk = p.hit.chunk
            if any(s < chunk.start or e > chunk.end for s, e in chunk.spans):
                outside.append(f"{question!r}: {chunk.chunk_id} [{chunk.start}, {chunk.end})")
            parts = {kinds[part] for part in chunk.chunk_id.split("+")}
            if len(parts) > 1:
                mixed.append(f"{question!r}: {chunk.chunk_id} joins {sorted(parts)}")
    assert passages > 1000
    assert not outside, f"{len(outside)} passages with a span outside [start, end):\n" + "\n".join(
        outside[:20]
    )
    assert not mixed, f"{len(mixed)} passages joining kinds:\n" + "\n".join(mixed[:20])
