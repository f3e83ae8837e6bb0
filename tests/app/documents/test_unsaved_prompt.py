"""app.documents.unsaved_prompt: the questions offer the right choices, default to the safe one,
and map
every way of answering (including Escape) to a choice."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from penwright.app.documents.unsaved_prompt import (
    ExternalChangeChoice,
    UnsavedChoice,
    ask_external_change,
    ask_unsaved_changes,
    external_change_box,
    external_change_choice,
    unsaved_changes_box,
    unsaved_choice,
)

Button = QMessageBox.StandardButton


def test_unsaved_box_names_the_document_and_defaults_to_save(qtbot: QtBot) -> None:
    box = unsaved_changes_box(None, "chapter-3.md")
    qtbot.addWidget(box)
    assert "chapter-3.md" in box.text()
    assert box.standardButtons() == Button.Save | Button.Discard | Button.Cancel
    assert box.defaultButton() is box.button(Button.Save)


@pytest.mark.parametrize(
    ("button", "choice"),
    [
        (Button.Save, UnsavedChoice.SAVE),
        (Button.Discard, UnsavedChoice.DISCARD),
        (Button.Cancel, UnsavedChoice.CANCEL),
    ],
)
def test_each_button_maps_to_its_choice(
    qtbot: QtBot, button: QMessageBox.StandardButton, choice: UnsavedChoice
) -> None:
    box = unsaved_changes_box(None, "doc")
    qtbot.addWidget(box)
    box.button(button).click()
    assert unsaved_choice(box) is choice


def test_unanswered_box_means_cancel(qtbot: QtBot) -> None:
    box = unsaved_changes_box(None, "doc")
    qtbot.addWidget(box)
    assert unsaved_choice(box) is UnsavedChoice.CANCEL


def _answer_modal_with(action: Callable[[QMessageBox], None]) -> None:
    def answer() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        action(box)

    QTimer.singleShot(0, answer)


def test_escape_cancels_the_close(qtbot: QtBot) -> None:
    _answer_modal_with(lambda box: qtbot.keyClick(box, Qt.Key.Key_Escape))
    assert ask_unsaved_changes(None, "doc") is UnsavedChoice.CANCEL


def test_ask_unsaved_changes_returns_the_clicked_choice(qtbot: QtBot) -> None:
    _answer_modal_with(lambda box: box.button(Button.Discard).click())
    assert ask_unsaved_changes(None, "doc") is UnsavedChoice.DISCARD


def test_external_change_defaults_to_keeping_unsaved_work(qtbot: QtBot) -> None:
    with_changes = external_change_box(None, "notes.txt", has_unsaved_changes=True)
    without = external_change_box(None, "notes.txt", has_unsaved_changes=False)
    qtbot.addWidget(with_changes)
    qtbot.addWidget(without)
    assert "notes.txt" in with_changes.text()
    assert "lose your unsaved changes" in with_changes.informativeText()
    assert with_changes.defaultButton().text() == "&Keep My Version"
    assert without.defaultButton().text() == "&Reload from Disk"


@pytest.mark.parametrize(
    ("label", "choice"),
    [
        ("&Reload from Disk", ExternalChangeChoice.RELOAD),
        ("&Keep My Version", ExternalChangeChoice.KEEP),
    ],
)
def test_external_change_buttons_map_to_choices(
    qtbot: QtBot, label: str, choice: ExternalChangeChoice
) -> None:
    box = external_change_box(None, "notes.txt", has_unsaved_changes=False)
    qtbot.addWidget(box)
    (button,) = [b for b in box.buttons() if b.text() == label]
    button.click()
    assert external_change_choice(box) is choice


def test_escape_keeps_the_writers_version(qtbot: QtBot) -> None:
    _answer_modal_with(lambda box: qtbot.keyClick(box, Qt.Key.Key_Escape))
    assert ask_external_change(None, "notes.txt", has_unsaved_changes=False) is (
        ExternalChangeChoice.KEEP
    )
