"""Typewriter scrolling: the caret's line stays in the middle of the editor as the writer types.

QPlainTextEdit scrolls by whole lines, so "the middle" is the line nearest it; centerOnScroll
lets the last lines scroll up to the middle too. Near the top of a document the caret's line
stands higher: there is no text above it to scroll away.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QPlainTextEdit


class Typewriter(QObject):
    """Keeps editor's caret line centred while enabled."""

    def __init__(self, editor: QPlainTextEdit) -> None:
        super().__init__(editor)
        self._editor = editor
        self._enabled = False
        editor.cursorPositionChanged.connect(self._centre)
        editor.document().contentsChanged.connect(self._centre)

    @property
    def enabled(self) -> bool:
        return self._enabled

    def set_enabled(self, enabled: bool) -> None:
        self._enabled = enabled
        self._editor.setCenterOnScroll(enabled)
        if enabled:
            # After the window has its size: centring in a viewport not yet laid out is lost.
            QTimer.singleShot(0, self._centre)

    @Slot()
    def _centre(self) -> None:
        if self._enabled:
            self._editor.centerCursor()
