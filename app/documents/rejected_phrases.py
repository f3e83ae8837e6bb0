"""Phrases the writer keeps rejecting: the opening words of each dismissed suggestion, counted,
so that one dismissed again and again can be offered for the document's ban list.

A suggestion is remembered by its first words (``PHRASE_WORDS`` at most, at least two), lower
case, punctuation and spacing evened out: "The fog, rolled" and " the fog rolled in" count as
one phrase. Pure logic; the window shows the offer.
"""

from __future__ import annotations

import re
from collections import Counter

PHRASE_WORDS = 3
OFFER_AFTER = 3
"""Dismissals of one phrase before it is offered for the ban list."""

_APOSTROPHE = "\u2019"
_WORD = re.compile(r"[\w'-]+")


def phrase_of(text: str, words: int = PHRASE_WORDS) -> str | None:
    """The phrase a dismissed suggestion counts for, or None when it has fewer than two words."""
    found = _WORD.findall(text.lower().replace(_APOSTROPHE, "'"))[:words]
    return " ".join(found) if len(found) >= 2 else None


class RejectedPhrases:
    """Counts dismissals per phrase; each phrase is offered once (a refused offer is not
    repeated until ``forget``)."""

    def __init__(self, offer_after: int = OFFER_AFTER) -> None:
        self._offer_after = offer_after
        self._counts: Counter[str] = Counter()
        self._offered: set[str] = set()

    def dismissed(self, text: str) -> str | None:
        """A suggestion was dismissed; returns its phrase when it is now due for an offer."""
        phrase = phrase_of(text)
        if phrase is None or phrase in self._offered:
            return None
        self._counts[phrase] += 1
        if self._counts[phrase] < self._offer_after:
            return None
        self._offered.add(phrase)
        return phrase

    def count(self, text: str) -> int:
        phrase = phrase_of(text)
        return self._counts[phrase] if phrase is not None else 0

    def forget(self, phrase: str) -> None:
        self._counts.pop(phrase, None)
        self._offered.discard(phrase)
