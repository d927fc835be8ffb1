"""The eval sets `qa eval --set` knows: each a questions file, its gate, and its corpus.

`main` asks about the bundled corpus (whatever --corpus/--index say); `locked` too, with
questions written later by other hands that no setting is ever chosen on; `library` about real
PDF, HTML and Word files in eval/library/corpus, indexed in a folder of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qa.settings import REPO_ROOT, Settings


@dataclass(frozen=True, slots=True)
class EvalSet:
    name: str
    questions: Path
    thresholds: Path | None  # None: eval/thresholds.json (qa.evaluation.gate's default)
    corpus: Path | None = None  # None: the settings' corpus and index
    index: Path | None = None

    def settings(self, base: Settings) -> Settings:
        """`base` pointed at this set's corpus and index, when it has its own."""
        if self.corpus is None:
            return base
        return base.model_copy(update={"corpus_dir": self.corpus, "index_dir": self.index})


EVAL = REPO_ROOT / "eval"
EVAL_SETS = {
    "main": EvalSet("main", EVAL / "questions.jsonl", None),
    # Questions no setting is ever chosen on (eval/locked/README.md): only reported and gated.
    "locked": EvalSet(
        "locked", EVAL / "locked" / "questions.jsonl", EVAL / "locked" / "thresholds.json"
    ),
    "library": EvalSet(
        "library",
        EVAL / "library" / "questions.jsonl",
        EVAL / "library" / "thresholds.json",
        corpus=EVAL / "library" / "corpus",
        index=REPO_ROOT / "index" / "eval-library",
    ),
}
