"""Same questions, same pipeline, two storage backends: FAISS + bm25s files against Milvus
(embedded milvus-lite), on the own set and the locked split (issue 14, "Same quality").

Usage: .venv/bin/python bench/milvus_parity.py
The served index's chunks and vectors are copied into a milvus-lite collection in a temporary
folder; every question is then asked through the whole pipeline once per backend. Prints the
hybrid metrics side by side, and the p50/p95 time of the backend's own searches per question
with its ratio to the FAISS + bm25s files (the baseline, run in the same process).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from qa.evaluation.dataset import load_questions
from qa.evaluation.runner import run_eval
from qa.evaluation.sets import EVAL_SETS
from qa.index.backends.faiss_files import FaissFilesBackend
from qa.index.backends.milvus import MilvusBackend
from qa.index.backends.protocol import Source
from qa.pipeline import Pipeline
from qa.settings import Settings

METRICS = ("R@1", "R@5", "MRR@10", "section_accuracy", "highlight_accuracy", "citation_fidelity")


class Timed:
    """A backend whose search calls are timed (per question: the sum of its calls)."""

    def __init__(self, inner) -> None:  # noqa: ANN001 - any SearchBackend
        self.inner, self.spent = inner, 0.0

    def __getattr__(self, name: str):  # noqa: ANN204 - delegates
        method = getattr(self.inner, name)
        if name not in ("dense_search", "lexical_search"):
            return method

        def timed(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.spent += time.perf_counter() - started

        return timed


def main() -> None:
    settings = Settings()
    pipeline = Pipeline.open(settings)
    store = pipeline.store
    vectors = {"dense": store.faiss.reconstruct_n(0, store.faiss.ntotal)}
    if store.second is not None:
        vectors["dense2"] = store.second.reconstruct_n(0, store.second.ntotal)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        texts = [
            Source(d, store.sources[d][:], store.page_starts.get(d, ())) for d in store.sources
        ]
        milvus = MilvusBackend.create(
            str(Path(folder) / "index.db"),
            "chunks",
            store.chunks,
            vectors,
            store.bm25.all_terms,
            texts,
        )
        print(
            f"milvus-lite collection of {len(store.chunks)} chunks: "
            f"{time.perf_counter() - started:.1f} s"
        )
        backends = {"faiss_files": FaissFilesBackend(store), "milvus_lite": milvus}
        for set_name in ("main", "locked"):
            questions = load_questions(EVAL_SETS[set_name].questions, settings.corpus_dir)
            rows, baseline = {}, 1.0
            for name, backend in backends.items():  # faiss_files first: the baseline
                timed = Timed(backend)
                pipeline.retriever.backend = timed  # type: ignore[assignment]
                per_question = []
                for question in questions:
                    before = timed.spent
                    pipeline.ask(question.question, k=10)
                    per_question.append((timed.spent - before) * 1000)
                report = run_eval(pipeline, questions, modes=("hybrid",), k=10)
                overall = report.run("hybrid").metrics["overall"]
                p50 = float(np.percentile(per_question, 50))
                baseline = baseline if name != "faiss_files" else p50
                rows[name] = [f"{overall[m]:.3f}" for m in METRICS] + [
                    f"{p50:.1f}",
                    f"{np.percentile(per_question, 95):.1f}",
                    f"{p50 / baseline:.0f}×",
                ]
            print(f"\n{set_name} ({len(questions)} questions), hybrid")
            header = [*METRICS, "search p50 ms", "search p95 ms", "p50 vs files"]
            print("| backend | " + " | ".join(header) + " |")
            print("|---|" + "---|" * len(header))
            for name, cells in rows.items():
                print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
