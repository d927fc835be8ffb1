"""Retrieval study (issue 13): each lever is chosen by cross-validation on the own set only, then
measured once on the locked split, where no setting is chosen.

Usage: .venv/bin/python eval/study.py [--levers rrf_k,weights,...] [--repeats 4]

Every question is ranked once (each ranker's top 50 rows, as served, kept in memory); a lever
re-fuses those scores (or, for feedback, re-queries from them), and the answer stage and the
judge run exactly as `qa eval` runs them. For a lever with a grid of settings, 5-fold
cross-validation (repeated with shuffles) picks on four folds the setting with the best MRR@10
and scores it on the fifth: that held-out figure is the lever's honest own-set estimate. The
setting picked on the whole own set is then run on the locked split. Prints one Markdown row
per lever: R@5 / MRR@10 overall and by style, both splits, and the lever's own time per
question (p50 ms; the baseline row is plain RRF).
"""

from __future__ import annotations

import argparse
import itertools
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.model_selection import KFold

from qa.evaluation.dataset import STYLES, EvalQuestion, load_questions
from qa.evaluation.metrics import QuestionResult, ranking_scores
from qa.evaluation.runner import judge
from qa.evaluation.sets import EVAL_SETS
from qa.pipeline import Pipeline
from qa.retrieval.fusion import decisive_lexical_bonus, ranks, reciprocal_rank_fusion
from qa.retrieval.hybrid import SearchResult, hits_from
from qa.schema import AskResponse
from qa.settings import Settings

POOL = 50  # as served: Settings.candidates
FOLDS = 5
Scores = dict[str, dict[int, float]]


@dataclass
class Trace:
    """One question ranked once: what every lever starts from."""

    question: EvalQuestion
    scores: Scores
    sentence_scores: dict[int, float] | None
    query: np.ndarray
    query2: np.ndarray | None


@dataclass(frozen=True)
class Lever:
    name: str
    grid: list[dict[str, Any]]
    # (trace, setting) -> fused scores by row, and the scores the hits keep as evidence
    fuse: Callable[[Trace, dict[str, Any]], tuple[dict[int, float], Scores]]
    answer_settings: Callable[[dict[str, Any]], dict[str, Any]] = lambda _: {}


class Study:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.store = pipeline.store
        self.retriever = pipeline.retriever
        self._judged: dict[tuple[Any, ...], QuestionResult] = {}
        self._term_scores: dict[str, np.ndarray] = {}
        self._chunk_terms: dict[int, Counter[str]] = {}
        self.added_ms: dict[str, list[float]] = {}
        self._authors_bm25: Any = None

    def trace(self, question: EvalQuestion) -> Trace:
        text = question.question
        evidence = self.retriever.rank(text, POOL)
        second = self.retriever.second
        return Trace(
            question,
            evidence.scores,
            evidence.sentence_scores,
            self.pipeline.embedder.embed_query(text),
            second.embed_query(text) if second is not None else None,
        )

    def judge(self, trace: Trace, fused: dict[int, float], scores: Scores, **answer: Any) -> Any:
        """The question judged on this fused ranking, as `qa eval` would judge it (cached on
        the top rows, which are all the answer stage reads)."""
        order = sorted(fused, key=lambda i: -fused[i])
        key = (trace.question.id, tuple(order[:40]), tuple(sorted(answer.items())))
        if key not in self._judged:
            hits = hits_from(fused, scores, self.store.chunks)
            settings = self.pipeline.settings.model_copy(update=answer)
            sentence_scores = dict(trace.sentence_scores or {})
            new_rows = [r for r in fused if not self._scored(r, sentence_scores)]
            if new_rows:  # feedback found chunks the first pass did not score the sentences of
                sentence_scores |= self.retriever._score_sentences(new_rows, trace.query)[0]
            result = SearchResult(hits, {}, sentence_scores)
            built = self.pipeline.answer(trace.question.question, result, k=10, settings=settings)
            response = AskResponse.from_answer(built)
            self._judged[key] = judge(trace.question, response, latency_ms=0.0, citations=[])
        return self._judged[key]

    def _scored(self, row: int, sentence_scores: dict[int, float]) -> bool:
        return all(j in sentence_scores for j in self.store.sentences_of(row))

    def run(self, lever: Lever, traces: Sequence[Trace], setting: dict[str, Any]) -> list[Any]:
        results = []
        for trace in traces:
            started = time.perf_counter()
            fused, scores = lever.fuse(trace, setting)
            self.added_ms.setdefault(lever.name, []).append((time.perf_counter() - started) * 1e3)
            results.append(self.judge(trace, fused, scores, **lever.answer_settings(setting)))
        return results

    # ---- pseudo-relevance feedback -------------------------------------------------------

    def term_scores(self, term: str) -> np.ndarray:
        if term not in self._term_scores:
            self._term_scores[term] = np.asarray(
                self.retriever.bm25._model.get_scores([term]), dtype=np.float32
            )
        return self._term_scores[term]

    def chunk_terms(self, row: int) -> Counter[str]:
        if row not in self._chunk_terms:
            text = self.store.chunks[row].search_text
            self._chunk_terms[row] = Counter(self.retriever.bm25.terms(text))
        return self._chunk_terms[row]

    def rm3(self, trace: Trace, docs: int, terms: int, keep: float) -> dict[int, float]:
        """BM25 with RM3 query expansion (Lavrenko & Croft 2001; Abdul-Jaleel et al. 2004,
        "UMass at TREC 2004"): the feedback model P(t|R) = sum over the first-pass top `docs` of
        P(t|d) * P(q|d) (P(q|d) ~ the BM25 score, normalised), its best `terms` terms mixed
        with the original query as keep * P(t|q) + (1 - keep) * P(t|R)."""
        first = sorted(trace.scores.get("bm25", {}).items(), key=lambda item: -item[1])[:docs]
        query_terms = Counter(self.retriever.bm25.terms(trace.question.question))
        if not first or not query_terms:
            return dict(trace.scores.get("bm25", {}))
        total = sum(score for _, score in first)
        feedback: Counter[str] = Counter()
        for row, score in first:
            counts = self.chunk_terms(row)
            length = sum(counts.values())
            for term, n in counts.items():
                feedback[term] += (n / length) * (score / total)
        best = dict(feedback.most_common(terms))
        norm = sum(best.values())
        weights: Counter[str] = Counter()
        for term, n in query_terms.items():
            weights[term] += keep * n / sum(query_terms.values())
        for term, p in best.items():
            weights[term] += (1 - keep) * p / norm
        combined = sum(w * self.term_scores(t) for t, w in weights.items())
        top = np.argsort(-combined, kind="stable")[:POOL]
        return {int(i): float(combined[i]) for i in top if combined[i] > 0}

    def with_authors_bm25(self, trace: Trace) -> Scores:
        """BM25 over each chunk's search text plus its authors' names (a question naming an
        article's author then matches all of that article, not only its bio)."""
        if self._authors_bm25 is None:
            from qa.index.bm25 import BM25Retriever

            texts = [f"{c.search_text}\n{' '.join(c.authors)}" for c in self.store.chunks]
            self._authors_bm25 = BM25Retriever(texts)
        found = self._authors_bm25.scores(trace.question.question)
        top = np.argsort(-found, kind="stable")[:POOL]
        scores = {**trace.scores, "bm25": {int(i): float(found[i]) for i in top if found[i] > 0}}
        candidates = sorted({row for name, s in scores.items() if name != "sentence" for row in s})
        scores["sentence"] = self.retriever._score_sentences(candidates, trace.query)[1]
        return scores

    def rocchio(self, trace: Trace, docs: int, beta: float) -> Scores:
        """Dense rankers re-queried with q' = q + beta * mean(top `docs` fused chunks' vectors),
        renormalised (Rocchio 1971, positive feedback only)."""
        fused = rrf(trace.scores, 20)
        top = sorted(fused, key=lambda i: -fused[i])[:docs]
        scores = dict(trace.scores)
        pairs = [("dense", self.store.faiss, trace.query)]
        if trace.query2 is not None:
            pairs.append(("dense2", self.store.second, trace.query2))
        for name, index, query in pairs:
            centroid = np.mean([index.reconstruct(row) for row in top], axis=0)
            moved = query + beta * centroid
            moved = (moved / np.linalg.norm(moved)).astype(np.float32)
            found, ids = index.search(moved.reshape(1, -1), POOL)
            scores[name] = {int(i): float(s) for i, s in zip(ids[0], found[0], strict=True)}
        # The sentence ranker re-scores every ranker's candidates, as served.
        candidates = sorted({row for name, s in scores.items() if name != "sentence" for row in s})
        scores["sentence"] = self.retriever._score_sentences(candidates, trace.query)[1]
        return scores


def rrf(scores: Scores, k: int, weights: dict[str, float] | None = None) -> dict[int, float]:
    return reciprocal_rank_fusion({n: ranks(s) for n, s in scores.items()}, k=k, weights=weights)


def bm25_margin(
    scores: Scores, fused: dict[int, float], ratio: float, bonus: float, k: int
) -> None:
    """The served rule (qa/retrieval/fusion.py decisive_lexical_bonus) applied to `fused`."""
    decisive = decisive_lexical_bonus(scores.get("bm25", {}), ratio, bonus, k)
    if decisive is not None:
        row, extra = decisive
        fused[row] = fused.get(row, 0.0) + extra


def zscore_fusion(scores: Scores, weights: dict[str, float]) -> dict[int, float]:
    """CombSUM of z-scored rankers (each over its own top list; a missing row counts as the
    list's minimum): score-aware fusion in the manner of Lee (1997) and Montague & Aslam (2001)."""
    fused: dict[int, float] = {}
    rows = {row for s in scores.values() for row in s}
    for name, s in scores.items():
        values = np.array(list(s.values()))
        mu, sd = float(values.mean()), float(values.std()) or 1.0
        floor = (float(values.min()) - mu) / sd
        for row in rows:
            z = (s[row] - mu) / sd if row in s else floor
            fused[row] = fused.get(row, 0.0) + weights.get(name, 1.0) * z
    return fused


def levers(study: Study, kinds: Iterable[str]) -> list[Lever]:
    base = {"k": 20}
    grid_weights = [
        {"bm25": b, "dense2": d2, "sentence": s}
        for b in (0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
        for d2 in (0.5, 1.0, 1.5)
        for s in (0.5, 1.0, 1.5)
    ]
    simplex = [
        dict(zip(("dense", "dense2", "sentence", "bm25"), w, strict=True))
        for w in itertools.product(np.arange(0, 1.01, 0.1).round(1), repeat=4)
        if math.isclose(sum(w), 1.0)
    ]
    # Table: one chunk in the bundled corpus, nothing to learn a prior from.
    prior_kinds = [k for k in kinds if k not in ("body", "table")]
    priors = [
        dict(zip(prior_kinds, p, strict=True))
        for p in itertools.product((0.7, 0.85, 1.0), repeat=len(prior_kinds))
    ]

    def with_priors(trace: Trace, setting: dict[str, Any]) -> tuple[dict[int, float], Scores]:
        fused = rrf(trace.scores, 20)
        chunks = study.store.chunks
        return {r: v * setting.get(chunks[r].kind, 1.0) for r, v in fused.items()}, trace.scores

    def with_margin(trace: Trace, setting: dict[str, Any]) -> tuple[dict[int, float], Scores]:
        fused = rrf(trace.scores, 20)
        bm25_margin(trace.scores, fused, setting["ratio"], setting["bonus"], 20)
        return fused, trace.scores

    def with_margin_and_priors(
        trace: Trace, setting: dict[str, Any]
    ) -> tuple[dict[int, float], Scores]:
        fused, scores = with_priors(trace, setting)
        bm25_margin(scores, fused, 1.5, 1.0, 20)
        return fused, scores

    def with_authors(trace: Trace, setting: dict[str, Any]) -> tuple[dict[int, float], Scores]:
        scores = study.with_authors_bm25(trace)
        fused = rrf(scores, 20)
        bm25_margin(scores, fused, 1.5, 1.0, 20)
        return fused, scores

    def with_rm3(trace: Trace, setting: dict[str, Any]) -> tuple[dict[int, float], Scores]:
        scores = {**trace.scores, "bm25": study.rm3(trace, **setting)}
        return rrf(scores, 20), scores

    def with_rocchio(trace: Trace, setting: dict[str, Any]) -> tuple[dict[int, float], Scores]:
        scores = study.rocchio(trace, **setting)
        return rrf(scores, 20), scores

    return [
        Lever("baseline (as served)", [base], lambda t, s: (rrf(t.scores, s["k"]), t.scores)),
        Lever(
            "RRF k",
            [{"k": k} for k in (5, 10, 20, 30, 60, 100)],
            lambda t, s: (rrf(t.scores, s["k"]), t.scores),
        ),
        Lever(
            "weighted RRF",
            grid_weights,
            lambda t, s: (rrf(t.scores, 20, s), t.scores),
        ),
        Lever(
            "BM25 margin",
            [{"ratio": r, "bonus": b} for r in (1.25, 1.5, 2.0, 3.0) for b in (1.0, 2.0, 4.0)],
            with_margin,
        ),
        Lever(
            "score-aware (z-score CombSUM)",
            simplex,
            lambda t, s: (zscore_fusion(t.scores, s), t.scores),
        ),
        Lever("chunk-kind priors", priors, with_priors),
        Lever("BM25 margin then kind priors", priors, with_margin_and_priors),
        Lever("BM25 margin then authors in BM25 text", [{}], with_authors),
        Lever(
            "RM3 for BM25",
            [
                {"docs": d, "terms": n, "keep": w}
                for d in (3, 5, 10)
                for n in (5, 10, 20)
                for w in (0.5, 0.7, 0.9)
            ],
            with_rm3,
        ),
        Lever(
            "Rocchio for dense",
            [{"docs": d, "beta": b} for d in (1, 3, 5) for b in (0.2, 0.4, 0.7)],
            with_rocchio,
        ),
        Lever(
            "merging: window x chunks a passage",
            [{"w": w, "most": m} for w in (10, 20, 30) for m in (1, 2, 3)],
            lambda t, s: (rrf(t.scores, 20), t.scores),
            answer_settings=lambda s: {"merge_window": s["w"], "merge_most": s["most"]},
        ),
    ]


def per_question(results: Sequence[Any]) -> dict[str, dict[str, float]]:
    return ranking_scores({r.id: r.relevant for r in results if r.answerable})


def by_style(results: Sequence[Any], scores: dict[str, dict[str, float]]) -> dict[str, str]:
    """'R@5 / MRR@10' overall and per style over answerable questions."""
    cells = {}
    for group in ("overall", *STYLES):
        ids = [r.id for r in results if r.answerable and group in ("overall", r.style)]
        r5 = np.mean([scores[i]["R@5"] for i in ids])
        mrr = np.mean([scores[i]["MRR@10"] for i in ids])
        cells[group] = f"{r5:.3f} / {mrr:.3f}"
    return cells


def cross_validate(
    study: Study, lever: Lever, own: Sequence[Trace], repeats: int
) -> tuple[dict[str, dict[str, float]], dict[str, Any], Counter[str]]:
    """Held-out per-question scores (averaged over repeats), the setting picked on the whole
    own set, and how often each setting was picked across folds."""
    table = [per_question(study.run(lever, own, setting)) for setting in lever.grid]
    ids = [t.question.id for t in own if t.question.answerable]

    def best(members: Sequence[str]) -> int:
        # Best mean MRR@10, then R@5; ties go to the first (simplest) setting in the grid.
        def key(i: int) -> tuple[float, float]:
            return (
                round(float(np.mean([table[i][q]["MRR@10"] for q in members])), 9),
                round(float(np.mean([table[i][q]["R@5"] for q in members])), 9),
            )

        return max(range(len(table)), key=lambda i: (key(i), -i))

    held: dict[str, dict[str, float]] = {q: Counter() for q in ids}  # type: ignore[misc]
    picked: Counter[str] = Counter()
    for seed in range(repeats):
        for train, test in KFold(FOLDS, shuffle=True, random_state=seed).split(ids):
            choice = best([ids[i] for i in train])
            picked[str(lever.grid[choice])] += 1
            for i in test:
                for metric, value in table[choice][ids[i]].items():
                    held[ids[i]][metric] += value / repeats
    return held, lever.grid[best(ids)], picked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levers", help="comma-separated lever names (default: all)")
    parser.add_argument("--repeats", type=int, default=4)
    args = parser.parse_args()

    settings = Settings()
    pipeline = Pipeline.open(settings)
    study = Study(pipeline)
    own = [study.trace(q) for q in load_questions(EVAL_SETS["main"].questions, settings.corpus_dir)]
    locked = [
        study.trace(q) for q in load_questions(EVAL_SETS["locked"].questions, settings.corpus_dir)
    ]
    kinds = sorted({c.kind for c in pipeline.store.chunks})
    chosen = levers(study, kinds)
    if args.levers:
        wanted = set(args.levers.split(","))
        chosen = [lv for lv in chosen if lv.name in wanted or lv.name.startswith("baseline")]

    header = ["lever", "setting (whole own set)", "own CV: all", *STYLES, "locked: all", *STYLES]
    print("| " + " | ".join([*header, "added p50 ms"]) + " |")
    print("|" + "---|" * (len(header) + 1))
    for lever in chosen:
        held, setting, picked = cross_validate(study, lever, own, args.repeats)
        own_cells = by_style([t.question for t in own], held)
        study.added_ms[lever.name] = []
        locked_results = study.run(lever, locked, setting)
        locked_cells = by_style(locked_results, per_question(locked_results))
        added = float(np.percentile(study.added_ms[lever.name], 50))
        row = [lever.name, str(setting), *own_cells.values(), *locked_cells.values()]
        print("| " + " | ".join([*row, f"{added:.1f}"]) + " |", flush=True)
        if len(lever.grid) > 1:
            print(f"<!-- folds picked: {dict(picked.most_common(3))} -->", flush=True)


if __name__ == "__main__":
    main()
