"""Fixtures for the app tests: a scripted fake engine, a ready main window, a QThread leak check."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from app_fakes import WAIT_MS, EngineScript, FakeEngine
from PySide6.QtCore import QSettings, QThread
from pytestqt.qtbot import QtBot

from penwright.app.main import StartupHooks, build, parse_arguments
from penwright.app.settings.store import SettingsStore
from penwright.app.tasks import detach_loop
from penwright.app.window.main_window import MainWindow
from penwright.models.params import GenerationParams


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The offscreen platform (CI) says this whenever a top-level window is shown; it is about the
    # platform plugin, not our code, so it must not fail tests (every other Qt warning still does).
    for item in items:
        if "tests/app/" in item.nodeid:
            item.add_marker(pytest.mark.qt_log_ignore("does not support propagateSizeHints"))


@pytest.fixture(autouse=True)
def no_qthread_left_running(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail any test that leaves a QThread it started still running."""
    started: list[QThread] = []
    original_start = QThread.start

    def recording_start(self: QThread, *args: object) -> None:
        started.append(self)
        original_start(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(QThread, "start", recording_start)
    yield
    running = [t.objectName() or repr(t) for t in started if t.isRunning()]
    for thread in started:  # stop them anyway so one failure does not crash the next test
        thread.quit()
        thread.wait()
    assert not running, f"test left QThreads running: {running}"


@pytest.fixture(autouse=True)
def asyncio_loop_detached_after_test() -> Iterator[None]:
    """A test that opened Preferences or Diagnostics attached asyncio to Qt's loop: undo it."""
    yield
    detach_loop()


@pytest.fixture
def script() -> EngineScript:
    return EngineScript()


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def _forget_changes(window: MainWindow) -> None:
    for tab in window.tabs:  # every tab: closing would ask about each one
        tab.editor.document().setModified(False)


@pytest.fixture
def make_window(
    qtbot: QtBot, script: EngineScript, settings: QSettings, tmp_path: Path
) -> Iterator[Callable[..., MainWindow]]:
    """Build the app's window (penwright.app.main.build) on the fake engine, with params as the
    stored generation settings; load=True waits until the model is ready."""
    windows: list[MainWindow] = []

    def make(load: bool = True, **params: object) -> MainWindow:
        store = SettingsStore(settings)
        stored = store.load().settings
        store.save(replace(stored, generation=GenerationParams(**params)))  # type: ignore[arg-type]
        parts = build(
            settings,
            parse_arguments(["--no-model"]),
            StartupHooks(),
            engine_factory=lambda: FakeEngine(script),
            device_probe=lambda: [],
            data_dir=tmp_path / "data",
        )
        window = parts.window
        # pytest-qt closes its widgets before fixtures tear down: forget unsaved changes first,
        # or closing would ask "save the changes?" and wait forever.
        qtbot.addWidget(window, before_close_func=_forget_changes)
        windows.append(window)
        window.show()
        if load:
            with qtbot.waitSignal(window.controller.model_loaded, timeout=WAIT_MS):
                window.load_model()
        return window

    yield make
    script.gate.set()  # release any generation still held
    if script.load_gate is not None:
        script.load_gate.set()
    for window in windows:
        _forget_changes(window)
        window.close()


@pytest.fixture
def window(make_window: Callable[..., MainWindow]) -> MainWindow:
    return make_window()
