"""The window: files, title, status bar, toolbar values, Stop, failures, loading, auto-suggest."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from app_fakes import WAIT_MS, EngineScript
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from pytestqt.qtbot import QtBot

from penwright.app.window.main_window import MainWindow
from penwright.models.results import Delta
from penwright.models.spec import ModelSpec

CTRL = Qt.KeyboardModifier.ControlModifier


def write(window: MainWindow, text: str) -> None:
    window.editor.setPlainText(text)
    window.editor.moveCursor(QTextCursor.MoveOperation.End)


def suggest(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        qtbot.keyClick(window.editor, Qt.Key.Key_Return, CTRL)


def test_window_shows_before_the_model_is_loaded_and_accepts_typing(
    qtbot: QtBot, make_window: Callable[..., MainWindow], script: EngineScript
) -> None:
    script.load_gate = threading.Event()
    window = make_window(load=False)
    window.load_model()
    assert window.isVisible()
    qtbot.keyClicks(window.editor, "Draft")
    assert window.editor.toPlainText() == "Draft"
    assert window.status_panel.state_label.text().startswith("Loading model")
    qtbot.keyClick(window.editor, Qt.Key.Key_Return, CTRL)  # asks politely, never blocks
    assert "still loading" in window.statusBar().currentMessage()
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        script.load_gate.set()
    assert window.editor.ghost_text == " once upon"
    assert "Fake 1M" in window.status_panel.model_label.text()


def test_save_while_a_suggestion_shows_writes_only_the_document(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    write(window, "Dear diary,")
    suggest(qtbot, window)
    assert window.editor.ghost_text
    path = tmp_path / "diary.txt"
    assert window.save_to(path)
    assert path.read_text(encoding="utf-8") == "Dear diary,"
    assert window.editor.ghost_text == " once upon"  # saving leaves the suggestion alone


def test_title_shows_name_and_unsaved_mark(window: MainWindow, tmp_path: Path) -> None:
    assert window.windowTitle() == "Untitled[*] — Penwright"
    path = tmp_path / "notes.txt"
    path.write_text("hello\n", encoding="utf-8")
    assert window.open_file(path)
    assert window.windowTitle() == "notes.txt[*] — Penwright"
    assert not window.isWindowModified()
    window.editor.insertPlainText("x")
    assert window.isWindowModified()  # shown as "notes.txt* — Penwright"
    assert window.save()
    assert not window.isWindowModified()
    assert path.read_text(encoding="utf-8") == "xhello\n"


def test_recent_files_remember_newest_first(window: MainWindow, tmp_path: Path) -> None:
    for name in ("a.txt", "b.md", "a.txt"):
        (tmp_path / name).write_text(name, encoding="utf-8")
        assert window.open_file(tmp_path / name)
    assert window.recent_files() == [str(tmp_path / "a.txt"), str(tmp_path / "b.md")]
    window._fill_recent_menu()
    labels = [action.text() for action in window.recent_menu.actions()]
    assert labels == window.recent_files()


def test_opening_a_binary_file_keeps_the_text(window: MainWindow, tmp_path: Path) -> None:
    write(window, "my precious words")
    window.editor.document().setModified(False)
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    assert not window.open_file(path)
    assert window.editor.toPlainText() == "my precious words"
    assert "image.txt" in window.last_notice


def test_new_file_clears_text_and_path(window: MainWindow, tmp_path: Path) -> None:
    assert window.save_to(tmp_path / "x.txt")
    window.new_file()
    assert window.file_path is None
    assert window.editor.toPlainText() == ""
    assert window.windowTitle() == "Untitled[*] — Penwright"


def test_toolbar_values_apply_to_the_next_request(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    write(window, "Text")
    window.toolbar.temperature_box.setValue(0.3)
    window.toolbar.length_box.setValue(7)
    suggest(qtbot, window)
    assert script.params[-1].temperature == 0.3
    assert script.params[-1].max_new_tokens == 7
    window.toolbar.temperature_box.setValue(0.0)
    qtbot.keyClick(window.editor, Qt.Key.Key_Escape)
    suggest(qtbot, window)
    assert script.params[-1].temperature == 0.0


def test_status_bar_shows_speed_and_word_count(qtbot: QtBot, window: MainWindow) -> None:
    write(window, "one two three")
    suggest(qtbot, window)
    assert window.status_panel.speed_label.text() == "first token 12 ms · 42.0 tokens/s"
    assert window.status_panel.state_label.text() == "Ready"
    assert window.status_panel.words_label.text() == "3 words"


def test_stop_keeps_what_streamed_and_drops_the_rest(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.deltas = [Delta(0, " first"), Delta(0, " second")]
    script.hold_after = 1
    write(window, "Go")
    with qtbot.waitSignal(window.controller.suggestion_delta, timeout=WAIT_MS):
        qtbot.keyClick(window.editor, Qt.Key.Key_Return, CTRL)
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        window.toolbar.stop_action.trigger()
    assert window.editor.ghost_text == " first"
    assert window.status_panel.state_label.text() == "Stopped"


def test_new_request_drops_stale_tokens_of_the_old_one(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.per_request = [[Delta(0, " stale"), Delta(0, " more stale")], [Delta(0, " fresh")]]
    script.hold_after = 1
    write(window, "Go")
    with qtbot.waitSignal(window.controller.suggestion_delta, timeout=WAIT_MS):
        qtbot.keyClick(window.editor, Qt.Key.Key_Return, CTRL)
    script.hold_after = None
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        qtbot.keyClick(window.editor, Qt.Key.Key_Return, CTRL)
        script.gate.set()  # the old stream may now emit " more stale": it must be dropped
    assert window.editor.ghost_text == " fresh"


def test_dismissing_cancels_the_generation(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.hold_after = 1
    write(window, "Go")
    with qtbot.waitSignal(window.controller.suggestion_delta, timeout=WAIT_MS):
        qtbot.keyClick(window.editor, Qt.Key.Key_Return, CTRL)
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS) as done:
        qtbot.keyClick(window.editor, Qt.Key.Key_Escape)
    assert done.args[1].cancelled


def test_worker_failure_shows_a_message_and_keeps_the_text(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.stream_error = MemoryError()
    write(window, "Keep me")
    with qtbot.waitSignal(window.controller.suggestion_failed, timeout=WAIT_MS):
        qtbot.keyClick(window.editor, Qt.Key.Key_Return, CTRL)
    assert window.editor.toPlainText() == "Keep me"
    assert window.editor.ghost is None
    assert window.last_notice.startswith("No suggestion: Out of memory")
    assert window.status_panel.state_label.text() == "Suggestion failed"
    suggest(qtbot, window)  # the next request works
    assert window.editor.ghost_text == " once upon"


def test_model_load_failure_is_reported(
    qtbot: QtBot, make_window: Callable[..., MainWindow], script: EngineScript
) -> None:
    script.load_error = RuntimeError("model.gguf is corrupt")
    window = make_window(load=False)
    with qtbot.waitSignal(window.controller.model_failed, timeout=WAIT_MS):
        window.load_model()
    assert "model.gguf is corrupt" in window.last_notice
    assert window.status_panel.state_label.text() == "Model failed to load"


def test_a_model_that_fails_with_nothing_serving_gives_way_to_the_bundled_one(
    qtbot: QtBot, make_window: Callable[..., MainWindow], script: EngineScript
) -> None:
    script.failing_sources = {"/mnt/usb/my-model"}
    window = make_window(load=False)
    with qtbot.waitSignal(window.controller.model_loaded, timeout=WAIT_MS) as loaded:
        window.load_model(ModelSpec(source="/mnt/usb/my-model", precision="bf16"))
    assert loaded.args[0].source == "default"
    assert window.last_notice == (
        "Could not load /mnt/usb/my-model: /mnt/usb/my-model was not found\n"
        "Using the bundled model instead; choose another in Preferences > Model."
    )
    assert script.loads == 2
    suggest(qtbot, window)  # and it serves
    assert window.editor.ghost_text == " once upon"


def test_when_the_bundled_model_fails_too_the_failure_is_reported_once(
    qtbot: QtBot, make_window: Callable[..., MainWindow], script: EngineScript
) -> None:
    script.failing_sources = {"/mnt/usb/my-model", "default"}
    window = make_window(load=False)
    with qtbot.waitSignal(window.controller.model_failed, timeout=WAIT_MS):
        window.load_model(ModelSpec(source="/mnt/usb/my-model"))
    with qtbot.waitSignal(window.controller.model_failed, timeout=WAIT_MS):
        pass  # the bundled model's load, started by the first failure
    with qtbot.assertNotEmitted(window.controller.model_failed, wait=200):
        pass  # and no third attempt
    assert window.last_notice == "The model could not be loaded: default was not found"
    assert window.status_panel.state_label.text() == "Model failed to load"
    assert script.loads == 2


def test_auto_suggest_asks_after_a_typing_pause_only_when_enabled(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    qtbot.keyClicks(window.editor, "Hello")
    assert not window.suggestions._pause_timer.isActive()  # off by default
    window.toolbar.auto_suggest_action.setChecked(True)
    window.suggestions._pause_timer.setInterval(50)
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        qtbot.keyClicks(window.editor, " there")
    assert script.contexts == ["Hello there"]
    assert window.editor.ghost_text == " once upon"


def test_several_files_on_the_command_line_open_in_a_tab_each(
    window: MainWindow, tmp_path: Path
) -> None:
    from penwright.app.main import open_files

    first, second = tmp_path / "one.txt", tmp_path / "two.txt"
    first.write_text("First file.", encoding="utf-8")
    second.write_text("Second file.", encoding="utf-8")
    open_files(window, [str(first), str(second)])
    # The blank first tab took the first file; the second has a tab of its own, in front.
    assert [tab.editor.toPlainText() for tab in window.tabs] == ["First file.", "Second file."]
    assert window.editor.toPlainText() == "Second file."
    assert window.last_notice == ""
