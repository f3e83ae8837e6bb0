"""File > Export as: HTML…, ODT…, PDF… for the document the window shows (documents/export.py).

The window passes a function that names the current document (its editor and file), so the menu
works for one editor or for tabs. A Markdown file is exported rendered, in the editor's font;
a failure is shown once through the window's notice and nothing is half written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMenu, QPlainTextEdit

from penwright.app.documents.export import (
    ExportError,
    ExportFormat,
    export_text,
    is_markdown,
    with_suffix,
)


@dataclass(frozen=True)
class ExportSource:
    """What to export: the editor holding the text and the file it came from (None: unsaved)."""

    editor: QPlainTextEdit
    path: Path | None


def ask_export_path(window: QMainWindow, fmt: ExportFormat, suggested: str) -> str:
    path, _ = QFileDialog.getSaveFileName(
        window, f"Export as {fmt.label}", suggested, fmt.file_filter
    )
    return path


class ExportMenu(QObject):
    """The Export as submenu; ``export_to`` does the work without a dialog (tests call it)."""

    def __init__(
        self,
        window: QMainWindow,
        file_menu: QMenu,
        source: Callable[[], ExportSource],
        notify: Callable[[str], None],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._source = source
        self._notify = notify
        self.ask_path = ask_export_path  # tests answer in its place
        self.menu = QMenu("E&xport as", window)
        for fmt in ExportFormat:
            action = self.menu.addAction(f"&{fmt.label}…")
            action.setData(fmt.value)
            action.triggered.connect(lambda _=False, f=fmt: self.export_dialog(f))
        # Before the separator that leads to Quit, after the opening and saving entries.
        separators = [a for a in file_menu.actions() if a.isSeparator()]
        before = separators[-1] if separators else None
        if before is not None:
            file_menu.insertMenu(before, self.menu)
        else:
            file_menu.addMenu(self.menu)

    @Slot()
    def export_dialog(self, fmt: ExportFormat) -> bool:
        source = self._source()
        stem = source.path.stem if source.path is not None else "Untitled"
        folder = source.path.parent if source.path is not None else Path.home()
        chosen = self.ask_path(self._window, fmt, str(folder / f"{stem}.{fmt.value}"))
        return self.export_to(fmt, with_suffix(chosen, fmt)) if chosen else False

    def export_to(self, fmt: ExportFormat, path: Path) -> bool:
        """Export the current document to path; False (and one message) when it failed."""
        source = self._source()
        editor = source.editor
        try:
            export_text(
                path, editor.toPlainText(), editor.font(), fmt, markdown=is_markdown(source.path)
            )
        except ExportError as exc:
            self._notify(str(exc))
            return False
        self._window.statusBar().showMessage(f"Exported {path.name}", 5000)
        return True


def add_export_menu(
    window: QMainWindow,
    file_menu: QMenu,
    source: Callable[[], ExportSource],
    notify: Callable[[str], None],
) -> ExportMenu:
    """Add File > Export as to window's file_menu."""
    return ExportMenu(window, file_menu, source, notify)
