"""The writer's words: how many this session added (net) and how many today, against a goal.

Pure logic with an injected clock and day store, so the midnight rollover is testable. The day's
count is kept by a DayStore (plain values in the settings file, session_words.QtDayStore): a
restart on the same day goes on from it; the first change on another local day starts from 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

Clock = Callable[[], datetime]
"""Local time now (datetime.now); tests pass their own."""


@dataclass(frozen=True)
class DayCount:
    day: date
    words: int


class DayStore(Protocol):
    def load(self) -> DayCount | None: ...

    def save(self, count: DayCount) -> None: ...


class WordTally:
    """Adds up the writer's word changes (deletions count back) for the session and the day."""

    def __init__(self, store: DayStore, clock: Clock = datetime.now) -> None:
        self._store = store
        self._clock = clock
        self.session = 0
        stored = store.load()
        today = clock().date()
        self._day = stored if stored is not None and stored.day == today else DayCount(today, 0)

    def add(self, words: int) -> None:
        """The writer added (or, negative, removed) words."""
        if not words:
            return
        self.session += words
        self._roll_over()
        self._day = DayCount(self._day.day, self._day.words + words)
        self._store.save(self._day)

    @property
    def today(self) -> int:
        """Words written today (net); 0 from local midnight on."""
        self._roll_over()
        return self._day.words

    def _roll_over(self) -> None:
        today = self._clock().date()
        if today != self._day.day:
            self._day = DayCount(today, 0)


def goal_progress(today: int, goal: int) -> float:
    """Today's words as a share of goal, 0.0 to 1.0 (0.0 without a goal)."""
    if goal <= 0:
        return 0.0
    return min(max(today / goal, 0.0), 1.0)
