"""The Preferences dialog: every control round-trips through QSettings, bad input is refused."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QFont, QFontDatabase, QKeySequence
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from pytestqt.qtbot import QtBot

from penwright.app.editor.keymap import DEFAULT_BINDINGS, Action
from penwright.app.settings.dialog import SettingsDialog
from penwright.app.settings.model_page import ModelPage
from penwright.app.settings.store import (
    EditorSettings,
    Settings,
    SettingsStore,
    Theme,
    machine_cores,
)
from penwright.app.tasks import detach_loop
from penwright.models.catalog.listing import CatalogEntry, ModelKind
from penwright.models.loading.device_probe import DeviceInfo
from penwright.models.params import GenerationParams, StopMode
from penwright.models.spec import ModelSpec

GPU = DeviceInfo("cuda", "Test GPU", total_bytes=8_000_000_000, free_bytes=6_000_000_000)
CPU = DeviceInfo("cpu", "2 threads", total_bytes=4_000_000_000, free_bytes=2_000_000_000)


def _entry(source: str, name: str, parameters: int = 1_000_000) -> CatalogEntry:
    return CatalogEntry(
        source=source,
        name=name,
        kind=ModelKind.FOLDER,
        path=source,
        size_bytes=4_000_000,
        parameters=parameters,
        context_length=512,
        layers=2,
        kv_heads=2,
        head_dim=8,
    )


def fake_catalog(user_paths: Sequence[str]) -> list[CatalogEntry]:
    """The bundled default and one cached hub model, plus whatever the writer added."""
    entries = [_entry("default", "Bundled"), _entry("org/cached", "org/cached")]
    return entries + [_entry(p, Path(p).name) for p in user_paths]


@pytest.fixture(autouse=True)
def background_loop() -> Iterator[None]:
    """Listing and downloads run as app.tasks tasks; forget their loop after each test."""
    yield
    detach_loop()


def listed(qtbot: QtBot, page: ModelPage) -> None:
    """Wait until the listing the page started (it runs on a worker thread) is shown."""
    if page.listing:
        with qtbot.waitSignal(page.models_listed, timeout=5000):
            pass


@pytest.fixture
def ini(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "penwright.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def store(ini: QSettings) -> SettingsStore:
    store = SettingsStore(ini)
    store.load()
    return store


@pytest.fixture
def open_dialog(qtbot: QtBot, store: SettingsStore) -> Iterator[SettingsDialog]:
    dialog = SettingsDialog(store, fake_catalog, [GPU, CPU])
    qtbot.addWidget(dialog)
    dialog.show()
    listed(qtbot, dialog.model_page)
    yield dialog
    dialog.model_page.shutdown()


def _reloaded(ini: QSettings) -> Settings:
    result = SettingsStore(QSettings(ini.fileName(), QSettings.Format.IniFormat)).load()
    assert result.warnings == ()
    return result.settings


def _select_model(dialog: SettingsDialog, source: str) -> None:
    tree = dialog.model_page.models
    for row in range(tree.topLevelItemCount()):
        item = tree.topLevelItem(row)
        assert item is not None
        if item.data(0, Qt.ItemDataRole.UserRole) == source:
            tree.setCurrentItem(item)
            return
    raise AssertionError(f"{source} is not listed")


def _expected(font_family: str) -> Settings:
    """Settings with every value changed from its default."""
    return Settings(
        model=ModelSpec(
            source="/work/tiny",
            device="cuda",
            precision="bf16",
            trust_remote_code=True,
            allow_pickle=True,
        ),
        user_models=("/work/tiny",),
        cpu_threads=1,  # Preferences offers at most the cores of the machine
        generation=GenerationParams(
            temperature=1.25,
            top_k=7,
            top_p=0.8,
            min_p=0.05,
            repetition_penalty=1.2,
            max_new_tokens=64,
            stop=StopMode.CUSTOM,
            stop_strings=("\n\n", "Fin\\"),
            seed=1234,
            n=4,
            context_tokens=1024,
            no_copy_tokens=12,
            prose=False,
        ),
        editor=EditorSettings(
            font_family=font_family,
            font_size=16,
            theme=Theme.DARK,
            auto_suggest=True,
            auto_suggest_delay_ms=1200,
        ),
        key_bindings={**DEFAULT_BINDINGS, Action.CONTINUE: "Ctrl+Space"},
    )


@pytest.fixture
def expected(qapp: QApplication) -> Settings:
    # A family this machine has and that is not the default, so the font combo can show it.
    default = QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont).family()
    family = next(f for f in QFontDatabase.families() if f != default and not f.startswith("."))
    return _expected(family)


def test_every_control_is_saved_to_qsettings(
    open_dialog: SettingsDialog, ini: QSettings, expected: Settings, qtbot: QtBot
) -> None:
    d = open_dialog
    d.model_page.add_user_model("/work/tiny")  # what "Add folder..." does after its file dialog
    listed(qtbot, d.model_page)
    _select_model(d, "/work/tiny")
    d.model_page.trust_remote_code.setChecked(True)
    d.model_page.allow_pickle.setChecked(True)
    d.device_page.device.setCurrentIndex(d.device_page.device.findData("cuda"))
    d.device_page.precision.setCurrentIndex(d.device_page.precision.findData("bf16"))
    d.device_page.cpu_threads.setValue(1)
    d.device_page.context_tokens.setValue(1024)
    g = d.generation_page
    g.temperature.setValue(1.25)
    g.top_k.setValue(7)
    g.top_p.setValue(0.8)
    g.min_p.setValue(0.05)
    g.repetition_penalty.setValue(1.2)
    g.max_new_tokens.setValue(64)
    g.stop.setCurrentIndex(g.stop.findData("custom"))
    g.stop_strings.setPlainText("\\n\\n\nFin\\\\")  # typed as: \n\n  and  Fin\\
    g.alternatives.setValue(4)
    g.seed.setText("1234")
    g.no_copy_tokens.setValue(12)
    g.prose.setChecked(False)
    e = d.editor_page
    e.font_family.setCurrentFont(QFont(expected.editor.font_family))
    e.font_size.setValue(16)
    e.theme.setCurrentIndex(e.theme.findData("dark"))
    e.auto_suggest.setChecked(True)
    e.auto_suggest_delay.setValue(1200)
    assert d.keys_page.try_bind(Action.CONTINUE, "Ctrl+Space")

    d.buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    assert d.result() == d.DialogCode.Accepted
    assert _reloaded(ini) == expected


def test_every_control_shows_the_stored_settings(
    qtbot: QtBot, store: SettingsStore, ini: QSettings, expected: Settings
) -> None:
    store.save(expected)
    dialog = SettingsDialog(store, fake_catalog, [GPU, CPU])
    qtbot.addWidget(dialog)
    assert dialog.model_page.selected_source() == "/work/tiny"  # even before it is listed
    listed(qtbot, dialog.model_page)
    assert dialog.model_page.selected_source() == "/work/tiny"
    assert dialog.model_page.trust_remote_code.isChecked()
    assert dialog.device_page.device.currentData() == "cuda"
    assert dialog.generation_page.stop_strings.toPlainText() == "\\n\\n\nFin\\\\"
    assert dialog.generation_page.seed.text() == "1234"
    assert dialog.generation_page.no_copy_tokens.value() == 12
    assert not dialog.generation_page.prose.isChecked()
    assert dialog.editor_page.font_family.currentFont().family() == expected.editor.font_family
    assert dialog.keys_page.edits[Action.CONTINUE].keySequence() == QKeySequence("Ctrl+Space")
    # Nothing touched: OK writes back exactly what was stored.
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert _reloaded(ini) == expected


def test_a_key_another_action_has_is_refused_with_a_message(
    open_dialog: SettingsDialog, qtbot: QtBot, ini: QSettings
) -> None:
    keys = open_dialog.keys_page
    open_dialog.page_list.setCurrentRow(open_dialog.pages.index(keys))
    edit = keys.edits[Action.ACCEPT_SENTENCE]
    edit.setFocus()
    with qtbot.waitSignal(edit.editingFinished, timeout=5000):
        qtbot.keyClick(edit, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)

    assert "Ctrl+Right is already bound to \u201cAccept the next word\u201d" in keys.message.text()
    assert edit.keySequence() == QKeySequence("Ctrl+Down")  # the field shows the old key again
    open_dialog.apply()
    assert _reloaded(ini).key_bindings[Action.ACCEPT_SENTENCE] == "Ctrl+Down"


@pytest.mark.parametrize(
    ("key", "modifiers", "why"),
    [
        (Qt.Key.Key_A, Qt.KeyboardModifier.NoModifier, "A types \u201ca\u201d while writing"),
        (Qt.Key.Key_A, Qt.KeyboardModifier.ShiftModifier, "types \u201ca\u201d while writing"),
        (Qt.Key.Key_5, Qt.KeyboardModifier.NoModifier, "5 types \u201c5\u201d"),
        (Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier, "types a space"),
        (Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, "starts a new line"),
        (Qt.Key.Key_Backspace, Qt.KeyboardModifier.NoModifier, "deletes text"),
        (Qt.Key.Key_Left, Qt.KeyboardModifier.NoModifier, "moves the cursor"),
    ],
)
def test_a_key_needed_for_typing_is_refused_with_a_message(
    open_dialog: SettingsDialog,
    qtbot: QtBot,
    ini: QSettings,
    key: Qt.Key,
    modifiers: Qt.KeyboardModifier,
    why: str,
) -> None:
    keys = open_dialog.keys_page
    open_dialog.page_list.setCurrentRow(open_dialog.pages.index(keys))
    edit = keys.edits[Action.CONTINUE]
    edit.setFocus()
    with qtbot.waitSignal(edit.editingFinished, timeout=5000):
        qtbot.keyClick(edit, key, modifiers)

    assert why in keys.message.text()
    assert "needs Ctrl, Alt or Meta" in keys.message.text()
    assert edit.keySequence() == QKeySequence("Ctrl+Return")  # the field shows the old key again
    open_dialog.apply()
    assert _reloaded(ini).key_bindings[Action.CONTINUE] == "Ctrl+Return"


def test_cpu_threads_offer_at_most_the_cores_of_the_machine(open_dialog: SettingsDialog) -> None:
    spin = open_dialog.device_page.cpu_threads
    assert spin.maximum() == machine_cores()
    spin.setValue(machine_cores() + 100)
    assert spin.value() == machine_cores()


def test_a_free_key_typed_into_a_field_is_bound(
    open_dialog: SettingsDialog, qtbot: QtBot, ini: QSettings
) -> None:
    keys = open_dialog.keys_page
    open_dialog.page_list.setCurrentRow(open_dialog.pages.index(keys))
    edit = keys.edits[Action.DISMISS]
    edit.setFocus()
    with qtbot.waitSignal(edit.editingFinished, timeout=5000):
        qtbot.keyClick(edit, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    assert keys.message.text() == ""
    open_dialog.apply()
    assert _reloaded(ini).key_bindings[Action.DISMISS] == "Ctrl+G"


def test_invalid_generation_input_is_named_and_nothing_is_saved(
    open_dialog: SettingsDialog, store: SettingsStore, qtbot: QtBot
) -> None:
    g = open_dialog.generation_page
    g.stop.setCurrentIndex(g.stop.findData("custom"))  # custom stop with no strings
    g.temperature.setValue(0.1)
    with qtbot.assertNotEmitted(store.changed):
        assert not open_dialog.apply()
    assert "custom" in open_dialog.error.text() and "stop string" in open_dialog.error.text()
    assert open_dialog.stack.currentWidget() is g
    assert store.current.generation.temperature == GenerationParams().temperature


def test_copies_allowed_is_the_lowest_value_and_says_so(open_dialog: SettingsDialog) -> None:
    box = open_dialog.generation_page.no_copy_tokens
    box.setValue(box.minimum())
    assert box.minimum() == 0 and box.maximum() == 64  # LIMITS["no_copy_tokens"]
    assert box.text() == "Allow copies"
    assert open_dialog.apply()
    assert open_dialog._store.current.generation.no_copy_tokens == 0


def test_only_present_devices_are_offered(open_dialog: SettingsDialog) -> None:
    combo = open_dialog.device_page.device
    assert [combo.itemData(i) for i in range(combo.count())] == ["auto", "cuda", "cpu"]
    assert "Test GPU (6.0 GB free of 8.0 GB)" in combo.itemText(1)


def test_the_memory_estimate_follows_device_and_precision(open_dialog: SettingsDialog) -> None:
    d = open_dialog
    _select_model(d, "org/cached")
    d.device_page.device.setCurrentIndex(d.device_page.device.findData("cpu"))
    assert "on CPU at int8" in d.model_page.details.text()  # what auto means on the CPU
    d.device_page.precision.setCurrentIndex(d.device_page.precision.findData("fp16"))
    assert "on CPU at fp16" in d.model_page.details.text()


def test_a_saved_model_that_disappeared_stays_listed_with_the_reason(
    qtbot: QtBot, store: SettingsStore
) -> None:
    store.save(Settings(model=ModelSpec(source="/gone/model")))
    dialog = SettingsDialog(store, fake_catalog, [CPU])
    qtbot.addWidget(dialog)
    listed(qtbot, dialog.model_page)
    assert dialog.model_page.selected_source() == "/gone/model"
    assert "was not found on this computer" in dialog.model_page.details.text()


def test_choosing_another_model_switches_the_code_and_pickle_opt_ins_off(
    open_dialog: SettingsDialog,
) -> None:
    page = open_dialog.model_page
    page.trust_remote_code.setChecked(True)
    page.allow_pickle.setChecked(True)
    _select_model(open_dialog, "org/cached")
    assert not page.trust_remote_code.isChecked()
    assert not page.allow_pickle.isChecked()


def test_downloading_while_offline_shows_a_clear_message(
    open_dialog: SettingsDialog, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    page = open_dialog.model_page
    page.hub_id.setText("tester/not-cached")
    with qtbot.waitSignal(page.downloader.failed, timeout=10_000):
        page.download_button.click()
    page.shutdown()
    assert "HF_HUB_OFFLINE is set and it is not in the local cache" in page.download_status.text()
    assert page.download_button.isEnabled()
    assert not page.progress.isVisible()


def test_restore_defaults_resets_the_shown_page_only_until_saved(
    open_dialog: SettingsDialog, store: SettingsStore, expected: Settings
) -> None:
    store.save(expected)
    open_dialog.load(store.current)
    open_dialog.page_list.setCurrentRow(open_dialog.pages.index(open_dialog.generation_page))
    open_dialog.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).click()
    assert open_dialog.generation_page.temperature.value() == GenerationParams().temperature
    assert open_dialog.editor_page.font_size.value() == 16  # other pages keep their values
    assert store.current == expected  # nothing saved yet
    open_dialog.apply()
    assert store.current.generation == GenerationParams(context_tokens=1024)


def test_models_are_listed_off_the_gui_thread_and_shown_on_it(
    qtbot: QtBot, store: SettingsStore
) -> None:
    listed_on: list[threading.Thread] = []

    def recording_catalog(user_paths: Sequence[str]) -> list[CatalogEntry]:
        listed_on.append(threading.current_thread())
        return fake_catalog(user_paths)

    dialog = SettingsDialog(store, recording_catalog, [CPU])
    qtbot.addWidget(dialog)
    page = dialog.model_page
    shown_on: list[threading.Thread] = []
    page.models_listed.connect(lambda: shown_on.append(threading.current_thread()))
    listed(qtbot, page)
    assert listed_on and all(t is not threading.main_thread() for t in listed_on)
    assert shown_on == [threading.main_thread()]
    assert page.models.topLevelItemCount() == 2


def test_the_newest_listing_wins(qtbot: QtBot, store: SettingsStore) -> None:
    release_first = threading.Event()
    first_done = threading.Event()
    calls: list[int] = []

    def catalog(user_paths: Sequence[str]) -> list[CatalogEntry]:
        calls.append(len(calls))
        if len(calls) == 1:  # the dialog's own listing: slow, and outdated before it ends
            release_first.wait(timeout=10)
            first_done.set()
            return [_entry("old", "old")]
        return [_entry(p, p) for p in user_paths] or [_entry("empty", "empty")]

    dialog = SettingsDialog(store, catalog, [CPU])
    qtbot.addWidget(dialog)
    page = dialog.model_page
    shown: list[list[str]] = []

    def record() -> None:
        tree = page.models
        shown.append([tree.topLevelItem(r).text(0) for r in range(tree.topLevelItemCount())])

    page.models_listed.connect(record)
    with qtbot.waitSignal(page.models_listed, timeout=5000):
        page.add_user_model("new")
    release_first.set()
    assert first_done.wait(timeout=5)
    with qtbot.waitSignal(page.models_listed, timeout=5000):
        page.add_user_model("newer")
    assert shown == [["new"], ["new", "newer"]]  # the first, slow listing was never shown
    page.shutdown()


def test_a_failing_listing_is_explained_and_logged(
    qtbot: QtBot, store: SettingsStore, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(user_paths: Sequence[str]) -> list[CatalogEntry]:
        raise OSError("the cache folder is not readable")

    dialog = SettingsDialog(store, broken, [CPU])
    qtbot.addWidget(dialog)
    listed(qtbot, dialog.model_page)
    assert "could not be listed: the cache folder is not readable" in (
        dialog.model_page.details.text()
    )
    assert "listing the models failed" in caplog.text
    assert "OSError: the cache folder is not readable" in caplog.text
