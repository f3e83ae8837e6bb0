"""What a Preferences page holds, in words: the names its Restore Defaults button restores.

Read from the page's own controls (form labels, check boxes), so a page added or changed by
anyone is described without a list to keep in step.
"""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractButton, QCheckBox, QFormLayout, QLabel, QWidget


def _plain(text: str) -> str:
    """A label as it reads: no mnemonic ampersand, no trailing colon."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").strip().rstrip(":")


def setting_names(page: QWidget) -> list[str]:
    """The names of the settings on page, top to bottom, once each."""
    names: list[str] = []
    for form in page.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            label_widget = label.widget() if label is not None else None
            field_widget = field.widget() if field is not None else None
            text = _plain(label_widget.text()) if isinstance(label_widget, QLabel) else ""
            if not text and isinstance(field_widget, QCheckBox | QAbstractButton):
                text = _plain(field_widget.text())
            if text and field_widget is not None and text not in names:
                names.append(text)
    return names


def restore_description(title: str, names: list[str]) -> str:
    """The Restore Defaults button's tooltip for a page."""
    if not names:
        return f"Restore the defaults of the {title} page"
    return f"Restore the defaults of the {title} page: " + ", ".join(names)
