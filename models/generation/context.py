"""The context budget: which part of the text before the cursor the model sees.

At most ``budget`` tokens, cut at a paragraph boundary when one is near, else after a sentence,
else at whitespace. The cut point is sticky: while the text before it is unchanged and the rest
still fits, the next request keeps it, so its tokens match the previous request's and the prefix
KV cache hits. When the text outgrows the budget the new cut leaves headroom (the kept part
fills only ``_REFILL`` of the budget), so the start moves rarely instead of on every keystroke.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from penwright.models.prose import CJK_SENTENCE_ENDS, CLOSERS, LATIN_SENTENCE_ENDS

Encode = Callable[[str], Sequence[int]]
"""Text -> token ids, including any beginning-of-sequence token the model expects."""

_REFILL = 0.75  # after a new cut, the kept text fills this share of the budget
_MIN_KEEP = 0.5  # never move the cut so far that less than this share of the budget is kept
# A token rarely spans more characters than this, so a text shorter than budget * this bound
# is worth tokenizing whole, and the cut search need not look further back.
_CHARS_PER_TOKEN_BOUND = 16

_PARAGRAPH_START = re.compile(r"\n[^\S\n]*\n\s*")
_SENTENCE_START = re.compile(
    rf"[{re.escape(LATIN_SENTENCE_ENDS + CJK_SENTENCE_ENDS)}][{re.escape(CLOSERS)}]*\s*"
)
_WORD_START = re.compile(r"\s+")


@dataclass(frozen=True)
class _Cut:
    position: int
    text_before: str


class ContextWindow:
    """Chooses and remembers the cut point of the context. One per engine; not thread-safe."""

    def __init__(self, encode: Encode) -> None:
        self._encode = encode
        self._last_cut = _Cut(0, "")

    def select(self, text: str, budget: int) -> list[int]:
        """Token ids of the part of ``text`` the model should see (at most ``budget``)."""
        return self.select_with_start(text, budget)[1]

    def select_with_start(self, text: str, budget: int) -> tuple[int, list[int]]:
        """Where the part the model should see starts in ``text``, and its token ids."""
        last = self._last_cut
        if last.position and text.startswith(last.text_before):
            ids = list(self._encode(text[last.position :]))
            # Keep the cut unless the rest outgrew the budget or shrank so much (text deleted)
            # that the model would see needlessly little.
            if budget * _MIN_KEEP <= len(ids) <= budget:
                return last.position, ids
        if len(text) <= budget * _CHARS_PER_TOKEN_BOUND:
            ids = list(self._encode(text))
            if len(ids) <= budget:
                self._last_cut = _Cut(0, "")
                return 0, ids
        cut = self._choose_cut(text, budget)
        ids = list(self._encode(text[cut:]))
        while len(ids) > budget and cut < len(text):  # retokenizing at the cut adds a token
            cut = _next_match(_WORD_START, text, cut + 1) or cut + max(1, len(text[cut:]) // 8)
            ids = list(self._encode(text[cut:]))
        self._last_cut = _Cut(cut, text[:cut])
        return cut, ids

    def _choose_cut(self, text: str, budget: int) -> int:
        earliest = self._start_of_last_tokens(text, int(budget * _REFILL))
        latest = self._start_of_last_tokens(text, int(budget * _MIN_KEEP))
        for boundary in (_PARAGRAPH_START, _SENTENCE_START, _WORD_START):
            found = _next_match(boundary, text, earliest)
            if found is not None and found <= latest:
                return found
        return earliest

    def _start_of_last_tokens(self, text: str, count: int) -> int:
        """The character position where the last ``count`` tokens of ``text`` roughly begin."""
        low, high = max(0, len(text) - count * _CHARS_PER_TOKEN_BOUND), len(text)
        # Binary search on the suffix length in characters: tokens are cheap to count and
        # tokenizers have no standard way to map token positions back to characters.
        while low < high:
            middle = (low + high) // 2
            if len(self._encode(text[middle:])) > count:
                low = middle + 1
            else:
                high = middle
        return low


def _next_match(pattern: re.Pattern[str], text: str, start: int) -> int | None:
    """The end of the first match of ``pattern`` at or after ``start`` (where new text begins)."""
    match = pattern.search(text, start)
    return match.end() if match and match.end() < len(text) else None
