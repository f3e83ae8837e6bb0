"""The Find / Replace bar shown above the editor (Ctrl+F, Ctrl+H).

Searching runs on the document's plain text with re (find_text.py), never QTextDocument.find in
a loop, so a 5 MB document stays responsive. The suggestion's ghost text is drawn in the preedit
area and is not in that text, so it can never be found or replaced. Replacing goes through a
QTextCursor on the document, an edit the editor did not make, which dismisses any suggestion.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QObject, Qt, Slot
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from penwright.app.editor.find_text import (
    Count,
    FindOptions,
    PlainText,
    all_matches,
    compile_pattern,
    count_matches,
    find_next,
)

_ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class FindBar(QWidget):
    """Find (and, when asked, Replace) in editor; hidden until open_find or open_replace."""

    def __init__(self, editor: QPlainTextEdit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._editor = editor
        self._text: PlainText | None = None
        self._revision = -1  # the document revision self._text was read at
        self._count: Count | None = None

        self.find_field = QLineEdit()
        self.find_field.setPlaceholderText("Find")
        self.find_field.setClearButtonEnabled(True)
        self.match_case = QCheckBox("Match &case")
        self.whole_words = QCheckBox("&Whole words")
        self.previous_button = QPushButton("&Previous")
        self.next_button = QPushButton("&Next")
        self.count_label = QLabel()
        self.count_label.setMinimumWidth(self.fontMetrics().horizontalAdvance("10000+ matches"))
        self.close_button = QPushButton("Close")
        self.replace_field = QLineEdit()
        self.replace_field.setPlaceholderText("Replace with")
        self.replace_button = QPushButton("&Replace")
        self.replace_all_button = QPushButton("Replace &All")
        for button in (
            self.previous_button,
            self.next_button,
            self.close_button,
            self.replace_button,
            self.replace_all_button,
        ):
            button.setAutoDefault(False)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # clicks leave focus in the field

        layout = QGridLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.find_field, 0, 0)
        layout.addWidget(self.previous_button, 0, 1)
        layout.addWidget(self.next_button, 0, 2)
        layout.addWidget(self.match_case, 0, 3)
        layout.addWidget(self.whole_words, 0, 4)
        layout.addWidget(self.count_label, 0, 5)
        layout.addWidget(self.close_button, 0, 6)
        layout.addWidget(self.replace_field, 1, 0)
        layout.addWidget(self.replace_button, 1, 1)
        layout.addWidget(self.replace_all_button, 1, 2)
        layout.setColumnStretch(0, 1)

        self.find_field.textChanged.connect(self._on_query_changed)
        self.match_case.toggled.connect(self._on_query_changed)
        self.whole_words.toggled.connect(self._on_query_changed)
        self.next_button.clicked.connect(self.find_next)
        self.previous_button.clicked.connect(self.find_previous)
        self.close_button.clicked.connect(self.close_bar)
        self.replace_button.clicked.connect(self.replace)
        self.replace_all_button.clicked.connect(self.replace_all)
        self.replace_field.returnPressed.connect(self.replace)
        self.find_field.installEventFilter(self)
        close = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        close.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        close.activated.connect(self.close_bar)
        # An edit makes the count stale; recounting per keystroke over 5 MB would stall typing,
        # so the count is blanked and comes back with the next search.
        editor.document().contentsChanged.connect(self._on_document_changed)
        self._set_replace_visible(False)
        self.hide()

    # -- opening and closing ------------------------------------------------------------------

    def open_find(self) -> None:
        self._set_replace_visible(False)
        self._open()

    def open_replace(self) -> None:
        self._set_replace_visible(True)
        self._open()

    def _open(self) -> None:
        selected = self._editor.textCursor().selectedText()
        if selected and "\u2029" not in selected:  # a word picked in the text is the query
            self.find_field.setText(selected)
        self.show()
        self.find_field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.find_field.selectAll()
        self._recount()

    @Slot()
    def close_bar(self) -> None:
        self.hide()
        self._editor.setFocus(Qt.FocusReason.OtherFocusReason)

    def _set_replace_visible(self, visible: bool) -> None:
        for widget in (self.replace_field, self.replace_button, self.replace_all_button):
            widget.setVisible(visible)

    @property
    def replacing(self) -> bool:
        return not self.replace_field.isHidden()

    # -- searching ----------------------------------------------------------------------------

    def options(self) -> FindOptions:
        return FindOptions(self.match_case.isChecked(), self.whole_words.isChecked())

    def _pattern(self) -> re.Pattern[str] | None:
        return compile_pattern(self.find_field.text(), self.options())

    def _plain(self) -> PlainText:
        document = self._editor.document()
        if self._text is None or self._revision != document.revision():
            self._text = PlainText(document.toPlainText())
            self._revision = document.revision()
        return self._text

    @Slot()
    def _on_query_changed(self) -> None:
        # Search as the writer types, from where the current match (or the caret) starts.
        cursor = self._editor.textCursor()
        self._go(cursor.selectionStart(), backwards=False)

    @Slot()
    def _on_document_changed(self) -> None:
        self._count = None
        if self.isVisible():
            self.count_label.clear()

    @Slot()
    def find_next(self) -> bool:
        return self._go(self._editor.textCursor().selectionEnd(), backwards=False)

    @Slot()
    def find_previous(self) -> bool:
        return self._go(self._editor.textCursor().selectionStart(), backwards=True)

    def _go(self, position: int, backwards: bool) -> bool:
        """Select the match after (or before) Qt position; False when there is none."""
        pattern = self._pattern()
        plain = self._plain()
        found = (
            None
            if pattern is None
            else find_next(plain.text, pattern, plain.from_qt(position), backwards)
        )
        if found is not None:
            self._select(plain, found)
        self._recount(found[0] if found else None)
        return found is not None

    def _select(self, plain: PlainText, span: tuple[int, int]) -> None:
        cursor = self._editor.textCursor()
        cursor.setPosition(plain.to_qt(span[0]))
        cursor.setPosition(plain.to_qt(span[1]), QTextCursor.MoveMode.KeepAnchor)
        self._editor.setTextCursor(cursor)
        self._editor.ensureCursorVisible()

    def _recount(self, current: int | None = None) -> None:
        pattern = self._pattern()
        if pattern is None:
            self._count = None
            self.count_label.clear()
            return
        self._count = count_matches(self._plain().text, pattern)
        if current is None:
            current = self._selected_match()
        self.count_label.setText(self._count.label(current))

    def _selected_match(self) -> int | None:
        """The Python index where the selection starts if the selection is a match."""
        pattern = self._pattern()
        cursor = self._editor.textCursor()
        if pattern is None or not cursor.hasSelection():
            return None
        plain = self._plain()
        start = plain.from_qt(cursor.selectionStart())
        found = pattern.match(plain.text, start)
        if found is None or found.end() != plain.from_qt(cursor.selectionEnd()):
            return None
        return start

    def count_text(self) -> str:
        return self.count_label.text()

    # -- replacing ----------------------------------------------------------------------------

    @Slot()
    def replace(self) -> bool:
        """Replace the selected match (if the selection is one) and go to the next."""
        if self._selected_match() is not None:
            cursor = self._editor.textCursor()
            cursor.insertText(self.replace_field.text())
            self._editor.setTextCursor(cursor)
        return self.find_next()

    @Slot()
    def replace_all(self) -> int:
        """Replace every match as one undo step; how many were replaced."""
        pattern = self._pattern()
        if pattern is None:
            return 0
        plain = self._plain()
        spans = all_matches(plain.text, pattern)
        if not spans:
            self._recount()
            return 0
        replacement = self.replace_field.text()
        cursor = QTextCursor(self._editor.document())
        cursor.beginEditBlock()  # one undo step for all of them
        # From the end backwards, so the positions still to replace do not shift.
        for start, end in reversed(spans):
            cursor.setPosition(plain.to_qt(start))
            cursor.setPosition(plain.to_qt(end), QTextCursor.MoveMode.KeepAnchor)
            cursor.insertText(replacement)
        cursor.endEditBlock()
        self._recount()
        self.count_label.setText(f"Replaced {len(spans)}")
        return len(spans)

    # -- keys in the find field ---------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.find_field
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in _ENTER_KEYS
        ):
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self.find_previous()
            else:
                self.find_next()
            return True
        return super().eventFilter(watched, event)
