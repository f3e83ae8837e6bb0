"""The model list's styles (models.training): what each was trained on, its figures, and the
questions to rename or delete one."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox, QWidget

from penwright.models.training.styles import (
    StyleError,
    delete_style,
    describe_figures,
    read_style,
    rename_style,
)


def style_details(source: str) -> str:
    """Rich text: the base model, the texts it learned from, and its figures."""
    try:
        style = read_style(source)
    except StyleError as error:
        return f"<b>Damaged:</b> {html.escape(str(error))}"
    corpus = style.meta.get("corpus", {})
    paths = corpus.get("paths", [])
    shown = ", ".join(html.escape(p.rsplit("/", 1)[-1]) for p in paths[:4])
    more = f" and {len(paths) - 4} more" if len(paths) > 4 else ""
    samples = style.meta.get("samples", {})
    return (
        f"Your style on {html.escape(str(style.meta.get('base', {}).get('name', '')))}, "
        f"learned from {corpus.get('files', 0)} file(s), {corpus.get('words', 0):,} words "
        f"({shown}{more}).<br>{html.escape(describe_figures(style.meta).capitalize())}."
        f"<br><i>Held-out passage continued with it:</i> {html.escape(samples.get('after', ''))}"
    )


def ask_rename(parent: QWidget, source: str) -> bool:
    style = read_style(source)
    name, accepted = QInputDialog.getText(
        parent, "Rename the style", "New name:", QLineEdit.EchoMode.Normal, style.name
    )
    if not accepted or not name.strip() or name.strip() == style.name:
        return False
    try:
        rename_style(source, name)
    except StyleError as error:
        QMessageBox.warning(parent, "Cannot rename the style", str(error))
        return False
    return True


def ask_delete(parent: QWidget, source: str) -> bool:
    style = read_style(source)
    answer = QMessageBox.question(
        parent,
        "Delete the style?",
        f"Delete the style {style.name!r}?\n\nYour texts are not touched; the style can be "
        "trained again from them with Tools > Learn from my writing.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    if answer != QMessageBox.StandardButton.Yes:
        return False
    try:
        delete_style(source)
    except (StyleError, OSError) as error:
        QMessageBox.warning(parent, "Cannot delete the style", str(error))
        return False
    return True
