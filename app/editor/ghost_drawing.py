"""Drawing a suggestion in place: in the caret block's QTextLayout preedit area, the mechanism Qt
uses to show an input method's composition inline. The text wraps and flows like real text and
pushes the following text down, but it is not in the document, so saving, undo/redo, the
modified flag and the word count never see it.

A preedit area cannot hold a paragraph separator, and a "\\n" in it is drawn as nothing, so
each line break is drawn as U+2028 (QChar::LineSeparator): QTextLayout starts a new line there,
and QPlainTextDocumentLayout grows the block by the lines it gained.

The preview then stands exactly where the text will stand after accepting, because a line
started by U+2028 and a new block have the same left edge and the same line spacing here: the
document's blocks have no margins, indents or paragraph spacing (QTextBlockFormat defaults),
and the page's line height (line_spacing.py) adds the same space above every line, a block's
first or not. If paragraph spacing or a first-line indent is ever added, the lines after a
break would be placed differently once they are real paragraphs: then draw the suggestion as a
separate QTextDocument painted over the editor (Qt Creator's TextSuggestion) instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QPalette, QTextCharFormat, QTextDocument, QTextLayout, QTextLine
from PySide6.QtWidgets import QPlainTextEdit

LINE_SEPARATOR = "\u2028"
_ALL_FONT_PROPERTIES = QTextCharFormat.FontPropertiesInheritanceBehavior.FontPropertiesAll


def muted_colour(palette: QPalette) -> QColor:
    """Halfway between the text and the background: readable, but clearly not yet written."""
    text = palette.color(QPalette.ColorRole.Text)
    base = palette.color(QPalette.ColorRole.Base)
    return QColor(
        (text.red() + base.red()) // 2,
        (text.green() + base.green()) // 2,
        (text.blue() + base.blue()) // 2,
    )


def preedit_text(text: str) -> str:
    """text as the preedit area can lay it out: each line break a line separator."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", LINE_SEPARATOR)


def _range(start: int, length: int, fmt: QTextCharFormat) -> QTextLayout.FormatRange:
    format_range = QTextLayout.FormatRange()
    format_range.start = start
    format_range.length = length
    format_range.format = fmt
    return format_range


def utf16_length(text: str) -> int:
    """Qt counts text positions in UTF-16 units: an emoji or a rare CJK ideograph is two."""
    return len(text.encode("utf-16-le")) // 2


class GhostPainter:
    """Draws one text at a document position of editor, and takes it away again.

    relayout(position, length) must re-lay out that part of the document without the editor
    taking the change for an edit (the editor guards its own changes).
    """

    def __init__(
        self,
        editor: QPlainTextEdit,
        relayout: Callable[[int, int], None],
        line_pitch: Callable[[], float] | None = None,
    ) -> None:
        self._editor = editor
        self._relayout = relayout
        # How far apart lines stand (the page may space them wider than the font does).
        self._line_pitch = line_pitch or (lambda: float(editor.fontMetrics().lineSpacing()))
        self._block_number = -1  # block whose layout holds the drawn text
        self._end = -1  # layout position just after the drawn text

    def draw(
        self, position: int, text: str, colours: Sequence[tuple[int, int, QColor]] = ()
    ) -> None:
        """text at position; colours: (start, end, colour) ranges of text (code points) drawn
        in that colour instead of the muted one. Only the colour: fonts and metrics stay."""
        self.clear()
        if not text:
            return
        document = self._editor.document()
        block = document.findBlock(position)
        layout = block.layout()
        in_block = position - block.position()
        shown = preedit_text(text)
        layout.setPreeditArea(in_block, shown)
        formats = self._formats(document, in_block, shown)
        for start, end, colour in colours:
            coloured = QTextCharFormat()
            coloured.setForeground(colour)
            offset = in_block + utf16_length(shown[:start])
            formats.append(_range(offset, utf16_length(shown[start:end]), coloured))
        layout.setFormats(formats)
        self._block_number = block.blockNumber()
        self._end = in_block + utf16_length(shown)
        self._relayout(block.position(), block.length())
        self._scroll_into_view()

    def _formats(
        self, document: QTextDocument, in_block: int, shown: str
    ) -> list[QTextLayout.FormatRange]:
        """The suggestion in the muted colour; its lines after the first line break also in the
        document's plain font, as they will be paragraphs of their own (a highlighter's
        heading font stretched over the preedit area must not reach them: see restack)."""
        muted = QTextCharFormat()
        muted.setForeground(muted_colour(self._editor.palette()))
        first_line = shown.find(LINE_SEPARATOR)
        ranges = [_range(in_block, utf16_length(shown), muted)]
        if first_line >= 0:
            plain = QTextCharFormat()
            plain.setFont(
                document.defaultFont(),
                QTextCharFormat.FontPropertiesInheritanceBehavior.FontPropertiesAll,
            )
            plain.setForeground(muted.foreground())
            plain.setUnderlineStyle(QTextCharFormat.UnderlineStyle.NoUnderline)
            start = in_block + utf16_length(shown[:first_line])
            ranges.append(_range(start, utf16_length(shown[first_line:]), plain))
        return ranges

    def restack(self) -> bool:
        """Put the suggestion's formats after the others of its block (a highlighter's, which
        Qt puts after them), so that the suggestion's win where both apply. True when the
        order changed: the block needs laying out again."""
        if self._block_number < 0:
            return False
        block = self._editor.document().findBlockByNumber(self._block_number)
        layout = block.layout()
        start = layout.preeditAreaPosition()
        end = start + utf16_length(layout.preeditAreaText())
        formats = layout.formats()
        inside = [r for r in formats if r.start >= start and r.start + r.length <= end]
        others = [r for r in formats if not (r.start >= start and r.start + r.length <= end)]
        if not others or formats[-len(inside) :] == inside:
            return False
        layout.setFormats(others + inside)
        return True

    def offset_at(self, point: QPoint) -> int | None:
        """The code point of the drawn text under point (viewport coordinates), or None."""
        if self._block_number < 0:
            return None
        editor = self._editor
        block = editor.document().findBlockByNumber(self._block_number)
        layout = block.layout()
        origin = editor.blockBoundingGeometry(block).translated(editor.contentOffset()).topLeft()
        x, y = point.x() - origin.x(), point.y() - origin.y()
        start = layout.preeditAreaPosition()
        shown = layout.preeditAreaText()
        for index in range(layout.lineCount()):
            line = layout.lineAt(index)
            if line.y() <= y < line.y() + line.height():
                if not line.x() <= x <= line.x() + line.naturalTextWidth():
                    return None
                units = line.xToCursor(x, QTextLine.CursorPosition.CursorOnCharacter) - start
                if not 0 <= units < utf16_length(shown):
                    return None
                return len(shown.encode("utf-16-le")[: units * 2].decode("utf-16-le", "ignore"))
        return None

    def point_below(self, offset: int) -> QPoint | None:
        """Viewport point just below the drawn text's code point offset (for a popup)."""
        if self._block_number < 0:
            return None
        editor = self._editor
        block = editor.document().findBlockByNumber(self._block_number)
        layout = block.layout()
        units = layout.preeditAreaPosition() + utf16_length(layout.preeditAreaText()[:offset])
        line = layout.lineForTextPosition(units)
        if not line.isValid():
            return None
        origin = editor.blockBoundingGeometry(block).translated(editor.contentOffset()).topLeft()
        # PySide6 returns (x, position) here; its stubs say object.
        x = float(line.cursorToX(units)[0])  # type: ignore[index]
        return QPoint(round(origin.x() + x), round(origin.y() + line.y() + line.height()))

    def clear(self) -> None:
        if self._block_number < 0:
            return
        block = self._editor.document().findBlockByNumber(self._block_number)
        self._block_number = self._end = -1
        if not block.isValid():
            return
        layout = block.layout()
        layout.setPreeditArea(-1, "")
        layout.clearFormats()
        self._relayout(block.position(), block.length())

    def _scroll_into_view(self) -> None:
        """Show as much of the text as fits below the caret, never scrolling the caret away."""
        editor = self._editor
        editor.ensureCursorVisible()
        block = editor.document().findBlockByNumber(self._block_number)
        layout = block.layout()
        line = layout.lineForTextPosition(max(self._end - 1, 0))
        if not line.isValid():
            return
        top = editor.blockBoundingGeometry(block).translated(editor.contentOffset()).top()
        overflow = top + line.y() + line.height() - editor.viewport().height()
        caret_top = editor.cursorRect().top()
        if overflow <= 0 or caret_top <= 0:
            return
        # QPlainTextEdit scrolls by laid-out lines; all lines here have the editor's spacing.
        spacing = max(self._line_pitch(), 1.0)
        lines = min(math.ceil(overflow / spacing), math.floor(caret_top / spacing))
        if lines > 0:
            scroll_bar = editor.verticalScrollBar()
            scroll_bar.setValue(scroll_bar.value() + lines)
