"""Focus mode's dimming: every paragraph but the caret's is drawn in a muted colour.

Drawn with the editor's extra selections (a foreground colour over two ranges: before and after
the caret's paragraph), not a QSyntaxHighlighter: the highlighter belongs to spelling and
Markdown, and formats set here would fight theirs. Extra selections are painted over the text's
own formats, so an underline from the highlighter still shows on a dimmed word. Other owners'
extra selections are kept: ours are marked with a format property and replaced alone.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Slot
from PySide6.QtGui import QColor, QPalette, QTextCharFormat, QTextCursor, QTextFormat
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit

DIMMED_PROPERTY = QTextFormat.Property.UserProperty + 0x50D  # marks our extra selections
DIM_TOWARDS_BACKGROUND = 0.7
"""How far a dimmed paragraph's colour goes from the text's towards the background: further than
the ghost text (halfway), so a suggestion in the caret's paragraph still reads as one."""
_OFF = (-1, -1, -1)
_REDRAW = (-2, -2, -2)


def dimmed_colour(palette: QPalette, amount: float = DIM_TOWARDS_BACKGROUND) -> QColor:
    text = palette.color(QPalette.ColorRole.Text)
    base = palette.color(QPalette.ColorRole.Base)

    def mix(a: int, b: int) -> int:
        return round(a + (b - a) * amount)

    return QColor(
        mix(text.red(), base.red()), mix(text.green(), base.green()), mix(text.blue(), base.blue())
    )


class ParagraphFocus(QObject):
    """Dims all of editor's paragraphs but the caret's while enabled."""

    def __init__(self, editor: QPlainTextEdit) -> None:
        super().__init__(editor)
        self._editor = editor
        self._enabled = False
        self._paragraph = _OFF  # the lit paragraph (number, start, text outside it) when drawn
        editor.cursorPositionChanged.connect(self._refresh)
        editor.document().contentsChanged.connect(self._refresh)
        editor.installEventFilter(self)

    @property
    def enabled(self) -> bool:
        return self._enabled

    def set_enabled(self, enabled: bool) -> None:
        if enabled == self._enabled:
            return
        self._enabled = enabled
        self._paragraph = _REDRAW  # redraw (or take away) whatever was there
        self._refresh()

    def lit_paragraph(self) -> int:
        """The block number shown in full colour (-1 when focus mode is off)."""
        return self._editor.textCursor().blockNumber() if self._enabled else -1

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.PaletteChange and self._enabled:
            self._paragraph = _REDRAW  # another theme: dim in its colours
            self._refresh()
        return False

    @Slot()
    def _refresh(self) -> None:
        editor = self._editor
        if not self._enabled and self._paragraph == _OFF:
            return  # off, and nothing of ours to take away
        block = editor.textCursor().block()
        if not block.isValid():
            return  # a document coming in: the caret's block follows, and with it a refresh
        # Typing inside the paragraph changes none of these (the ranges' cursors move with the
        # text); moving to another paragraph, or any change outside it, changes one.
        outside = editor.document().characterCount() - block.length()
        paragraph = (block.blockNumber(), block.position(), outside) if self._enabled else _OFF
        if paragraph == self._paragraph and self._enabled:
            return
        self._paragraph = paragraph
        others = [s for s in editor.extraSelections() if not s.format.hasProperty(DIMMED_PROPERTY)]
        if not self._enabled:
            editor.setExtraSelections(others)
            return
        fmt = QTextCharFormat()
        fmt.setForeground(dimmed_colour(editor.palette()))
        fmt.setProperty(DIMMED_PROPERTY, True)
        document = editor.document()
        end = document.characterCount() - 1
        start, length = block.position(), block.length()
        ranges = [(0, max(start - 1, 0)), (start + length - 1, end)]
        dimmed = []
        for first, last in ranges:
            if last <= first:
                continue
            selection = QTextEdit.ExtraSelection()
            cursor = QTextCursor(document)
            cursor.setPosition(first)
            cursor.setPosition(last, QTextCursor.MoveMode.KeepAnchor)
            selection.cursor = cursor
            selection.format = fmt
            dimmed.append(selection)
        editor.setExtraSelections(others + dimmed)
