"""The eval set: eval/questions.jsonl -> validated questions, gold quotes located in the corpus.

One JSON object a line::

    {"id": "e000-01", "question": "...", "style": "paraphrase", "type": "fact",
     "gold": [{"doc": "000_ff0be94e4a76eeec.txt", "quote": "<verbatim, 40-300 chars>",
               "section": "Introduction", "page": null}]}

`gold` is any-of (one matching item answers the question); `[]` marks an unanswerable question.
Offsets are `str` offsets into the document's text (a .txt/.md file decoded; a PDF's, web page's
or Word file's as extracted), the same coordinates as `Chunk.spans`. `page` (optional) is the
physical page where the quote starts, for formats with pages.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qa.errors import QAError
from qa.types import Span

Style = Literal["paraphrase", "keyword", "close"]
STYLES: tuple[str, ...] = ("paraphrase", "keyword", "close")


class EvalSetError(QAError):
    """The eval file is malformed, or a gold quote is not in its document."""


class GoldRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    doc: str = Field(..., min_length=1)
    quote: str = Field(..., min_length=40, max_length=300)
    section: str = Field(..., min_length=1)
    page: int | None = Field(None, ge=1)  # 1-based physical page where the quote starts, if paged


class QuestionRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(..., min_length=1)
    question: str = Field(..., min_length=1)
    gold: list[GoldRecord]
    style: Style
    type: str = Field(..., min_length=1)
    note: str | None = None  # e.g. how an unanswerable question was checked against the corpus


@dataclass(frozen=True, slots=True)
class Gold:
    """One acceptable answer: a quote and every place it occurs in its document."""

    doc: str
    quote: str
    section: str
    spans: tuple[Span, ...]  # each occurrence of the quote; any of them counts
    page: int | None = None  # where the quote starts, for formats with pages (PDF)


@dataclass(frozen=True, slots=True)
class EvalQuestion:
    id: str
    question: str
    style: str
    type: str
    gold: tuple[Gold, ...]  # any-of; empty = unanswerable
    line: int  # 1-based line in the eval file, for messages

    @property
    def answerable(self) -> bool:
        return bool(self.gold)


def read_records(path: Path) -> list[tuple[int, QuestionRecord]]:
    """Parse and validate the eval file; a bad line raises EvalSetError naming its line number."""
    if not path.is_file():
        raise EvalSetError(f"no eval file at {path}; pass --questions PATH or create it")
    records: list[tuple[int, QuestionRecord]] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = QuestionRecord.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise EvalSetError(f"{path}:{number}: invalid question line; fix it: {exc}") from exc
        if record.id in seen:
            raise EvalSetError(
                f"{path}:{number}: id {record.id!r} already used on line {seen[record.id]}; "
                "give each question a unique id"
            )
        seen[record.id] = number
        records.append((number, record))
    return records


def find_all(text: str, quote: str) -> tuple[Span, ...]:
    """Every [start, end) where `quote` occurs in `text`, overlapping occurrences included.

    >>> find_all("abcabca", "abca")
    ((0, 4), (3, 7))
    """
    spans: list[Span] = []
    start = text.find(quote)
    while start != -1:
        spans.append((start, start + len(quote)))
        start = text.find(quote, start + 1)
    return tuple(spans)


def read_source(corpus_dir: Path, doc_id: str) -> str:
    """A document's text in the coordinates offsets count in: a .txt/.md file decoded (UTF-8, no
    newline translation), a PDF's, web page's or Word file's text as its reader extracts it."""
    from qa.corpus.ingest import read_document_text
    from qa.errors import UnreadableDocument

    if not (corpus_dir / doc_id).is_file():
        raise EvalSetError(f"gold document {doc_id!r} is not in {corpus_dir}; check the doc name")
    try:
        return read_document_text(corpus_dir, doc_id)
    except UnreadableDocument as exc:
        raise EvalSetError(f"gold document {doc_id!r} cannot be read: {exc}") from exc


def locate(
    records: Iterable[tuple[int, QuestionRecord]], corpus_dir: Path, *, source: Path | None = None
) -> list[EvalQuestion]:
    """Attach to each gold quote its occurrences in the source file; a missing quote is an error."""
    texts: dict[str, str] = {}
    where = f"{source}:" if source else "line "
    questions: list[EvalQuestion] = []
    for number, record in records:
        golds: list[Gold] = []
        for item in record.gold:
            if item.doc not in texts:
                texts[item.doc] = read_source(corpus_dir, item.doc)
            spans = find_all(texts[item.doc], item.quote)
            if not spans:
                raise EvalSetError(
                    f"{where}{number}: quote not found verbatim in {item.doc}: "
                    f"{item.quote[:60]!r}...; copy it exactly from the document"
                )
            golds.append(Gold(item.doc, item.quote, item.section, spans, item.page))
        questions.append(
            EvalQuestion(
                id=record.id,
                question=record.question,
                style=record.style,
                type=record.type,
                gold=tuple(golds),
                line=number,
            )
        )
    return questions


def load_questions(path: Path, corpus_dir: Path) -> list[EvalQuestion]:
    """Read, validate and locate the eval set."""
    return locate(read_records(path), corpus_dir, source=path)
