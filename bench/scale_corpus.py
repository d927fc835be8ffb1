"""Helpers of bench/scale.py: synthetic Markdown corpora of real English, and random vectors.

The corpora reuse the bundled documents' own paragraphs (those of at least 30 words), each with
its sentences shuffled, drawn by a seeded random generator: the same arguments write the same
files. Documents have `# Title` and `## Section` headings and about 20 paragraphs a section.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import numpy as np

MIN_WORDS = 30
PARAGRAPHS_PER_SECTION = 20
_BLANK_LINES = re.compile(r"\n[ \t]*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"“‘(A-Z0-9])")


def source_paragraphs(corpus_dir: Path) -> list[list[str]]:
    """The bundled documents' paragraphs of at least MIN_WORDS words, each as its sentences."""
    out = []
    for path in sorted(corpus_dir.glob("*.txt")):
        for block in _BLANK_LINES.split(path.read_text(encoding="utf-8")):
            text = " ".join(block.split())
            if len(text.split()) >= MIN_WORDS and not text.startswith(("#", "|", "-", "*")):
                out.append(_SENTENCE_END.split(text))
    if not out:
        raise SystemExit(f"no paragraphs of {MIN_WORDS}+ words in {corpus_dir}/*.txt")
    return out


def paragraph(pool: list[list[str]], rng: random.Random) -> str:
    sentences = list(rng.choice(pool))
    rng.shuffle(sentences)
    return " ".join(sentences)


def heading(pool: list[list[str]], rng: random.Random, words: int) -> str:
    text = re.sub(r"[^\w\s'-]", "", rng.choice(rng.choice(pool)))
    return " ".join(text.split()[:words]).capitalize() or "Untitled"


def write_document(path: Path, pool: list[list[str]], sections: int, seed: int) -> int:
    """One Markdown document of `sections` sections; returns its words."""
    rng = random.Random(seed)
    lines = [f"# Report {seed}: {heading(pool, rng, 6)}", ""]
    for number in range(1, sections + 1):
        lines += [f"## {number}. {heading(pool, rng, 5)}", ""]
        for _ in range(PARAGRAPHS_PER_SECTION):
            lines += [paragraph(pool, rng), ""]
    text = "\n".join(lines)
    path.write_text(text, encoding="utf-8")
    return len(text.split())


def write_corpus(folder: Path, pool: list[list[str]], sections: int, per_document: int) -> int:
    """`sections` sections in documents of `per_document` sections (the last may be shorter),
    as doc-00000.md, doc-00001.md, ...; returns the words written."""
    folder.mkdir(parents=True, exist_ok=True)
    words = 0
    for number, start in enumerate(range(0, sections, per_document)):
        count = min(per_document, sections - start)
        words += write_document(folder / f"doc-{number:05d}.md", pool, count, seed=number)
    return words


def sample_chunks(pool: list[list[str]], words: int, count: int, seed: int = 0) -> list[str]:
    """`count` texts of about `words` words, to time the model on chunk-sized text."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        text = ""
        while len(text.split()) < words:
            text += paragraph(pool, rng) + "\n"
        out.append(" ".join(text.split()[:words]))
    return out


def unit_rows(rng: np.random.Generator, rows: int, dim: int) -> np.ndarray:
    vectors = rng.standard_normal((rows, dim), dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


class RandomEmbedder:
    """Random unit vectors under a real model's name and dimension, so that `Pipeline.open`
    with the default settings accepts the index: it measures everything but the embedding."""

    def __init__(self, name: str, dim: int, seed: int = 0) -> None:
        self.name = name
        self.dim = dim
        self._rng = np.random.default_rng(seed)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return unit_rows(self._rng, len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        return unit_rows(self._rng, 1, self.dim)[0]

    def embed_with_parts(
        self, texts: list[str], parts: list[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """As the real MiniLM's (a vector per text and per part, one pass): the build pools
        sentence vectors from the chunk's pass through this when the embedder has it."""
        return self.embed_passages(texts), [unit_rows(self._rng, len(p), self.dim) for p in parts]


class Counting:
    """An embedder that counts the texts it was given (as whole texts, or as parts of one),
    passing every other attribute through to the one it wraps."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name: str = inner.name
        self.dim: int = inner.dim
        self.texts = 0
        self.parts = 0

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.texts += len(texts)
        return np.asarray(self.inner.embed_passages(texts))

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self.inner.embed_query(text))

    def __getattr__(self, attribute: str) -> Any:
        found = getattr(self.inner, attribute)  # AttributeError when the model has none
        return self._with_parts if attribute == "embed_with_parts" else found

    def _with_parts(self, texts: list[str], parts: list[list[tuple[int, int]]]) -> Any:
        self.texts += len(texts)
        self.parts += sum(len(p) for p in parts)
        return self.inner.embed_with_parts(texts, parts)
