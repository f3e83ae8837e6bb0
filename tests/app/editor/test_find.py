"""Find and Replace: the pure search functions and the bar above the text in the real window."""

from __future__ import annotations

from app_fakes import WAIT_MS, EngineScript
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from pytestqt.qtbot import QtBot

from penwright.app.editor.find_text import (
    FindOptions,
    PlainText,
    compile_pattern,
    count_matches,
    find_next,
)
from penwright.app.window.main_window import MainWindow
from penwright.models.results import Delta

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def load(window: MainWindow, text: str) -> None:
    window.editor.setPlainText(text)
    window.editor.moveCursor(QTextCursor.MoveOperation.Start)


def selected(window: MainWindow) -> tuple[int, int, str]:
    cursor = window.editor.textCursor()
    return cursor.selectionStart(), cursor.selectionEnd(), cursor.selectedText()


# -- the pure functions ---------------------------------------------------------------------


def test_whole_words_and_match_case() -> None:
    text = "Cat cat scatter CAT cat."
    loose = compile_pattern("cat", FindOptions())
    assert loose is not None and count_matches(text, loose).starts == (0, 4, 9, 16, 20)
    case = compile_pattern("cat", FindOptions(match_case=True))
    assert case is not None and count_matches(text, case).starts == (4, 9, 20)
    words = compile_pattern("cat", FindOptions(whole_words=True))
    assert words is not None and count_matches(text, words).starts == (0, 4, 16, 20)
    both = compile_pattern("cat", FindOptions(match_case=True, whole_words=True))
    assert both is not None and count_matches(text, both).starts == (4, 20)
    assert compile_pattern("", FindOptions()) is None


def test_query_is_literal_and_punctuation_stands_alone_as_a_word() -> None:
    pattern = compile_pattern("Mr.", FindOptions(whole_words=True))
    assert pattern is not None
    assert count_matches("Mr. Mrs Mr.x Mr.", pattern).starts == (0, 13)
    assert count_matches("Mrx", compile_pattern("Mr.", FindOptions()) or pattern).starts == ()


def test_next_and_previous_wrap_round() -> None:
    text = "ab ab ab"
    pattern = compile_pattern("ab", FindOptions())
    assert pattern is not None
    assert find_next(text, pattern, 1) == (3, 5)
    assert find_next(text, pattern, 7) == (0, 2)  # wrapped
    assert find_next(text, pattern, 3, backwards=True) == (0, 2)
    assert find_next(text, pattern, 1, backwards=True) == (6, 8)  # wrapped to the end
    # Backwards, a whole word still sees the letters after the point it searches back from.
    words = compile_pattern("ab", FindOptions(whole_words=True))
    assert words is not None
    assert find_next("ab abc", words, 5, backwards=True) == (0, 2)


def test_count_is_capped() -> None:
    pattern = compile_pattern("e", FindOptions())
    assert pattern is not None
    count = count_matches("e" * 50, pattern, limit=10)
    assert count.capped and len(count.starts) == 10
    assert count.label(None) == "10+ matches"
    assert count.label(3) == "4 of 10+"
    assert count.label(40) == "? of 10+"


def test_positions_beyond_the_bmp_convert_to_utf16() -> None:
    plain = PlainText("😀 cat 😀cat")
    assert plain.to_qt(2) == 3 and plain.from_qt(3) == 2
    assert plain.to_qt(7) == 9 and plain.from_qt(9) == 7
    assert PlainText("cat").to_qt(2) == 2


# -- the bar in the window ------------------------------------------------------------------


def test_ctrl_f_finds_next_previous_and_counts(qtbot: QtBot, window: MainWindow) -> None:
    load(window, "one cat, two cats\nthree cat")
    bar = window.edit_menu.find_bar
    window.editor.setFocus()
    qtbot.keyClick(window.editor, Qt.Key.Key_F, CTRL)
    assert bar.isVisible() and bar.find_field.hasFocus()
    qtbot.keyClicks(bar.find_field, "cat")
    assert selected(window) == (4, 7, "cat")
    assert bar.count_text() == "1 of 3"
    qtbot.keyClick(bar.find_field, Qt.Key.Key_Return)
    assert selected(window) == (13, 16, "cat") and bar.count_text() == "2 of 3"
    qtbot.keyClick(bar.find_field, Qt.Key.Key_F3)
    assert selected(window)[0] == 24 and bar.count_text() == "3 of 3"
    qtbot.keyClick(bar.find_field, Qt.Key.Key_F3)  # wraps to the first
    assert selected(window)[0] == 4
    qtbot.keyClick(bar.find_field, Qt.Key.Key_Return, SHIFT)  # previous, wrapping to the last
    assert selected(window)[0] == 24
    qtbot.keyClick(bar.find_field, Qt.Key.Key_F3, SHIFT)
    assert selected(window)[0] == 13 and bar.count_text() == "2 of 3"


def test_whole_words_and_match_case_in_the_bar(qtbot: QtBot, window: MainWindow) -> None:
    load(window, "Cat cats cat")
    bar = window.edit_menu.find_bar
    window.edit_menu.find_action.trigger()
    qtbot.keyClicks(bar.find_field, "cat")
    assert bar.count_text() == "1 of 3"
    bar.whole_words.setChecked(True)
    assert bar.count_text().endswith("of 2")
    bar.match_case.setChecked(True)
    assert selected(window) == (9, 12, "cat") and bar.count_text() == "1 of 1"
    bar.find_field.setText("dog")
    assert bar.count_text() == "No matches"


def test_esc_closes_the_bar_and_returns_focus(qtbot: QtBot, window: MainWindow) -> None:
    load(window, "text")
    bar = window.edit_menu.find_bar
    window.editor.setFocus()
    window.edit_menu.find_action.trigger()
    assert bar.find_field.hasFocus()
    qtbot.keyClick(bar.find_field, Qt.Key.Key_Escape)
    assert bar.isHidden()
    assert window.editor.hasFocus()


def test_replace_replaces_the_match_and_moves_on(qtbot: QtBot, window: MainWindow) -> None:
    load(window, "cat cat cat")
    bar = window.edit_menu.find_bar
    qtbot.keyClick(window.editor, Qt.Key.Key_H, CTRL)
    assert bar.replace_field.isVisible()
    qtbot.keyClicks(bar.find_field, "cat")
    bar.replace_field.setText("dog")
    bar.replace_button.click()
    assert window.editor.toPlainText() == "dog cat cat"
    assert selected(window) == (4, 7, "cat")
    bar.replace()
    assert window.editor.toPlainText() == "dog dog cat"


def test_replace_all_is_one_undo_step(qtbot: QtBot, window: MainWindow) -> None:
    original = "cat cats 😀 cat\ncat"
    load(window, original)
    bar = window.edit_menu.find_bar
    window.edit_menu.replace_action.trigger()
    bar.whole_words.setChecked(True)
    bar.find_field.setText("cat")
    bar.replace_field.setText("tiger")
    assert bar.replace_all() == 3
    assert window.editor.toPlainText() == "tiger cats 😀 tiger\ntiger"
    assert bar.count_text() == "Replaced 3"
    window.editor.undo()
    assert window.editor.toPlainText() == original
    assert not window.editor.document().isUndoAvailable()  # the whole replace was one step
    window.editor.redo()
    assert window.editor.toPlainText() == "tiger cats 😀 tiger\ntiger"


def test_ghost_text_is_never_found_or_replaced(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.deltas = [Delta(0, " cat cat cat")]
    load(window, "a cat")
    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        qtbot.keyClick(window.editor, Qt.Key.Key_Return, CTRL)
    assert "cat" in window.editor.ghost_text
    bar = window.edit_menu.find_bar
    window.edit_menu.replace_action.trigger()
    bar.find_field.setText("cat")
    assert bar.count_text() == "1 of 1"
    bar.replace_field.setText("dog")
    bar.replace_all()
    assert window.editor.toPlainText() == "a dog"
    assert window.editor.ghost is None  # the replace was an edit: the suggestion went


def test_replace_dismisses_a_showing_suggestion(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.deltas = [Delta(0, " more")]
    load(window, "cat and cat")
    bar = window.edit_menu.find_bar
    window.edit_menu.replace_action.trigger()
    bar.find_field.setText("cat")
    bar.replace_field.setText("dog")
    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        window.editor.continue_requested.emit()
    assert window.editor.ghost_text == " more"
    bar.replace_all()
    assert window.editor.ghost is None
    assert window.editor.toPlainText() == "dog and dog"


def test_a_large_document_is_searched_on_its_plain_text(qtbot: QtBot, window: MainWindow) -> None:
    # 5 MB: the count is capped, and each search is one pass of re over the text.
    load(window, "the quick brown fox jumps over the lazy dog\n" * 120_000)
    bar = window.edit_menu.find_bar
    window.edit_menu.find_action.trigger()
    bar.find_field.setText("e")
    assert bar.count_text() == "1 of 10000+"
    bar.find_field.setText("lazy dog\nthe quick")
    assert bar.count_text() == "1 of 10000+"  # a match across lines
    bar.find_field.setText("zebra")
    assert bar.count_text() == "No matches"
