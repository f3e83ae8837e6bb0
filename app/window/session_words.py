"""Feeds the word tally (word_tally.py) from documents' word counts, and keeps its day count in
the settings file as plain values ("words/day": an ISO date, "words/today": a whole number).

Only the writer's changes count: a document that is opened, reloaded, recovered or replaced
comes in with undo switched off (QPlainTextEdit.setPlainText, and file_loading.insert_in_slices
for a large file), so a count that changes while undo is off moves the baseline instead.
Accepting a suggestion counts: the writer chose those words.
"""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import QObject, QSettings, Signal, Slot
from PySide6.QtWidgets import QPlainTextEdit

from penwright.app.editor.word_count import WordCounter
from penwright.app.settings.plain_values import plain_value, writable
from penwright.app.window.word_tally import Clock, DayCount, WordTally

DAY_KEY = "words/day"
TODAY_KEY = "words/today"
_MAX_DAY_WORDS = 10_000_000  # more is damage, not a day's writing


class QtDayStore:
    """The day's count in a QSettings file, read without trusting it (unusable: no count)."""

    def __init__(self, qsettings: QSettings) -> None:
        self._qs = qsettings

    def load(self) -> DayCount | None:
        day, words = plain_value(self._qs, DAY_KEY), plain_value(self._qs, TODAY_KEY)
        if not isinstance(day, str) or not isinstance(words, str) or len(day) > 10:
            return None
        try:
            count = DayCount(date.fromisoformat(day), int(words.strip()))
        except ValueError:
            return None
        return count if abs(count.words) <= _MAX_DAY_WORDS else None

    def save(self, count: DayCount) -> None:
        if writable(self._qs):
            self._qs.setValue(DAY_KEY, count.day.isoformat())
            self._qs.setValue(TODAY_KEY, count.words)


class SessionWords(QObject):
    """Watches each document's WordCounter and adds the writer's changes to the tally."""

    changed = Signal()  # the session's or the day's words changed

    def __init__(
        self, qsettings: QSettings, clock: Clock = datetime.now, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.tally = WordTally(QtDayStore(qsettings), clock)

    def watch(self, editor: QPlainTextEdit, counter: WordCounter) -> None:
        """Count the writer's changes to editor's document (one call per document)."""
        last = [counter.words]

        @Slot(int)
        def counted(words: int) -> None:
            document = editor.document()
            by_writer = document.isUndoRedoEnabled() and not editor.isReadOnly()
            delta, last[0] = words - last[0], words
            if by_writer and delta:
                self.tally.add(delta)
                self.changed.emit()

        counter.changed.connect(counted)
