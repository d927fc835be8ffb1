"""Benchmark: all-MiniLM-L6-v2 on onnxruntime against sentence-transformers (torch), one process.

Usage: HF_HUB_OFFLINE=1 .venv/bin/python bench/embed_backends.py [--queries 100] [--repeat 2]
Prints export and load times, query latency (p50/p95 over short eval questions), passages/s over
the bundled corpus's chunks, and the cosine between the two backends' vectors. Asserts nothing
(timings on shared machines are for reading, not for tests). The export goes to a temporary
cache, so the user's cache is neither used nor touched.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from qa.corpus.chunking import chunk_document
from qa.corpus.ingest import load_corpus, read_document_text
from qa.index.embedder import Embedder, MiniLMEmbedder
from qa.index.manifest import chunking_settings
from qa.index.onnx_minilm import OnnxMiniLMEmbedder
from qa.settings import REPO_ROOT, Settings


def chunk_texts(settings: Settings) -> list[str]:
    documents, _ = load_corpus(settings.corpus_dir)
    cfg = chunking_settings(settings)
    texts: list[str] = []
    for doc in documents:
        text = read_document_text(settings.corpus_dir, doc.doc_id)
        texts.extend(chunk.search_text for chunk in chunk_document(doc, text, cfg))
    return texts


def questions(n: int) -> list[str]:
    lines = (REPO_ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    found = [json.loads(line)["question"] for line in lines if line]
    return (found * (n // len(found) + 1))[:n]


def query_ms(embedder: Embedder, texts: list[str], repeat: int) -> list[float]:
    embedder.embed_query(texts[0])  # warm-up
    samples = []
    for _ in range(repeat):
        for text in texts:
            started = time.perf_counter()
            embedder.embed_query(text)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def passages_per_s(embedder: Embedder, texts: list[str]) -> tuple[float, np.ndarray]:
    embedder.embed_passages(texts[:8])  # warm-up
    started = time.perf_counter()
    vectors = embedder.embed_passages(texts)
    return len(texts) / (time.perf_counter() - started), vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=100, help="short questions to time")
    parser.add_argument("--repeat", type=int, default=2, help="passes over the questions")
    parser.add_argument(
        "--batch-sizes", default="8,16,32", help="onnx passage batch sizes to compare (torch: 32)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        started = time.perf_counter()
        OnnxMiniLMEmbedder(cache_dir=cache)
        print(
            f"onnx first use (torch import + export + load): {time.perf_counter() - started:.1f} s"
        )
        for old in cache.glob("*.onnx"):
            old.unlink()
        started = time.perf_counter()
        OnnxMiniLMEmbedder(cache_dir=cache)
        print(
            f"onnx export alone (torch already imported) + load: "
            f"{time.perf_counter() - started:.1f} s"
        )
        started = time.perf_counter()
        onnx = OnnxMiniLMEmbedder(cache_dir=cache)
        print(f"onnx load from cache: {time.perf_counter() - started:.2f} s")
        started = time.perf_counter()
        torch = MiniLMEmbedder()
        print(f"torch load: {time.perf_counter() - started:.2f} s")

        asked = questions(args.queries)
        print(f"\nquery latency, {len(asked)} questions x {args.repeat}:")
        p50: dict[str, float] = {}
        for label, embedder in (("torch", torch), ("onnx", onnx)):
            samples = query_ms(embedder, asked, args.repeat)
            p50[label] = statistics.median(samples)
            p95 = statistics.quantiles(samples, n=20)[-1]
            print(f"  {label:6} p50 {p50[label]:6.2f} ms   p95 {p95:6.2f} ms")
        print(f"  onnx is {p50['torch'] / p50['onnx']:.1f}x faster (p50)")

        texts = chunk_texts(Settings())
        words = statistics.mean(len(text.split()) for text in texts)
        print(f"\nembed_passages, {len(texts)} chunks (mean {words:.0f} words):")
        rate, torch_vectors = passages_per_s(torch, texts)
        print(f"  torch    batch 32 {rate:6.1f} passages/s")
        for size in (int(size) for size in args.batch_sizes.split(",")):
            batched = OnnxMiniLMEmbedder(cache_dir=cache, batch_size=size)
            onnx_rate, vectors = passages_per_s(batched, texts)
            print(
                f"  onnx     batch {size:2} {onnx_rate:6.1f} passages/s ({onnx_rate / rate:.1f}x)"
            )

        cosines = (torch_vectors * vectors).sum(axis=1)
        print(
            f"\ncosine onnx vs torch over the chunks: min {cosines.min():.6f}, "
            f"mean {cosines.mean():.6f}"
        )


if __name__ == "__main__":
    main()
