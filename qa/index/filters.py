"""Which chunks a question may be answered from: documents, authors, a date range.

Applied before ranking, to every ranker alike, by the storage backend (FAISS searches only the
allowed rows, BM25 scores only them), so a filter never trims a top-k that other documents
filled.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qa.errors import InvalidQuestion
from qa.types import Chunk

if TYPE_CHECKING:
    import numpy as np

DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True, slots=True)
class Filters:
    doc_ids: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()  # any of them, case-insensitive, a whole name or part of one
    date_from: str | None = None  # YYYY[-MM[-DD]], inclusive
    date_to: str | None = None

    def __bool__(self) -> bool:
        return bool(self.doc_ids or self.authors or self.date_from or self.date_to)


def allowed_rows(chunks: Sequence[Chunk], filters: Filters) -> np.ndarray:
    """Sorted rows of the chunks that pass `filters` (none: an unknown id, a range with no
    document, matches nothing). InvalidQuestion for a malformed date."""
    low = date_range(filters.date_from, "date_from")[0] if filters.date_from else None
    high = date_range(filters.date_to, "date_to")[1] if filters.date_to else None
    ids, names = set(filters.doc_ids), [a.casefold() for a in filters.authors]
    rows = [
        row
        for row, chunk in enumerate(chunks)
        if (not ids or chunk.doc_id in ids)
        and (not names or any(n in a.casefold() for n in names for a in chunk.authors))
        and _in_dates(chunk.date, low, high)
    ]
    import numpy as np  # here: `qa ask --server` imports this module (the API's schema) only

    return np.array(rows, dtype=np.int64)


def date_range(text: str, name: str = "date") -> tuple[str, str]:
    """The first and last day a date names, as comparable strings.

    >>> date_range("2016"), date_range("2016-05"), date_range("2016-05-02")
    (('2016-01-01', '2016-12-31'), ('2016-05-01', '2016-05-31'), ('2016-05-02', '2016-05-02'))
    """
    match = DATE.match(text.strip())
    if not match:
        raise InvalidQuestion(f"{name} must be YYYY, YYYY-MM or YYYY-MM-DD, got {text!r}")
    year, month, day = match.groups()
    if day:
        return (f"{year}-{month}-{day}",) * 2
    if month:
        return f"{year}-{month}-01", f"{year}-{month}-31"
    return f"{year}-01-01", f"{year}-12-31"


def _in_dates(date: str | None, low: str | None, high: str | None) -> bool:
    """Whether a document's date (a year, month or day) overlaps [low, high]."""
    if low is None and high is None:
        return True
    if date is None or not DATE.match(date.strip()):
        return False  # undated documents are out when a date range is asked for
    first, last = date_range(date)
    return (low is None or last >= low) and (high is None or first <= high)
