"""Check the follow-up eval files: eval/followups.jsonl and eval/locked/followups.jsonl.

No models are loaded. For each file: the schema (see eval/FOLLOWUPS.md), unique ids, every gold
quote located in its document by the eval set's own loader (qa.evaluation.dataset: the
`GoldRecord` rules, then `locate`), each gold's `section` equal to the innermost section the
corpus parser puts the quote in (as eval/questions.jsonl's golds are), and each `meta` turn's
expected field present in that document's metadata. Exits 1 and lists every problem if any.

    PYTHONPATH=. python eval/check_followups.py
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qa.corpus.ingest import parse_file
from qa.corpus.structure import _section_lookup
from qa.evaluation.dataset import EvalSetError, GoldRecord, QuestionRecord, locate
from qa.evaluation.metrics import normalise_section
from qa.types import Document

ROOT = Path(__file__).resolve().parents[1]
FILES = (ROOT / "eval" / "followups.jsonl", ROOT / "eval" / "locked" / "followups.jsonl")
QUESTION_SETS = (ROOT / "eval" / "questions.jsonl", ROOT / "eval" / "locked" / "questions.jsonl")
KINDS = ("ellipsis", "pronoun", "why", "meta", "standalone")


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    field: Literal["authors", "date", "title"]
    doc: str = Field(..., min_length=1)


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    question: str = Field(..., min_length=1)
    gold: list[GoldRecord] | None = None
    expect: Expect | None = None


class Exchange(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(..., min_length=1)
    kind: Literal["ellipsis", "pronoun", "why", "meta", "standalone"]
    turns: list[Turn] = Field(..., min_length=2, max_length=2)


def shape_errors(ex: Exchange) -> list[str]:
    """What the field types cannot say: which turn has gold, which has expect."""
    first, second = ex.turns
    errors = []
    if not first.gold or first.expect is not None:
        errors.append("turn 1 needs non-empty gold and no expect")
    if ex.kind == "meta":
        if second.expect is None or second.gold is not None:
            errors.append("a meta turn 2 needs expect and no gold")
        elif first.gold and {g.doc for g in first.gold} != {second.expect.doc}:
            errors.append(f"expect.doc {second.expect.doc!r} is not turn 1's gold document")
    elif not second.gold or second.expect is not None:
        errors.append("turn 2 needs non-empty gold and no expect")
    for n, turn in enumerate(ex.turns, start=1):
        for item in turn.gold or ():
            if "\n" in item.quote:
                errors.append(f"turn {n}: quote crosses a line: {item.quote[:50]!r}")
    return errors


def read_exchanges(path: Path, problems: list[str]) -> list[tuple[int, Exchange]]:
    rows: list[tuple[int, Exchange]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            ex = Exchange.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            problems.append(f"{path}:{number}: invalid line: {exc}")
            continue
        problems.extend(f"{path}:{number}: {ex.id}: {e}" for e in shape_errors(ex))
        rows.append((number, ex))
    return rows


class Documents:
    """The corpus files' parsed documents (sections, catalog metadata), each parsed once."""

    def __init__(self, corpus: Path) -> None:
        self.corpus = corpus
        self._parsed: dict[str, Document] = {}

    def get(self, doc_id: str) -> Document | None:
        if doc_id not in self._parsed:
            if not (self.corpus / doc_id).is_file():
                return None
            self._parsed[doc_id] = parse_file(self.corpus / doc_id)
        return self._parsed[doc_id]


def check_file(
    path: Path, corpus: Path, docs: Documents, known_questions: set[str], problems: list[str]
) -> list[Exchange]:
    rows = read_exchanges(path, problems)
    for number, ex in rows:
        for n, turn in enumerate(ex.turns, start=1):
            where = f"{path}:{number}: {ex.id} turn {n}"
            if turn.question.strip().lower() in known_questions:
                problems.append(f"{where}: question copied from eval/*questions.jsonl")
            if turn.expect is not None:
                doc = docs.get(turn.expect.doc)
                if doc is None:
                    problems.append(f"{where}: expect.doc {turn.expect.doc!r} not in {corpus}")
                elif not getattr(doc, turn.expect.field):
                    problems.append(f"{where}: {turn.expect.doc} has no {turn.expect.field}")
            if not turn.gold:
                continue
            # The eval set's own record and locator; style/type only fill its required fields.
            record = QuestionRecord(
                id=f"{ex.id}/{n}",
                question=turn.question,
                gold=turn.gold,
                style="paraphrase",
                type=ex.kind,
            )
            try:
                (located,) = locate([(number, record)], corpus, source=path)
            except EvalSetError as exc:  # its message names the file and line
                problems.append(f"{ex.id} turn {n}: {exc}")
                continue
            for gold in located.gold:
                parsed = docs.get(gold.doc)
                assert parsed is not None  # locate found the quote in it
                section = _section_lookup(list(parsed.sections))(gold.spans[0][0])
                found = normalise_section(section.heading) if section else None
                if found != normalise_section(gold.section):
                    problems.append(
                        f"{where}: section {gold.section!r}, but the parser puts "
                        f"{gold.quote[:40]!r}... in {found!r}"
                    )
    return [ex for _, ex in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    args = parser.parse_args(argv)
    docs = Documents(args.corpus)
    known = {
        json.loads(line)["question"].strip().lower()
        for qs in QUESTION_SETS
        for line in qs.read_text(encoding="utf-8").splitlines()
        if line.strip()
    }
    problems: list[str] = []
    ids: dict[str, Path] = {}
    first_turns: dict[str, Path] = {}
    for path in FILES:
        exchanges = check_file(path, args.corpus, docs, known, problems)
        for ex in exchanges:
            if ex.id in ids:
                problems.append(f"{path}: id {ex.id!r} already used in {ids[ex.id]}")
            ids[ex.id] = path
            q = ex.turns[0].question.strip().lower()
            if q in first_turns:
                problems.append(f"{path}: {ex.id}: first turn repeats one in {first_turns[q]}")
            first_turns[q] = path
        kinds = Counter(ex.kind for ex in exchanges)
        golds = sum(len(t.gold or ()) for ex in exchanges for t in ex.turns)
        spread = Counter(g.doc[:3] for ex in exchanges for t in ex.turns for g in t.gold or ())
        print(f"{path.relative_to(ROOT)}: {len(exchanges)} exchanges, {golds} gold quotes")
        print("  kinds: " + ", ".join(f"{k} {kinds[k]}" for k in KINDS))
        print(
            "  gold quotes by document: " + ", ".join(f"{d} {n}" for d, n in sorted(spread.items()))
        )
    for problem in problems:
        print("FAIL", problem)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
