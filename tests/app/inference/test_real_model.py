"""The window on the real default model (Gemma 3 270M) through the real worker thread.

Marked real_model: the first run on a machine converts the bundled GGUF (about a minute); later
runs load the converted copy from the user cache in seconds. No test here times anything: how
long the GUI thread stalls is measured by ``python -m penwright.benchmarks.gui_stall``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from layout_probe import layout_lines
from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Slot
from PySide6.QtGui import QTextCursor
from pytestqt.qtbot import QtBot

from penwright.app.editor.ghost_text import tidy
from penwright.app.main import StartupHooks, build, parse_arguments
from penwright.app.settings.store import Settings, SettingsStore
from penwright.app.window.main_window import MainWindow
from penwright.models.params import GenerationParams, StopMode
from penwright.models.spec import ModelSpec

pytestmark = pytest.mark.real_model

LOAD_TIMEOUT_MS = 600_000  # a first run converts the GGUF on a busy two-core machine
GENERATE_TIMEOUT_MS = 120_000
TEXT = "The old lighthouse keeper climbed the stairs every evening, and"


class TickCounter(QObject):
    """A 10 ms timer on the GUI thread, counting its ticks: it can only tick while the GUI thread
    runs its event loop. How long the thread stalls is a figure, not a pass/fail check (it
    depends on the machine's load): ``python -m penwright.benchmarks.gui_stall`` prints it."""

    def __init__(self) -> None:
        super().__init__()
        self.ticks = 0
        self._timer = QTimer(self)
        self._timer.setInterval(10)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_tick)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def take(self) -> int:
        """The ticks since the last take, and start counting again."""
        ticks, self.ticks = self.ticks, 0
        return ticks

    @Slot()
    def _on_tick(self) -> None:
        self.ticks += 1


@pytest.fixture
def real_window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    qsettings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    greedy = GenerationParams(temperature=0.0, max_new_tokens=12, stop=StopMode.NONE)
    SettingsStore(qsettings).save(Settings(model=ModelSpec(device="cpu"), generation=greedy))
    parts = build(qsettings, parse_arguments([]), StartupHooks(), data_dir=tmp_path / "data")
    window = parts.window
    qtbot.addWidget(window, before_close_func=lambda w: w.editor.document().setModified(False))
    window.show()
    yield window
    window.editor.document().setModified(False)
    window.close()


def continue_at_end(qtbot: QtBot, window: MainWindow) -> None:
    window.editor.setPlainText(TEXT)
    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=GENERATE_TIMEOUT_MS):
        qtbot.keyClick(window.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def test_real_model_continues_and_the_accepted_text_is_saved(
    qtbot: QtBot, real_window: MainWindow, tmp_path: Path
) -> None:
    streamed: list[str] = []
    real_window.controller.suggestion_delta.connect(lambda _id, _alt, text: streamed.append(text))
    with qtbot.waitSignal(real_window.controller.model_loaded, timeout=LOAD_TIMEOUT_MS):
        real_window.load_model()
    continue_at_end(qtbot, real_window)
    suggestion = real_window.editor.ghost_text
    assert streamed and tidy("".join(streamed)) == suggestion  # no blanks left at a line end
    assert suggestion.strip()
    qtbot.keyClick(real_window.editor, Qt.Key.Key_Tab)
    path = tmp_path / "story.txt"
    assert real_window.save_to(path)
    assert path.read_text(encoding="utf-8") == TEXT + suggestion
    assert "tokens/s" in real_window.status_panel.speed_label.text()


def test_gui_thread_keeps_running_its_event_loop_while_loading_and_generating(
    qtbot: QtBot, real_window: MainWindow
) -> None:
    counter = TickCounter()
    counter.start()
    try:
        with qtbot.waitSignal(real_window.controller.model_loaded, timeout=LOAD_TIMEOUT_MS):
            real_window.load_model()
        ticks_while_loading = counter.take()
        continue_at_end(qtbot, real_window)
        ticks_while_generating = counter.take()
    finally:
        counter.stop()
    # The model loads and generates in the worker thread: the GUI thread's timer kept firing
    # meanwhile (a load or a generation on the GUI thread would leave no tick until it returned).
    assert ticks_while_loading > 0
    assert ticks_while_generating > 0
    assert real_window.editor.ghost_text.strip()  # and the generation finished with text


LIST = "Things to pack for the island:\n- a tent\n- matches\n- a knife\n-"


def test_the_real_models_suggestion_is_previewed_where_tab_puts_it(
    qtbot: QtBot, real_window: MainWindow
) -> None:
    """Whatever the model writes (a list invites line breaks), the preview's lines and glyphs
    stand exactly where the accepted text's do, and the request said what follows the caret."""
    with qtbot.waitSignal(real_window.controller.model_loaded, timeout=LOAD_TIMEOUT_MS):
        real_window.load_model()
    real_window.toolbar.length_box.setValue(24)
    editor = real_window.editor
    editor.setPlainText(LIST)
    editor.moveCursor(QTextCursor.MoveOperation.End)
    with qtbot.waitSignal(real_window.controller.suggestion_finished, timeout=GENERATE_TIMEOUT_MS):
        qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    suggestion = editor.ghost_text
    assert suggestion.strip()
    preview = layout_lines(editor)
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.toPlainText() == LIST + suggestion
    assert layout_lines(editor) == preview
