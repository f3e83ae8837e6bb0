"""The two questions about the writer's unsaved work: before closing, and after an outside change.

Each question is a function that builds the message box (testable without running it) and one
that asks it modally and returns an enum, so callers never compare QMessageBox buttons.
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtWidgets import QMessageBox, QWidget

from penwright.resources import APP_NAME


class UnsavedChoice(Enum):
    SAVE = "save"
    DISCARD = "discard"
    CANCEL = "cancel"  # keep editing: the close or quit does not happen


class ExternalChangeChoice(Enum):
    RELOAD = "reload"  # replace the editor's text with the file on disk
    KEEP = "keep"  # keep the editor's text; saving will overwrite the file on disk


def unsaved_changes_box(
    parent: QWidget | None, document_name: str, *, sample: bool = False
) -> QMessageBox:
    """Save / Don't Save / Cancel; Save is the default, Escape cancels.

    sample: the document is a shipped sample (the welcome guide, resources/samples). Saving it
    asks for a new file, so the button says "Save As…", and Cancel is the default: the shipped
    file is never overwritten, nor the writer's changes dropped, by a press of Return.
    """
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(APP_NAME)
    box.setText(f"Save the changes to “{document_name}” before closing?")
    box.setInformativeText("If you don't save, your changes since the last save will be lost.")
    box.setStandardButtons(
        QMessageBox.StandardButton.Save
        | QMessageBox.StandardButton.Discard
        | QMessageBox.StandardButton.Cancel
    )
    if sample:
        box.button(QMessageBox.StandardButton.Save).setText("Save &As…")
        box.setInformativeText(
            "This is one of Penwright's sample documents: to keep your changes, save them as a "
            "new file. If you don't, they will be lost."
        )
    safe = QMessageBox.StandardButton.Cancel if sample else QMessageBox.StandardButton.Save
    box.setDefaultButton(safe)
    box.setEscapeButton(QMessageBox.StandardButton.Cancel)
    return box


def unsaved_choice(box: QMessageBox) -> UnsavedChoice:
    """What the writer chose in an unsaved_changes_box (closing it any other way cancels)."""
    button = box.standardButton(box.clickedButton()) if box.clickedButton() else None
    if button == QMessageBox.StandardButton.Save:
        return UnsavedChoice.SAVE
    if button == QMessageBox.StandardButton.Discard:
        return UnsavedChoice.DISCARD
    return UnsavedChoice.CANCEL


def ask_unsaved_changes(
    parent: QWidget | None, document_name: str, *, sample: bool = False
) -> UnsavedChoice:
    """Ask modally whether to save document_name before it is closed."""
    box = unsaved_changes_box(parent, document_name, sample=sample)
    box.exec()
    return unsaved_choice(box)


def external_change_box(
    parent: QWidget | None, document_name: str, has_unsaved_changes: bool
) -> QMessageBox:
    """Reload / Keep my version. With unsaved changes, keeping is the default (loses nothing)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(APP_NAME)
    box.setText(f"“{document_name}” was changed on disk by another program.")
    if has_unsaved_changes:
        box.setInformativeText(
            "Reload it and lose your unsaved changes, or keep your version? "
            "Keeping it and saving will overwrite the other program's changes."
        )
    else:
        box.setInformativeText("Reload it, or keep the version shown in the editor?")
    reload_button = box.addButton("&Reload from Disk", QMessageBox.ButtonRole.AcceptRole)
    keep_button = box.addButton("&Keep My Version", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep_button if has_unsaved_changes else reload_button)
    box.setEscapeButton(keep_button)
    return box


def external_change_choice(box: QMessageBox) -> ExternalChangeChoice:
    """What the writer chose in an external_change_box (closing it any other way keeps)."""
    clicked = box.clickedButton()
    if clicked is not None and box.buttonRole(clicked) == QMessageBox.ButtonRole.AcceptRole:
        return ExternalChangeChoice.RELOAD
    return ExternalChangeChoice.KEEP


def ask_external_change(
    parent: QWidget | None, document_name: str, has_unsaved_changes: bool
) -> ExternalChangeChoice:
    """Ask modally whether to reload a file another program changed."""
    box = external_change_box(parent, document_name, has_unsaved_changes)
    box.exec()
    return external_change_choice(box)
