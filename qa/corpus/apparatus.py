"""The reference apparatus around the reading text: author bios and bibliography entries.

They stay searchable (users ask "who is X?") but are labelled with kinds of their own, so
retrieval can weigh them apart from the body text they would otherwise outrank.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from qa.corpus.blocks import Block
from qa.corpus.roles import Roles
from qa.types import Section

BIBLIOGRAPHY = re.compile(r"^(?:bibliography|references|works cited)$", re.IGNORECASE)
ABOUT_AUTHORS = re.compile(
    r"^(?:about the (?:authors?|contributors|editors?)|(?:notes on )?contributors)$", re.IGNORECASE
)
# "Dr. James C. Hsiung (Ph.D., Columbia Univ.) is Professor ...", "*Marc Julienne* is a ..."
BIO_OPENING = re.compile(
    r"^\*?(?:(?:Dr|Prof|Professor|Mr|Mrs|Ms)\.?\s+)?"
    r"(?P<name>[A-Z][\w.'’\-]*(?:\s+[A-Z][\w.'’\-]*){0,4}?)\*?\s+(?:\([^)]*\)\s+)?is\s"
)
# A photo credit set at the end of a bio line by a blog layout: "... regionalism. Image credit: CC"
CREDIT_TAIL = re.compile(
    r"\s*\b(?:image|photo|picture|cover image|featured image) credits?:.*\Z",
    re.IGNORECASE | re.DOTALL,
)
LIFTED = {"boilerplate", "pullquote", "byline", "heading-part"}


def section_kind(section: Section | None) -> str | None:
    """The kind every paragraph of a section takes from its heading (or an enclosing one)."""
    if section is None:
        return None
    if any(BIBLIOGRAPHY.match(h) for h in section.path):
        return "bibliography"
    if any(ABOUT_AUTHORS.match(h) for h in section.path):
        return "bio"
    return None


def closing_bios(
    blocks: list[Block], roles: Roles, author_of: Callable[[Block], str | None]
) -> set[int]:
    """Blocks that close an article with a note on its author, with no heading of their own:
    the article's last text block, opening with the author's name and "is" ("Dr Natasha Kurt
    is a Lecturer ..." under "Written by Natasha Kuhrt": one shared name word is enough, as
    the two spellings of one name may differ). `author_of`: a block's section's author."""
    bios: set[int] = set()
    for b in blocks:
        match = BIO_OPENING.match(b.raw) if roles.role.get(b.index) == "text" else None
        author = author_of(b) if match else None
        if match is None or author is None or not _name_words(match["name"]) & _name_words(author):
            continue
        if _next_kept_role(blocks, roles, b.index) in {None, "heading"}:
            bios.add(b.index)
    return bios


def reading_end(b: Block) -> int:
    """Where a block's reading text ends: before a trailing photo credit, if any."""
    match = CREDIT_TAIL.search(b.raw)
    return b.start + match.start() if match and match.start() > 0 else b.end


def _name_words(name: str) -> set[str]:
    return {w.casefold() for w in re.findall(r"\w{3,}", name)}


def _next_kept_role(blocks: list[Block], roles: Roles, i: int) -> str | None:
    """The role of the next block that is not lifted out of the reading text; None at the end."""
    for b in blocks[i + 1 :]:
        role = roles.role.get(b.index)
        if role not in LIFTED:
            return role
    return None
