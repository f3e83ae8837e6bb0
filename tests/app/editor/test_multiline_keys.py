"""Every key with suggestions of several lines, through the window and the fake engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_fakes import WAIT_MS, EngineScript
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent, QTextCursor
from pytestqt.qtbot import QtBot

from penwright.app.window.main_window import MainWindow
from penwright.models.results import Delta

CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier

POEM = (" she said. ", "\n\n", '"The words came slowly,"\nand then not at all.')
"""What the fake model streams: a blank before a line break, a blank line, a quoted line."""


def write(window: MainWindow, text: str) -> None:
    window.editor.setPlainText(text)
    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    window.editor.document().setModified(False)


def suggest(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        qtbot.keyClick(window.editor, Qt.Key.Key_Return, CTRL)


def preview_lines(window: MainWindow) -> int:
    return window.editor.textCursor().block().layout().lineCount()


@pytest.fixture
def poem(script: EngineScript) -> EngineScript:
    script.deltas = [Delta(0, piece) for piece in POEM]
    return script


def test_tab_inserts_the_lines_as_shown_without_a_blank_at_any_line_end(
    qtbot: QtBot, window: MainWindow, poem: EngineScript
) -> None:
    write(window, "Hello,")
    suggest(qtbot, window)
    shown = window.editor.ghost_text
    assert shown == ' she said.\n\n"The words came slowly,"\nand then not at all.'
    assert preview_lines(window) == 4  # one line on screen per line of the suggestion
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    text = window.editor.toPlainText()
    assert text == "Hello," + shown
    assert all(line == line.rstrip() for line in text.split("\n"))
    assert window.editor.document().blockCount() == 4


def test_enter_types_a_suggested_line_break_through(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.deltas = [Delta(0, "\n\nThe next day"), Delta(0, " it rained.")]
    write(window, "The end.")
    suggest(qtbot, window)
    qtbot.keyClick(window.editor, Qt.Key.Key_Return)
    assert window.editor.toPlainText() == "The end.\n"
    assert window.editor.ghost_text == "\nThe next day it rained."
    qtbot.keyClick(window.editor, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    qtbot.keyClicks(window.editor, "The")
    assert window.editor.toPlainText() == "The end.\n\nThe"
    assert window.editor.ghost_text == " next day it rained."
    layout = window.editor.textCursor().block().layout()
    assert layout.preeditAreaText() == " next day it rained."  # drawn on the new line


def test_enter_where_no_line_break_is_suggested_dismisses_and_breaks_the_line(
    qtbot: QtBot, window: MainWindow, poem: EngineScript
) -> None:
    write(window, "Hello,")
    suggest(qtbot, window)
    qtbot.keyClick(window.editor, Qt.Key.Key_Return)
    assert window.editor.ghost is None
    assert window.editor.toPlainText() == "Hello,\n"


def test_shift_enter_is_not_the_suggested_paragraph_break(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.deltas = [Delta(0, "\nNext")]
    write(window, "End.")
    suggest(qtbot, window)
    qtbot.keyClick(window.editor, Qt.Key.Key_Return, SHIFT)
    assert window.editor.ghost is None
    assert window.editor.document().blockCount() == 1  # Qt's soft line break, not a paragraph


def test_typing_through_a_line_break_then_ctrl_right_goes_on_on_the_next_line(
    qtbot: QtBot, window: MainWindow, poem: EngineScript
) -> None:
    write(window, "Hello,")
    suggest(qtbot, window)
    qtbot.keyClick(window.editor, Qt.Key.Key_Right, CTRL)
    assert window.editor.toPlainText() == "Hello, she"
    qtbot.keyClick(window.editor, Qt.Key.Key_Right, CTRL)
    assert window.editor.toPlainText() == "Hello, she said."  # no blank before the break
    qtbot.keyClick(window.editor, Qt.Key.Key_Return)
    qtbot.keyClick(window.editor, Qt.Key.Key_Return)
    qtbot.keyClick(window.editor, Qt.Key.Key_Right, CTRL)
    assert window.editor.toPlainText() == 'Hello, she said.\n\n"The'
    assert window.editor.ghost_text == ' words came slowly,"\nand then not at all.'


def test_ctrl_down_stops_at_the_sentence_and_leaves_no_blank_before_the_break(
    qtbot: QtBot, window: MainWindow, poem: EngineScript
) -> None:
    write(window, "Hello,")
    suggest(qtbot, window)
    qtbot.keyClick(window.editor, Qt.Key.Key_Down, CTRL)
    assert window.editor.toPlainText() == "Hello, she said."
    qtbot.keyClick(window.editor, Qt.Key.Key_Down, CTRL)
    assert window.editor.toPlainText() == 'Hello, she said.\n\n"The words came slowly,"'
    qtbot.keyClick(window.editor, Qt.Key.Key_Down, CTRL)
    assert window.editor.toPlainText().endswith('slowly,"\nand then not at all.')
    assert window.editor.ghost is None


def test_accepting_while_a_blank_is_held_back_leaves_none_before_the_break(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.deltas = [Delta(0, " she said. "), Delta(0, "\nThe end.  ")]
    script.hold_after = 1
    write(window, "Hello,")
    with qtbot.waitSignal(window.controller.suggestion_delta, timeout=WAIT_MS):
        qtbot.keyClick(window.editor, Qt.Key.Key_Return, CTRL)
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)  # only " she said." has streamed
    assert window.editor.toPlainText() == "Hello, she said."
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        script.gate.set()
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    assert window.editor.toPlainText() == "Hello, she said.\nThe end."  # nor at the end


def test_cycling_redraws_alternatives_of_different_lengths(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.deltas = [Delta(0, " one line"), Delta(1, "\ntwo\nthree lines"), Delta(2, "\nb")]
    write(window, "A")
    window.toolbar.alternatives_box.setValue(3)
    suggest(qtbot, window)
    assert preview_lines(window) == 1
    qtbot.keyClick(window.editor, Qt.Key.Key_BracketRight, ALT)
    assert preview_lines(window) == 3
    assert window.status_panel.alternatives_label.text() == "2 / 3"
    qtbot.keyClick(window.editor, Qt.Key.Key_BracketRight, ALT)
    assert preview_lines(window) == 2
    qtbot.keyClick(window.editor, Qt.Key.Key_BracketLeft, ALT)
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    assert window.editor.toPlainText() == "A\ntwo\nthree lines"


def test_asking_again_at_the_same_place_keeps_the_earlier_suggestion(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.per_request = [[Delta(0, "\nFirst try.")], [Delta(0, "\nSecond try.")]]
    write(window, "Start")
    suggest(qtbot, window)
    qtbot.keyClick(window.editor, Qt.Key.Key_Escape)
    suggest(qtbot, window)
    assert script.params[1].avoid == ("\nFirst try.",)  # the new one should differ
    assert window.editor.ghost_text == "\nSecond try."  # the new one first
    assert window.status_panel.alternatives_label.text() == "1 / 2"
    qtbot.keyClick(window.editor, Qt.Key.Key_BracketLeft, ALT)
    assert window.editor.ghost_text == "\nFirst try."  # the earlier one is back
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    assert window.editor.toPlainText() == "Start\nFirst try."


def test_asking_again_while_one_shows_keeps_it_within_reach(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.per_request = [[Delta(0, " one.")], [Delta(0, " two.")], [Delta(0, " three.")]]
    write(window, "Count:")
    suggest(qtbot, window)
    suggest(qtbot, window)
    suggest(qtbot, window)
    assert script.params[2].avoid == (" one.", " two.")
    seen = [window.editor.ghost_text]
    for _ in range(2):
        qtbot.keyClick(window.editor, Qt.Key.Key_BracketLeft, ALT)
        seen.append(window.editor.ghost_text)
    assert seen == [" three.", " two.", " one."]  # Alt+[ walks back in time


def test_another_place_has_its_own_history(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.per_request = [[Delta(0, " here")], [Delta(0, " there")]]
    write(window, "First place")
    suggest(qtbot, window)
    qtbot.keyClick(window.editor, Qt.Key.Key_Escape)
    qtbot.keyClicks(window.editor, ".")
    suggest(qtbot, window)
    assert script.params[1].avoid == ()
    assert window.status_panel.alternatives_label.text() == "Alt+] for another"


def test_an_input_method_composing_hides_a_multiline_suggestion_and_blocks_new_ones(
    qtbot: QtBot, window: MainWindow, poem: EngineScript
) -> None:
    write(window, "他说")
    suggest(qtbot, window)
    layout = window.editor.textCursor().block().layout()
    assert layout.lineCount() == 4
    window.editor.inputMethodEvent(QInputMethodEvent("hao", []))
    assert window.editor.ghost is None
    assert "she said" not in layout.preeditAreaText()  # the preedit area is the IME's now
    assert window.status_panel.alternatives_label.text() == ""
    qtbot.keyClick(window.editor, Qt.Key.Key_Return, CTRL)
    assert len(poem.contexts) == 1  # nothing asked while composing
    commit = QInputMethodEvent("", [])
    commit.setCommitString("好")
    window.editor.inputMethodEvent(commit)
    suggest(qtbot, window)
    assert poem.contexts[-1] == "他说好"


def test_accepting_several_lines_is_one_undo_step_and_redo_brings_them_back(
    qtbot: QtBot, window: MainWindow, poem: EngineScript
) -> None:
    write(window, "Hello,")
    suggest(qtbot, window)
    shown = window.editor.ghost_text
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    qtbot.keyClick(window.editor, Qt.Key.Key_Z, CTRL)
    assert window.editor.toPlainText() == "Hello,"
    assert window.editor.document().blockCount() == 1
    qtbot.keyClick(window.editor, Qt.Key.Key_Z, CTRL | SHIFT)
    assert window.editor.toPlainText() == "Hello," + shown


def test_saving_while_a_multiline_suggestion_shows_writes_only_the_document(
    qtbot: QtBot, window: MainWindow, poem: EngineScript, tmp_path: Path
) -> None:
    write(window, "Hello,")
    suggest(qtbot, window)
    path = tmp_path / "draft.txt"
    assert window.save_to(path)
    assert path.read_text(encoding="utf-8") == "Hello,"
    assert preview_lines(window) == 4  # the suggestion still shows


def test_word_count_and_modified_flag_ignore_a_multiline_suggestion(
    qtbot: QtBot, window: MainWindow, poem: EngineScript
) -> None:
    write(window, "Hello there,")
    suggest(qtbot, window)
    assert window.status_panel.words_label.text() == "2 words"
    assert not window.editor.document().isModified()
    assert window.editor.document().blockCount() == 1
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    assert window.status_panel.words_label.text() == "13 words"
    assert window.editor.document().isModified()
