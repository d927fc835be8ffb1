"""Follow-ups in a chat: what a line means given the turn before it.

Three cases, decided from the line's words alone (no model: a chat line is a few words, and the
cues are few and plain):
- a question about the last answer ("who wrote that?", "when was this published?", "where is
  that from?") is answered from the cited passages' metadata, with no search;
- a follow-up that leans on the last question (ellipsis: "what about India?", "and in 2016?";
  a bare "why?"; pronouns with no subject of their own: "why did it refuse?") is searched
  together with that question, and the screen says so;
- anything else is a question of its own and is searched as typed.
Hand-written: LlamaIndex's "condense question" step does this with an LLM, which `qa` does not
run; these rules are measured on eval/followups.jsonl (README, "Chat").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from qa.retrieval.names import question_names

Kind = Literal["question", "followup", "about_answer"]
Field = Literal["authors", "date", "source"]

_THAT = r"(?:that|this|it|that one|this one|the (?:last|first) (?:one|answer|passage))"
# Questions about the previous answer, by the metadata field that answers them.
ABOUT_ANSWER: tuple[tuple[Field, re.Pattern[str]], ...] = (
    (
        "authors",
        re.compile(
            rf"^(?:who (?:wrote|authored|said|is behind) {_THAT}"
            rf"|who(?:'s| is| was) (?:the )?(?:author|writer)s?(?: of {_THAT})?"
            rf"|who are the authors(?: of {_THAT})?)\W*$"
        ),
    ),
    (
        "date",
        re.compile(
            rf"^(?:when (?:was|is|were) {_THAT} (?:published|written|from|dated|out)"
            rf"|when did {_THAT} come out|how old is {_THAT}"
            rf"|what(?:'s| is) the date(?: of {_THAT})?)\W*$"
        ),
    ),
    (
        "source",
        re.compile(
            rf"^(?:where(?:'s| is| does| did) {_THAT} (?:from|come from)"
            rf"|where (?:was|is) {_THAT} (?:published|written)"
            rf"|(?:which|what) (?:document|report|paper|article|source|publication) is {_THAT}"
            rf"(?: from| in)?"
            rf"|what(?:'s| is) the source(?: of {_THAT})?|source\?*|cite {_THAT})\W*$"
        ),
    ),
)
# A line opening like this continues the last question.
_CONTINUES = re.compile(
    r"^(?:and|but|also|so|or|then|plus|what about|how about|what of|same for|and what about)\b"
)
# A short "why?", "why not?", "how come?", "why the change?", "how so?".
_WHY = re.compile(r"^(?:why|how come|how so|in what way|meaning)\b")
# Words that point back at something named before: people and things ("he", "those") and
# "that"/"this" as a last word or before one ("what caused that?", "that route?"), since "the
# report that..." is no reference.
_POINTS_BACK = re.compile(
    r"\b(?:he|him|she|they|them|those|these)\b|\b(?:that|this)(?:\s+\w+)?\W*$"
)
# Words that often point inside their own question ("When did Valdai put out its report?"):
# they point back only in a line that names nothing.
_MAY_POINT_BACK = re.compile(r"\b(?:it|its|his|her|their)\b")
MAX_WHY_WORDS = 4
MAX_TOPIC_CHARS = 300  # of the earlier questions carried into a follow-up's search


@dataclass(frozen=True, slots=True)
class Reading:
    """What a chat line asks: its kind, what to search (a follow-up: with the question it
    leans on), and for a question about the last answer the field that answers it."""

    kind: Kind
    search: str | None  # None: answered without a search
    field: Field | None = None


def read_line(line: str, previous: str | None) -> Reading:
    """How to answer `line` after the search `previous` (None: the chat's first question)."""
    text = " ".join(line.split())
    lowered = text.lower().replace("’", "'")
    if previous is None:
        return Reading("question", text)
    for field, pattern in ABOUT_ANSWER:
        if pattern.match(lowered):
            return Reading("about_answer", None, field)
    if leans_on_previous(lowered, text):
        return Reading("followup", f"{_tail(previous)} {text}")
    return Reading("question", text)


def leans_on_previous(lowered: str, text: str) -> bool:
    """Whether a line needs the last question to be understood."""
    words = lowered.split()
    if _CONTINUES.match(lowered):
        return True
    if _WHY.match(lowered) and len(words) <= MAX_WHY_WORDS:
        return True
    if _POINTS_BACK.search(lowered):
        return True
    return bool(_MAY_POINT_BACK.search(lowered)) and not question_names(text)


def _tail(previous: str) -> str:
    """The end of the earlier search, so that a chain of follow-ups stays a sentence or two."""
    if len(previous) <= MAX_TOPIC_CHARS:
        return previous
    cut = previous[-MAX_TOPIC_CHARS:]
    return cut[cut.find(" ") + 1 :]
