"""Issue 14 item 6: the key-hint strip beside a showing suggestion, in the live bindings, that
the writer can turn off; it floats over the text and leaves the ghost preview as it was."""

from __future__ import annotations

from dataclasses import replace

from app_fakes import WAIT_MS
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QTextCursor
from pytestqt.qtbot import QtBot

from penwright.app.editor.keymap import Action
from penwright.app.window.main_window import MainWindow

CTRL = Qt.KeyboardModifier.ControlModifier


def show_suggestion(qtbot: QtBot, window: MainWindow) -> None:
    window.editor.setFocus()
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        qtbot.keyClick(window.editor, Qt.Key.Key_Return, CTRL)
    assert window.editor.ghost_text == " once upon"


def start(qtbot: QtBot, window: MainWindow) -> None:
    window.editor.setPlainText("First paragraph.\nOnce")
    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.waitExposed(window)


def test_the_strip_shows_the_keys_while_a_suggestion_shows(
    qtbot: QtBot, window: MainWindow
) -> None:
    start(qtbot, window)
    strip = window.writing_hints.key_strip
    assert not strip.isVisible()
    show_suggestion(qtbot, window)
    assert strip.isVisible()
    assert strip.label.text() == "Tab accept · Ctrl+→ word · Ctrl+↓ sentence · Esc dismiss"
    viewport = window.editor.viewport()
    assert strip.parentWidget() is viewport  # floating over the text, not inside it
    assert QRect(0, 0, viewport.width(), viewport.height()).contains(strip.geometry())
    caret = window.editor.cursorRect()
    assert not strip.geometry().intersects(caret)  # below the paragraph, not over the caret
    qtbot.keyClick(window.editor, Qt.Key.Key_Escape)
    assert not strip.isVisible()


def test_the_strip_follows_rebound_keys(qtbot: QtBot, window: MainWindow) -> None:
    store = window.settings_store
    bindings = {**store.current.key_bindings, Action.ACCEPT_ALL: "F8", Action.DISMISS: "F9"}
    store.save(replace(store.current, key_bindings=bindings))
    start(qtbot, window)
    show_suggestion(qtbot, window)
    assert window.writing_hints.key_strip.label.text().startswith("F8 accept")
    assert window.writing_hints.key_strip.label.text().endswith("F9 dismiss")


def test_the_strip_leaves_the_preview_as_it_was(qtbot: QtBot, window: MainWindow) -> None:
    start(qtbot, window)
    show_suggestion(qtbot, window)
    layout = window.editor.textCursor().block().layout()
    shown = (layout.preeditAreaText(), layout.lineCount())
    strip = window.writing_hints.key_strip
    strip.set_enabled(False)
    assert (layout.preeditAreaText(), layout.lineCount()) == shown
    strip.set_enabled(True)
    assert (layout.preeditAreaText(), layout.lineCount()) == shown
    assert window.editor.toPlainText() == "First paragraph.\nOnce"  # never in the text
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    assert window.editor.toPlainText() == "First paragraph.\nOnce once upon"


def test_the_writer_turns_the_strip_off_and_back_on(qtbot: QtBot, window: MainWindow) -> None:
    start(qtbot, window)
    show_suggestion(qtbot, window)
    strip = window.writing_hints.key_strip
    qtbot.mouseClick(strip.close_button, Qt.MouseButton.LeftButton)
    assert not strip.isVisible()
    store = window.settings_store
    assert store.current.writing.key_hints is False  # saved: it stays off after a restart
    assert "Preferences > Writing" in window.statusBar().currentMessage()
    qtbot.keyClick(window.editor, Qt.Key.Key_Escape)
    show_suggestion(qtbot, window)
    assert not strip.isVisible()
    store.save(replace(store.current, writing=replace(store.current.writing, key_hints=True)))
    assert strip.isVisible()
