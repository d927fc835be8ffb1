"""Fit the abstention model (qa/answer.py CALIBRATION) on eval/questions.jsonl.

Usage: .venv/bin/python eval/calibrate.py
Prints the coefficients, the cross-validated abstention rates, and the threshold to put in
Settings.abstain_below: the confidence under which at most 4% of answerable questions fall.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from qa.answer import confidence_features
from qa.pipeline import Pipeline
from qa.settings import Settings

QUESTIONS = Path(__file__).with_name("questions.jsonl")
ANSWERABLE_ABSTAIN_QUANTILE = 0.04


def main() -> None:
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line]
    pipeline = Pipeline.open(Settings())
    names: list[str] = []
    features, labels = [], []
    for row in rows:
        result = pipeline.retriever.search(row["question"], k=10)
        f = confidence_features(
            result.hits, pipeline.retriever.bm25.unknown_fraction(row["question"])
        )
        names = list(f)
        features.append([f[n] for n in names])
        labels.append(1 if row["gold"] else 0)
    x, y = np.array(features), np.array(labels)

    abstain_unanswerable, abstain_answerable = [], []
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(x, y):
        model = LogisticRegression(C=100.0, max_iter=1000).fit(x[train], y[train])
        threshold = np.quantile(
            model.predict_proba(x[train][y[train] == 1])[:, 1], ANSWERABLE_ABSTAIN_QUANTILE
        )
        p = model.predict_proba(x[test])[:, 1]
        abstain_unanswerable += list(p[y[test] == 0] < threshold)
        abstain_answerable += list(p[y[test] == 1] < threshold)
    print(
        f"5-fold CV: abstains on {np.mean(abstain_unanswerable):.3f} of unanswerable, "
        f"{np.mean(abstain_answerable):.3f} of answerable"
    )

    model = LogisticRegression(C=100.0, max_iter=1000).fit(x, y)
    threshold = np.quantile(model.predict_proba(x[y == 1])[:, 1], ANSWERABLE_ABSTAIN_QUANTILE)
    coefficients = {"bias": round(float(model.intercept_[0]), 4)}
    coefficients |= {n: round(float(c), 4) for n, c in zip(names, model.coef_[0], strict=True)}
    print("CALIBRATION =", json.dumps(coefficients))
    print(f"abstain_below = {threshold:.4f}")


if __name__ == "__main__":
    main()
