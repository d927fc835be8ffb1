"""Fit `confidence` (qa/answer.py FIRST_PASSAGE): the probability that the first passage answers.

Usage: .venv/bin/python eval/calibrate_confidence.py

Fitted on the own set only (eval/questions.jsonl, every question: an unanswerable one's first
passage never answers). Feature sets are compared by cross-validated log loss on the own set;
the chosen one is refitted on the whole own set, and only then is the locked split scored. Its
expected calibration error is printed beside what a perfectly calibrated model would score on
as few questions (outcomes drawn from its own confidences), since 84 questions in 10 bins leave
sampling noise of that order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.pipeline import Pipeline as Pipeline_
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from qa.evaluation.dataset import load_questions
from qa.evaluation.metrics import expected_calibration_error
from qa.evaluation.runner import run_eval
from qa.evaluation.sets import EVAL_SETS
from qa.pipeline import Pipeline
from qa.settings import Settings

CANDIDATES: dict[str, tuple[str, ...]] = {
    "sentence": ("sentence",),
    "sentence, unknown terms": ("sentence", "unknown_terms"),
    "top sentence, votes": ("top_sentence", "top_votes"),
    "top sentence, votes, margin": ("top_sentence", "top_votes", "fused_margin"),
    "top sentence, firsts, votes, margin, unknown": (
        "top_sentence",
        "top_firsts",
        "top_votes",
        "fused_margin",
        "unknown_terms",
        "unknown_name",
    ),
    "all": (
        "sentence",
        "unknown_terms",
        "top_sentence",
        "top_dense",
        "top_dense2",
        "top_firsts",
        "top_votes",
        "fused_margin",
        "unknown_name",
    ),
}
STRENGTHS = (0.1, 1.0, 10.0, 100.0)  # inverse L2 strength C, on standardised features


def features_and_outcomes(
    pipeline: Pipeline, set_name: str
) -> tuple[list[dict[str, float]], np.ndarray]:
    questions = load_questions(EVAL_SETS[set_name].questions, pipeline.settings.corpus_dir)
    report = run_eval(pipeline, questions, modes=("hybrid",))
    outcomes = np.array([r.rank == 1 for r in report.run("hybrid").results], dtype=int)
    features = []
    for question in questions:
        result = pipeline.retriever.search(question.question, k=10)
        features.append(pipeline.abstention_evidence(question.question, result)[0])
    return features, outcomes


def matrix(features: Sequence[dict[str, float]], names: Sequence[str]) -> np.ndarray:
    return np.array([[f[name] for name in names] for f in features])


def model_for(c: float) -> Pipeline_:
    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=1000))


def cv_log_loss(x: np.ndarray, y: np.ndarray, c: float) -> tuple[float, float]:
    """Held-out log loss and ECE, 5 folds x 10 shuffles."""
    losses, eces = [], []
    for train, test in RepeatedStratifiedKFold(n_splits=5, n_repeats=10, random_state=0).split(
        x, y
    ):
        model = model_for(c).fit(x[train], y[train])
        p = model.predict_proba(x[test])[:, 1]
        losses.append(log_loss(y[test], p, labels=[0, 1]))
        eces.append(expected_calibration_error(list(zip(p, y[test] == 1, strict=True))) or 0.0)
    return float(np.mean(losses)), float(np.mean(eces))


def unscaled(model: Pipeline_, names: Sequence[str]) -> dict[str, float]:
    """The logistic model's coefficients on the raw features (the scaler folded in), as
    qa/answer.py applies them."""
    scaler, logistic = model.named_steps["standardscaler"], model.named_steps["logisticregression"]
    weights = logistic.coef_[0] / scaler.scale_
    bias = float(logistic.intercept_[0] - np.sum(weights * scaler.mean_))
    coefficients = {"bias": round(bias, 4)}
    return coefficients | {n: round(float(w), 4) for n, w in zip(names, weights, strict=True)}


def noise_floor(p: np.ndarray, draws: int = 2000) -> tuple[float, float]:
    """Median and 90th percentile ECE of a perfectly calibrated model with these confidences."""
    rng = np.random.default_rng(0)
    eces = [
        expected_calibration_error(list(zip(p, rng.random(len(p)) < p, strict=True))) or 0.0
        for _ in range(draws)
    ]
    return float(np.median(eces)), float(np.percentile(eces, 90))


def main() -> None:
    pipeline = Pipeline.open(Settings())
    own_features, own_y = features_and_outcomes(pipeline, "main")
    print(f"own set: {len(own_y)} questions, first passage answers {own_y.mean():.3f}")
    scored = {}
    for label, names in CANDIDATES.items():
        for c in STRENGTHS:
            loss, ece = cv_log_loss(matrix(own_features, names), own_y, c)
            scored[label, c] = loss
            print(f"  {label:46s} C={c:<5} CV log loss {loss:.4f}  CV ECE {ece:.3f}")
    label, c = min(scored, key=scored.__getitem__)
    names = CANDIDATES[label]
    model = model_for(c).fit(matrix(own_features, names), own_y)
    print(f"chosen: {label}, C={c}")
    print("FIRST_PASSAGE =", json.dumps(unscaled(model, names)))

    locked_features, locked_y = features_and_outcomes(pipeline, "locked")
    p = model.predict_proba(matrix(locked_features, names))[:, 1]
    ece = expected_calibration_error(list(zip(p, locked_y == 1, strict=True)))
    median, high = noise_floor(p)
    print(
        f"locked split: {len(locked_y)} questions, first passage answers {locked_y.mean():.3f}, "
        f"mean confidence {p.mean():.3f}, ECE {ece:.3f} (a perfectly calibrated model: median "
        f"{median:.3f}, 90th percentile {high:.3f})"
    )


if __name__ == "__main__":
    main()
