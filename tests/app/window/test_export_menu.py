"""File > Export as in the real window: the entries sit before Quit, a Markdown file is exported
rendered in the editor's font, a failure shows one notice and the document stays as it was."""

from __future__ import annotations

import zipfile
from pathlib import Path

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QMainWindow

from penwright.app.documents.export import ExportFormat
from penwright.app.window.main_window import MainWindow


def test_export_entries_come_before_quit(window: MainWindow) -> None:
    names = [a.text() for a in window.file_menu.actions()]
    assert names.index("E&xport as") < names.index("&Quit")
    entries = [a.text() for a in window.export_menu.menu.actions()]
    assert entries == ["&HTML…", "&ODT…", "&PDF…"]


def test_a_markdown_document_exports_rendered_in_the_editor_font(
    window: MainWindow, tmp_path: Path
) -> None:
    source = tmp_path / "chapter.md"
    source.write_text("# Chapter One\n\nIt was *late*.\n", "utf-8")
    assert window.open_file(source, ask=False)
    font = QFont("DejaVu Serif")
    font.setPointSize(15)
    window.editor.setFont(font)
    chosen: list[ExportFormat] = []

    def answer(parent: QMainWindow, fmt: ExportFormat, suggested: str) -> str:
        chosen.append(fmt)
        assert suggested == str(tmp_path / "chapter.html")
        return str(tmp_path / "out")  # no suffix typed: .html is added

    window.export_menu.ask_path = answer
    window.export_menu.menu.actions()[0].trigger()
    assert chosen == [ExportFormat.HTML]
    html = (tmp_path / "out.html").read_text("utf-8")
    assert (
        "<h1" in html and "Chapter One" in html and '<span style=" font-style:italic;">late' in html
    )
    assert "DejaVu Serif" in html and "15pt" in html
    assert window.editor.toPlainText() == "# Chapter One\n\nIt was *late*.\n"
    assert not window.editor.document().isModified()


def test_an_export_that_fails_shows_one_notice(window: MainWindow, tmp_path: Path) -> None:
    window.editor.setPlainText("unsaved words")
    blocker = tmp_path / "file"
    blocker.write_text("x", "utf-8")
    assert not window.export_menu.export_to(ExportFormat.ODT, blocker / "story.odt")
    assert window.last_notice.startswith(f"Could not export to {blocker / 'story.odt'}")
    assert window.editor.toPlainText() == "unsaved words"
    assert window.export_menu.export_to(ExportFormat.ODT, tmp_path / "story.odt")
    assert zipfile.is_zipfile(tmp_path / "story.odt")
