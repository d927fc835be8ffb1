"""Questions answered at once on several workers get exactly the answers they get one by one."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from qa.api import create_app
from qa.pipeline import Pipeline
from qa.settings import Settings

TINY_QUESTIONS = [
    "How are suspension bridge cables made?",
    "What holds the cables at each end?",
    "Why did engineers test decks in wind tunnels?",
    "Which plants grow at the edge of a pond?",
    "What lives in pond water?",
    "How are the main cables inspected?",
]
REAL_QUESTIONS = [
    "What is the SCO?",
    "How did Russia and China cooperate in the Arctic?",
    "What did Putin and Xi sign in 2019?",
    "Power of Siberia gas pipeline",
    "Why does Russia worry about Chinese influence in Central Asia?",
    "What role does India play between Russia and China?",
]


def without_timings(answer: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in answer.items() if key != "timings_ms"}


def ask_all(pipeline: Pipeline, questions: list[str], workers: int, rounds: int) -> list[Any]:
    """Every question `rounds` times, all sent at once; then each once more, one at a time."""
    app = create_app(Settings(workers=workers, max_waiting=64), pipeline=pipeline)

    async def scenario() -> tuple[list[httpx.Response], list[httpx.Response]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://qa") as client:
            body = [
                {"question": q, "k": 5, "mode": m} for q in questions for m in ("hybrid", "dense")
            ]
            together = await asyncio.gather(
                *(client.post("/ask", json=b) for _ in range(rounds) for b in body)
            )
            alone = [await client.post("/ask", json=b) for b in body]
            return list(together), alone

    together, alone = asyncio.run(scenario())
    assert all(r.status_code == 200 for r in together + alone)
    expected = [without_timings(r.json()) for r in alone] * rounds
    return [[without_timings(r.json()) for r in together], expected]


def test_concurrent_answers_equal_sequential_ones(tiny_pipeline: Pipeline) -> None:
    got, expected = ask_all(tiny_pipeline, TINY_QUESTIONS, workers=4, rounds=3)
    assert got == expected


@pytest.mark.model
def test_concurrent_answers_equal_sequential_ones_with_the_real_models(
    real_pipeline: Pipeline,
) -> None:
    got, expected = ask_all(real_pipeline, REAL_QUESTIONS, workers=2, rounds=2)
    assert len(got) == 2 * 2 * len(REAL_QUESTIONS)
    assert got == expected
