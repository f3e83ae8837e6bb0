"""Preferences > Remote servers in the real dialog: presets, what a server ignores, Test
connection against the tests' own server on 127.0.0.1 (off the GUI thread), keys kept out of the
settings file unless the writer ticks the box, and the Model list choosing the server."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from keyring.backends import fail
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot
from remote_fault_server import MODEL_ID, FaultServer, fault_server

from penwright.app.settings.dialog import SettingsDialog
from penwright.app.settings.secrets import NO_KEYRING, KeyStore
from penwright.app.settings.store import SettingsStore
from penwright.app.tasks import detach_loop
from penwright.models.catalog.listing import CatalogEntry, ModelKind


def _catalog(user_paths: Sequence[str]) -> list[CatalogEntry]:
    return [CatalogEntry("default", "Bundled", ModelKind.BUNDLED, "default", 1000, parameters=1)]


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with fault_server() as running:
        yield running


@pytest.fixture
def ini(tmp_path: Path) -> Path:
    return tmp_path / "penwright.ini"


@pytest.fixture
def keys() -> KeyStore:
    return KeyStore(fail.Keyring())  # what this headless machine has: no keyring


@pytest.fixture
def dialog(qtbot: QtBot, ini: Path, keys: KeyStore) -> Iterator[SettingsDialog]:
    store = SettingsStore(QSettings(str(ini), QSettings.Format.IniFormat))
    store.load()
    dialog = SettingsDialog(store, _catalog, [], keys=keys)
    qtbot.addWidget(dialog)
    dialog.show()
    if dialog.model_page.listing:
        with qtbot.waitSignal(dialog.model_page.models_listed, timeout=5000):
            pass
    yield dialog
    dialog.model_page.shutdown()
    dialog.remote_page.shutdown()
    detach_loop()


def _add(dialog: SettingsDialog, preset_label: str) -> None:
    page = dialog.remote_page
    page.add_button.click()
    page.preset.setCurrentIndex(page.preset.findText(preset_label))
    page.preset.activated.emit(page.preset.currentIndex())


def test_a_preset_fills_the_address_and_says_what_the_server_ignores(
    dialog: SettingsDialog,
) -> None:
    page = dialog.remote_page
    _add(dialog, "Ollama")
    assert page.base_url.text() == "http://127.0.0.1:11434/v1"
    assert page.ignored.text().startswith(
        "Ollama ignores top_k, min_p, repetition_penalty; it returns one alternative per "
        "request, so each is asked for apart."
    )
    assert "Token healing" in page.ignored.text()
    _add(dialog, "vLLM")
    assert page.base_url.text() == "http://127.0.0.1:8000/v1"
    assert page.ignored.text().startswith("vLLM honours every sampling setting.")


def test_test_connection_lists_the_servers_models(
    qtbot: QtBot, dialog: SettingsDialog, server: FaultServer
) -> None:
    page = dialog.remote_page
    _add(dialog, "vLLM")
    page.base_url.setText(server.base_url)
    page.base_url.textEdited.emit(server.base_url)
    with qtbot.waitSignal(page.tested, timeout=10_000) as outcome:
        page.test_button.click()
    assert outcome.args == [f"Connected. {server.base_url} serves: {MODEL_ID}."]
    assert page.model.itemText(0) == MODEL_ID and page.model.currentText() == MODEL_ID
    server.models_scenario = "401"
    with qtbot.waitSignal(page.tested, timeout=10_000) as outcome:
        page.test_button.click()
    assert outcome.args is not None and "(401 unauthorized)" in outcome.args[0]


def test_without_a_keyring_the_key_lasts_the_session_unless_the_file_is_chosen(
    dialog: SettingsDialog, ini: Path, keys: KeyStore
) -> None:
    page = dialog.remote_page
    _add(dialog, "vLLM")
    assert page.key_status.text() == f"\u26a0 {NO_KEYRING}"
    page.key.setText("sk-session")
    page.key.textEdited.emit("sk-session")
    assert dialog.apply()
    assert "sk-session" not in ini.read_text()
    assert keys.get("remote:Server") == "sk-session"
    page.key_in_file.setChecked(True)
    assert "anyone who can read that file" in page.key_status.text()
    assert dialog.apply()
    assert "sk-session" in ini.read_text()


def test_the_model_list_offers_the_server_and_writing_with_it_is_saved(
    dialog: SettingsDialog, server: FaultServer
) -> None:
    page = dialog.remote_page
    _add(dialog, "vLLM")
    page.name.setText("gpu box")
    page.name.textEdited.emit("gpu box")
    page.use_button.click()
    assert dialog.stack.currentWidget() is dialog.model_page
    item = dialog.model_page.models.currentItem()
    assert item is not None and item.data(0, Qt.ItemDataRole.UserRole) == "remote:gpu box"
    assert "Remote server at http://127.0.0.1:8000/v1" in dialog.model_page.details.text()
    assert dialog.apply()
    assert dialog._store.current.model.source == "remote:gpu box"
    # Removing the server goes back to the local model.
    page.remove_button.click()
    assert dialog.apply()
    assert dialog._store.current.model.source == "default"
    assert dialog._store.current.remote_servers == ()


def test_an_entry_without_an_address_is_refused_by_name(dialog: SettingsDialog) -> None:
    page = dialog.remote_page
    _add(dialog, "vLLM")
    page.base_url.setText("localhost:8000")
    page.base_url.textEdited.emit("localhost:8000")
    assert not dialog.apply()
    assert dialog.error.text() == (
        "Remote servers: the base URL of Server must start with http:// or https://"
    )
