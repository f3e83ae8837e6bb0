"""Issue 14 item 7: the unsaved-changes question never makes overwriting a shipped sample (the
welcome guide, resources/samples) its default, and Save on a sample asks for a new file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from penwright.app.documents import open_document as document_window_module
from penwright.app.documents.unsaved_prompt import UnsavedChoice, unsaved_changes_box
from penwright.app.window.main_window import MainWindow
from penwright.resources import is_shipped_sample, samples_dir

Button = QMessageBox.StandardButton


def test_the_sample_question_defaults_to_cancel_and_offers_save_as(qtbot: QtBot) -> None:
    box = unsaved_changes_box(None, "welcome.md", sample=True)
    qtbot.addWidget(box)
    assert box.defaultButton() is box.button(Button.Cancel)
    assert box.button(Button.Save).text() == "Save &As…"
    assert "sample" in box.informativeText()
    ordinary = unsaved_changes_box(None, "chapter.md")
    qtbot.addWidget(ordinary)
    assert ordinary.defaultButton() is ordinary.button(Button.Save)


def test_a_shipped_sample_is_recognised_and_a_copy_is_not(tmp_path: Path) -> None:
    assert is_shipped_sample(samples_dir() / "welcome.md")
    copy = tmp_path / "welcome.md"
    shutil.copy(samples_dir() / "welcome.md", copy)
    assert not is_shipped_sample(copy)
    assert not is_shipped_sample(None)


@pytest.fixture
def questions(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """What ask_unsaved_changes was asked (sample or not); the writer answers Save."""
    asked: list[bool] = []

    def ask(_parent: object, _name: str, *, sample: bool = False) -> UnsavedChoice:
        asked.append(sample)
        return UnsavedChoice.SAVE

    monkeypatch.setattr(document_window_module, "ask_unsaved_changes", ask)
    return asked


def test_closing_a_changed_sample_asks_the_sample_question_and_never_overwrites_it(
    qtbot: QtBot,
    window: MainWindow,
    questions: list[bool],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    sample = samples_dir() / "welcome.md"
    before = sample.read_bytes()
    assert window.open_file(sample, ask=False)
    qtbot.keyClicks(window.editor, "my own words ")
    chosen: list[str] = []

    def save_as(*_args: object) -> tuple[str, str]:
        chosen.append("asked for a new file")
        return str(tmp_path / "mine.md"), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    assert window.ask_to_discard_changes()
    assert questions == [True]
    assert chosen == ["asked for a new file"]
    assert sample.read_bytes() == before
    assert (tmp_path / "mine.md").read_text(encoding="utf-8").startswith("my own words ")
    assert window.file_path == (tmp_path / "mine.md").resolve()


def test_an_ordinary_file_gets_the_ordinary_question(
    qtbot: QtBot, window: MainWindow, questions: list[bool], tmp_path: Path
) -> None:
    chapter = tmp_path / "chapter.txt"
    chapter.write_text("Once", encoding="utf-8")
    assert window.open_file(chapter, ask=False)
    qtbot.keyClicks(window.editor, "x")
    assert window.ask_to_discard_changes()
    assert questions == [False]
    assert chapter.read_text(encoding="utf-8") == "xOnce"
