"""Names a question uses that no document mentions: "Sibur", "Su-35", "Vostok-2018".

A question about something the corpus never names cannot be answered from it, however close the
nearest passages look to a bi-encoder (they match the topic, not the name). Hand-written because
what counts as a name here (capitalised words, model designations with digits, possessives and
dashed pairs such as "Xi–Putin") is a few lines, where an NER model would be a heavy dependency.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"[^\W_][\w'’\-–]*")
_DASH = re.compile(r"[-–]")
_POSSESSIVE = re.compile(r"['’]s?$")


class NameVocabulary:
    """Every word form the documents use, lower-cased, dashed words also by their parts."""

    def __init__(self, texts: Iterable[str] = (), *, words: Iterable[str] = ()) -> None:
        """The vocabulary of `texts`, or `words` (word_forms of the texts, as a build saved)."""
        self._words = frozenset(words) | word_forms(texts)

    def unknown_names(self, question: str) -> list[str]:
        """The question's names that no document contains, in question order, once each."""
        unknown: list[str] = []
        for name in question_names(question):
            if name.lower() not in self._words and name not in unknown:
                unknown.append(name)
        return unknown


def question_names(question: str) -> list[str]:
    """Capitalised words and designations with digits ("Su-35", "J-11B"); a dashed pair of names
    ("Moscow–Beijing", "US-backed") counts as its capitalised parts.

    The first word is capitalised anyway, so it counts only when more than its first letter is
    ("WTO", "Su-35"): "Approximately how many…" names nothing.
    """
    names = []
    for i, word in enumerate(_WORD.findall(question)):
        word = _POSSESSIVE.sub("", word)
        if any(ch.isdigit() for ch in word):
            if any(ch.isupper() for ch in word):  # not "2015" or "start-of-2011"
                names.append(word)
        elif i == 0 and not any(ch.isupper() for ch in word[1:]):
            continue
        elif word[:1].isupper():
            names.extend(p for p in _DASH.split(word) if p[:1].isupper())
    return names


def word_forms(texts: Iterable[str]) -> frozenset[str]:
    """Every word form the texts use, lower-cased, dashed words also by their parts."""
    words: set[str] = set()
    for text in texts:
        for word in _words(text):
            words.add(word)
            words.update(p for p in _DASH.split(word) if p)
    return frozenset(words)


def _words(text: str) -> Iterable[str]:
    for word in _WORD.findall(text):
        yield _POSSESSIVE.sub("", word).lower()
