"""Finding text in the plain text of a document: pure functions, no Qt.

The Find bar searches Python's copy of the text (QTextDocument.toPlainText) with re, because
asking QTextDocument.find again and again over a 5 MB document stalls typing. Python indexes
code points while Qt's positions count UTF-16 units, so PlainText converts between the two (a
no-op for text without characters beyond the BMP, the usual case, where they are the same).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

MAX_COUNTED = 10_000
"""Matches counted for the "3 of 12" display; past this the bar says "10000+" (counting every
"e" of a novel would cost more than the number is worth)."""


@dataclass(frozen=True)
class FindOptions:
    match_case: bool = False
    whole_words: bool = False


def compile_pattern(query: str, options: FindOptions) -> re.Pattern[str] | None:
    """The pattern for query taken literally; None for an empty query."""
    if not query:
        return None
    body = re.escape(query)
    if options.whole_words:
        # Lookarounds rather than \b: a query that begins or ends with punctuation ("Mr.") still
        # has to stand apart from the letters around it.
        body = rf"(?<!\w){body}(?!\w)"
    return re.compile(body, 0 if options.match_case else re.IGNORECASE)


class PlainText:
    """A document's plain text with conversions between Python indices and Qt positions."""

    def __init__(self, text: str) -> None:
        self.text = text
        # Characters beyond the BMP take two UTF-16 units: only then do the positions differ.
        self._wide = not text.isascii() and len(text.encode("utf-16-le")) != 2 * len(text)

    def to_qt(self, index: int) -> int:
        if not self._wide:
            return index
        return len(self.text[:index].encode("utf-16-le")) // 2

    def from_qt(self, position: int) -> int:
        if not self._wide:
            return position
        units = self.text.encode("utf-16-le")[: 2 * position]
        return len(units.decode("utf-16-le", errors="ignore"))


@dataclass(frozen=True)
class Count:
    starts: tuple[int, ...]  # where the first MAX_COUNTED matches start (Python indices)
    capped: bool  # there are more than those

    def label(self, current: int | None) -> str:
        """ "3 of 12", "0 matches", or "of 10000+" when there are too many to count."""
        if not self.starts:
            return "No matches"
        total = f"{len(self.starts)}+" if self.capped else str(len(self.starts))
        if current is None:
            return f"{total} matches"
        index = bisect_left(self.starts, current)
        if index < len(self.starts) and self.starts[index] == current:
            return f"{index + 1} of {total}"
        return f"? of {total}"  # beyond the counted ones


def count_matches(text: str, pattern: re.Pattern[str], limit: int = MAX_COUNTED) -> Count:
    starts: list[int] = []
    for match in pattern.finditer(text):
        if len(starts) == limit:
            return Count(tuple(starts), capped=True)
        starts.append(match.start())
    return Count(tuple(starts), capped=False)


def find_next(
    text: str, pattern: re.Pattern[str], index: int, backwards: bool = False
) -> tuple[int, int] | None:
    """The match starting at or after index (forwards), or the last one ending at or before
    index (backwards), wrapping round the end of the text; None when there is none."""
    if not backwards:
        match = pattern.search(text, index) or pattern.search(text, 0)
        return match.span() if match else None
    before = _last_match(text, pattern, 0, index)
    if before is None:
        before = _last_match(text, pattern, index, len(text))  # wrap to the end
    return before


def _last_match(
    text: str, pattern: re.Pattern[str], start: int, end: int
) -> tuple[int, int] | None:
    last = None
    # No endpos: the text after end must stay visible to a whole-word lookahead.
    for match in pattern.finditer(text, start):
        if match.end() > end:
            break
        last = match.span()
    return last


def all_matches(text: str, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    return [match.span() for match in pattern.finditer(text)]
