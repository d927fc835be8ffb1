"""Display cleanup: the source words of a span without layout markup. Never rewords.

Applied to passage `text` and heading names only; offsets always index the raw file.
"""

from __future__ import annotations

import re

_FOOTNOTE_NUMBER = re.compile(r"^<sup>(\d+)</sup>\s*", re.MULTILINE)  # a footnote's own number
_SUP = re.compile(r"<sup>[^<]*</sup>")  # footnote reference numbers
_AUTOLINK = re.compile(r"<((?:https?://|mailto:)[^>\s]+)>")
_TAG = re.compile(r"</?[A-Za-z][^>]*>|<>")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_BOLD = re.compile(r"\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_LEADING_STAR = re.compile(r"^\*(?=\S)", re.MULTILINE)
_ESCAPE = re.compile(r"\\+([\\`*_{}\[\]()#+\-.!$])")
_HEADING_HASHES = re.compile(r"^#{1,6}\s+", re.MULTILINE)
_ROW_START = re.compile(r"^(?:[-*•]\s|\d+[.)]\s)")
_SPACES = re.compile(r"[ \u00a0\u2009\u202f\u200b]+")
# In order: (a string each pattern needs to match, pattern, replacement).
_STEPS = (
    ("<sup>", _FOOTNOTE_NUMBER, r"\1 "),
    ("<sup>", _SUP, ""),
    ("<", _AUTOLINK, r"\1"),
    ("<", _TAG, ""),
    ("](", _LINK, r"\1"),
    ("**", _BOLD, ""),
    ("*", _ITALIC, r"\1"),
    ("*", _LEADING_STAR, ""),
    ("\\", _ESCAPE, r"\1"),
    ("#", _HEADING_HASHES, ""),
)


def clean_text(raw: str) -> str:
    """Remove markup and layout whitespace from a raw source slice.

    >>> clean_text("costs of \\\\$14 billion.<sup>7</sup> **Putin** said *no*")
    'costs of $14 billion. Putin said no'
    >>> clean_text("Time\\tPlace")
    'Time | Place'
    """
    text = raw
    for needle, pattern, replacement in _STEPS:
        if needle in text:  # no match is possible without it: skipping only saves time
            text = pattern.sub(replacement, text)
    text = text.replace("\t", " | ")
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    out = ""
    for line in (x for x in lines if x):
        if not out:
            out = line
        elif _ROW_START.match(line) or " | " in line:
            out += "\n" + line  # list items and table rows keep their own lines
        elif out.endswith("-"):
            out += line  # a word hyphenated across a hard line wrap
        else:
            out += " " + line  # hard-wrapped prose reads as one paragraph
    return out


def clean_heading(raw: str) -> str:
    """A heading as it reads: markup removed, all whitespace (line breaks too) collapsed."""
    return " ".join(clean_text(raw).split())
