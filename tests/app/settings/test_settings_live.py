"""Settings in the running window (issue 4) on the scripted fake engine: start-up repair warnings,
live application of every kind of setting, model switching with the old model serving, and the
Edit/Help menus opening their dialogs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from app_fakes import WAIT_MS, EngineScript, FakeEngine
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QPalette, QTextCursor
from PySide6.QtWidgets import QApplication, QComboBox, QMessageBox
from pytestqt.qtbot import QtBot

from penwright.app.editor.keymap import Action
from penwright.app.inference.suggestions import TOKEN_ALTERNATIVES
from penwright.app.main import StartupHooks, build, parse_arguments
from penwright.app.settings.apply import startup_model_spec
from penwright.app.settings.dialog import SettingsDialog
from penwright.app.settings.store import EditorSettings, Settings, SettingsStore, Theme
from penwright.app.window.about_dialog import AboutDialog
from penwright.app.window.diagnostics_dialog import DiagnosticsDialog
from penwright.app.window.main_window import MainWindow
from penwright.app.window.theme import apply_theme
from penwright.models.loading.device_probe import DeviceInfo
from penwright.models.params import GenerationParams, StopMode
from penwright.models.spec import ModelSpec

CTRL = Qt.KeyboardModifier.ControlModifier
FAKE_GPU = DeviceInfo("cuda", "Fake GPU 9000", 8_000_000_000, 6_000_000_000)


def fake_devices() -> list[DeviceInfo]:
    return [FAKE_GPU, DeviceInfo("cpu", "2 threads", 4_000_000_000, 2_000_000_000)]


def _forget_changes(window: MainWindow) -> None:
    window.editor.document().setModified(False)


class SettingsWindow:
    """A window built by app.main.build, as the app builds it."""

    def __init__(
        self, qtbot: QtBot, script: EngineScript, qsettings: QSettings, data_dir: Path
    ) -> None:
        self._data_dir = data_dir
        self._qtbot = qtbot
        self._script = script
        self._qsettings = qsettings
        self.windows: list[MainWindow] = []

    def __call__(
        self, load: bool = True, model_spec: ModelSpec | None = None, **engine: Any
    ) -> tuple[MainWindow, SettingsStore, tuple[str, ...]]:
        parts = build(
            self._qsettings,
            parse_arguments(["--no-model"]),
            StartupHooks(),
            engine_factory=engine.get("factory") or (lambda: FakeEngine(self._script)),
            device_probe=fake_devices,
            data_dir=self._data_dir,
            model_spec=model_spec,
        )
        window, store, result = parts.window, parts.store, parts.stored
        # pytest-qt closes widgets before fixtures tear down: no "save the changes?" then.
        self._qtbot.addWidget(window, before_close_func=_forget_changes)
        self.windows.append(window)
        window.show()
        window.settings_applier.report_warnings(result.warnings)
        if load:
            with self._qtbot.waitSignal(window.controller.model_loaded, timeout=WAIT_MS):
                window.load_model()
        return window, store, result.warnings


@pytest.fixture(autouse=True)
def system_theme_after_each_test() -> Iterator[None]:
    yield
    apply_theme(Theme.SYSTEM)  # the palette is application-wide: leave it as we found it


@pytest.fixture
def settings_window(
    qtbot: QtBot, script: EngineScript, settings: QSettings, tmp_path: Path
) -> Iterator[SettingsWindow]:
    maker = SettingsWindow(qtbot, script, settings, tmp_path / "data")
    yield maker
    script.gate.set()
    if script.load_gate is not None:
        script.load_gate.set()
    for window in maker.windows:
        window.editor.document().setModified(False)
        window.close()


def write(window: MainWindow, text: str) -> None:
    window.editor.setPlainText(text)
    window.editor.moveCursor(QTextCursor.MoveOperation.End)


def suggest(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        window.suggestions.request()


# --- start-up -----------------------------------------------------------------------------


def test_unusable_stored_values_are_repaired_with_a_visible_warning(
    settings_window: SettingsWindow, settings: QSettings
) -> None:
    settings.setValue("generation/temperature", "hot")
    settings.setValue("editor/font_size", 500)
    settings.setValue("keys/dismiss", "Ctrl+Return")  # the Continue key
    window, _, warnings = settings_window()
    assert len(warnings) == 3
    notice = window.last_notice
    assert notice.startswith("3 saved settings could not be used and were reset")
    assert "generation/temperature" in notice and "editor/font_size" in notice
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
    assert any(box.isVisible() and "generation/temperature" in box.text() for box in boxes)
    assert window.editor.font().pointSize() == 12  # the default replaced the bad value
    assert window.toolbar.temperature_box.value() == GenerationParams().temperature
    # Written back: the same warnings do not come again at the next start.
    assert SettingsStore(settings).load().warnings == ()


def test_stored_settings_are_applied_at_start_up(
    qtbot: QtBot, settings_window: SettingsWindow, settings: QSettings, script: EngineScript
) -> None:
    SettingsStore(settings).save(
        Settings(
            model=ModelSpec(source="/models/tiny", device="cpu"),
            generation=GenerationParams(temperature=0.3, top_k=7, max_new_tokens=20, n=3),
            editor=EditorSettings(font_family="DejaVu Serif", font_size=17, auto_suggest=True),
        )
    )
    window, _, warnings = settings_window()
    assert warnings == ()
    assert window.controller.model_info is not None
    assert window.controller.model_info.source == "/models/tiny"
    assert window.editor.font().pointSize() == 17
    assert window.toolbar.auto_suggest_action.isChecked()
    assert (window.toolbar.temperature_box.value(), window.toolbar.length_box.value()) == (0.3, 20)
    write(window, "Once")
    suggest(qtbot, window)
    assert script.params[-1].top_k == 7 and script.params[-1].n == 3


def test_command_line_model_and_device_win_for_this_run_only() -> None:
    stored = ModelSpec(source="/models/a", device="cuda", precision="bf16", trust_remote_code=True)
    assert startup_model_spec(stored, None, None) == stored
    assert startup_model_spec(stored, None, "cpu") == replace(stored, device="cpu")
    other = startup_model_spec(stored, "/models/b", None)
    assert (other.source, other.device, other.precision) == ("/models/b", "cuda", "bf16")
    assert not other.trust_remote_code  # an opt-in of /models/a does not carry over


def test_an_overridden_model_stays_until_the_writer_changes_the_model_setting(
    qtbot: QtBot, settings_window: SettingsWindow, script: EngineScript
) -> None:
    window, store, _ = settings_window(model_spec=ModelSpec(source="/from/command/line"))
    store.save(replace(store.current, cpu_threads=0, editor=EditorSettings(font_size=15)))
    assert script.loads == 1  # other settings leave the command line's model alone
    assert window.controller.model_info is not None
    assert window.controller.model_info.source == "/from/command/line"
    with qtbot.waitSignal(window.controller.model_loaded, timeout=WAIT_MS) as loaded:
        store.save(replace(store.current, model=ModelSpec(source="/chosen/in/preferences")))
    assert loaded.args[0].source == "/chosen/in/preferences"


# --- live changes -------------------------------------------------------------------------


def test_font_change_applies_to_the_editor_at_once(settings_window: SettingsWindow) -> None:
    window, store, _ = settings_window()
    store.save(
        replace(store.current, editor=EditorSettings(font_family="DejaVu Serif", font_size=21))
    )
    font = window.editor.font()
    assert font.pointSize() == 21
    assert font.family() == "DejaVu Serif"


def test_a_rebound_key_works_in_the_editor_and_the_old_key_no_longer_does(
    qtbot: QtBot, settings_window: SettingsWindow, script: EngineScript
) -> None:
    window, store, _ = settings_window()
    bindings = dict(store.current.key_bindings)
    bindings[Action.CONTINUE] = "Ctrl+J"
    store.save(replace(store.current, key_bindings=bindings))
    assert "Ctrl+J" in window.toolbar.continue_action.toolTip()
    write(window, "Once")
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        qtbot.keyClick(window.editor, Qt.Key.Key_J, CTRL)
    assert window.editor.ghost_text == " once upon"
    window.editor.dismiss_suggestion()
    qtbot.keyClick(window.editor, Qt.Key.Key_Return, CTRL)
    assert window.editor.ghost is None and len(script.contexts) == 1


def test_generation_defaults_reach_the_next_request_and_the_toolbar(
    qtbot: QtBot, settings_window: SettingsWindow, script: EngineScript
) -> None:
    window, store, _ = settings_window()
    generation = GenerationParams(
        temperature=0.35,
        top_k=5,
        top_p=0.5,
        min_p=0.1,
        repetition_penalty=1.2,
        max_new_tokens=1500,
        stop=StopMode.CUSTOM,
        stop_strings=("###",),
        seed=42,
        n=2,
        context_tokens=512,
        no_copy_tokens=3,
        prose=False,
    )
    store.save(replace(store.current, generation=generation))
    assert window.toolbar.temperature_box.value() == 0.35
    assert window.toolbar.length_box.value() == 1500  # beyond the toolbar's old 1024 limit
    assert window.toolbar.alternatives_box.value() == 2
    write(window, "Once")
    suggest(qtbot, window)
    sent = script.params[-1]
    # The settings as saved, plus the ghost words' alternatives the app always asks for (the
    # confidence tint and the swap popup read them).
    assert sent.top_alternatives == TOKEN_ALTERNATIVES
    assert replace(sent, top_alternatives=generation.top_alternatives) == generation


def test_toolbar_changes_become_the_saved_defaults(
    settings_window: SettingsWindow, settings: QSettings
) -> None:
    window, store, _ = settings_window()
    window.toolbar.temperature_box.setValue(1.25)
    window.toolbar.length_box.setValue(64)
    window.toolbar.auto_suggest_action.setChecked(True)
    assert store.current.generation.temperature == 1.25
    assert store.current.generation.max_new_tokens == 64
    assert store.current.editor.auto_suggest
    reloaded = SettingsStore(settings).load().settings
    assert (reloaded.generation.temperature, reloaded.generation.max_new_tokens) == (1.25, 64)


def test_auto_suggest_setting_and_its_delay_apply_live(
    qtbot: QtBot, settings_window: SettingsWindow
) -> None:
    window, store, _ = settings_window()
    store.save(
        replace(store.current, editor=EditorSettings(auto_suggest=True, auto_suggest_delay_ms=150))
    )
    assert window.toolbar.auto_suggest_action.isChecked()
    write(window, "Once upon a time")
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        qtbot.keyClicks(window.editor, " there")  # then a pause of 150 ms
    assert window.editor.ghost_text == " once upon"
    store.save(replace(store.current, editor=EditorSettings(auto_suggest=False)))
    assert not window.toolbar.auto_suggest_action.isChecked()


@pytest.mark.parametrize(("theme", "dark"), [(Theme.DARK, True), (Theme.LIGHT, False)])
def test_theme_changes_the_palette_and_system_restores_it(
    qtbot: QtBot, settings_window: SettingsWindow, theme: Theme, dark: bool
) -> None:
    window, store, _ = settings_window()

    def base_lightness() -> int:
        return window.editor.palette().color(QPalette.ColorRole.Base).lightness()

    original = base_lightness()
    store.save(replace(store.current, editor=EditorSettings(theme=theme)))
    qtbot.waitUntil(lambda: (base_lightness() < 80) if dark else (base_lightness() > 200))
    store.save(replace(store.current, editor=EditorSettings(theme=Theme.SYSTEM)))
    qtbot.waitUntil(lambda: base_lightness() == original)


def test_cpu_threads_are_set_in_the_worker_thread(
    qtbot: QtBot, settings_window: SettingsWindow, script: EngineScript
) -> None:
    import torch

    seen: list[int] = []

    class CountingEngine(FakeEngine):
        def stream(self, *args: Any, **kwargs: Any) -> Any:
            seen.append(torch.get_num_threads())  # in the worker thread, where it matters
            return super().stream(*args, **kwargs)

    window, store, _ = settings_window(factory=lambda: CountingEngine(script))
    store.save(replace(store.current, cpu_threads=1))
    write(window, "Once")
    suggest(qtbot, window)
    store.save(replace(store.current, cpu_threads=0))  # back to torch's own choice
    suggest(qtbot, window)
    assert seen[0] == 1
    assert seen[1] == torch.get_num_threads()  # the count torch picks for a thread by itself


# --- switching models ---------------------------------------------------------------------


def test_the_old_model_serves_while_the_new_one_loads(
    qtbot: QtBot, settings_window: SettingsWindow, script: EngineScript
) -> None:
    window, store, _ = settings_window()
    script.load_gate = threading.Event()
    store.save(replace(store.current, model=ModelSpec(source="/models/next")))
    assert window.controller.loading
    write(window, "Once")
    suggest(qtbot, window)  # finishes while the new model is still loading
    assert window.editor.ghost_text == " once upon"
    assert window.controller.model_info is not None
    assert window.controller.model_info.source == "default"
    with qtbot.waitSignal(window.controller.model_loaded, timeout=WAIT_MS) as loaded:
        script.load_gate.set()
    assert loaded.args[0].source == "/models/next"
    assert "Fake 1M" in window.status_panel.model_label.text()


def test_a_failed_switch_keeps_the_old_model_and_says_why(
    qtbot: QtBot, settings_window: SettingsWindow, script: EngineScript
) -> None:
    window, store, _ = settings_window()
    script.load_error = OSError("config.json is not valid JSON")
    with qtbot.waitSignal(window.controller.model_failed, timeout=WAIT_MS):
        store.save(replace(store.current, model=ModelSpec(source="/models/broken")))
    assert window.last_notice == (
        "Could not switch to /models/broken: config.json is not valid JSON\nStill using Fake 1M."
    )
    assert window.controller.model_info is not None
    assert window.controller.model_info.source == "default"
    assert "Fake 1M" in window.status_panel.model_label.text()
    assert window.status_panel.state_label.text() == "Ready"
    script.load_error = None
    write(window, "Once")
    suggest(qtbot, window)  # the old engine still answers, and no reload was attempted
    assert window.editor.ghost_text == " once upon"
    assert script.loads == 2


def test_a_newer_model_choice_supersedes_one_still_loading(
    qtbot: QtBot, settings_window: SettingsWindow, script: EngineScript
) -> None:
    window, store, _ = settings_window()
    script.load_gate = threading.Event()
    loaded: list[str] = []
    window.controller.model_loaded.connect(lambda info: loaded.append(info.source))
    store.save(replace(store.current, model=ModelSpec(source="/models/first")))
    with qtbot.waitSignal(window.controller.model_loaded, timeout=WAIT_MS):
        store.save(replace(store.current, model=ModelSpec(source="/models/second")))
        script.load_gate.set()
    assert loaded == ["/models/second"]  # the first finished loading but was not swapped in
    assert window.controller.model_info is not None
    assert window.controller.model_info.source == "/models/second"
    assert not window.controller.loading


# --- menus and dialogs --------------------------------------------------------------------


def test_edit_preferences_opens_the_panel_with_the_probed_devices(
    qtbot: QtBot, settings_window: SettingsWindow
) -> None:
    window, store, _ = settings_window()
    assert window.dialogs.preferences_action.shortcut().toString() == "Ctrl+,"
    qtbot.waitUntil(lambda: window.controller.devices is not None, timeout=WAIT_MS)
    window.dialogs.preferences_action.trigger()
    dialog = window.dialogs.preferences
    assert isinstance(dialog, SettingsDialog) and dialog.isVisible()
    combo: QComboBox = dialog.device_page.device
    labels = [combo.itemText(i) for i in range(combo.count())]
    assert any("Fake GPU 9000" in label for label in labels)
    dialog.editor_page.font_size.setValue(19)
    dialog.accept()
    assert window.editor.font().pointSize() == 19  # OK saved, and the window applied it
    assert store.current.editor.font_size == 19
    qtbot.waitUntil(lambda: window.dialogs.preferences is None)


def test_help_diagnostics_shows_the_model_and_recent_speeds(
    qtbot: QtBot, settings_window: SettingsWindow
) -> None:
    window, _, _ = settings_window()
    write(window, "Once")
    suggest(qtbot, window)
    window.dialogs.diagnostics_action.trigger()
    dialog = window.dialogs.diagnostics
    assert isinstance(dialog, DiagnosticsDialog) and dialog.isVisible()
    report = dialog.report()
    assert "Fake 1M" in report and "/fake" in report
    assert "Last 1 suggestion: median time to first token 12 ms, median 42.0 tokens/s." in report
    assert dialog.recent.rowCount() == 1
    assert "generation threads: automatic" in " ".join(report.split())
    dialog.reject()


def test_help_about_opens(qtbot: QtBot, settings_window: SettingsWindow) -> None:
    window, _, _ = settings_window()
    window.dialogs.about_action.trigger()
    dialog = window.dialogs.about
    assert isinstance(dialog, AboutDialog) and dialog.isVisible()
    dialog.reject()
    qtbot.waitUntil(lambda: window.dialogs.about is None)


def test_menus_are_in_the_usual_order(settings_window: SettingsWindow) -> None:
    window, _, _ = settings_window(load=False)
    titles = [action.text() for action in window.menuBar().actions()]
    assert titles == ["&File", "&Edit", "&View", "&Tools", "&Help"]


def test_closing_the_window_closes_its_dialogs(
    qtbot: QtBot, settings_window: SettingsWindow
) -> None:
    window, _, _ = settings_window()
    window.dialogs.open_preferences()
    window.dialogs.open_about()
    preferences, about = window.dialogs.preferences, window.dialogs.about
    assert preferences is not None and about is not None
    window.close()
    assert window.dialogs.preferences is None and window.dialogs.about is None
    assert not preferences.isVisible() and not about.isVisible()
