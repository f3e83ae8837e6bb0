"""Turns a QTextDocument's changes into edit-log records, as they happen.

QTextDocument.contentsChange says where a change was and how many units it removed and added;
the added text is read from the document at once (later edits would shift it). Lengths are kept
here, so Qt's habit of counting the document's closing paragraph separator in a change that
reaches the end (setPlainText does) is corrected rather than recorded. A change too large to
read cheaply (a whole document replaced) or one that does not add up is reported as None:
the journal then takes a full snapshot instead of trusting the log.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QTextCursor, QTextDocument

from penwright.app.documents.edit_log import Edit, as_plain_text, utf16_length

# Reading more than this from the document on the GUI thread costs more than a snapshot would.
LARGEST_RECORDED_UNITS = 4_000_000

EditSink = Callable[[Edit | None], None]


def document_units(document: QTextDocument) -> int:
    """The plain text's length in UTF-16 units (the document counts one closing separator)."""
    return document.characterCount() - 1


class EditRecorder(QObject):
    def __init__(self, document: QTextDocument, sink: EditSink) -> None:
        super().__init__(document)
        self._document = document
        self._sink = sink
        self._units = document_units(document)
        document.contentsChange.connect(self._on_contents_change)

    @property
    def units(self) -> int:
        return self._units

    @Slot(int, int, int)
    def _on_contents_change(self, position: int, _removed: int, added: int) -> None:
        before, after = self._units, document_units(self._document)
        self._units = after
        added = min(added, after - position)
        removed = before - after + added  # exact, whatever Qt counted
        if position < 0 or added < 0 or removed < 0 or position + removed > before:
            self._sink(None)
            return
        if added > LARGEST_RECORDED_UNITS:
            self._sink(None)
            return
        text = ""
        if added:
            cursor = QTextCursor(self._document)
            cursor.setPosition(position)
            cursor.setPosition(position + added, QTextCursor.MoveMode.KeepAnchor)
            text = as_plain_text(cursor.selectedText())
            if utf16_length(text) != added:
                self._sink(None)
                return
        self._sink(Edit(position, removed, text))
