"""`qa build` progress on stderr when it is not a terminal: a line per stage, then one every few
seconds with the rate and the time left, and one when the stage ends."""

from __future__ import annotations

from qa.progress_display import LineProgress


def test_a_log_gets_a_stage_line_then_throttled_lines_with_rate_and_eta_then_the_end() -> None:
    lines: list[str] = []
    now = [0.0]
    progress = LineProgress(lines.append, clock=lambda: now[0])

    progress.note("245 chunks and 1498 sentences from 5 documents")
    progress.stage("chunks embedded (fake)", 100)
    for _ in range(9):  # 10 items a second, for 9 seconds: a line only once 5 s have passed
        now[0] += 1.0
        progress.advance(10)
    now[0] += 1.0
    progress.advance(10)

    assert lines == [
        "245 chunks and 1498 sentences from 5 documents\n",
        "chunks embedded (fake): 0/100\n",
        f"chunks embedded (fake): 50/100 (10.0/s, about {50 / 10:.0f} s left)\n",
        "chunks embedded (fake): 100/100 (10.0/s)\n",
    ]
