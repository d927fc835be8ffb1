"""Does a question have any character that shows? Shared by the HTTP schema and the pipeline,
so `qa ask` and `POST /ask` refuse the same blank questions."""

from __future__ import annotations

import re

# What does not show: controls (Cc), format characters (Cf: zero-width spaces and joiners, bidi
# controls, word joiner U+2060, BOM U+FEFF...), spaces and line separators (Z*), as of Unicode 14;
# plus the combining grapheme joiner, variation selectors, and the letters that render blank
# (Hangul fillers, the blank Braille pattern). Spelled out, not as \p{...} classes, so Python's
# `re` and every JSON Schema validator read the same set: the OpenAPI spec carries it as the
# question's `pattern`.
_INVISIBLE = (
    r"\u0000-\u0020\u007f-\u00a0\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891"
    r"\u08e2\u115f\u1160\u1680\u17b4\u17b5\u180b-\u180f\u2000-\u200f\u2028-\u202f"
    r"\u205f-\u206f\u2800\u3000\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb"
    # Beyond the BMP, as the characters themselves: no escape syntax is common to all engines.
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e0fff"
)
VISIBLE_CHARACTER = f"[^{_INVISIBLE}]"
_VISIBLE = re.compile(VISIBLE_CHARACTER)


def has_visible_text(text: str) -> bool:
    r"""Whether `text` has a character that shows (one matching VISIBLE_CHARACTER).

    >>> has_visible_text("\u200b \ufeff\u2060\n")
    False
    >>> has_visible_text("\u200bSCO?")
    True
    """
    return _VISIBLE.search(text) is not None
