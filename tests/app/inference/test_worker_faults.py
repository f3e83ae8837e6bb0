"""Faults of the model side cost neither text nor the session: the model raising or running out
of memory, or the worker thread ending, give a message; the editor keeps working and a later
request works again (on a new worker thread when the old one is gone)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from app_fakes import WAIT_MS, EngineScript
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from pytestqt.qtbot import QtBot

from penwright.app.window.main_window import MainWindow

CTRL = Qt.KeyboardModifier.ControlModifier


def ask(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        qtbot.keyClick(window.editor, Qt.Key.Key_Return, CTRL)


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (RuntimeError("CUDA error: device-side assert"), "CUDA error: device-side assert"),
        (MemoryError(), "Out of memory: MemoryError"),
    ],
)
def test_model_error_is_shown_and_the_next_request_works(
    qtbot: QtBot, window: MainWindow, script: EngineScript, error: Exception, shown: str
) -> None:
    qtbot.keyClicks(window.editor, "Once")
    script.stream_error = error
    with qtbot.waitSignal(window.controller.suggestion_failed, timeout=WAIT_MS):
        qtbot.keyClick(window.editor, Qt.Key.Key_Return, CTRL)
    assert shown in window.last_notice
    qtbot.keyClicks(window.editor, " more")
    assert window.editor.toPlainText() == "Once more"
    ask(qtbot, window)
    assert window.editor.ghost_text == " once upon"


def test_worker_thread_ending_is_survived_by_a_new_one(
    qtbot: QtBot, make_window: Callable[..., MainWindow], script: EngineScript
) -> None:
    window = make_window()
    controller = window.controller
    dead = controller._thread
    dead.quit()  # the worker's event loop ends as if the thread had died
    assert dead.wait(WAIT_MS)
    qtbot.keyClicks(window.editor, "Still here")
    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    with qtbot.waitSignal(controller.model_loaded, timeout=WAIT_MS):
        ask(qtbot, window)
    assert controller._thread is not dead and controller._thread.isRunning()
    assert script.loads == 2  # the engine went with the old thread: loaded again
    assert window.editor.ghost_text == " once upon"
    assert window.editor.toPlainText() == "Still here"
