"""Switching models in the running window with REAL models through the real loader and worker
threads: the bundled default (Gemma 3 270M) and a tiny random Gemma 3 saved to a folder.

Marked real_model: the first run on a machine converts the bundled GGUF (about a minute).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QTextCursor
from pytestqt.qtbot import QtBot

from penwright.app.main import StartupHooks, build, parse_arguments
from penwright.app.settings.store import Settings, SettingsStore
from penwright.app.window.main_window import MainWindow
from penwright.models.params import GenerationParams, StopMode
from penwright.models.spec import ModelSpec

if TYPE_CHECKING:
    from penwright.models.loading.loader import LoadedModel

pytestmark = pytest.mark.real_model

LOAD_TIMEOUT_MS = 600_000  # a first run converts the GGUF on a busy two-core machine
GENERATE_TIMEOUT_MS = 120_000
TEXT = "The old lighthouse keeper climbed the stairs every evening, and"
GREEDY = GenerationParams(temperature=0.0, max_new_tokens=8, stop=StopMode.NONE).plain()


@pytest.fixture(scope="module")
def tiny_folder(tiny_gemma: LoadedModel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny random Gemma 3 as a writer would add it: safetensors, config and tokenizer."""
    folder = tmp_path_factory.mktemp("tiny-gemma")
    tiny_gemma.model.save_pretrained(folder, safe_serialization=True)
    tiny_gemma.tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture
def broken_folder(tmp_path: Path) -> Path:
    """A folder that looks like a model but whose weights file is damaged."""
    folder = tmp_path / "broken-model"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "gemma3_text"}', encoding="utf-8")
    (folder / "model.safetensors").write_bytes(b"\x00" * 64)
    return folder


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[tuple[MainWindow, SettingsStore]]:
    qsettings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    store = SettingsStore(qsettings)
    store.save(Settings(model=ModelSpec(device="cpu"), generation=GREEDY))
    parts = build(qsettings, parse_arguments([]), StartupHooks(), data_dir=tmp_path / "data")
    window, store = parts.window, parts.store
    qtbot.addWidget(window, before_close_func=lambda w: w.editor.document().setModified(False))
    window.show()
    with qtbot.waitSignal(window.controller.model_loaded, timeout=LOAD_TIMEOUT_MS):
        window.load_model()
    yield window, store
    window.editor.document().setModified(False)
    window.close()


def continuation(qtbot: QtBot, window: MainWindow) -> str:
    """The greedy suggestion for TEXT, as streamed to the window."""
    streamed: list[str] = []

    def collect(_request: int, _alternative: int, text: str) -> None:
        streamed.append(text)

    window.controller.suggestion_delta.connect(collect)
    try:
        window.editor.setPlainText(TEXT)
        window.editor.moveCursor(QTextCursor.MoveOperation.End)
        with qtbot.waitSignal(window.controller.suggestion_finished, timeout=GENERATE_TIMEOUT_MS):
            window.suggestions.request()
    finally:
        window.controller.suggestion_delta.disconnect(collect)
    return "".join(streamed)


def switch(qtbot: QtBot, store: SettingsStore, window: MainWindow, source: str) -> None:
    with qtbot.waitSignal(window.controller.model_loaded, timeout=LOAD_TIMEOUT_MS):
        store.save(replace(store.current, model=ModelSpec(source=source, device="cpu")))


def test_switching_between_two_real_models_reloads_and_the_next_suggestion_comes_from_the_new(
    qtbot: QtBot, window: tuple[MainWindow, SettingsStore], tiny_folder: Path
) -> None:
    main, store = window
    default_info = main.controller.model_info
    assert default_info is not None and default_info.source == "default"
    from_default = continuation(qtbot, main)
    assert from_default.strip()

    switch(qtbot, store, main, str(tiny_folder))
    tiny_info = main.controller.model_info
    assert tiny_info is not None
    assert (tiny_info.name, tiny_info.path) == (tiny_folder.name, str(tiny_folder))
    assert tiny_info.parameters < default_info.parameters / 10
    assert tiny_folder.name in main.status_panel.model_label.text()
    from_tiny = continuation(qtbot, main)
    assert from_tiny != from_default

    switch(qtbot, store, main, "default")
    assert main.controller.model_info == default_info
    assert continuation(qtbot, main) == from_default  # greedy: the same model, the same text


def test_a_broken_model_folder_leaves_the_old_model_serving_and_shows_the_error(
    qtbot: QtBot, window: tuple[MainWindow, SettingsStore], broken_folder: Path
) -> None:
    main, store = window
    before = main.controller.model_info
    from_default = continuation(qtbot, main)
    with qtbot.waitSignal(main.controller.model_failed, timeout=LOAD_TIMEOUT_MS) as failed:
        store.save(replace(store.current, model=ModelSpec(source=str(broken_folder))))
    assert str(broken_folder) in failed.args[0]
    assert main.last_notice.startswith(f"Could not switch to {broken_folder}: ")
    assert main.last_notice.endswith(f"Still using {before.name if before else '?'}.")
    assert main.controller.model_info == before
    assert main.status_panel.state_label.text() == "Ready"
    assert continuation(qtbot, main) == from_default  # the old model still answers
