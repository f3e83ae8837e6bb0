"""Comfortable line height for a QPlainTextEdit, whose layout ignores QTextBlockFormat's.

QPlainTextDocumentLayout stacks each block's lines at their font height and has no line-height
setting. So after Qt lays out a block, each of its lines is moved down to take one "pitch": the
font's line spacing plus `extra` (a whole number of pixels, so the text stays on the pixel
grid). A line in the editor's font gets `extra` above it; a taller line (a CJK fallback face)
less, so Chinese lines stand as far apart as English ones; a line taller than the pitch (a
Markdown heading) a third of `extra`. Every line is placed alike, the first
of a block as much as one that wrapped or one started by a line separator: that keeps the
ghost-text preview exact, as a suggested line after a line separator and the same line once it
is a paragraph of its own stand in the same place.

The extra space goes above each line: the caret, selections and hit-testing follow the moved
lines, because they read the lines' positions. Lines are moved when Qt reports a block laid out
(the document layout's update signals, before the editor scrolls to the caret) and again before
each paint for the blocks on screen, which Qt lays out lazily.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QObject, QPointF, Slot
from PySide6.QtGui import QTextBlock
from PySide6.QtWidgets import QPlainTextEdit

MIN_FACTOR = 1.0
MAX_FACTOR = 3.0


class LineSpacing(QObject):
    """Spaces the lines of editor `factor` times the font's line spacing apart (1.0: Qt's own)."""

    def __init__(self, editor: QPlainTextEdit, factor: float = 1.0) -> None:
        super().__init__(editor)
        self._editor = editor
        self._factor = 1.0
        self._extra = 0.0
        self._pitch = float(editor.fontMetrics().lineSpacing())
        layout = editor.document().documentLayout()
        layout.updateBlock.connect(self._on_block_laid_out)
        layout.update.connect(self._on_layout_update)
        # Before Qt scrolls to the caret or paints what a scroll shows, using the lines' places.
        editor.cursorPositionChanged.connect(self._on_view_moved)
        editor.verticalScrollBar().valueChanged.connect(self._on_view_moved)
        self._spaced_view = (-1, -1)  # caret block and scroll value at the last spacing
        # Kept: while the editor is being destroyed, asking it for its viewport fails.
        self._viewport = editor.viewport()
        self._viewport.installEventFilter(self)
        editor.installEventFilter(self)
        self.set_factor(factor)

    @property
    def factor(self) -> float:
        return self._factor

    @property
    def extra(self) -> float:
        """The pixels added above each line in the editor's font."""
        return self._extra

    def line_pitch(self) -> float:
        """How far apart the tops of two lines in the editor's font are."""
        return self._pitch

    def set_factor(self, factor: float) -> None:
        self._factor = min(max(factor, MIN_FACTOR), MAX_FACTOR)
        self._update_extra()

    def _update_extra(self) -> None:
        spacing = self._editor.fontMetrics().lineSpacing()  # whole pixels, as Qt lays lines
        extra = float(round((self._factor - 1.0) * spacing))
        pitch = spacing + extra
        if (extra, pitch) == (self._extra, self._pitch):
            return
        self._extra, self._pitch = extra, pitch
        self.space_all()

    def space_all(self) -> None:
        """Re-space every block already laid out (after a change of factor or font)."""
        block = self._editor.document().firstBlock()
        while block.isValid():
            self.space_block(block, again=True)
            block = block.next()
        self._editor.viewport().update()

    def space_block(self, block: QTextBlock, again: bool = False) -> None:
        """Move block's lines to their places; unless again, only if Qt laid it out afresh
        (its first line back at the top), which is what makes this cheap on every keystroke."""
        layout = block.layout() if block.isValid() else None
        if layout is None or not layout.lineCount():
            return  # a block being replaced (a new document coming in), or not laid out
        if not again and layout.lineAt(0).y() > 0:
            return
        pitch = self._pitch
        y = 0.0
        for i in range(layout.lineCount()):
            line = layout.lineAt(i)
            # As QPlainTextDocumentLayout stacks them: a negative leading pulls the next line up.
            height = line.height() + min(math.ceil(line.leading()), 0)
            # Room above, so each line takes one pitch: a line in a taller CJK fallback face
            # needs less, and Chinese lines stand as far apart as English ones. A line taller
            # still (a Markdown heading) keeps a little room of its own.
            y += max(pitch - height, float(round(self._extra / 3)))
            if line.y() != y:
                line.setPosition(QPointF(line.x(), y))
            y += height

    def space_visible(self) -> None:
        """Lay out and space the blocks Qt is about to measure: those on screen, and, when the
        caret is off screen, its block with a screenful above it (scrolling to the caret
        measures upwards from it)."""
        editor = self._editor
        height = editor.viewport().height()
        caret = editor.textCursor().block()
        self._spaced_view = (caret.blockNumber(), editor.verticalScrollBar().value())
        shown = range(0)
        block = editor.firstVisibleBlock()
        if block.isValid():
            first = block.blockNumber()
            self._spaced_height(block)  # the offset of the view depends on its lines' places
            top = editor.blockBoundingGeometry(block).translated(editor.contentOffset()).top()
            while block.isValid() and top <= height:
                top += self._spaced_height(block)
                block = block.next()
            shown = range(first, block.blockNumber() if block.isValid() else 1 << 30)
        if caret.blockNumber() in shown:
            return
        room = float(height)
        block = caret
        while block.isValid() and room >= 0:
            room -= self._spaced_height(block)
            block = block.previous()

    def _spaced_height(self, block: QTextBlock) -> float:
        self._editor.blockBoundingRect(block)  # lays the block out if Qt has not yet
        self.space_block(block)
        return self._editor.blockBoundingRect(block).height()

    @Slot(QTextBlock)
    def _on_block_laid_out(self, block: QTextBlock) -> None:
        if self._extra:
            self.space_block(block)

    @Slot()
    def _on_layout_update(self, *_: object) -> None:
        if self._extra:
            self.space_visible()

    @Slot()
    def _on_view_moved(self) -> None:
        """The caret or the view moved: space what that brings on screen, if anything."""
        editor = self._editor
        view = (editor.textCursor().blockNumber(), editor.verticalScrollBar().value())
        if self._extra and view != self._spaced_view:
            self.space_visible()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if watched is self._editor and kind == QEvent.Type.FontChange:
            self._update_extra()
        elif watched is self._viewport and kind == QEvent.Type.Paint and self._extra:
            self.space_visible()
        return False
