"""The questions asked while opening a file: a large file, a file that is not UTF-8, an encoding.

Each is a plain function of (parent, ...) that the window holds as an attribute, so tests put an
answer in its place instead of clicking a modal box.
"""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget

from penwright.models.files.encoding_guess import describe_encoding
from penwright.resources import APP_NAME

# What "Open As…" lists: the encodings writers meet, in Python's codec names. A guess that is not
# among them is put first.
COMMON_ENCODINGS = (
    "utf-8",
    "utf-8-sig",
    "utf-16-le",
    "utf-16-be",
    "cp1252",
    "latin-1",
    "iso8859-15",
    "cp1250",
    "cp1251",
    "koi8-r",
    "mac-roman",
    "shift_jis",
    "cp932",
    "euc-jp",
    "gb18030",
    "big5",
    "euc-kr",
)


def confirm_large_file(parent: QWidget | None, name: str, size_text: str) -> bool:
    """Ask before opening a file so large that the editor will be slow with it."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(APP_NAME)
    box.setText(f"“{name}” is {size_text}. Open it anyway?")
    box.setInformativeText(
        "A file this large takes a while to open, and editing and saving it will be slow."
    )
    box.setStandardButtons(QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.standardButton(box.clickedButton()) == QMessageBox.StandardButton.Open


def offer_open_as(parent: QWidget | None, message: str, guess: str) -> str | None:
    """Say why the file was not opened and offer it in the guessed encoding, or another one.

    Returns the codec to open it in, or None to leave it closed.
    """
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(APP_NAME)
    box.setText(message)
    box.setInformativeText("Opening in a wrong encoding shows garbled text; nothing is saved.")
    guessed = box.addButton(
        f"Open as {describe_encoding(guess)}", QMessageBox.ButtonRole.AcceptRole
    )
    other = box.addButton("Other Encoding…", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(guessed)
    box.exec()
    if box.clickedButton() is guessed:
        return guess
    if box.clickedButton() is other:
        return choose_encoding(parent, message, guess)
    return None


def choose_encoding(parent: QWidget | None, name: str, suggested: str | None) -> str | None:
    """Let the writer pick an encoding (the suggestion preselected); None when cancelled."""
    choices = list(COMMON_ENCODINGS)
    if suggested and suggested not in choices:
        choices.insert(0, suggested)
    labels = [describe_encoding(choice) for choice in choices]
    current = choices.index(suggested) if suggested in choices else 0
    label, accepted = QInputDialog.getItem(
        parent, APP_NAME, f"Open {name} as:", labels, current, False
    )
    if not accepted:
        return None
    return choices[labels.index(label)]
