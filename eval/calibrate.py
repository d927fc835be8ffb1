"""Fit the abstention model (qa/answer.py CALIBRATION) on eval/questions.jsonl.

Usage: .venv/bin/python eval/calibrate.py
Prints the coefficients, the cross-validated abstention rates, and the threshold to put in
Settings.abstain_below. A question naming something no document mentions abstains whatever its
confidence (qa/answer.py abstain_reason), so the model is fitted on the other questions, and the
threshold is the confidence under which, together with those, at most 4% of answerable
questions abstain.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedStratifiedKFold

from qa.pipeline import Pipeline
from qa.settings import Settings

QUESTIONS = Path(__file__).with_name("questions.jsonl")
ANSWERABLE_ABSTAIN_SHARE = 0.04


def main() -> None:
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line]
    pipeline = Pipeline.open(Settings())
    names = ["sentence", "unknown_terms"]  # abstention's evidence (the others are confidence's)
    features, labels, settled = [], [], []
    for row in rows:
        result = pipeline.retriever.search(row["question"], k=10)
        f, unknown_names = pipeline.abstention_evidence(row["question"], result)
        features.append([f[n] for n in names])
        labels.append(1 if row["gold"] else 0)
        settled.append(bool(unknown_names))
    x, y, rule = np.array(features), np.array(labels), np.array(settled)

    later = np.array([bool(row.get("note")) for row in rows])  # the harder, later-written ones
    for label, settles in (("with the name check", rule), ("without it", np.zeros_like(rule))):
        abstains = cross_validated_abstention(x, y, settles)
        unanswerable = y == 0
        print(
            f"5-fold CV x 10 seeds, {label}: abstains on "
            f"{abstains[unanswerable].mean():.3f} of unanswerable "
            f"({abstains[unanswerable & ~later].mean():.3f} of those without a note, "
            f"{abstains[unanswerable & later].mean():.3f} of those with one), "
            f"{abstains[~unanswerable].mean():.3f} of answerable"
        )
    print(
        f"unknown names alone: {rule[y == 0].mean():.3f} of unanswerable, "
        f"{rule[y == 1].mean():.3f} of answerable"
    )

    model, threshold = fit(x, y, rule)
    coefficients = {"bias": round(float(model.intercept_[0]), 4)}
    coefficients |= {n: round(float(c), 4) for n, c in zip(names, model.coef_[0], strict=True)}
    print("CALIBRATION =", json.dumps(coefficients))
    print(f"abstain_below = {threshold:.4f}")


def cross_validated_abstention(x: np.ndarray, y: np.ndarray, rule: np.ndarray) -> np.ndarray:
    """Each question's share of held-out folds, over 10 shuffles, in which it abstains."""
    abstains = np.zeros(len(y))
    folds = RepeatedStratifiedKFold(n_splits=5, n_repeats=10, random_state=0)
    for train, test in folds.split(x, y):
        model, threshold = fit(x[train], y[train], rule[train])
        abstains[test] += (model.predict_proba(x[test])[:, 1] < threshold) | rule[test]
    return abstains / 10


def fit(x: np.ndarray, y: np.ndarray, rule: np.ndarray) -> tuple[LogisticRegression, float]:
    """The model, fitted where the unknown-name rule does not decide, and its threshold."""
    model = LogisticRegression(C=100.0, max_iter=1000).fit(x[~rule], y[~rule])
    answerable = y == 1
    budget = int(ANSWERABLE_ABSTAIN_SHARE * answerable.sum()) - int((rule & answerable).sum())
    confidences = np.sort(model.predict_proba(x[answerable & ~rule])[:, 1])
    # Abstain below the (budget+1)-th lowest confidence: `budget` answerable questions fall under.
    threshold = float(confidences[budget]) if budget >= 0 else 0.0
    return model, threshold


if __name__ == "__main__":
    main()
