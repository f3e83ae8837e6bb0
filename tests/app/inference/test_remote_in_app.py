"""The app writing with a remote server: the real window (penwright.app.main.build), the real
worker and loader threads, the real RemoteSource, and the tests' own server on 127.0.0.1.

Ghost text streams from the server as from the local engine; a server that stops mid-stream
gives one message and leaves the text as it was; one click goes back to the local model."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from app_fakes import WAIT_MS, EngineScript, FakeEngine
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QTextCursor
from pytestqt.qtbot import QtBot
from remote_fault_server import MODEL_ID, FaultServer, fault_server

from penwright.app.main import Penwright, StartupHooks, build, parse_arguments
from penwright.app.settings.remote_servers import RemoteServerEntry, with_source
from penwright.app.settings.secrets import remote_account, shared_keys
from penwright.app.settings.store import SettingsStore
from penwright.models.params import GenerationParams

CTRL = Qt.KeyboardModifier.ControlModifier
TEXT = "The storm came in from the sea, and"


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with fault_server() as running:
        yield running


@pytest.fixture
def app(
    qtbot: QtBot, server: FaultServer, settings: QSettings, script: EngineScript, tmp_path: Path
) -> Iterator[Penwright]:
    store = SettingsStore(settings)
    stored = store.load().settings
    entry = RemoteServerEntry("faults", server.base_url, MODEL_ID, "vllm")
    chosen = with_source(replace(stored, remote_servers=(entry,)), "remote:faults")
    store.save(replace(chosen, generation=GenerationParams(temperature=0.0)))
    parts = build(
        settings,
        parse_arguments(["--no-model"]),
        StartupHooks(),
        engine_factory=lambda: FakeEngine(script),
        device_probe=lambda: [],
        data_dir=tmp_path / "data",
    )
    window = parts.window
    qtbot.addWidget(window, before_close_func=lambda w: w.editor.document().setModified(False))
    window.show()
    with qtbot.waitSignal(window.controller.model_loaded, timeout=WAIT_MS):
        window.load_model()
    yield parts
    window.editor.document().setModified(False)
    window.close()


def _write(parts: Penwright) -> None:
    editor = parts.window.editor
    editor.setPlainText(TEXT)
    editor.moveCursor(QTextCursor.MoveOperation.End)


def test_ghost_text_streams_from_the_remote_server(qtbot: QtBot, app: Penwright) -> None:
    window = app.window
    assert window.status_panel.model_label.text() == f"{MODEL_ID} · remote · vLLM"
    assert app.model_switch.isVisible() and app.model_switch.text() == "Use local model"
    _write(app)
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        qtbot.keyClick(window.editor, Qt.Key.Key_Return, CTRL)
    assert window.editor.ghost_text == " The rain fell on the roof."
    assert window.editor.toPlainText() == TEXT  # shown, not inserted
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    assert window.editor.toPlainText() == TEXT + " The rain fell on the roof."


def test_a_server_that_stops_mid_stream_leaves_the_text_and_says_so(
    qtbot: QtBot, app: Penwright, server: FaultServer
) -> None:
    window = app.window
    _write(app)
    server.scenario = "cut"
    with qtbot.waitSignal(window.controller.suggestion_failed, timeout=WAIT_MS):
        qtbot.keyClick(window.editor, Qt.Key.Key_Return, CTRL)
    assert window.last_notice == (
        f"No suggestion: faults ({server.base_url}) stopped in the middle of the suggestion (the"
        " connection closed early); nothing was inserted."
    )
    assert window.editor.ghost is None
    assert window.editor.toPlainText() == TEXT


def test_one_click_goes_back_to_the_local_model(qtbot: QtBot, app: Penwright) -> None:
    window = app.window
    with qtbot.waitSignal(window.controller.model_loaded, timeout=WAIT_MS) as loaded:
        app.model_switch.click()
    assert loaded.args is not None and loaded.args[0].device == "cpu"  # the fake local engine
    assert app.store.current.model.source == "default"
    assert app.model_switch.text() == "Use faults"
    with qtbot.waitSignal(window.controller.model_loaded, timeout=WAIT_MS) as loaded:
        app.model_switch.click()  # and one click back to the server
    assert loaded.args is not None and loaded.args[0].name == MODEL_ID


def test_a_key_fixed_while_connected_works_at_once(
    qtbot: QtBot, app: Penwright, server: FaultServer
) -> None:
    window = app.window
    _write(app)
    server.required_key = "right key"
    with qtbot.waitSignal(window.controller.suggestion_failed, timeout=WAIT_MS):
        qtbot.keyClick(window.editor, Qt.Key.Key_Return, CTRL)
    assert "(401 unauthorized)" in window.last_notice
    assert window.editor.toPlainText() == TEXT
    keys = shared_keys()
    keys.set(remote_account("faults"), "right key")
    try:
        with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
            qtbot.keyClick(window.editor, Qt.Key.Key_Return, CTRL)
        assert window.editor.ghost_text == " The rain fell on the roof."
    finally:
        keys.delete(remote_account("faults"))


def test_editing_the_server_in_use_reconnects(
    qtbot: QtBot, app: Penwright, server: FaultServer
) -> None:
    current = app.store.current
    moved = replace(current.remote_servers[0], base_url=server.base_url + "/")
    with qtbot.waitSignal(app.window.controller.model_loaded, timeout=WAIT_MS) as loaded:
        app.store.save(replace(current, remote_servers=(moved,)))
    assert loaded.args is not None and loaded.args[0].path == server.base_url + "/"
