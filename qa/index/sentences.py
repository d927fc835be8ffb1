"""Every chunk's sentences, indexed on their own so a passage can be scored by its best one."""

from __future__ import annotations

from collections.abc import Mapping

from qa.corpus.clean import clean_text
from qa.corpus.sentences import sentence_spans
from qa.types import Chunk, Span

MIN_SENTENCE_WORDS = 3  # "Up ↑"-sized fragments carry no meaning of their own


def chunk_sentences(chunks: list[Chunk], sources: Mapping[str, str]) -> list[tuple[int, Span, str]]:
    """(chunk row, source span, cleaned text) for each sentence, in chunk order."""
    out: list[tuple[int, Span, str]] = []
    for row, chunk in enumerate(chunks):
        source = sources[chunk.doc_id]
        for piece in chunk.spans:
            for span in sentence_spans(source, piece):
                text = clean_text(source[span[0] : span[1]])
                if len(text.split()) >= MIN_SENTENCE_WORDS:
                    out.append((row, span, text))
    return out
