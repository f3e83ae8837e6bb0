"""The key-hint strip: a small floating label beside a showing suggestion, "Tab accept ·
Ctrl+→ word · Esc dismiss", in the keys bound now.

It is a child widget over the editor's viewport, placed at the right edge just below the caret's
paragraph (above it when there is no room below), so it never enters the text or its layout: the
ghost preview stays exactly what Tab inserts. Its close button (a cross) hides it for good
(hide_requested: the window turns the setting off; Preferences > Writing turns it back on).
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QEvent, QObject, QRectF, Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QPainter, QPaintEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton

from penwright.app.editor.editor_widget import Editor
from penwright.app.editor.keymap import Action

MARGIN = 8  # from the viewport's right edge and from the paragraph
_ARROWS = {"Right": "→", "Left": "←", "Up": "↑", "Down": "↓"}


def short_key(portable: str) -> str:
    """A binding as the platform writes it, arrows as arrows ("Ctrl+→")."""
    text = QKeySequence(portable, QKeySequence.SequenceFormat.PortableText).toString(
        QKeySequence.SequenceFormat.NativeText
    )
    parts = text.split("+")
    return "+".join(_ARROWS.get(part, part) for part in parts)


def hint_text(bindings: Mapping[Action, str]) -> str:
    """ "Tab accept · Ctrl+→ word · Ctrl+↓ sentence · Esc dismiss" for these bindings."""
    entries = (
        (Action.ACCEPT_ALL, "accept"),
        (Action.ACCEPT_WORD, "word"),
        (Action.ACCEPT_SENTENCE, "sentence"),
        (Action.DISMISS, "dismiss"),
    )
    return " · ".join(f"{short_key(bindings[a])} {what}" for a, what in entries if bindings.get(a))


class KeyHintStrip(QFrame):
    """Shows while a suggestion shows and hints are on; follows the caret's paragraph."""

    hide_requested = Signal()  # the writer clicked the cross: turn the hints off

    def __init__(self, editor: Editor, bindings: Mapping[Action, str]) -> None:
        super().__init__(editor.viewport())
        self.setObjectName("key_hint_strip")
        self._editor = editor
        self.enabled = True
        self.label = QLabel(self)
        font = self.label.font()
        font.setPointSizeF(max(font.pointSizeF() * 0.85, 7.0))
        self.label.setFont(font)
        self.close_button = QToolButton(self)
        self.close_button.setText("\u00d7")  # the multiplication sign, drawn as a cross
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Hide these hints (Preferences > Writing shows them again)")
        self.close_button.setCursor(Qt.CursorShape.ArrowCursor)
        self.close_button.clicked.connect(self.hide_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 1, 2, 1)
        layout.setSpacing(4)
        layout.addWidget(self.label)
        layout.addWidget(self.close_button)
        self.set_bindings(bindings)
        self.hide()
        editor.suggestion_changed.connect(self.update_place)
        editor.verticalScrollBar().valueChanged.connect(self.update_place)
        editor.viewport().installEventFilter(self)

    def set_bindings(self, bindings: Mapping[Action, str]) -> None:
        self.label.setText(hint_text(bindings))
        self.adjustSize()
        self.update_place()

    def set_enabled(self, enabled: bool) -> None:
        self.enabled = enabled
        self.update_place()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.update_place()
        return False

    @Slot()
    def update_place(self) -> None:
        editor = self._editor
        if not (self.enabled and editor.ghost_text):
            self.hide()
            return
        self.adjustSize()
        viewport = editor.viewport()
        block = editor.textCursor().block()
        rect = editor.blockBoundingGeometry(block).translated(editor.contentOffset())
        x = max(0, viewport.width() - self.width() - MARGIN)
        y = round(rect.bottom()) + 2
        if y + self.height() > viewport.height():  # no room below: above the paragraph
            y = max(0, round(rect.top()) - self.height() - 2)
        self.move(x, y)
        self.show()
        self.raise_()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.setPen(palette.mid().color())
        painter.setBrush(palette.window().color())
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 5, 5)
        painter.end()
        super().paintEvent(event)
