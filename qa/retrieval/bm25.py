"""BM25 over chunk search text with bm25s (English stopwords, Snowball stemming)."""

from __future__ import annotations

import numpy as np


class BM25Retriever:
    def __init__(self, texts: list[str]) -> None:
        import bm25s
        import Stemmer

        self._bm25s = bm25s
        self._stemmer = Stemmer.Stemmer("english")
        tokens = bm25s.tokenize(texts, stopwords="en", stemmer=self._stemmer, show_progress=False)
        self._vocab = tokens.vocab
        self._model = bm25s.BM25()
        self._model.index(tokens, show_progress=False)
        self._n = len(texts)

    def all_terms(self, text: str) -> list[str]:
        """Stemmed, stopword-free terms of a text."""
        tokens = self._bm25s.tokenize(
            [text], stopwords="en", stemmer=self._stemmer, show_progress=False, return_ids=False
        )
        return list(tokens[0])

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
