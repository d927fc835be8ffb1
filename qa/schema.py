"""The one response schema shared by the HTTP API, `qa ask --json` and the eval harness."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from qa.types import Answer, DocumentInfo, Passage, Section


class AskRequest(BaseModel):
    question: str = Field(
        ..., min_length=1, max_length=1000, description="A question in plain English."
    )
    k: int = Field(5, ge=1, le=50, description="How many passages to return (1..50).")

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(
                'question must contain some text; send e.g. {"question": "What is the SCO?"}'
            )
        return value


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
        )


class AskResponse(BaseModel):
    question: str
    passages: list[PassageOut]
    abstained: bool
    confidence: float
    timings_ms: dict[str, float]
    # Names in the question that no document mentions; any makes the answer abstain.
    unknown_names: list[str] = []
    abstain_reason: Literal["unknown_names", "low_confidence"] | None = None

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


class Health(BaseModel):
    status: str
    documents: int
    chunks: int
    model: str
    index_created_at: str


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)
