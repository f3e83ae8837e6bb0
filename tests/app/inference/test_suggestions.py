"""Suggestions through the real window: another alternative on request, the "2 / 3" indicator,
the text after the caret, Continue from anywhere, and auto-suggest's manners."""

from __future__ import annotations

from dataclasses import replace

import pytest
from app_fakes import WAIT_MS, EngineScript
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from penwright.app.inference.suggestions import AUTO_SUGGEST_TOKENS
from penwright.app.window.main_window import MainWindow
from penwright.models.params import StopMode
from penwright.models.results import Delta

CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier


def write(window: MainWindow, text: str, caret: int | None = None) -> None:
    window.editor.setPlainText(text)
    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    if caret is not None:
        cursor = window.editor.textCursor()
        cursor.setPosition(caret)
        window.editor.setTextCursor(cursor)


def suggest(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        qtbot.keyClick(window.editor, Qt.Key.Key_Return, CTRL)


def next_alternative(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.keyClick(window.editor, Qt.Key.Key_BracketRight, ALT)


def indicator(window: MainWindow) -> str:
    return window.status_panel.alternatives_label.text()


# -- another alternative --------------------------------------------------------------------


def test_alt_right_with_one_suggestion_asks_for_another_unlike_it(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.per_request = [[Delta(0, " red\ncar")], [Delta(0, " blue bus")]]
    write(window, "The")
    suggest(qtbot, window)
    assert indicator(window) == "Alt+] for another"
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        next_alternative(qtbot, window)
    assert script.contexts == ["The", "The"]  # at the same place
    assert script.params[1].n == 1
    assert script.params[1].avoid == (" red\ncar",)
    assert window.editor.ghost_text == " blue bus"  # shown as soon as it came
    assert indicator(window) == "2 / 2"
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        next_alternative(qtbot, window)  # the last again: asks again
    assert len(script.contexts) == 3
    assert window.editor.ghost_text == " once upon"  # the script's default deltas
    assert indicator(window) == "3 / 3"
    qtbot.keyClick(window.editor, Qt.Key.Key_BracketLeft, ALT)
    qtbot.keyClick(window.editor, Qt.Key.Key_BracketLeft, ALT)
    assert window.editor.ghost_text == " red\ncar"
    assert indicator(window) == "1 / 3"


def test_alt_right_on_the_last_of_several_asks_for_another(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.per_request = [[Delta(0, " a"), Delta(1, " b")], [Delta(0, " c")]]
    write(window, "X")
    window.toolbar.alternatives_box.setValue(2)
    suggest(qtbot, window)
    next_alternative(qtbot, window)
    assert window.editor.ghost_text == " b"
    assert len(script.contexts) == 1  # not the last yet: it only cycled
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        next_alternative(qtbot, window)
    assert script.params[1].avoid == (" a", " b")
    assert window.editor.ghost_text == " c"
    assert indicator(window) == "3 / 3"


def test_another_that_repeats_one_offered_is_not_added_and_the_writer_is_told(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.per_request = [[Delta(0, " same")], [Delta(0, " same")]]
    write(window, "X")
    suggest(qtbot, window)
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        next_alternative(qtbot, window)
    assert window.editor.ghost_text == " same"
    assert indicator(window) == "Alt+] for another"
    assert "No different suggestion" in window.statusBar().currentMessage()


def test_another_after_a_partial_accept_continues_from_the_caret(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.per_request = [[Delta(0, " The cat sat.")], [Delta(0, " dog ran.")]]
    write(window, "Look.")
    suggest(qtbot, window)
    qtbot.keyClick(window.editor, Qt.Key.Key_Right, CTRL)
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        next_alternative(qtbot, window)
    assert script.contexts[1] == "Look. The"
    assert script.params[1].avoid == (" cat sat.",)
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    assert window.editor.toPlainText() == "Look. The dog ran."


def test_the_indicator_is_empty_without_a_suggestion(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.deltas = [Delta(0, " a"), Delta(1, " b"), Delta(2, " c")]
    write(window, "X")
    window.toolbar.alternatives_box.setValue(3)
    suggest(qtbot, window)
    assert indicator(window) == "1 / 3"
    qtbot.keyClick(window.editor, Qt.Key.Key_Escape)
    assert indicator(window) == ""


# -- the text after the caret ---------------------------------------------------------------


def test_a_request_carries_the_rest_of_the_caret_paragraph(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    rest = " and the window rattled" + " on and on" * 50
    write(window, "The door" + rest + "\nNext paragraph.", caret=len("The door"))
    suggest(qtbot, window)
    assert script.contexts == ["The door"]
    assert script.params[0].text_after == rest[:300]  # bounded: the engine scores its start
    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    suggest(qtbot, window)
    assert script.params[1].text_after == ""


def test_the_text_after_the_caret_is_right_after_an_emoji(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    write(window, "I \U0001f600 it so", caret=len("I \U0001f600 it".encode("utf-16-le")) // 2)
    suggest(qtbot, window)
    assert script.contexts == ["I \U0001f600 it"]
    assert script.params[0].text_after == " so"


def test_a_suggestion_inside_a_line_keeps_the_blank_before_the_writers_next_word(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.deltas = [Delta(0, "slowly ")]
    write(window, "It moved forward.", caret=len("It moved "))
    suggest(qtbot, window)
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    assert window.editor.toPlainText() == "It moved slowly forward."


# -- Continue from anywhere -----------------------------------------------------------------


def focus_temperature(qtbot: QtBot, window: MainWindow) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT_MS)
    box = window.toolbar.temperature_box
    box.setFocus()
    qtbot.waitUntil(box.hasFocus, timeout=WAIT_MS)


def test_the_continue_key_works_after_changing_a_toolbar_value(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    write(window, "Text")
    focus_temperature(qtbot, window)
    qtbot.keyClick(window.toolbar.temperature_box, Qt.Key.Key_Up)  # 0.8 -> 0.9
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        qtbot.keyClick(window.toolbar.temperature_box, Qt.Key.Key_Return, CTRL)
    assert script.params[-1].temperature == pytest.approx(0.9)
    assert window.editor.hasFocus()  # back to writing
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert window.editor.toPlainText() == "Text once upon"


def test_the_continue_key_in_the_editor_asks_once(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    window.activateWindow()
    window.editor.setFocus()
    write(window, "Text")
    suggest(qtbot, window)
    assert len(script.contexts) == 1  # the window's shortcut did not fire as well


def test_after_clicking_continue_the_first_tab_accepts(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    write(window, "Text")
    focus_temperature(qtbot, window)
    button = window.toolbar.widgetForAction(window.toolbar.continue_action)
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert window.editor.toPlainText() == "Text once upon"


# -- auto-suggest -----------------------------------------------------------------------------


@pytest.fixture
def auto(window: MainWindow) -> MainWindow:
    window.toolbar.auto_suggest_action.setChecked(True)
    window.suggestions.set_auto_suggest_delay(30)
    return window


def pause(qtbot: QtBot, window: MainWindow, typed: str) -> None:
    """Type, then wait for the auto suggestion the pause brings."""
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        qtbot.keyClicks(window.editor, typed)


def test_auto_suggest_offers_a_short_phrase_with_its_own_params(
    qtbot: QtBot, auto: MainWindow, script: EngineScript
) -> None:
    auto.toolbar.length_box.setValue(200)
    auto.toolbar.alternatives_box.setValue(3)
    pause(qtbot, auto, "Hello")
    params = script.params[-1]
    assert params.max_new_tokens == AUTO_SUGGEST_TOKENS
    assert params.stop is StopMode.SENTENCE
    assert params.n == 1
    qtbot.keyClick(auto.editor, Qt.Key.Key_Escape)
    suggest(qtbot, auto)  # asked for: the writer's own length and alternatives
    assert script.params[-1].max_new_tokens == 200
    assert script.params[-1].n == 3


def test_accepting_an_auto_suggestion_does_not_bring_the_next_one(
    qtbot: QtBot, auto: MainWindow, script: EngineScript
) -> None:
    pause(qtbot, auto, "Hello")
    qtbot.keyClick(auto.editor, Qt.Key.Key_Tab)
    assert auto.editor.toPlainText() == "Hello once upon"
    assert not auto.suggestions._pause_timer.isActive()  # only typing restarts the pause
    pause(qtbot, auto, " and")  # the writer's own typing does
    assert script.contexts == ["Hello", "Hello once upon and"]


def test_typing_through_an_auto_suggestion_does_not_bring_the_next_one(
    qtbot: QtBot, auto: MainWindow, script: EngineScript
) -> None:
    pause(qtbot, auto, "Hello")
    qtbot.keyClicks(auto.editor, " once upon")
    assert auto.editor.ghost is None  # typed it all
    assert not auto.suggestions._pause_timer.isActive()


def test_opening_a_document_does_not_start_auto_suggest(
    qtbot: QtBot, auto: MainWindow, script: EngineScript
) -> None:
    auto.editor.setPlainText("A whole document, just opened.")
    assert not auto.suggestions._pause_timer.isActive()


def test_auto_suggest_rests_after_two_dismissals_until_the_writer_accepts(
    qtbot: QtBot, auto: MainWindow, script: EngineScript
) -> None:
    pause(qtbot, auto, "One")
    qtbot.keyClick(auto.editor, Qt.Key.Key_Escape)
    pause(qtbot, auto, " two")
    qtbot.keyClicks(auto.editor, " x")  # typing over it dismisses it too
    assert "Auto-suggest is resting" in auto.statusBar().currentMessage()
    assert auto.suggestions.auto_paused
    qtbot.keyClicks(auto.editor, "yz")
    assert not auto.suggestions._pause_timer.isActive()  # quiet, however long the pause
    assert len(script.contexts) == 2
    auto.statusBar().clearMessage()
    suggest(qtbot, auto)  # asking explicitly ...
    assert not auto.suggestions.auto_paused
    qtbot.keyClick(auto.editor, Qt.Key.Key_Tab)  # ... and accepting
    pause(qtbot, auto, " more")
    assert len(script.contexts) == 4  # auto-suggest is back
    assert auto.statusBar().currentMessage() == ""  # said once, not again


def test_accepting_resets_the_count_of_dismissals(
    qtbot: QtBot, auto: MainWindow, script: EngineScript
) -> None:
    pause(qtbot, auto, "One")
    qtbot.keyClick(auto.editor, Qt.Key.Key_Escape)
    pause(qtbot, auto, " two")
    qtbot.keyClick(auto.editor, Qt.Key.Key_Right, CTRL)  # took a word
    qtbot.keyClick(auto.editor, Qt.Key.Key_Escape)
    assert not auto.suggestions.auto_paused


def test_without_healing_auto_suggest_waits_for_the_end_of_a_word(
    qtbot: QtBot, auto: MainWindow, script: EngineScript
) -> None:
    window = auto
    window.base_params = replace(window.base_params, heal=False)  # as a program might set it
    qtbot.keyClicks(window.editor, "The wind rattl")
    qtbot.waitUntil(lambda: not window.suggestions._pause_timer.isActive(), timeout=WAIT_MS)
    assert script.contexts == []  # mid-word: the model would glue a new word to it
    pause(qtbot, window, "ed ")
    assert script.contexts == ["The wind rattled "]


def test_with_healing_auto_suggest_may_fire_mid_word(
    qtbot: QtBot, auto: MainWindow, script: EngineScript
) -> None:
    pause(qtbot, auto, "The wind rattl")
    assert script.contexts == ["The wind rattl"]
    assert script.params[-1].heal
