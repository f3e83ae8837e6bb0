"""Preferences > Model with damaged models: Preferences opens, each damaged entry shows its reason
and a Remove button (a user folder leaves the list; a cache entry is deleted after asking)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from damaged_models import hf_cache_with, save_tiny_llama, truncated_copy
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

import penwright.app.settings.model_page as model_page
from penwright.app.settings.dialog import SettingsDialog
from penwright.app.settings.model_page import ModelPage
from penwright.app.settings.store import SettingsStore
from penwright.app.window.main_window import MainWindow

WAIT_MS = 10_000


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture
def damaged(tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(a user folder with a truncated safetensors, the HF cache repo of another such copy)."""
    folder = truncated_copy(tiny_model, tmp_path / "damaged-folder")
    repo = hf_cache_with(truncated_copy(tiny_model, tmp_path / "copy"), tmp_path / "hub", "t/bad")
    monkeypatch.delenv("HF_HOME", raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    return folder, repo


def with_user_model(settings: QSettings, folder: Path) -> None:
    store = SettingsStore(settings)
    store.save(replace(store.load().settings, user_models=(str(folder),)))


def listed(qtbot: QtBot, page: ModelPage) -> None:
    if page.listing:
        with qtbot.waitSignal(page.models_listed, timeout=WAIT_MS):
            pass


def select(page: ModelPage, source: str) -> str:
    """Select the entry and return its text in the list."""
    for row in range(page.models.topLevelItemCount()):
        item = page.models.topLevelItem(row)
        if item is not None and item.data(0, model_page._SOURCE) == source:
            page.models.setCurrentItem(item)
            return item.text(0)
    raise AssertionError(f"{source} is not listed")


def test_preferences_opens_with_damaged_models_and_shows_why(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    settings: QSettings,
    damaged: tuple[Path, Path],
) -> None:
    folder, _ = damaged
    with_user_model(settings, folder)
    window = make_window(load=False)
    window.dialogs.preferences_action.trigger()
    dialog = window.dialogs.preferences
    assert isinstance(dialog, SettingsDialog) and dialog.isVisible()
    page = dialog.model_page
    listed(qtbot, page)

    assert select(page, str(folder)) == "damaged-folder (damaged)"
    assert "Damaged:" in page.details.text() and "deserializing header" in page.details.text()
    assert page.remove.isEnabled() and "Remove from list" in page.remove.text()
    assert select(page, "t/bad") == "t/bad (damaged)"
    assert "Damaged:" in page.details.text()
    assert page.remove.isEnabled() and "Delete from disk" in page.remove.text()
    assert select(page, "default").startswith("Gemma"), "the usable models are listed too"
    dialog.reject()


def test_ok_with_a_damaged_entry_selected_keeps_the_model(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    settings: QSettings,
    damaged: tuple[Path, Path],
) -> None:
    folder, _ = damaged
    with_user_model(settings, folder)
    window = make_window(load=False)
    window.dialogs.open_preferences()
    dialog = window.dialogs.preferences
    assert dialog is not None
    page = dialog.model_page
    listed(qtbot, page)
    select(page, str(folder))
    assert not page.details.text().startswith("<b>Damaged:</b> damaged")  # said once
    dialog.accept()
    assert SettingsStore(settings).load().settings.model.source == "default"


def test_remove_takes_a_damaged_user_folder_off_the_list_and_keeps_its_files(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    settings: QSettings,
    damaged: tuple[Path, Path],
) -> None:
    folder, _ = damaged
    with_user_model(settings, folder)
    window = make_window(load=False)
    window.dialogs.open_preferences()
    dialog = window.dialogs.preferences
    assert dialog is not None
    page = dialog.model_page
    listed(qtbot, page)
    select(page, str(folder))
    with qtbot.waitSignal(page.models_listed, timeout=WAIT_MS):
        page.remove.click()
    sources = [page.models.topLevelItem(i).data(0, model_page._SOURCE)  # type: ignore[union-attr]
               for i in range(page.models.topLevelItemCount())]  # fmt: skip
    assert str(folder) not in sources
    dialog.accept()
    assert SettingsStore(settings).load().settings.user_models == ()
    assert (folder / "model.safetensors").is_file(), "removing from the list deletes nothing"


@pytest.mark.parametrize("answer", ["yes", "cancel"])
def test_a_damaged_cache_entry_is_deleted_only_after_asking(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    damaged: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
) -> None:
    _, repo = damaged
    asked: list[str] = []

    def question(parent: object, title: str, text: str, *args: object) -> object:
        asked.append(text)
        button = QMessageBox.StandardButton
        return button.Yes if answer == "yes" else button.Cancel

    monkeypatch.setattr(QMessageBox, "question", question)
    window = make_window(load=False)
    window.dialogs.open_preferences()
    dialog = window.dialogs.preferences
    assert dialog is not None
    page = dialog.model_page
    listed(qtbot, page)
    select(page, "t/bad")

    if answer == "yes":
        with qtbot.waitSignal(page.removal_finished, timeout=WAIT_MS) as removal:
            page.remove.click()
        assert removal.args == ["t/bad", "Deleted t/bad from the Hugging Face cache."]
        listed(qtbot, page)
        assert not repo.exists()
        with pytest.raises(AssertionError, match="not listed"):
            select(page, "t/bad")
    else:
        page.remove.click()
        assert repo.exists() and not page.listing
        assert select(page, "t/bad") == "t/bad (damaged)"
    assert len(asked) == 1 and "t/bad" in asked[0] and "snapshots" in asked[0]
    dialog.reject()
