"""The Edit menu's editing entries, Go to line and the editor's context menu, in the real window."""

from __future__ import annotations

from app_fakes import WAIT_MS, EngineScript
from PySide6.QtCore import QPoint
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QTextCursor
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from penwright.app.window.main_window import MainWindow
from penwright.models.results import Delta

StandardKey = QKeySequence.StandardKey


def load(window: MainWindow, text: str) -> None:
    window.editor.setPlainText(text)
    window.editor.moveCursor(QTextCursor.MoveOperation.End)


def labels(menu: QMenu) -> list[str]:
    return [action.text().split("\t")[0] for action in menu.actions()]


def suggest(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        window.editor.continue_requested.emit()


def test_the_menu_lists_the_entries_with_standard_keys_and_preferences_last(
    window: MainWindow,
) -> None:
    menu = window.dialogs.edit_menu
    names = [name for name in labels(menu) if name]
    assert names[:6] == ["&Undo", "&Redo", "Cu&t", "&Copy", "&Paste", "Select &All"]
    assert names[-1] == "&Preferences…"
    assert menu.actions()[-2].isSeparator()
    edit = window.edit_menu
    for action, key in (
        (edit.undo_action, StandardKey.Undo),
        (edit.redo_action, StandardKey.Redo),
        (edit.cut_action, StandardKey.Cut),
        (edit.copy_action, StandardKey.Copy),
        (edit.paste_action, StandardKey.Paste),
        (edit.select_all_action, StandardKey.SelectAll),
        (edit.find_action, StandardKey.Find),
    ):
        assert action.shortcut() == QKeySequence(key)
    assert edit.replace_action.shortcut() == QKeySequence("Ctrl+H")
    assert edit.go_to_line_action.shortcut() == QKeySequence("Ctrl+G")


def test_undo_redo_follow_the_editor(qtbot: QtBot, window: MainWindow) -> None:
    edit = window.edit_menu
    window.editor.setPlainText("")
    assert not edit.undo_action.isEnabled() and not edit.redo_action.isEnabled()
    qtbot.keyClicks(window.editor, "word")
    assert edit.undo_action.isEnabled()
    edit.undo_action.trigger()
    assert window.editor.toPlainText() == ""
    assert edit.redo_action.isEnabled() and not edit.undo_action.isEnabled()
    edit.redo_action.trigger()
    assert window.editor.toPlainText() == "word"


def test_select_all_cut_copy_paste(qtbot: QtBot, window: MainWindow) -> None:
    edit = window.edit_menu
    load(window, "hello")
    assert not edit.copy_action.isEnabled() and not edit.cut_action.isEnabled()
    edit.select_all_action.trigger()
    assert window.editor.textCursor().selectedText() == "hello"
    assert edit.copy_action.isEnabled() and edit.cut_action.isEnabled()
    edit.copy_action.trigger()
    assert QGuiApplication.clipboard().text() == "hello"
    edit.cut_action.trigger()
    assert window.editor.toPlainText() == ""
    assert not edit.copy_action.isEnabled()
    edit.paste_action.trigger()
    edit.paste_action.trigger()
    assert window.editor.toPlainText() == "hellohello"


def test_paste_dismisses_a_suggestion_and_copy_never_takes_the_ghost(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.deltas = [Delta(0, " ghostly")]
    load(window, "real")
    suggest(qtbot, window)
    assert window.editor.ghost_text == " ghostly"
    cursor = window.editor.textCursor()
    cursor.select(QTextCursor.SelectionType.Document)
    QGuiApplication.clipboard().setText("")
    window.editor.setTextCursor(cursor)  # selecting moves the caret: the suggestion goes
    window.edit_menu.copy_action.trigger()
    assert QGuiApplication.clipboard().text() == "real"
    load(window, "real")
    suggest(qtbot, window)
    QGuiApplication.clipboard().setText(" pasted")
    window.edit_menu.paste_action.trigger()
    assert window.editor.ghost is None
    assert window.editor.toPlainText() == "real pasted"


def test_go_to_line(window: MainWindow) -> None:
    load(window, "one\ntwo\nthree\nfour")
    asked: list[tuple[int, int]] = []

    def answer(current: int, last: int) -> int:
        asked.append((current, last))
        return 3

    window.edit_menu.ask_line = answer
    window.edit_menu.go_to_line_action.trigger()
    assert asked == [(4, 4)]
    cursor = window.editor.textCursor()
    assert cursor.blockNumber() == 2 and cursor.positionInBlock() == 0
    window.edit_menu.ask_line = lambda current, last: None  # cancelled: the caret stays
    window.edit_menu.go_to_line_action.trigger()
    assert window.editor.textCursor().blockNumber() == 2


def point_at(window: MainWindow, position: int) -> QPoint:
    cursor = QTextCursor(window.editor.document())
    cursor.setPosition(position)
    return window.editor.cursorRect(cursor).center()


def entry(menu: QMenu, label: str) -> QAction:
    return next(a for a in menu.actions() if a.text().split("\t")[0] == label)


def test_context_menu_continue_here_moves_the_caret_and_asks(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.deltas = [Delta(0, " there")]
    load(window, "Hello world")
    menu = window.editor.context_menu(point_at(window, 5))
    names = labels(menu)
    assert "Continue &here" in names
    assert "&Accept" not in names and "Accept &word" not in names and "&Dismiss" not in names
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        entry(menu, "Continue &here").trigger()
    assert window.editor.textCursor().position() == 5
    assert script.contexts[-1] == "Hello"
    assert window.editor.ghost_text == " there"


def test_context_menu_accept_word_accept_and_dismiss(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.deltas = [Delta(0, " brave new world")]
    load(window, "Hello")
    suggest(qtbot, window)
    here = point_at(window, 5)
    menu = window.editor.context_menu(here)
    assert {"&Accept", "Accept &word", "&Dismiss"} <= set(labels(menu))
    entry(menu, "Accept &word").trigger()
    assert window.editor.toPlainText() == "Hello brave"
    entry(window.editor.context_menu(here), "&Accept").trigger()
    assert window.editor.toPlainText() == "Hello brave new world"
    assert window.editor.ghost is None
    assert "&Accept" not in labels(window.editor.context_menu(here))
    load(window, "Hello")
    suggest(qtbot, window)
    entry(window.editor.context_menu(here), "&Dismiss").trigger()
    assert window.editor.ghost is None
    assert window.editor.toPlainText() == "Hello"


def test_find_bar_sits_above_the_editor(window: MainWindow) -> None:
    bar = window.edit_menu.find_bar
    assert bar.isHidden()
    window.edit_menu.find_action.trigger()
    assert bar.isVisible()
    assert bar.geometry().bottom() < window.editor.geometry().top()
    assert window.centralWidget().focusProxy() is window.editor
