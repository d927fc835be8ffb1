"""Reading a corpus folder: subfolders, hidden names, symlinks, size limits, reading by id."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import pytest

import qa.corpus.files
from qa.corpus.ingest import load_corpus, read_document_text
from qa.errors import CorpusError, UnreadableDocument
from qa.index.manifest import PARSER_VERSION, corpus_fingerprint

TEXT = """\
# {title}

Ponds are small bodies of still fresh water. They are shallow enough for sunlight to reach the
bottom, so rooted plants can grow across the whole floor, and many were dug by people for cattle,
for fish, or for clay. A healthy pond changes through the seasons as the water warms and cools.
"""


def write(path: Path, title: str = "Ponds of the Lowlands") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TEXT.format(title=title), encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """corpus/top.md and corpus/reports/2021/annual.md; tmp_path/outside holds a secret."""
    folder = tmp_path / "corpus"
    write(folder / "top.md", "Top")
    write(folder / "reports" / "2021" / "annual.md", "Annual Report")
    write(tmp_path / "outside" / "secret.txt", "Secret")
    return folder


def ids(corpus: Path, **kwargs: object) -> list[str]:
    documents, _ = load_corpus(corpus, **kwargs)  # type: ignore[arg-type]
    return [d.doc_id for d in documents]


def report_for(skipped: list[str], doc_id: str) -> str:
    (message,) = [m for m in skipped if m.startswith(f"{doc_id} ")]
    return message


def test_files_in_subfolders_are_indexed_under_their_path_relative_to_the_corpus(
    corpus: Path,
) -> None:
    documents, skipped = load_corpus(corpus)
    assert [d.doc_id for d in documents] == ["reports/2021/annual.md", "top.md"]
    assert documents[0].title == "Annual Report"
    assert skipped == []


def test_hidden_files_and_folders_are_passed_over_without_a_report(corpus: Path) -> None:
    write(corpus / ".drafts" / "draft.md")
    write(corpus / "reports" / ".notes.md")
    (corpus / ".DS_Store").write_bytes(b"\x00\x01")
    documents, skipped = load_corpus(corpus)
    assert [d.doc_id for d in documents] == ["reports/2021/annual.md", "top.md"]
    assert skipped == []


def test_a_file_symlink_to_outside_the_corpus_is_reported_and_not_indexed(corpus: Path) -> None:
    (corpus / "passwd.txt").symlink_to(corpus.parent / "outside" / "secret.txt")
    documents, skipped = load_corpus(corpus)
    assert "passwd.txt" not in [d.doc_id for d in documents]
    assert "outside the corpus folder" in report_for(skipped, "passwd.txt")


def test_a_folder_symlink_to_outside_the_corpus_is_reported_and_not_followed(
    corpus: Path,
) -> None:
    (corpus / "reports" / "elsewhere").symlink_to(corpus.parent / "outside")
    documents, skipped = load_corpus(corpus)
    assert [d.doc_id for d in documents] == ["reports/2021/annual.md", "top.md"]
    assert "outside the corpus folder" in report_for(skipped, "reports/elsewhere")


def test_a_symlink_to_the_corpus_folder_itself_is_reported_instead_of_looping(
    corpus: Path,
) -> None:
    (corpus / "reports" / "2021" / "up").symlink_to(corpus)
    documents, skipped = load_corpus(corpus)
    assert [d.doc_id for d in documents] == ["reports/2021/annual.md", "top.md"]
    assert "already read" in report_for(skipped, "reports/2021/up")


def test_a_symlink_cycle_is_reported_as_broken(corpus: Path) -> None:
    (corpus / "a.md").symlink_to(corpus / "b.md")
    (corpus / "b.md").symlink_to(corpus / "a.md")
    (corpus / "gone.md").symlink_to(corpus / "missing.md")
    _, skipped = load_corpus(corpus)
    for name in ("a.md", "b.md", "gone.md"):
        assert "broken symlink" in report_for(skipped, name)


def test_a_link_inside_the_corpus_indexes_its_file_once_under_the_real_path(
    corpus: Path,
) -> None:
    (corpus / "latest.md").symlink_to(corpus / "reports" / "2021" / "annual.md")
    (corpus / "current").symlink_to(corpus / "reports" / "2021")
    documents, skipped = load_corpus(corpus)
    assert [d.doc_id for d in documents] == ["reports/2021/annual.md", "top.md"]
    assert "indexed under that id" in report_for(skipped, "latest.md")
    assert "already read as reports/2021" in report_for(skipped, "current")


def test_a_link_inside_the_corpus_to_a_file_read_nowhere_else_is_indexed_under_the_link(
    corpus: Path,
) -> None:
    write(corpus / ".archive" / "old.md", "Old")
    (corpus / "old.md").symlink_to(corpus / ".archive" / "old.md")
    assert ids(corpus) == ["old.md", "reports/2021/annual.md", "top.md"]


def test_every_file_that_is_not_indexed_is_reported_whatever_its_extension(
    corpus: Path,
) -> None:
    (corpus / "reports" / "scan.pdf").write_bytes(b"%PDF-1.4\x00")
    (corpus / "reports" / "table.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (corpus / "README").write_text("about this folder", encoding="utf-8")
    (corpus / "reports" / "catalog.toml").write_text("", encoding="utf-8")
    documents, skipped = load_corpus(corpus)
    assert [d.doc_id for d in documents] == ["reports/2021/annual.md", "top.md"]
    assert [m.split()[0] for m in skipped] == [
        "README",
        "reports/catalog.toml",
        "reports/scan.pdf",
        "reports/table.csv",
    ]
    assert "could not be read" in report_for(skipped, "reports/scan.pdf")
    assert "not a .txt, .md, .pdf, .html or .docx file" in report_for(skipped, "reports/table.csv")
    assert "only the catalog.toml at the top" in report_for(skipped, "reports/catalog.toml")


def test_a_named_pipe_is_reported_without_being_opened(corpus: Path) -> None:
    os.mkfifo(corpus / "pipe.txt")  # opening it to read would wait for a writer forever
    documents, skipped = load_corpus(corpus)
    assert [d.doc_id for d in documents] == ["reports/2021/annual.md", "top.md"]
    assert "not a regular file" in report_for(skipped, "pipe.txt")


def test_a_file_over_the_size_limit_is_reported_and_never_opened(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(corpus / "big.md")
    opened: list[str] = []
    real_open = qa.corpus.files._open

    def spy(real: Path, doc_id: str):  # type: ignore[no-untyped-def]
        opened.append(doc_id)
        return real_open(real, doc_id)

    monkeypatch.setattr(qa.corpus.files, "_open", spy)
    (corpus / "top.md").write_text("# Top\n\nShort.\n", encoding="utf-8")
    documents, skipped = load_corpus(corpus, max_file_bytes=100)
    assert [d.doc_id for d in documents] == ["top.md"]
    assert opened == ["top.md"]
    size = (corpus / "big.md").stat().st_size
    assert report_for(skipped, "big.md") == (
        f"big.md is {size} bytes, over the 100 bytes limit (QA_MAX_FILE_MB); "
        "split it or raise the limit"
    )


def test_sizes_in_the_size_report_are_in_megabytes(corpus: Path) -> None:
    (corpus / "big.md").write_bytes(b"x" * 1_200_000)
    _, skipped = load_corpus(corpus, max_file_bytes=500_000)
    assert report_for(skipped, "big.md").startswith("big.md is 1.2 MB, over the 0.5 MB limit")


def test_progress_is_reported_after_each_file_read(corpus: Path) -> None:
    (corpus / "empty.md").write_bytes(b"")
    calls: list[tuple[int, int, str]] = []
    load_corpus(corpus, progress=lambda done, total, doc_id: calls.append((done, total, doc_id)))
    assert calls == [(1, 3, "empty.md"), (2, 3, "reports/2021/annual.md"), (3, 3, "top.md")]


def test_reports_are_logged_as_warnings(corpus: Path, caplog: pytest.LogCaptureFixture) -> None:
    (corpus / "notes.docx").write_bytes(b"PK\x03\x04")
    with caplog.at_level(logging.WARNING, logger="qa.corpus.ingest"):
        _, skipped = load_corpus(corpus)
    assert [r.getMessage() for r in caplog.records] == [f"skipped: {m}" for m in skipped]


def test_read_document_text_reads_a_document_in_a_subfolder(corpus: Path) -> None:
    text = read_document_text(corpus, "reports/2021/annual.md")
    assert text.startswith("# Annual Report")


@pytest.mark.parametrize(
    ("doc_id", "why"),
    [
        ("../outside/secret.txt", "contains '..'"),
        ("reports/../../outside/secret.txt", "contains '..'"),
        ("/etc/passwd", "absolute path"),
        (".drafts/draft.md", "hidden"),
        ("reports//2021/annual.md", "empty part"),
        ("", "not a document id"),
        ("catalog.toml", "not a document type qa reads"),
        ("nowhere.md", "no document"),
    ],
)
def test_read_document_text_refuses_ids_that_are_not_documents_inside_the_corpus(
    corpus: Path, doc_id: str, why: str
) -> None:
    write(corpus / ".drafts" / "draft.md")
    with pytest.raises(UnreadableDocument, match=why):
        read_document_text(corpus, doc_id)


def test_read_document_text_refuses_a_symlink_leading_outside_the_corpus(corpus: Path) -> None:
    (corpus / "passwd.txt").symlink_to(corpus.parent / "outside" / "secret.txt")
    (corpus / "elsewhere").symlink_to(corpus.parent / "outside")
    for doc_id in ("passwd.txt", "elsewhere/secret.txt"):
        with pytest.raises(UnreadableDocument, match="outside the corpus folder"):
            read_document_text(corpus, doc_id)


def test_a_corpus_folder_that_is_itself_a_symlink_is_read_normally(corpus: Path) -> None:
    alias = corpus.parent / "alias"
    alias.symlink_to(corpus)
    assert ids(alias) == ["reports/2021/annual.md", "top.md"]
    assert read_document_text(alias, "top.md").startswith("# Top")


def test_catalog_entry_keyed_by_relative_path_applies_to_the_document_in_the_subfolder(
    corpus: Path,
) -> None:
    (corpus / "catalog.toml").write_text(
        '[documents."reports/2021/annual.md"]\ntitle = "Annual Report 2021"\nauthors = ["Jo"]\n',
        encoding="utf-8",
    )
    documents, skipped = load_corpus(corpus)
    annual = documents[0]
    assert (annual.doc_id, annual.title, annual.authors) == (
        "reports/2021/annual.md",
        "Annual Report 2021",
        ("Jo",),
    )
    assert skipped == []


def test_catalog_entry_of_a_file_moved_into_a_subfolder_is_warned_about_with_its_new_id(
    corpus: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (corpus / "catalog.toml").write_text(
        '[documents."annual.md"]\ntitle = "Annual Report 2021"\n', encoding="utf-8"
    )
    with caplog.at_level(logging.WARNING, logger="qa.corpus.ingest"):
        documents, _ = load_corpus(corpus)
    assert documents[0].title == "Annual Report"  # from its heading: the entry does not apply
    (warning,) = [r.getMessage() for r in caplog.records]
    assert "'annual.md'" in warning and "did you mean 'reports/2021/annual.md'" in warning


def test_catalog_written_as_nested_tables_is_refused_with_how_to_quote_the_path(
    corpus: Path,
) -> None:
    (corpus / "catalog.toml").write_text(
        '[documents.reports."annual.md"]\ntitle = "Annual"\n', encoding="utf-8"
    )
    with pytest.raises(CorpusError, match=r'\[documents\."reports/annual\.md"\]'):
        load_corpus(corpus)


def test_catalog_symlink_to_outside_the_corpus_is_refused(corpus: Path) -> None:
    outside = corpus.parent / "outside" / "catalog.toml"
    outside.write_text('[documents."top.md"]\ntitle = "Not Ours"\n', encoding="utf-8")
    (corpus / "catalog.toml").symlink_to(outside)
    with pytest.raises(CorpusError, match="outside the corpus folder"):
        load_corpus(corpus)


def test_fingerprint_changes_when_a_file_moves_into_a_subfolder(corpus: Path) -> None:
    before = corpus_fingerprint(corpus)
    (corpus / "top.md").rename(corpus / "reports" / "top.md")
    assert corpus_fingerprint(corpus) != before


def test_fingerprint_of_a_corpus_without_subfolders_is_what_it_was_before_subfolders(
    tmp_path: Path,
) -> None:
    """Indexes built before subfolders were read stay valid: top-level ids are bare names."""
    for name in ("a.md", "b.txt"):
        write(tmp_path / name, name)
    (tmp_path / "catalog.toml").write_text('[documents."a.md"]\ntitle = "A"\n', encoding="utf-8")
    old = hashlib.sha256(f"parser:{PARSER_VERSION}".encode())
    for name in ("a.md", "b.txt", "catalog.toml"):
        old.update(name.encode() + b"\0" + hashlib.sha256((tmp_path / name).read_bytes()).digest())
    assert corpus_fingerprint(tmp_path) == old.hexdigest()


def test_fingerprint_counts_a_file_over_the_limit_by_its_size_without_reading_it(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = corpus / "big.md"
    big.write_bytes(b"x" * 1000)
    opened: list[str] = []
    real_open = qa.corpus.files._open

    def spy(real: Path, doc_id: str):  # type: ignore[no-untyped-def]
        opened.append(doc_id)
        return real_open(real, doc_id)

    monkeypatch.setattr(qa.corpus.files, "_open", spy)
    first = corpus_fingerprint(corpus, max_file_bytes=500)
    assert "big.md" not in opened
    big.write_bytes(b"y" * 1000)  # same size: not read, so not noticed
    assert corpus_fingerprint(corpus, max_file_bytes=500) == first
    big.write_bytes(b"y" * 1001)
    assert corpus_fingerprint(corpus, max_file_bytes=500) != first
    assert corpus_fingerprint(corpus) != first  # no limit: the file is read and hashed
