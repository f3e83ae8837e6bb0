"""The keys of DESIGN.md section 3, driven through the window with the scripted fake engine."""

from __future__ import annotations

import pytest
from app_fakes import WAIT_MS, EngineScript
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent, QTextCursor
from pytestqt.qtbot import QtBot

from penwright.app.window.main_window import MainWindow
from penwright.models.results import Delta

CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier


def type_text(window: MainWindow, text: str) -> None:
    window.editor.setPlainText(text)
    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    window.editor.document().setModified(False)


def suggest(qtbot: QtBot, window: MainWindow) -> None:
    """Press Ctrl+Return and wait until the fake engine's suggestion has fully streamed."""
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        qtbot.keyClick(window.editor, Qt.Key.Key_Return, CTRL)


@pytest.fixture
def sentence(script: EngineScript) -> EngineScript:
    script.deltas = [Delta(0, " a time,"), Delta(0, " there was a fox."), Delta(0, " It ran.")]
    return script


def test_ctrl_return_sends_text_before_cursor_and_shows_ghost(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    type_text(window, "Once upon")
    cursor = window.editor.textCursor()
    cursor.setPosition(4)  # "Once|"
    window.editor.setTextCursor(cursor)
    suggest(qtbot, window)
    assert script.contexts == ["Once"]
    assert window.editor.ghost_text == " once upon"
    assert window.editor.toPlainText() == "Once upon"  # ghost text is not in the document
    assert not window.editor.document().isModified()


def test_tab_accepts_all_as_one_undo_step(
    qtbot: QtBot, window: MainWindow, sentence: EngineScript
) -> None:
    type_text(window, "Once upon")
    suggest(qtbot, window)
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    assert window.editor.toPlainText() == "Once upon a time, there was a fox. It ran."
    assert window.editor.ghost_text == ""
    assert window.editor.document().isModified()
    window.editor.undo()
    assert window.editor.toPlainText() == "Once upon"


def test_ctrl_right_accepts_the_next_word(
    qtbot: QtBot, window: MainWindow, sentence: EngineScript
) -> None:
    type_text(window, "Once upon")
    suggest(qtbot, window)
    qtbot.keyClick(window.editor, Qt.Key.Key_Right, CTRL)
    assert window.editor.toPlainText() == "Once upon a"
    assert window.editor.ghost_text == " time, there was a fox. It ran."
    qtbot.keyClick(window.editor, Qt.Key.Key_Right, CTRL)
    assert window.editor.toPlainText() == "Once upon a time,"


def test_ctrl_down_accepts_to_the_end_of_the_sentence(
    qtbot: QtBot, window: MainWindow, sentence: EngineScript
) -> None:
    type_text(window, "Once upon")
    suggest(qtbot, window)
    qtbot.keyClick(window.editor, Qt.Key.Key_Down, CTRL)
    assert window.editor.toPlainText() == "Once upon a time, there was a fox."
    assert window.editor.ghost_text == " It ran."


def test_escape_dismisses_without_touching_the_text(
    qtbot: QtBot, window: MainWindow, sentence: EngineScript
) -> None:
    type_text(window, "Once upon")
    suggest(qtbot, window)
    qtbot.keyClick(window.editor, Qt.Key.Key_Escape)
    assert window.editor.ghost is None
    assert window.editor.toPlainText() == "Once upon"
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)  # nothing shows: Tab is a tab again
    assert window.editor.toPlainText() == "Once upon\t"


def test_alt_brackets_cycle_alternatives(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.deltas = [Delta(0, " red"), Delta(1, " green"), Delta(2, " blue")]
    type_text(window, "The door was")
    window.toolbar.alternatives_box.setValue(3)
    suggest(qtbot, window)
    assert script.params[0].n == 3  # all alternatives come from one batched request
    assert window.editor.ghost_text == " red"
    qtbot.keyClick(window.editor, Qt.Key.Key_BracketRight, ALT)
    assert window.editor.ghost_text == " green"
    qtbot.keyClick(window.editor, Qt.Key.Key_BracketLeft, ALT)
    qtbot.keyClick(window.editor, Qt.Key.Key_BracketLeft, ALT)
    assert window.editor.ghost_text == " blue"
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    assert window.editor.toPlainText() == "The door was blue"


def test_typing_through_consumes_matching_characters(
    qtbot: QtBot, window: MainWindow, sentence: EngineScript
) -> None:
    type_text(window, "Once upon")
    suggest(qtbot, window)
    qtbot.keyClicks(window.editor, " a ti")
    assert window.editor.toPlainText() == "Once upon a ti"
    assert window.editor.ghost_text == "me, there was a fox. It ran."
    qtbot.keyClicks(window.editor, "x")  # diverges: the suggestion goes away
    assert window.editor.ghost is None
    assert window.editor.toPlainText() == "Once upon a tix"


def test_moving_the_caret_dismisses(
    qtbot: QtBot, window: MainWindow, sentence: EngineScript
) -> None:
    type_text(window, "Once upon")
    suggest(qtbot, window)
    qtbot.keyClick(window.editor, Qt.Key.Key_Left)
    assert window.editor.ghost is None
    assert window.editor.textCursor().position() == len("Once upo")


def test_clicking_elsewhere_dismisses(
    qtbot: QtBot, window: MainWindow, sentence: EngineScript
) -> None:
    type_text(window, "Once upon")
    suggest(qtbot, window)
    cursor = window.editor.textCursor()
    cursor.setPosition(0)
    window.editor.setTextCursor(cursor)
    assert window.editor.ghost is None


def test_accept_keys_keep_their_meaning_without_a_suggestion(
    qtbot: QtBot, window: MainWindow
) -> None:
    type_text(window, "one two\nthree")
    window.editor.moveCursor(QTextCursor.MoveOperation.Start)
    qtbot.keyClick(window.editor, Qt.Key.Key_Right, CTRL)  # next word
    assert window.editor.textCursor().position() == len("one ")
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    assert window.editor.toPlainText() == "one \ttwo\nthree"


def test_undo_after_accept_then_redo(
    qtbot: QtBot, window: MainWindow, sentence: EngineScript
) -> None:
    type_text(window, "Once upon")
    suggest(qtbot, window)
    qtbot.keyClick(window.editor, Qt.Key.Key_Down, CTRL)
    qtbot.keyClick(window.editor, Qt.Key.Key_Z, CTRL)
    assert window.editor.toPlainText() == "Once upon"
    qtbot.keyClick(window.editor, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert window.editor.toPlainText() == "Once upon a time, there was a fox."


def test_ghost_text_does_not_count_as_words_or_modify(
    qtbot: QtBot, window: MainWindow, sentence: EngineScript
) -> None:
    type_text(window, "Once upon")
    suggest(qtbot, window)
    assert window.status_panel.words_label.text() == "2 words"
    assert not window.editor.document().isModified()
    assert not window.editor.document().isUndoAvailable()


def test_ime_composition_hides_and_blocks_suggestions(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    type_text(window, "我们")
    suggest(qtbot, window)
    assert window.editor.ghost is not None
    window.editor.inputMethodEvent(QInputMethodEvent("nihao", []))
    assert window.editor.ghost is None  # the composition took the caret's place
    qtbot.keyClick(window.editor, Qt.Key.Key_Return, CTRL)
    assert len(script.contexts) == 1  # no request while composing
    window.editor.setFocus()
    commit = QInputMethodEvent("", [])
    commit.setCommitString("你好")
    window.editor.inputMethodEvent(commit)
    assert window.editor.toPlainText() == "我们你好"
    suggest(qtbot, window)
    assert script.contexts[-1] == "我们你好"


def test_chinese_streams_whole_characters(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.deltas = [Delta(0, "今天"), Delta(0, "天气"), Delta(0, "很好。")]
    type_text(window, "我觉得")
    suggest(qtbot, window)
    assert window.editor.ghost_text == "今天天气很好。"
    qtbot.keyClick(window.editor, Qt.Key.Key_Right, CTRL)
    assert window.editor.toPlainText() == "我觉得今"
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    assert window.editor.toPlainText() == "我觉得今天天气很好。"


def test_ghost_text_is_drawn_in_the_caret_blocks_preedit_area_and_cleared(
    qtbot: QtBot, window: MainWindow
) -> None:
    type_text(window, "first\nsecond")
    suggest(qtbot, window)
    layout = window.editor.textCursor().block().layout()
    assert layout.preeditAreaText() == " once upon"
    assert layout.preeditAreaPosition() == len("second")
    qtbot.keyClick(window.editor, Qt.Key.Key_Escape)
    assert layout.preeditAreaText() == ""


def test_text_after_emoji_is_sent_and_accepted_at_the_right_place(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    type_text(window, "I 😀 it")
    suggest(qtbot, window)
    assert script.contexts == ["I 😀 it"]
    qtbot.keyClick(window.editor, Qt.Key.Key_Right, CTRL)
    qtbot.keyClicks(window.editor, " u")  # type-through after a partial accept
    assert window.editor.toPlainText() == "I 😀 it once u"
    assert window.editor.ghost_text == "pon"


def test_alternative_key_without_a_suggestion_asks_for_one(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    type_text(window, "Start")
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        qtbot.keyClick(window.editor, Qt.Key.Key_BracketRight, ALT)
    assert window.editor.toPlainText() == "Start"  # no "]" typed
    assert window.editor.ghost_text == " once upon"
