"""An Editor on screen the way the layout tests measure it: a fixed font, no caret (it blinks on
its own timer, so it would change the pixels), a given size, exposed."""

from __future__ import annotations

from PySide6.QtGui import QFont
from pytestqt.qtbot import QtBot

from penwright.app.editor.editor_widget import Editor


def shown_editor(qtbot: QtBot, width: int, height: int) -> Editor:
    widget = Editor()
    qtbot.addWidget(widget)
    font = QFont("DejaVu Sans")
    font.setPointSize(12)
    widget.setFont(font)
    widget.setCursorWidth(0)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget
