"""`:save`: a chat session as Markdown, each answer's passages quoted with their citations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qa.render import citation, confidence_words

if TYPE_CHECKING:
    from qa.chat.session import Exchange
    from qa.schema import PassageOut


def session_markdown(exchanges: list[Exchange]) -> str:
    out = ["# qa chat session", ""]
    for exchange in exchanges:
        out += [f"## {exchange.line}", ""]
        if exchange.reading.kind == "followup":
            out += [f"*A follow-up: searched “{exchange.reading.search}”.*", ""]
        if exchange.reply is not None:
            out += [exchange.reply, ""]
            continue
        response = exchange.response
        if response is None:
            continue
        if response.abstained:
            out += ["*The documents do not seem to answer this; nearest passages:*", ""]
        elif exchange.passages:
            words = confidence_words(response.confidence)
            out += [f"*The first passage {words} (confidence {response.confidence:.2f}).*", ""]
        for number, passage in enumerate(exchange.passages, start=1):
            out += [f"{number}. {citation(passage)}", ""]
            out += [f"   > {line}" if line else "   >" for line in quoted(passage).split("\n")]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def quoted(p: PassageOut) -> str:
    """The passage's text with its highlighted sentences in **bold**."""
    text, marks, cursor = p.text, [], 0
    for start, end in sorted(p.text_highlights):
        if start < cursor:
            continue
        marks += [_escape(text[cursor:start]), "**", _escape(text[start:end]), "**"]
        cursor = end
    marks.append(_escape(text[cursor:]))
    return "".join(marks)


def _escape(text: str) -> str:
    """Markdown's emphasis characters as text, so a quote renders as the source reads."""
    for char in "\\*_`":
        text = text.replace(char, f"\\{char}")
    return text
