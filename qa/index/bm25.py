"""BM25 over chunk search text with bm25s (English stopwords, Snowball stemming).

Built once, at index time, and saved beside the vectors (bm25s's own format, under the names in
`FILES`); a server loads it memory-mapped instead of re-tokenizing every chunk at start-up.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
from bm25s.stopwords import STOPWORDS_EN

# bm25s's save/load file-name arguments -> our names in the index folder.
FILES = {
    "data_name": "bm25-data.npy",
    "indices_name": "bm25-indices.npy",
    "indptr_name": "bm25-indptr.npy",
    "vocab_name": "bm25-vocab.json",
    "params_name": "bm25-params.json",
    "nnoc_name": "bm25-nonoccurrence.npy",  # written only by BM25 variants that need it
}
SAVED = frozenset(FILES.values()) - {FILES["nnoc_name"]}  # what the default variant writes

# bm25s.tokenize's defaults, applied here to a question or sentence: that function builds three
# tqdm bars and a stopword set on every call (even with show_progress=False), 2.7 ms a question
# over the 14 calls one takes. tests/test_bm25_persistence.py checks both give the same terms.
TOKEN = re.compile(r"(?u)\b\w\w+\b")
STOPWORDS = frozenset(STOPWORDS_EN)


class BM25Retriever:
    def __init__(self, texts: list[str] | None = None, *, model: Any = None, n: int = 0) -> None:
        """Index `texts`, or wrap a `model` loaded by `load` (over `n` chunks)."""
        import bm25s
        import Stemmer

        self._stemmer = Stemmer.Stemmer("english")
        if model is None:
            texts = texts or []
            tokens = bm25s.tokenize(
                texts, stopwords="en", stemmer=self._stemmer, show_progress=False
            )
            model = bm25s.BM25()
            model.index(tokens, show_progress=False)
            n = len(texts)
        self._model = model
        self._vocab: dict[str, int] = model.vocab_dict
        self._n = n

    def save(self, folder: Path) -> None:
        self._model.save(str(folder), show_progress=False, **FILES)

    @classmethod
    def load(cls, folder: Path, n: int) -> BM25Retriever:
        """The index `save` wrote, its score matrix memory-mapped, for `n` chunks."""
        import bm25s

        model = bm25s.BM25.load(str(folder), mmap=True, show_progress=False, **FILES)
        if model.scores["num_docs"] != n:
            raise ValueError(f"the BM25 index holds {model.scores['num_docs']} chunks, not {n}")
        return cls(model=model, n=n)

    def all_terms(self, text: str) -> list[str]:
        """Stemmed, stopword-free terms of a text."""
        words = [word for word in TOKEN.findall(text.lower()) if word not in STOPWORDS]
        return list(self._stemmer.stemWords(words))

    def terms(self, text: str) -> list[str]:
        """The terms of a text that occur in the indexed vocabulary."""
        return [t for t in self.all_terms(text) if t in self._vocab]

    def unknown_fraction(self, text: str) -> float:
        """Share of a question's terms that no chunk contains: names the corpus never mentions."""
        terms = self.all_terms(text)
        return sum(t not in self._vocab for t in terms) / len(terms) if terms else 0.0

    def scores(self, question: str) -> np.ndarray:
        """A BM25 score for every chunk (zeros when no query term is in the vocabulary)."""
        terms = self.terms(question)
        if not terms:
            return np.zeros(self._n, dtype=np.float32)
        return np.asarray(self._model.get_scores(terms), dtype=np.float32)
