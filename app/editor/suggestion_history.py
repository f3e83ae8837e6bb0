"""What was suggested at the last few places, so that asking again there keeps the earlier
suggestions within reach (Alt+[) instead of throwing them away. Pure logic, no Qt.

A place is the text before the cursor: the same words before the caret are the same place, even
after the writer dismissed, undid an accept or moved away and back.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

HISTORY_PLACES = 4
"""Places remembered: enough to go back and forth between a couple of spots in one scene."""
HISTORY_TEXTS = 8
"""Suggestions remembered per place: more would be more than a writer cycles through."""


class SuggestionHistory:
    def __init__(self, places: int = HISTORY_PLACES, texts: int = HISTORY_TEXTS) -> None:
        self._places = places
        self._texts = texts
        self._by_place: OrderedDict[str, tuple[str, ...]] = OrderedDict()

    def remember(self, place: str, offered: Sequence[str]) -> None:
        """offered replaces what was remembered at place (it already holds the earlier ones it
        was shown with); the most recently used place is the last to be forgotten."""
        kept = tuple(text for text in offered if text)[-self._texts :]
        if not kept:
            return
        self._by_place[place] = kept
        self._by_place.move_to_end(place)
        while len(self._by_place) > self._places:
            self._by_place.popitem(last=False)

    def earlier(self, place: str) -> tuple[str, ...]:
        """What was offered at place, the one shown last at the end."""
        return self._by_place.get(place, ())
