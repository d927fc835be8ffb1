"""The quality gate: eval/thresholds.json minimums (and maximums) against measured metrics."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qa.errors import QAError
from qa.settings import REPO_ROOT

THRESHOLDS_PATH = REPO_ROOT / "eval" / "thresholds.json"


class ThresholdsError(QAError):
    """eval/thresholds.json is missing or malformed."""


class Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    comment: str = Field("", alias="_comment")
    mode: str = "hybrid"
    min: dict[str, float] = Field(default_factory=dict)
    max: dict[str, float] = Field(default_factory=dict)


def load_thresholds(path: Path | None = None) -> Thresholds:
    """Read eval/thresholds.json (or `path`)."""
    path = path or THRESHOLDS_PATH
    try:
        return Thresholds.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise ThresholdsError(f"no thresholds file at {path}; create it or drop --gate") from exc
    except (json.JSONDecodeError, ValidationError) as exc:
        raise ThresholdsError(f"{path} is not a valid thresholds file; fix it: {exc}") from exc


def gate_failures(metrics: Mapping[str, float | None], thresholds: Thresholds) -> list[str]:
    """One line per metric on the wrong side of its threshold, naming the gap.

    >>> t = Thresholds(min={"R@5": 0.85, "MRR@10": 0.5}, max={"latency_p95_ms": 200})
    >>> gate_failures({"R@5": 0.812, "MRR@10": 0.7, "latency_p95_ms": 250.0}, t)
    ['R@5 0.812 < 0.850 (gap 0.038)', 'latency_p95_ms 250.000 > 200.000 (gap 50.000)']
    """
    failures = []
    for name, low in thresholds.min.items():
        value = metrics.get(name)
        if value is None:
            failures.append(f"{name} not measured (needs >= {low:.3f})")
        elif value < low:
            failures.append(f"{name} {value:.3f} < {low:.3f} (gap {low - value:.3f})")
    for name, high in thresholds.max.items():
        value = metrics.get(name)
        if value is None:
            failures.append(f"{name} not measured (needs <= {high:.3f})")
        elif value > high:
            failures.append(f"{name} {value:.3f} > {high:.3f} (gap {value - high:.3f})")
    return failures
