"""The View menu in the real window: full screen, focus mode (chrome hidden, other paragraphs
dimmed, Esc and the same key leave it) and typewriter scrolling; the page follows the settings."""

from __future__ import annotations

from dataclasses import replace

from app_fakes import WAIT_MS
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QTextCursor
from PySide6.QtWidgets import QToolBar
from pytestqt.qtbot import QtBot

from penwright.app.editor.focus_mode import DIMMED_PROPERTY
from penwright.app.editor.typography import Typeface, column_width
from penwright.app.window.main_window import MainWindow
from penwright.app.window.view_menu import _menu_actions

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
PARAGRAPHS = "The first paragraph.\nThe second paragraph.\nThe third paragraph."


def _chrome_visible(window: MainWindow) -> list[bool]:
    bars = [window.menuBar(), window.statusBar(), *window.findChildren(QToolBar)]
    return [bar.isVisible() for bar in bars]


def _dimmed_ranges(window: MainWindow) -> list[tuple[int, int]]:
    return [
        (s.cursor.selectionStart(), s.cursor.selectionEnd())
        for s in window.editor.extraSelections()
        if s.format.hasProperty(DIMMED_PROPERTY)
    ]


def test_the_view_menu_stands_before_help_with_keys_no_other_entry_has(
    window: MainWindow,
) -> None:
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles.index("&Edit") + 1 == titles.index("&View") < titles.index("&Help")
    view = window.view_menu
    assert view.full_screen_action.shortcut() == QKeySequence("F11")
    assert view.focus_action.shortcut() == QKeySequence("Ctrl+Shift+F")
    keys = [
        a.shortcut().toString()
        for a in _menu_actions(window.menuBar())
        if not a.shortcut().isEmpty()
    ]
    assert len(keys) == len(set(keys))  # no key is claimed twice
    bound = {
        QKeySequence(k).toString() for k in window.settings_store.current.key_bindings.values()
    }
    assert not bound & {"F11", "Ctrl+Shift+F"}


def test_f11_toggles_full_screen(qtbot: QtBot, window: MainWindow) -> None:
    window.editor.setFocus()
    assert not window.isFullScreen()
    qtbot.keyClick(window.editor, Qt.Key.Key_F11)
    qtbot.waitUntil(window.isFullScreen, timeout=WAIT_MS)
    assert window.view_menu.full_screen_action.isChecked()
    qtbot.keyClick(window.editor, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=WAIT_MS)
    assert not window.view_menu.full_screen_action.isChecked()


def test_focus_mode_hides_the_chrome_and_dims_other_paragraphs(
    qtbot: QtBot, window: MainWindow
) -> None:
    editor = window.editor
    editor.setPlainText(PARAGRAPHS)
    editor.setTextCursor(QTextCursor(editor.document().findBlockByNumber(1)))
    editor.setFocus()
    assert all(_chrome_visible(window))
    qtbot.keyClick(editor, Qt.Key.Key_F, CTRL_SHIFT)
    assert window.view_menu.focus_mode
    assert not any(_chrome_visible(window))
    second = editor.document().findBlockByNumber(1)
    lit = (second.position(), second.position() + second.length() - 1)
    ranges = _dimmed_ranges(window)
    assert ranges == [(0, lit[0] - 1), (lit[1], len(PARAGRAPHS))]

    # The same key leaves it, although the menu bar that holds it is hidden.
    qtbot.keyClick(editor, Qt.Key.Key_F, CTRL_SHIFT)
    assert not window.view_menu.focus_mode
    assert all(_chrome_visible(window))
    assert _dimmed_ranges(window) == []


def test_the_menus_keys_work_in_focus_mode(qtbot: QtBot, window: MainWindow) -> None:
    window.view_menu.focus_action.trigger()
    assert not window.menuBar().isVisible()
    qtbot.keyClick(window.editor, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    assert window.edit_menu.find_bar.isVisible()  # Edit > Replace…, from its key


def test_esc_dismisses_a_suggestion_first_then_leaves_focus_mode(
    qtbot: QtBot, window: MainWindow
) -> None:
    editor = window.editor
    editor.setPlainText("Once upon a time")
    editor.moveCursor(QTextCursor.MoveOperation.End)
    window.view_menu.set_focus_mode(True)
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        window.suggestions.request()
    assert editor.ghost_text
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert not editor.ghost_text
    assert window.view_menu.focus_mode  # the first Esc was the suggestion's
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert not window.view_menu.focus_mode
    assert all(_chrome_visible(window))
    assert editor.toPlainText() == "Once upon a time"


def test_the_page_follows_the_settings(window: MainWindow) -> None:
    editor = window.editor
    store = window.settings_store
    assert editor.page.chars == 70  # the default page
    assert editor.page.spacing.factor == 1.5
    store.save(replace(store.current, page=replace(store.current.page, column_chars=40)))
    assert editor.page.chars == 40
    assert abs(editor.page.column_pixels() - column_width(editor.font(), 40)) <= 1

    page = replace(store.current.page, typeface=Typeface.SANS, line_spacing=2.0)
    store.save(replace(store.current, page=page))
    assert editor.page.spacing.factor == 2.0
    cjk = [f for f in editor.font().families() if "CJK" in f]
    assert cjk[0] == "Noto Sans CJK SC"


def test_typewriter_scrolling_from_the_menu_is_saved(window: MainWindow) -> None:
    store = window.settings_store
    assert not window.view_menu.typewriter_action.isChecked()
    window.view_menu.typewriter_action.trigger()
    assert store.current.page.typewriter
    assert window.editor.typewriter.enabled
    store.save(replace(store.current, page=replace(store.current.page, typewriter=False)))
    assert not window.view_menu.typewriter_action.isChecked()  # Preferences changed it back
    assert not window.editor.typewriter.enabled
