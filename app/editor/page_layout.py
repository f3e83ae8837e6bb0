"""The writer's page: a centred column of text, as wide as a set number of characters.

The column is made with the editor's viewport margins, recomputed whenever the editor, its
viewport (a scroll bar came or went) or its font changes size, so the text itself is laid out
by Qt as before and the ghost-text preview wraps exactly like the text Tab inserts. The margins
around the column are part of the page: they show the text's background, and a click there
puts the caret on the nearest line. Line height is LineSpacing's (line_spacing.py).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMargins, QObject, QPoint, Qt
from PySide6.QtGui import QMouseEvent, QPalette
from PySide6.QtWidgets import QPlainTextEdit

from penwright.app.editor.line_spacing import LineSpacing
from penwright.app.editor.typography import column_width

FULL_WIDTH = 0
"""A column of 0 characters: the text fills the editor, as a plain text box does."""
MIN_SIDE_MARGIN = 12  # px beside the text in a window narrower than the column
TOP_MARGIN = 12  # px above the first line, so the page does not start at the frame


class PageLayout(QObject):
    """Keeps editor's text in a centred column of `chars` average characters."""

    def __init__(self, editor: QPlainTextEdit, chars: int = FULL_WIDTH) -> None:
        super().__init__(editor)
        self._editor = editor
        self._chars = chars
        self.spacing = LineSpacing(editor)
        # The margins are outside the viewport: painted in the text's background, they and the
        # column read as one page rather than a box inside a frame.
        editor.setBackgroundRole(QPalette.ColorRole.Base)
        editor.setAutoFillBackground(True)
        editor.installEventFilter(self)
        # Kept: while the editor is being destroyed, asking it for its viewport fails.
        self._viewport = editor.viewport()
        self._viewport.installEventFilter(self)
        self.update_margins()

    @property
    def chars(self) -> int:
        return self._chars

    def set_column(self, chars: int) -> None:
        """chars average characters per line; FULL_WIDTH for the whole width."""
        self._chars = max(chars, 0)
        self.update_margins()

    def set_line_spacing(self, factor: float) -> None:
        self.spacing.set_factor(factor)

    def column_pixels(self) -> int:
        """The width the text is laid out in (the document's own margins excluded)."""
        editor = self._editor
        return editor.viewport().width() - 2 * int(editor.document().documentMargin())

    def update_margins(self) -> None:
        editor = self._editor
        current = editor.viewportMargins()
        available = editor.viewport().width() + current.left() + current.right()
        if self._chars == FULL_WIDTH:
            wanted = QMargins(0, 0, 0, 0)
        else:
            text = column_width(editor.font(), self._chars)
            column = text + 2 * int(editor.document().documentMargin())
            side = max(MIN_SIDE_MARGIN, (available - column) // 2)
            wanted = QMargins(side, TOP_MARGIN, side, 0)
        if wanted != current:
            editor.setViewportMargins(wanted)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        editor = self._editor
        if watched is editor:
            if kind in (QEvent.Type.Resize, QEvent.Type.FontChange):
                self.update_margins()
            elif kind == QEvent.Type.MouseButtonPress and isinstance(event, QMouseEvent):
                return self._click_in_margin(event)
            elif kind == QEvent.Type.MouseButtonRelease:
                return True  # the end of a click in the margin, which was ours
        elif watched is self._viewport and kind == QEvent.Type.Resize:
            self.update_margins()
        return False

    def _click_in_margin(self, event: QMouseEvent) -> bool:
        """A click beside the column moves the caret to the nearest place on that line."""
        editor = self._editor
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        viewport = editor.viewport()
        at = viewport.mapFrom(editor, event.position().toPoint())
        inside = QPoint(
            min(max(at.x(), 0), viewport.width() - 1), min(max(at.y(), 0), viewport.height() - 1)
        )
        editor.setTextCursor(editor.cursorForPosition(inside))
        editor.setFocus(Qt.FocusReason.MouseFocusReason)
        return True
