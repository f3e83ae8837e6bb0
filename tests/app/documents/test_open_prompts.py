"""The questions opening asks, answered by clicking their real buttons: the offer names the
guessed encoding on its button, "Other Encoding…" lists the encodings with the guess chosen, and
the large-file question defaults to Cancel."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from penwright.app.documents.open_prompts import (
    choose_encoding,
    confirm_large_file,
    offer_open_as,
)


def _when_shown(kind: type, act: object) -> None:
    """Run act(dialog) on the first modal dialog of ``kind`` once it is up."""

    def try_now() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, kind):
            act(dialog)  # type: ignore[operator]
        else:
            QTimer.singleShot(10, try_now)

    QTimer.singleShot(0, try_now)


def _click(text: str) -> object:
    def click(box: QMessageBox) -> None:
        buttons = [b for b in box.findChildren(QPushButton) if b.text().replace("&", "") == text]
        if not buttons:
            box.reject()  # never leave a modal box waiting: fail instead
            raise AssertionError(f"no button {text!r} in the box")
        buttons[0].click()

    return click


def test_the_offer_opens_in_the_guess_from_its_button(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    _when_shown(QMessageBox, _click("Open as UTF-16 LE"))
    assert offer_open_as(parent, "diary.txt is not UTF-8", "utf-16-le") == "utf-16-le"


def test_the_offer_can_be_declined(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    _when_shown(QMessageBox, _click("Cancel"))
    assert offer_open_as(parent, "diary.txt is not UTF-8", "utf-16-le") is None


def test_another_encoding_is_chosen_from_a_list_with_the_guess_selected(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    seen: list[str] = []

    def pick_the_next_one(dialog: QInputDialog) -> None:
        seen.append(dialog.textValue())
        items = dialog.comboBoxItems()
        dialog.setTextValue(items[items.index(dialog.textValue()) + 1])
        dialog.accept()

    _when_shown(QInputDialog, pick_the_next_one)
    assert choose_encoding(parent, "old.txt", "cp1252") == "latin-1"
    assert seen == ["CP1252"]


def test_a_guess_outside_the_list_comes_first(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    items: list[list[str]] = []

    def look(dialog: QInputDialog) -> None:
        items.append(dialog.comboBoxItems())
        dialog.reject()

    _when_shown(QInputDialog, look)
    assert choose_encoding(parent, "old.txt", "cp437") is None
    assert items[0][0] == "CP437"


def test_the_large_file_question_needs_an_explicit_open(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    texts: list[str] = []

    def read_and_press_enter(box: QMessageBox) -> None:
        texts.append(box.text())
        box.defaultButton().click()

    _when_shown(QMessageBox, read_and_press_enter)
    assert not confirm_large_file(parent, "huge.txt", "120.0 MB")
    assert texts == ["“huge.txt” is 120.0 MB. Open it anyway?"]
    _when_shown(QMessageBox, _click("Open"))
    assert confirm_large_file(parent, "huge.txt", "120.0 MB")
