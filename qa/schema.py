"""The one response schema shared by the HTTP API, `qa ask --json` and the eval harness."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from qa.index.filters import Filters
from qa.settings import Settings
from qa.types import Answer, DocumentInfo, Passage, Section
from qa.visible import VISIBLE_CHARACTER, has_visible_text

DEFAULT_MAX_QUESTION_CHARS: int = Settings.model_fields["max_question_chars"].default
DEFAULT_MAX_K: int = Settings.model_fields["max_k"].default


def question_field(max_chars: int) -> Any:
    """The `question` field, at most `max_chars` characters (`create_app` passes the setting)."""
    return Field(
        ...,
        min_length=1,
        max_length=max_chars,
        description=f"A question in plain English, at most {max_chars} characters, with at "
        "least one that shows (not only spaces, zero-width or control characters).",
        json_schema_extra={"pattern": VISIBLE_CHARACTER},  # checked by `_not_blank`
    )


def k_field(max_k: int) -> Any:
    """The `k` field, 1..`max_k` (`create_app` passes the setting)."""
    return Field(
        min(5, max_k), ge=1, le=max_k, description=f"How many passages to return (1..{max_k})."
    )


DATE_PATTERN = r"^\d{4}(-\d{2}(-\d{2})?)?$"


class FiltersIn(BaseModel):
    """Which passages a question may be answered from; every field optional, all must hold."""

    model_config = ConfigDict(extra="forbid")  # a misspelt filter is a 422, never ignored

    doc_ids: list[str] | None = Field(None, max_length=1000, description="Document ids.")
    authors: list[str] | None = Field(
        None, max_length=100, description="Any of these authors (case-insensitive, part of a name)."
    )
    date_from: str | None = Field(None, pattern=DATE_PATTERN, description="YYYY[-MM[-DD]].")
    date_to: str | None = Field(None, pattern=DATE_PATTERN, description="YYYY[-MM[-DD]].")

    def to_filters(self) -> Filters:
        return Filters(
            tuple(self.doc_ids or ()), tuple(self.authors or ()), self.date_from, self.date_to
        )


class AskRequest(BaseModel):
    """A question and how many passages to return."""

    # The limits here are the Settings defaults; `create_app` serves a subclass with the configured
    # ones, so the HTTP schema enforces (and its OpenAPI shows) what the settings say.

    question: str = question_field(DEFAULT_MAX_QUESTION_CHARS)
    k: int = k_field(DEFAULT_MAX_K)

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not has_visible_text(value):
            raise ValueError(
                'question must contain some text; send e.g. {"question": "What is the SCO?"}'
            )
        return value


class ErrorMessage(BaseModel):
    """The body of every error status but 422: what went wrong and what to do next."""

    detail: str


class RetrieverScores(BaseModel):
    """Each ranker's score and rank for a passage (None where it did not retrieve it)."""

    dense: float | None = None
    dense_rank: int | None = None
    dense2: float | None = None
    dense2_rank: int | None = None
    sentence: float | None = None
    sentence_rank: int | None = None
    bm25: float | None = None
    bm25_rank: int | None = None
    fused: float | None = None


class PassageOut(BaseModel):
    rank: int
    score: float
    doc_id: str
    title: str
    authors: list[str]
    date: str | None
    section: str
    section_path: list[str]
    text: str
    start: int
    end: int
    spans: list[tuple[int, int]]
    highlights: list[tuple[int, int]]
    scores: RetrieverScores
    chunk_id: str
    page_start: int | None = Field(
        None,
        description="Physical page of the passage's first character (PDF; a .docx's "
        "explicit page breaks); null where the format has no pages.",
    )
    page_end: int | None = Field(None, description="Physical page of its last character.")
    text_highlights: list[tuple[int, int]] = Field(
        default_factory=list,
        description="The highlighted sentences as [start, end) offsets into `text` (where "
        "`highlights` index the source), for marking them without the source text.",
    )

    @classmethod
    def from_passage(cls, passage: Passage) -> PassageOut:
        chunk = passage.hit.chunk
        s = passage.hit.scores
        return cls(
            rank=passage.rank,
            score=round(passage.hit.score, 4),
            doc_id=chunk.doc_id,
            title=chunk.title,
            authors=list(chunk.authors),
            date=chunk.date,
            section=chunk.section,
            section_path=list(chunk.section_path),
            text=chunk.text,
            start=chunk.start,
            end=chunk.end,
            spans=[tuple(span) for span in chunk.spans],
            highlights=[tuple(span) for span in passage.highlights],
            text_highlights=[tuple(span) for span in passage.text_highlights],
            scores=RetrieverScores(
                **{
                    name: _round(s.get(name))
                    for name in ("dense", "dense2", "sentence", "bm25", "fused")
                },
                **{
                    f"{name}_rank": _int(s.get(f"{name}_rank"))
                    for name in ("dense", "dense2", "sentence", "bm25")
                },
            ),
            chunk_id=chunk.chunk_id,
            page_start=chunk.page_start,
            page_end=chunk.page_end,
        )


class AskResponse(BaseModel):
    question: str
    passages: list[PassageOut]
    abstained: bool
    confidence: float
    timings_ms: dict[str, float]
    # Names in the question that no document mentions; any makes the answer abstain.
    unknown_names: list[str] = []
    # "no_match": the request's filters leave no passage (unknown ids, an empty date range).
    abstain_reason: Literal["unknown_names", "low_confidence", "no_match"] | None = None

    @classmethod
    def from_answer(cls, answer: Answer) -> AskResponse:
        return cls(
            question=answer.question,
            passages=[PassageOut.from_passage(p) for p in answer.passages],
            abstained=answer.abstained,
            confidence=round(answer.confidence, 4),
            timings_ms={k: round(v, 2) for k, v in answer.timings_ms.items()},
            unknown_names=list(answer.unknown_names),
            abstain_reason=answer.abstain_reason,
        )


class OutlineEntry(BaseModel):
    heading: str
    level: int
    path: list[str]
    start: int
    end: int
    boilerplate: bool = False  # a publisher blurb etc.: kept out of passages

    @classmethod
    def from_section(cls, section: Section) -> OutlineEntry:
        return cls(
            heading=section.heading,
            level=section.level,
            path=list(section.path),
            start=section.start,
            end=section.end,
            boilerplate=section.boilerplate,
        )


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    authors: list[str]
    date: str | None
    publisher: str | None
    sections: int
    chunks: int

    @classmethod
    def from_info(cls, info: DocumentInfo) -> DocumentOut:
        return cls(
            doc_id=info.doc_id,
            title=info.title,
            authors=list(info.authors),
            date=info.date,
            publisher=info.publisher,
            sections=len(info.outline),
            chunks=info.chunk_count,
        )


class DocumentDetail(DocumentOut):
    outline: list[OutlineEntry]

    @classmethod
    def from_info(cls, info: DocumentInfo) -> DocumentDetail:
        """The document with its outline in document order (a parent before its children)."""
        ordered = sorted(info.outline, key=lambda s: (s.start, s.level))
        return cls(
            **DocumentOut.from_info(info).model_dump(),
            outline=[OutlineEntry.from_section(s) for s in ordered],
        )


class IndexCounts(BaseModel):
    """The index as served after a change to the library."""

    documents: int
    chunks: int
    seconds: float = Field(
        description="How long the rebuild took (unchanged chunks keep their vectors)."
    )


class DocumentAdded(BaseModel):
    """`POST /documents`: the document stored in the corpus, indexed and served."""

    doc_id: str = Field(description="Its id: the path inside the corpus folder.")
    document: DocumentOut
    index: IndexCounts


class DocumentRemoved(BaseModel):
    """`DELETE /documents/{doc_id}`: the document out of the corpus and the index."""

    doc_id: str
    kept_at: str = Field(
        description="Where the file was moved, relative to the corpus folder (into its hidden "
        ".qa-removed/): qa never deletes a user's file; delete it there when sure."
    )
    index: IndexCounts


class DocumentTextOut(BaseModel):
    """`GET /documents/{doc_id}/text`: a stretch of a document's stored text."""

    doc_id: str
    start: int
    end: int
    length: int = Field(description="Characters in the document's whole text.")
    text: str = Field(description="The text in [start, end): what citation offsets index.")
    page_start: int | None = Field(None, description="Page of `start`; null without pages.")
    page_end: int | None = Field(None, description="Page of the last character.")


class Health(BaseModel):
    """`GET /health`: the served index, and whether it is the one it should be."""

    status: Literal["ok", "degraded"] = Field(
        description='"degraded" when the served index is damaged, or the index on disk (a newer'
        " one, or any on a forced reload) failed to load."
    )
    documents: int
    chunks: int
    model: str = Field(description="The embedding model the index was built with.")
    index_created_at: str = Field(description="When the served index was built (ISO 8601).")
    created_at: str = Field(description="The same as index_created_at.")
    stale: bool = Field(
        False,
        description="The corpus on disk changed since the served index was built: run `qa build`"
        " (a running server then serves the new index within seconds).",
    )
    reason: str | None = Field(None, description="Why the status is degraded; null when ok.")
    enrichment: Literal["none", "complete", "pending", "running", "failed"] = Field(
        "none",
        description="The second model's vectors (QA_SECOND_EMBEDDER): none configured, in the"
        ' index, or not yet: "pending" (added in the background once the index is up to date'
        ' with the corpus), "running", "failed" (see enrichment_error). Until they are in,'
        " answers fuse the other rankers.",
    )
    enrichment_error: str | None = Field(None, description="Why background enrichment failed.")
    backend: Literal["faiss", "milvus"] = Field(
        "faiss",
        description="Where the index's chunks are searched (QA_BACKEND): FAISS and BM25 files "
        "in this process, or Milvus (embedded in the index folder, or a server).",
    )
    writes: bool = Field(
        False,
        description="Whether this server adds and removes documents (POST /documents, DELETE "
        "/documents/{doc_id}): always with QA_API_KEY set; without one, only when it listens on "
        "loopback (127.0.0.1) and the request came that way.",
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)
