"""`qa chat`: questions, follow-ups and `:commands` over one session's state.

The session keeps what a reader works with: the last search (for follow-ups and `:more`), the
passages on screen by number (for `:open N`), k and the filters, and every exchange (for `:save`
and `--log`). It prints through a `ChatOutput` and asks a `ChatService`, so the same session
runs over the pipeline here or a server.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.chat.followup import Reading, read_line
from qa.chat.markdown import session_markdown
from qa.errors import (
    InvalidQuestion,
    InvalidRange,
    RejectedQuestion,
    ServerBusy,
    UnknownDocument,
)
from qa.render import citation, names

if TYPE_CHECKING:
    from qa.chat.output import ChatOutput
    from qa.chat.service import ChatService
    from qa.pipeline import Mode
    from qa.schema import AskResponse, PassageOut

# Refusals of one line, after which the next may do; any other error (no server, a wrong key, a
# k the server refuses) would refuse every line, so it ends the chat with its exit code.
NEXT_MAY_DO = (InvalidQuestion, RejectedQuestion, ServerBusy, UnknownDocument, InvalidRange)
CONTEXT_CHARS = 600  # of source text either side of a passage `:open` shows
MAX_K = 50  # the API's limit

HELP = """\
Ask a question in plain words; a follow-up ("what about India?", "why?") is searched with the
question before it, and "who wrote that?", "when was that published?" or "where is that from?"
are answered from the last answer's citation. Commands start with a colon:
  :open N          passage N in its document, the cited span marked, with text around it
  :more            the next passages for the last question
  :k N             passages per answer (now {k})
  :doc ID|TITLE    only this document (:docs lists them)
  :author NAME     only documents by this author
  :since YEAR      only documents dated YEAR or later
  :clear           no filters{filters}
  :docs            the documents
  :outline ID      a document's headings
  :save FILE       this session as Markdown, with quotes and citations
  :help            this list
  :quit            leave (or Ctrl-D)"""


@dataclass
class Exchange:
    """One line the reader typed and what answered it."""

    line: str
    reading: Reading
    response: AskResponse | None = None  # a search's answer
    reply: str | None = None  # an answer without a search (about the last answer)
    passages: list[PassageOut] = field(default_factory=list)  # as shown, :more included


@dataclass
class ChatSession:
    service: ChatService
    out: ChatOutput
    k: int = 5
    mode: Mode = "hybrid"
    filters: dict[str, Any] = field(default_factory=dict)
    log: Path | None = None
    exchanges: list[Exchange] = field(default_factory=list)

    def handle(self, line: str) -> bool:
        """Answer one line; False when the reader leaves."""
        text = line.strip()
        if not text:
            return True
        if text.startswith(":"):
            return self.command(text)
        try:
            self.ask(text)
        except NEXT_MAY_DO as error:
            self.out.error(str(error))
        return True

    # Questions

    def ask(self, text: str) -> None:
        last = self._last_search()
        reading = read_line(text, last.reading.search if last else None)
        exchange = Exchange(text, reading)
        if reading.kind == "about_answer":
            exchange.reply = self._about_answer(reading)
            self.out.reply(exchange.reply)
        else:
            assert reading.search is not None
            if reading.kind == "followup":
                self.out.note(f"(a follow-up: searched “{reading.search}”)")
            exchange.response = self.service.ask(reading.search, self.k, self.mode, self.filters)
            exchange.passages = list(exchange.response.passages)
            # A follow-up often finds the last answer's passages again: say so, to read past.
            shown = (
                {p.chunk_id for p in last.passages}
                if last and reading.kind == "followup"
                else set()
            )
            self.out.answer(exchange.response, frozenset(shown))
        self.exchanges.append(exchange)
        self._log(exchange)

    def _about_answer(self, reading: Reading) -> str:
        """The metadata of the last answer's first passage that `reading.field` asks for."""
        last = self._last_search()
        if last is None or not last.passages:
            return "There is no cited passage to ask about yet; ask a question first."
        first = last.passages[0]
        title = f"“{first.title}”"
        if reading.field == "authors":
            if not first.authors:
                return f"Passage 1 is from {title}, which names no author."
            return f"Passage 1 is from {title}, by {names(first.authors)}."
        if reading.field == "date":
            if not first.date:
                return f"Passage 1 is from {title}, which gives no date."
            return f"Passage 1 is from {title}, dated {first.date}."
        return f"Passage 1 is from {citation(first)}."

    def _last_search(self) -> Exchange | None:
        return next((e for e in reversed(self.exchanges) if e.response is not None), None)

    # Commands

    def command(self, text: str) -> bool:
        try:
            words = shlex.split(text[1:])
        except ValueError as error:  # an unclosed quote
            self.out.error(f'{error}; quote a name with spaces like :author "Yu Bin"')
            return True
        name, args = (words[0].lower(), words[1:]) if words else ("", [])
        if name in {"quit", "q", "exit"}:
            return False
        handler = COMMANDS.get(name)
        if handler is None:
            self.out.error(f"no command :{name}; :help lists them")
            return True
        try:
            handler(self, " ".join(args))
        except NEXT_MAY_DO as error:
            self.out.error(str(error))
        return True

    def help(self, _: str) -> None:
        shown = f" (now {describe(self.filters)})" if self.filters else ""
        self.out.plain(HELP.format(k=self.k, filters=shown))

    def open(self, arg: str) -> None:
        last = self._last_search()
        shown = last.passages if last else []
        if not arg.isdigit() or not 1 <= int(arg) <= len(shown):
            which = f"1 to {len(shown)}" if shown else "none yet: ask a question first"
            self.out.error(f":open takes a passage number ({which})")
            return
        passage = shown[int(arg) - 1]
        start = max(0, passage.start - CONTEXT_CHARS)
        stretch = self.service.text(passage.doc_id, start, None)
        end = min(stretch.end, passage.end + CONTEXT_CHARS)
        self.out.opened(passage, stretch.text[: end - start], start, stretch.length)

    def more(self, _: str) -> None:
        last = self._last_search()
        if last is None or last.reading.search is None:
            self.out.error(":more shows more passages for the last question; ask one first")
            return
        have = len(last.passages)
        if have >= MAX_K:
            self.out.error(f"{MAX_K} passages is the most a question gets")
            return
        wanted = min(MAX_K, have + self.k)
        response = self.service.ask(last.reading.search, wanted, self.mode, self.filters)
        seen = {p.chunk_id for p in last.passages}
        new = [p for p in response.passages if p.chunk_id not in seen]
        if not new:
            self.out.note("No more passages for that question.")
            return
        for number, passage in enumerate(new, start=have + 1):
            self.out.passage(passage, number)
        last.passages.extend(new)

    def set_k(self, arg: str) -> None:
        if not arg.isdigit() or not 1 <= int(arg) <= MAX_K:
            self.out.error(f":k takes a number from 1 to {MAX_K}, e.g. :k 3")
            return
        self.k = int(arg)
        self.out.note(f"{self.k} passage{'s' if self.k > 1 else ''} per answer.")

    def doc(self, arg: str) -> None:
        if not arg:
            self.out.error(":doc takes a document id or part of its title (:docs lists them)")
            return
        documents = self.service.documents()
        exact = [d for d in documents if d.doc_id == arg]
        found = exact or [d for d in documents if arg.casefold() in d.title.casefold()]
        if len(found) != 1:
            names = "; ".join(f"{d.doc_id} ({d.title})" for d in found[:5])
            why = f"{len(found)} documents match" + (f": {names}" if found else "")
            self.out.error(f"{why}; give a document id from :docs")
            return
        self.filters["doc_ids"] = [found[0].doc_id]
        self.out.note(f"Only {found[0].title} ({found[0].doc_id}) from now on; :clear to undo.")

    def author(self, arg: str) -> None:
        if not arg:
            self.out.error(':author takes a name or part of one, e.g. :author "Yu Bin"')
            return
        self.filters["authors"] = [arg]
        self.out.note(f"Only documents by an author matching “{arg}”; :clear to undo.")

    def since(self, arg: str) -> None:
        if not (len(arg) == 4 and arg.isdigit()):
            self.out.error(":since takes a year, e.g. :since 2015")
            return
        self.filters["date_from"] = arg
        self.out.note(f"Only documents dated {arg} or later; :clear to undo.")

    def clear(self, _: str) -> None:
        self.filters.clear()
        self.out.note("No filters: every document.")

    def docs(self, _: str) -> None:
        self.out.documents(self.service.documents())

    def outline(self, arg: str) -> None:
        if not arg:
            self.out.error(":outline takes a document id (:docs lists them)")
            return
        self.out.outline(self.service.document(arg))

    def save(self, arg: str) -> None:
        if not arg:
            self.out.error(":save takes a file name, e.g. :save arctic.md")
            return
        path = Path(arg).expanduser()
        if path.exists() and path.is_dir():
            self.out.error(f"{path} is a folder; give a file name")
            return
        try:
            path.write_text(session_markdown(self.exchanges), encoding="utf-8")
        except OSError as error:
            self.out.error(f"cannot write {path}: {error.strerror}")
            return
        count = len(self.exchanges)
        self.out.note(f"Saved {count} exchange{'s' if count != 1 else ''} to {path}.")

    def _log(self, exchange: Exchange) -> None:
        if self.log is None:
            return
        record: dict[str, Any] = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "line": exchange.line,
            "kind": exchange.reading.kind,
            "searched": exchange.reading.search,
            "k": self.k,
            "filters": dict(self.filters),
        }
        if exchange.reply is not None:
            record["reply"] = exchange.reply
        if exchange.response is not None:
            record["confidence"] = exchange.response.confidence
            record["abstained"] = exchange.response.abstained
            record["passages"] = [cited(p) for p in exchange.passages]
        with self.log.open("a", encoding="utf-8") as lines:
            lines.write(json.dumps(record, ensure_ascii=False) + "\n")


COMMANDS: dict[str, Callable[[ChatSession, str], None]] = {
    "help": ChatSession.help,
    "open": ChatSession.open,
    "more": ChatSession.more,
    "k": ChatSession.set_k,
    "doc": ChatSession.doc,
    "author": ChatSession.author,
    "since": ChatSession.since,
    "clear": ChatSession.clear,
    "docs": ChatSession.docs,
    "outline": ChatSession.outline,
    "save": ChatSession.save,
}


def cited(p: PassageOut) -> dict[str, Any]:
    """A passage as the session log keeps it: the quote and what cites it."""
    keep = ("rank", "doc_id", "title", "authors", "date", "section_path", "start", "end")
    return {
        **{name: getattr(p, name) for name in keep},
        "page_start": p.page_start,
        "page_end": p.page_end,
        "text": p.text,
        "highlights": p.text_highlights,
    }


def describe(filters: dict[str, Any]) -> str:
    parts = []
    if filters.get("doc_ids"):
        parts.append(f"document {', '.join(filters['doc_ids'])}")
    if filters.get("authors"):
        parts.append(f"author “{filters['authors'][0]}”")
    if filters.get("date_from"):
        parts.append(f"since {filters['date_from']}")
    return "; ".join(parts)
