"""The eval set is sound: quotes verbatim in their documents, gold sections right, ids unique."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from qa.evaluation.dataset import (
    STYLES,
    EvalQuestion,
    EvalSetError,
    load_questions,
    read_records,
    read_source,
)
from qa.evaluation.metrics import normalise_section
from qa.evaluation.sets import EVAL_SETS
from qa.settings import REPO_ROOT

EVAL_DIR = REPO_ROOT / "eval"
CORPUS_DIR = REPO_ROOT / "corpus"
FULL_SET = EVAL_DIR / "questions.jsonl"


@pytest.fixture(scope="module")
def questions() -> list[EvalQuestion]:
    assert FULL_SET.exists(), f"{FULL_SET} is missing"
    return load_questions(FULL_SET, CORPUS_DIR)


def test_every_gold_quote_is_verbatim_in_its_document_and_40_to_300_chars(questions):
    for q in questions:
        for gold in q.gold:
            text = read_source(CORPUS_DIR, gold.doc)
            assert 40 <= len(gold.quote) <= 300, f"{q.id}: quote is {len(gold.quote)} chars"
            assert gold.spans, f"{q.id}: quote not located"
            for start, end in gold.spans:
                assert text[start:end] == gold.quote, f"{q.id}: span {start}-{end} is off"


def test_styles_are_valid_and_ids_unique_across_files(questions):
    assert {q.style for q in questions} <= set(STYLES)
    duplicated = [qid for qid, n in Counter(q.id for q in questions).items() if n > 1]
    assert not duplicated, f"ids used more than once: {duplicated}"


def test_full_set_has_at_least_120_questions_and_15_unanswerable(questions):
    assert len(questions) >= 120
    assert sum(not q.answerable for q in questions) >= 15


def test_gold_section_is_the_innermost_heading_containing_the_quote(questions):
    from qa.corpus.ingest import parse_file

    documents = {}
    wrong = []
    for q in questions:
        for gold in q.gold:
            if gold.doc not in documents:
                documents[gold.doc] = parse_file(CORPUS_DIR / gold.doc, catalog=None)
            start = gold.spans[0][0]
            containing = [s for s in documents[gold.doc].sections if s.start <= start < s.end]
            if not containing:
                wrong.append(f"{q.id}: no section of {gold.doc} contains offset {start}")
                continue
            innermost = max(containing, key=lambda s: (len(s.path), s.start))
            if innermost.boilerplate:
                wrong.append(f"{q.id}: quote sits in boilerplate section {innermost.heading!r}")
            elif normalise_section(innermost.heading) != normalise_section(gold.section):
                wrong.append(f"{q.id}: gold {gold.section!r}, parsed {innermost.heading!r}")
    assert not wrong, f"{len(wrong)} gold sections disagree with the parser:\n" + "\n".join(wrong)


def write_lines(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    return path


GOOD = {
    "id": "t-1",
    "question": "What?",
    "gold": [],
    "style": "close",
    "type": "fact",
}


def test_bad_line_is_reported_with_its_line_number(tmp_path):
    path = write_lines(tmp_path / "q.jsonl", [GOOD, {**GOOD, "id": "t-2", "style": "vague"}])
    with pytest.raises(EvalSetError, match=r"q\.jsonl:2:"):
        read_records(path)


def test_short_quote_and_duplicate_id_are_rejected(tmp_path):
    short = {**GOOD, "gold": [{"doc": "a.txt", "quote": "too short", "section": "S"}]}
    with pytest.raises(EvalSetError, match=":1:"):
        read_records(write_lines(tmp_path / "a.jsonl", [short]))
    with pytest.raises(EvalSetError, match=r":2: id 't-1' already used on line 1"):
        read_records(write_lines(tmp_path / "b.jsonl", [GOOD, GOOD]))


def test_quote_missing_from_its_document_is_an_error(tmp_path):
    (tmp_path / "a.txt").write_text("Nothing to see here.", encoding="utf-8")
    gold = {
        "doc": "a.txt",
        "quote": "A sentence that is not in the document at all.",
        "section": "S",
    }
    path = write_lines(tmp_path / "q.jsonl", [{**GOOD, "gold": [gold]}])
    with pytest.raises(EvalSetError, match="quote not found verbatim"):
        load_questions(path, tmp_path)


def test_repeated_quote_keeps_every_occurrence(tmp_path):
    sentence = "Défense was a win–win for both, Moscow and Beijing alike. "
    (tmp_path / "a.txt").write_text("Intro.\n" + sentence + "\n" + sentence, encoding="utf-8")
    gold = {"doc": "a.txt", "quote": sentence.strip(), "section": "S"}
    [q] = load_questions(write_lines(tmp_path / "q.jsonl", [{**GOOD, "gold": [gold]}]), tmp_path)
    first = 7
    second = first + len(sentence) + 1
    assert q.gold[0].spans == (
        (first, first + len(sentence) - 1),
        (second, second + len(sentence) - 1),
    )


# The second set: real PDF, HTML and Word files (eval/library).

LIBRARY = EVAL_SETS["library"]


@pytest.fixture(scope="module")
def library_questions() -> list[EvalQuestion]:
    assert LIBRARY.corpus is not None
    return load_questions(LIBRARY.questions, LIBRARY.corpus)


def test_library_set_has_40_answerable_questions_over_every_format(library_questions):
    answerable = [q for q in library_questions if q.answerable]
    assert len(answerable) >= 40
    suffixes = {Path(g.doc).suffix for q in answerable for g in q.gold}
    assert {".pdf", ".html", ".docx"} <= suffixes
    assert sum(not q.answerable for q in library_questions) >= 10


def test_library_gold_pages_and_sections_are_where_the_readers_put_the_quotes(library_questions):
    """Each PDF quote starts on its gold page, a format without pages has none, and the gold
    section is the innermost heading the parser gives the quote's start."""
    from qa.corpus.ingest import read_corpus
    from qa.corpus.readers import page_of

    assert LIBRARY.corpus is not None
    read, skipped = read_corpus(LIBRARY.corpus)
    assert not skipped
    documents = {doc.doc_id: doc for doc, _ in read}
    wrong = []
    for q in library_questions:
        for gold in q.gold:
            doc = documents[gold.doc]
            start = gold.spans[0][0]
            if page_of(doc.page_starts, start) != gold.page:
                wrong.append(f"{q.id}: page {gold.page}, reader {page_of(doc.page_starts, start)}")
            containing = [s for s in doc.sections if s.start <= start < s.end]
            innermost = max(containing, key=lambda s: (len(s.path), s.start))
            if normalise_section(innermost.heading) != normalise_section(gold.section):
                wrong.append(f"{q.id}: gold {gold.section!r}, parsed {innermost.heading!r}")
    assert not wrong, "\n".join(wrong)
