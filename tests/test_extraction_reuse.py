"""A build reads again only the PDF, web and Word files whose bytes the index it replaces has
not extracted: adding one note to a library of PDFs does not re-extract every PDF."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import qa.corpus.ingest
from qa.index.build import build_index
from qa.index.embedder import load_embedder
from qa.settings import Settings
from tests.conftest import REAL_DOCUMENTS

LIBRARY = Path(__file__).parent / "data" / "library"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("bzip2-manual.pdf", "python311_json.html"):
        shutil.copy(REAL_DOCUMENTS / name, corpus / name)
    shutil.copy(LIBRARY / "field_report.docx", corpus / "field_report.docx")
    return Settings(
        corpus_dir=corpus, index_dir=tmp_path / "index", embedder="fake", second_embedder="none"
    )


def count_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    reads: list[str] = []
    original = qa.corpus.ingest.read_with_reader

    def counting(path: Path):  # noqa: ANN202 - returns what the reader returns
        reads.append(path.name)
        return original(path)

    monkeypatch.setattr(qa.corpus.ingest, "read_with_reader", counting)
    return reads


def sources(settings: Settings) -> dict[str, dict]:
    lines = (settings.index_dir / "sources.jsonl").read_text(encoding="utf-8").splitlines()
    return {r["doc_id"]: r for r in map(json.loads, lines)}


def test_a_rebuild_reads_only_new_or_changed_files_and_gives_the_same_index(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_index(settings, load_embedder("fake"))
    first = sources(settings)
    reads = count_reads(monkeypatch)

    (settings.corpus_dir / "note.md").write_text("# A note\n\nOne more document.\n")
    shutil.copy(REAL_DOCUMENTS / "sample-sigconf.pdf", settings.corpus_dir / "acm.pdf")
    build_index(settings, load_embedder("fake"))

    assert reads == ["acm.pdf"]  # the three already extracted are lent by the old index
    second = sources(settings)
    for doc_id, record in first.items():
        assert second[doc_id] == record  # text, pages and metadata as a fresh read gives
    assert second["acm.pdf"]["extracted"]["pages"] == 6
    assert "extracted" not in second["note.md"]  # text files are read directly, never cached


def test_a_changed_file_is_read_again(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    build_index(settings, load_embedder("fake"))
    reads = count_reads(monkeypatch)
    shutil.copy(REAL_DOCUMENTS / "sample-sigconf.pdf", settings.corpus_dir / "bzip2-manual.pdf")
    build_index(settings, load_embedder("fake"))
    assert reads == ["bzip2-manual.pdf"]
    assert sources(settings)["bzip2-manual.pdf"]["extracted"]["pages"] == 6


def test_output_of_another_parser_version_is_not_reused(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_index(settings, load_embedder("fake"))
    reads = count_reads(monkeypatch)
    monkeypatch.setattr("qa.index.reuse.PARSER_VERSION", 99)  # as after a reader changed
    (settings.corpus_dir / "note.md").write_text("# A note\n\nOne more document.\n")
    build_index(settings, load_embedder("fake"))
    assert sorted(reads) == ["bzip2-manual.pdf", "field_report.docx", "python311_json.html"]
