"""Pipeline: the one core that the API, the CLI and the eval harness call.

question -> (embed, dense search, BM25, fuse) -> hits -> answer (passages, highlights, abstention)
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import time
from collections.abc import Callable, Sequence
from typing import Literal

from qa.answer import build_answer, confidence_features
from qa.corpus.readers import page_of
from qa.errors import InvalidQuestion, InvalidRange, UnknownDocument
from qa.index.embedder import NONE, Embedder, LazyEmbedder
from qa.index.filters import Filters
from qa.index.store import IndexStore, ensure_index
from qa.retrieval.hybrid import HybridRetriever, SearchResult
from qa.retrieval.names import NameVocabulary
from qa.settings import Settings
from qa.types import Answer, DocumentInfo, DocumentText
from qa.visible import has_visible_text

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "bm25")
MAX_TEXT_CHARS = 20_000  # of a document's text in one request (about eight pages)
SENTENCE_TERMS_KEPT = 50_000  # about 10 MB; a question needs the terms of about 70 sentences


class Pipeline:
    def __init__(
        self,
        store: IndexStore,
        embedder: Embedder,
        settings: Settings,
        second: Embedder | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.second = second
        self.settings = settings
        self.retriever = HybridRetriever(store, embedder, settings, second=second)
        # The build's word list; an index built before it saved one: read from every source.
        if store.words is not None:
            self.names = NameVocabulary(words=store.words)
        else:
            self.names = NameVocabulary(text[:] for text in store.sources.values())
        # A sentence's terms, for highlights: tokenized when a question first needs them (at
        # load, all of them took 97 s at 20,000 chunks), and kept for the next questions.
        self._sentence_terms = functools.lru_cache(maxsize=SENTENCE_TERMS_KEPT)(self._terms_of)

    def _terms_of(self, j: int) -> frozenset[str]:
        start, end = self.store.sentence_span(j)
        source = self.store.sources[self.store.chunks[int(self.store.sentence_rows[j])].doc_id]
        return frozenset(self.retriever.bm25.terms(source[start:end]))

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        build_if_missing: bool = True,
        progress: Callable[[str], None] | None = None,
        lazy: bool = False,
        enrich: bool = True,
        embedders: tuple[LazyEmbedder, LazyEmbedder | None] | None = None,
    ) -> Pipeline:
        """Load the index (building it first when none exists) and the embedders.

        Loading the index needs only the models' names and dimensions, so the embedders are
        `LazyEmbedder`s. `lazy=False` (a server, the eval, a benchmark) warms them before
        returning, so the first question does not pay for loading the models; `lazy=True` (the
        CLI) leaves each model to load when a question first needs it: never for BM25.
        `enrich` is `ensure_index`'s: False serves an index without the second model's vectors
        rather than waiting for them. `embedders` (from `lazy_embedders`) reuses models a caller
        already loaded, e.g. for a build just before.
        """
        embedder, second = embedders or lazy_embedders(settings)
        store = ensure_index(
            settings,
            embedder,
            build_if_missing=build_if_missing,
            progress=progress,
            second=second,
            enrich=enrich,
        )
        pipeline = cls(store, embedder, settings, second=second)
        if not lazy:
            pipeline.warm()
        return pipeline

    def close(self) -> None:
        """Release the index's search engine (a served index replaced by a newer one)."""
        self.store.close()

    def warm(self) -> None:
        """Load the models now (one short query through each) rather than on the first question."""
        for embedder in (self.embedder, self.second):
            if embedder is not None:
                embedder.embed_query("warm up")

    def ask(
        self, question: str, k: int = 5, mode: Mode = "hybrid", filters: Filters | None = None
    ) -> Answer:
        """Rank passages for a question, from the chunks `filters` allow. Raises
        InvalidQuestion for bad input (and for filters no chunk passes)."""
        validate_question(question, k, mode, self.settings)
        started = time.perf_counter()
        selection = self.retriever.backend.select(filters)
        if selection is not None and selection.empty:
            return Answer(
                question=question,
                passages=(),
                abstained=True,
                confidence=0.0,
                timings_ms={"total": (time.perf_counter() - started) * 1000},
                abstain_reason="no_match",
            )
        result = self.retriever.search(question, k=k, mode=mode, selection=selection)
        timings = dict(result.timings_ms)
        answer = self.answer(question, result, k)
        timings.update(answer.timings_ms)
        timings["total"] = (time.perf_counter() - started) * 1000
        return dataclasses.replace(answer, timings_ms=timings)

    def answer(
        self, question: str, result: SearchResult, k: int, settings: Settings | None = None
    ) -> Answer:
        """The answer stage over a search result: passages, highlights, confidence, abstention
        (`settings` other than the pipeline's: eval/study.py trying merge rules)."""
        features, unknown_names = self.abstention_evidence(question, result)
        return build_answer(
            question,
            result,
            k=k,
            settings=settings or self.settings,
            terms=self.retriever.bm25.terms,
            store=self.store,
            sentence_terms=self._sentence_terms,
            features=features,
            unknown_names=unknown_names,
        )

    def abstention_evidence(
        self, question: str, result: SearchResult
    ) -> tuple[dict[str, float], list[str]]:
        """What abstention decides on, and eval/calibrate.py fits: the calibrated features and
        the names in the question that no document mentions."""
        unknown_terms = self.retriever.bm25.unknown_fraction(question)
        names = self.names.unknown_names(question)
        return confidence_features(result.hits, unknown_terms, len(names)), names

    def documents(self) -> list[DocumentInfo]:
        return list(self.store.documents)

    def document(self, doc_id: str) -> DocumentInfo:
        return find_document(self.store.documents, doc_id)

    def document_text(self, doc_id: str, start: int, end: int | None) -> DocumentText:
        """The stored text of `doc_id` in [start, end) (end: at most MAX_TEXT_CHARS on), with
        its pages. InvalidRange for a range outside the text or longer than MAX_TEXT_CHARS."""
        find_document(self.store.documents, doc_id)
        info = self.store.source_info(doc_id)
        length = info.length
        end = min(length, start + MAX_TEXT_CHARS) if end is None else end
        if not 0 <= start <= end <= length:
            raise InvalidRange(
                f"[{start}, {end}) is not inside {doc_id}, whose text has {length} "
                f"characters; ask for 0 <= start <= end <= {length}"
            )
        if end - start > MAX_TEXT_CHARS:
            raise InvalidRange(
                f"{end - start} characters asked for; ask for at most {MAX_TEXT_CHARS} at a time"
            )
        pages = info.page_starts
        return DocumentText(
            doc_id=doc_id,
            start=start,
            end=end,
            length=length,
            text=self.store.sources[doc_id][start:end],
            page_start=page_of(pages, start),
            page_end=page_of(pages, max(start, end - 1)),
        )

    def health(self, *, stale: bool = False, reload_error: str | None = None) -> dict[str, object]:
        """What `/health` reports (qa.schema.Health). The server adds what only it knows: whether
        the corpus changed since this index was built (`stale`), and why a newer index failed to
        load (`reload_error`). Either that or a damaged index makes the status "degraded"; being
        stale does not: the index still answers from the documents it was built from."""
        manifest = self.store.manifest
        problems = self.store.problems()
        reasons = [f"the served index is damaged: {'; '.join(problems)}"] if problems else []
        if reload_error:
            reasons.append(reload_error)
        return {
            "status": "degraded" if reasons else "ok",
            "reason": ". ".join(reasons) or None,
            "documents": len(self.store.documents),
            "chunks": len(self.store.chunks),
            "model": manifest["embedder"]["name"],
            "index_created_at": manifest["created_at"],
            "created_at": manifest["created_at"],
            "stale": stale,
            "enrichment": self.enrichment(),
            "backend": manifest.get("backend", "faiss"),  # older manifests: files only
        }

    def enrichment(self) -> str:
        """Whether the index has the second model's vectors: "none" (no second model set),
        "complete", or "pending" (a server adds them in the background)."""
        if self.second is None:
            return "none"
        return "complete" if self.retriever.second is not None else "pending"


def lazy_embedders(settings: Settings) -> tuple[LazyEmbedder, LazyEmbedder | None]:
    """The primary and second (or None) models of `settings`, each loading on first use."""
    second = settings.second_embedder
    return LazyEmbedder(settings.embedder), None if second == NONE else LazyEmbedder(second)


def open_index(
    settings: Settings,
    *,
    build_if_missing: bool = True,
    progress: Callable[[str], None] | None = None,
) -> IndexStore:
    """The index alone, without a retriever (for what reads documents, not questions): no model
    loads unless there is no index yet and building one embeds."""
    embedder, second = lazy_embedders(settings)
    return ensure_index(
        settings,
        embedder,
        build_if_missing=build_if_missing,
        progress=progress,
        second=second,
        enrich=False,
    )


def find_document(documents: Sequence[DocumentInfo], doc_id: str) -> DocumentInfo:
    """The document `doc_id`; UnknownDocument, listing the known ids, when there is none."""
    for info in documents:
        if info.doc_id == doc_id:
            return info
    known = ", ".join(d.doc_id for d in documents)
    raise UnknownDocument(f"no document {doc_id!r} in the index; known ids: {known}")


def validate_question(question: str, k: int, mode: str, settings: Settings) -> None:
    """Raise InvalidQuestion for a question Pipeline.ask refuses; needs no index or model, so a
    command can refuse bad input before loading either."""
    if not has_visible_text(question):
        raise InvalidQuestion("the question is empty; ask something, e.g. 'What is the SCO?'")
    if len(question) > settings.max_question_chars:
        raise InvalidQuestion(
            f"the question is {len(question)} characters; keep it under "
            f"{settings.max_question_chars}"
        )
    validate_options(k, mode, settings)


def validate_options(k: int, mode: str, settings: Settings) -> None:
    """Raise InvalidQuestion for a k or a mode that every question would be refused for."""
    if not 1 <= k <= settings.max_k:
        raise InvalidQuestion(f"k must be between 1 and {settings.max_k}, got {k}")
    if mode not in MODES:
        raise InvalidQuestion(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
