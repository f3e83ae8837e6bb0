"""The window on the real default model (Gemma 3 270M) through the real worker thread.

Marked real_model: the first run on a machine converts the bundled GGUF (about a minute); later
runs load the converted copy from the user cache in seconds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Slot
from PySide6.QtGui import QTextCursor
from pytestqt.qtbot import QtBot

from penwright.app.inference.controller import default_engine_factory
from penwright.app.window.main_window import MainWindow
from penwright.models.params import GenerationParams, StopMode
from penwright.models.spec import ModelSpec

pytestmark = pytest.mark.real_model

LOAD_TIMEOUT_MS = 600_000  # a first run converts the GGUF on a busy two-core machine
GENERATE_TIMEOUT_MS = 120_000
TEXT = "The old lighthouse keeper climbed the stairs every evening, and"


class GapRecorder(QObject):
    """A 10 ms timer on the GUI thread; the largest gap between ticks is how long it stalled."""

    def __init__(self) -> None:
        super().__init__()
        self.largest_gap_s = 0.0
        self._last = time.perf_counter()
        self._timer = QTimer(self)
        self._timer.setInterval(10)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    @Slot()
    def _on_tick(self) -> None:
        now = time.perf_counter()
        self.largest_gap_s = max(self.largest_gap_s, now - self._last)
        self._last = now


@pytest.fixture
def real_window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    window = MainWindow(
        engine_factory=default_engine_factory,
        settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat),
        model_spec=ModelSpec(device="cpu"),
        base_params=GenerationParams(temperature=0.0, max_new_tokens=12, stop=StopMode.NONE),
    )
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
    assert streamed and "".join(streamed) == suggestion
    assert suggestion.strip()
    qtbot.keyClick(real_window.editor, Qt.Key.Key_Tab)
    path = tmp_path / "story.txt"
    assert real_window.save_to(path)
    assert path.read_text(encoding="utf-8") == TEXT + suggestion
    assert "tokens/s" in real_window.status_panel.speed_label.text()


def test_gui_thread_stays_responsive_while_loading_and_generating(
    qtbot: QtBot, real_window: MainWindow
) -> None:
    recorder = GapRecorder()
    recorder.start()
    try:
        with qtbot.waitSignal(real_window.controller.model_loaded, timeout=LOAD_TIMEOUT_MS):
            real_window.load_model()
        load_gap = recorder.largest_gap_s
        recorder.largest_gap_s = 0.0
        continue_at_end(qtbot, real_window)
        generate_gap = recorder.largest_gap_s
    finally:
        recorder.stop()
    print(
        f"\nlargest GUI-thread gap: loading {load_gap * 1000:.0f} ms, "
        f"generating {generate_gap * 1000:.0f} ms (target <= 50 ms)"
    )
    assert generate_gap < 1.0, "the GUI thread was blocked for over a second while generating"
    # Loading has one known stall of about 1 s: tokenizers.Tokenizer.from_file parses Gemma's
    # 262k-token vocabulary and 515k merges without releasing the GIL (see
    # models.loading.gguf_cache.load_converted_tokenizer). Anything past 2 s is a new, gross block.
    assert load_gap < 2.0, "the GUI thread was blocked for over two seconds while loading"
