"""What a chat talks to: the pipeline in this process, or a running `qa serve` over HTTP.

Both give the HTTP API's own models (AskResponse, DocumentOut, DocumentDetail,
DocumentTextOut), so the chat renders them the same way wherever they come from.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from qa.pipeline import Mode, Pipeline
    from qa.remote import RemoteQA
    from qa.schema import AskResponse, DocumentDetail, DocumentOut, DocumentTextOut


class ChatService(Protocol):
    def ask(
        self, question: str, k: int, mode: Mode, filters: dict[str, Any] | None
    ) -> AskResponse: ...

    def documents(self) -> list[DocumentOut]: ...

    def document(self, doc_id: str) -> DocumentDetail: ...

    def text(self, doc_id: str, start: int, end: int | None) -> DocumentTextOut: ...


class LocalService:
    """The pipeline opened in this process."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def ask(self, question: str, k: int, mode: Mode, filters: dict[str, Any] | None) -> AskResponse:
        from qa.schema import AskResponse, FiltersIn

        chosen = FiltersIn(**filters).to_filters() if filters else None
        answer = self.pipeline.ask(question, k, mode=mode, filters=chosen)
        return AskResponse.from_answer(answer)

    def documents(self) -> list[DocumentOut]:
        from qa.schema import DocumentOut

        return [DocumentOut.from_info(info) for info in self.pipeline.documents()]

    def document(self, doc_id: str) -> DocumentDetail:
        from qa.schema import DocumentDetail

        return DocumentDetail.from_info(self.pipeline.document(doc_id))

    def text(self, doc_id: str, start: int, end: int | None) -> DocumentTextOut:
        from qa.schema import DocumentTextOut

        found = self.pipeline.document_text(doc_id, start, end)
        return DocumentTextOut.model_validate(dataclasses.asdict(found))


class RemoteService:
    """A running `qa serve`: GET /documents, GET /documents/{id}, GET /documents/{id}/text."""

    def __init__(self, remote: RemoteQA) -> None:
        self.remote = remote

    def ask(self, question: str, k: int, mode: Mode, filters: dict[str, Any] | None) -> AskResponse:
        return self.remote.ask(question, k=k, mode=mode, filters=filters)

    def documents(self) -> list[DocumentOut]:
        return self.remote.documents()

    def document(self, doc_id: str) -> DocumentDetail:
        return self.remote.document(doc_id)

    def text(self, doc_id: str, start: int, end: int | None) -> DocumentTextOut:
        return self.remote.document_text(doc_id, start, end)
