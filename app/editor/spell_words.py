"""Which words of a paragraph a spell checker should see, and the checker the editor talks to.

Never checked: CJK text (Han, Kana, Hangul, full-width forms: no spaces mark its words, and a
word list of another language would flag all of it), words with digits or underscores, URLs,
e-mail addresses, ALL-CAPS acronyms and single letters. Typographic apostrophes count as "'".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Protocol


class SpellCheck(Protocol):
    """What the editor needs of a spell checker (app.documents.spelling.SpellChecker is one)."""

    def is_known(self, word: str) -> bool: ...

    def suggestions(self, word: str, limit: int = 5) -> list[str]: ...

    def add(self, word: str) -> None: ...

    def ignore(self, word: str) -> None: ...


# A URL or address is one token, skipped whole, so its parts are never taken for words.
_TOKEN = re.compile(
    r"(?P<skip>(?:[a-z][a-z0-9+.-]*://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
    r"|(?P<word>\w+(?:['\u2019]\w+)*)",
    re.IGNORECASE,
)
_CJK = re.compile(
    "[\u1100-\u11ff\u2e80-\u2fdf\u3000-\u30ff\u3100-\u31ff\u3200-\u9fff\ua960-\ua97f"
    "\uac00-\ud7ff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff]"
)
_NOT_SPELT = re.compile(r"[\d_]")


def checkable_words(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, word) in Python string indices for each word of text a checker should see."""
    for match in _TOKEN.finditer(text):
        word = match.group("word")
        if word is None or len(word) < 2:
            continue
        if _NOT_SPELT.search(word) or _CJK.search(word):
            continue
        if word.isupper():
            continue  # NASA, HTML: acronyms are not in word lists
        yield match.start(), match.end(), word.replace("\u2019", "'")


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def utf16_offsets(text: str) -> list[int] | None:
    """Qt counts positions in UTF-16 units: the unit offset of each index of text (and of its
    end), or None when text has no character outside the BMP and the two agree."""
    if text.isascii() or not _ASTRAL.search(text):
        return None
    offsets = [0] * (len(text) + 1)
    unit = 0
    for index, char in enumerate(text):
        offsets[index] = unit
        unit += 2 if ord(char) > 0xFFFF else 1
    offsets[len(text)] = unit
    return offsets
