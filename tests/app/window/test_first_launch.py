"""Issue 14 item 6, first launch: the welcome guide on the very first start only, as an untitled
copy in the current keys (English or Chinese), and the hint an empty page shows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, QSettings
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from penwright.app.editor.keymap import DEFAULT_BINDINGS, Action
from penwright.app.window.first_launch import (
    WELCOME_SHOWN_KEY,
    welcome_on_first_run,
    welcome_text,
)
from penwright.app.window.main_window import MainWindow
from penwright.resources import samples_dir

ROOT = Path(__file__).resolve().parents[3]
DRIVER = ROOT / "tests" / "app" / "driver.py"


def start_app(tmp_path: Path) -> dict[str, object]:
    """One real start (penwright.app.main through the test driver) on tmp_path's settings."""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "LANG": "en_GB.UTF-8",
        "LC_ALL": "en_GB.UTF-8",
        "PENWRIGHT_DATA_DIR": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),  # the same settings both times
        "PENWRIGHT_TEST_DRIVER": json.dumps({"then": "quit-discard", "welcome": True}),
    }
    done = subprocess.run(
        [sys.executable, str(DRIVER), "--no-model"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    ready = next(line for line in done.stdout.splitlines() if line.startswith("ready "))
    return json.loads(ready.removeprefix("ready "))


def test_the_welcome_guide_opens_on_the_first_start_only(tmp_path: Path) -> None:
    first = start_app(tmp_path)
    assert str(first["text"]).startswith("# Welcome to Penwright")
    assert "press Ctrl+Return" in str(first["text"]).replace("Press", "press")
    assert first["modified"] is False  # nothing to save unless the writer changes it
    second = start_app(tmp_path)
    assert (second["text"], second["modified"]) == ("", False)
    assert second["tabs"] == [{"path": "", "text": "", "modified": False}]  # the guide: gone


def test_the_guide_is_an_untitled_copy_that_save_never_writes_over(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shipped = samples_dir() / "welcome-guide.md"
    before = shipped.read_bytes()
    settings = QSettings(str(tmp_path / "first.ini"), QSettings.Format.IniFormat)
    assert welcome_on_first_run(
        window, settings, DEFAULT_BINDINGS, opened_files=False, locale=QLocale("en_US")
    )
    assert window.file_path is None and window.shows_sample
    assert window.editor.textCursor().atEnd()  # at the end of the story, ready for the keys
    asked: list[str] = []

    def save_as(*_args: object) -> tuple[str, str]:
        asked.append("save as")
        return str(tmp_path / "mine.md"), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    qtbot.keyClicks(window.editor, " The end.")
    assert window.save()
    assert asked == ["save as"]
    saved = (tmp_path / "mine.md").read_text(encoding="utf-8")
    assert saved.startswith("# Welcome to Penwright") and saved.rstrip().endswith("The end.")
    assert shipped.read_bytes() == before
    # and the flag is a plain value in the file: a second start shows nothing
    window.new_file()
    assert settings.value(WELCOME_SHOWN_KEY) == "true"
    assert not welcome_on_first_run(window, settings, DEFAULT_BINDINGS, opened_files=False)
    assert window.editor.toPlainText() == ""


def test_a_chinese_system_gets_the_chinese_guide(window: MainWindow, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "first.ini"), QSettings.Format.IniFormat)
    chinese = QLocale("zh_CN")
    assert welcome_on_first_run(
        window, settings, DEFAULT_BINDINGS, opened_files=False, locale=chinese
    )
    assert window.editor.toPlainText().startswith("# 欢迎使用 Penwright")


def test_files_on_the_first_command_line_are_not_replaced(
    window: MainWindow, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "first.ini"), QSettings.Format.IniFormat)
    window.editor.setPlainText("the writer's own")
    assert not welcome_on_first_run(window, settings, DEFAULT_BINDINGS, opened_files=True)
    assert window.editor.toPlainText() == "the writer's own"


def test_the_guide_names_the_keys_bound_now_in_the_systems_language() -> None:
    bindings = {**DEFAULT_BINDINGS, Action.CONTINUE: "Ctrl+J", Action.ACCEPT_ALL: "F8"}
    english = welcome_text(bindings, "en")
    assert "1. Press Ctrl+J." in english and "Press F8 to keep all of it" in english
    assert "{" not in english and "Ctrl+Return" not in english
    chinese = welcome_text(bindings, "zh")
    assert chinese.startswith("# 欢迎使用 Penwright") and "按 Ctrl+J。" in chinese


def test_an_empty_document_shows_the_hint_in_the_current_key(
    qtbot: QtBot, window: MainWindow
) -> None:
    editor = window.editor
    assert editor.toPlainText() == ""
    assert editor.placeholderText() == "Start writing. Ctrl+Return asks Penwright to continue."
    with_hint = editor.viewport().grab().toImage()
    hint, empty = editor.placeholderText(), ""
    editor.setPlaceholderText(empty)
    without_hint = editor.viewport().grab().toImage()
    editor.setPlaceholderText(hint)
    assert with_hint != without_hint  # the hint is drawn on the empty page
    store = window.settings_store
    bindings = {**store.current.key_bindings, Action.CONTINUE: "Ctrl+J"}
    store.save(replace(store.current, key_bindings=bindings))
    assert editor.placeholderText() == "Start writing. Ctrl+J asks Penwright to continue."


def test_help_opens_the_guide_again_in_a_tab_of_its_own(qtbot: QtBot, window: MainWindow) -> None:
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    entry = help_menu.actions()[0]
    assert entry is window.writing_hints.welcome_action and entry.text() == "&Welcome Guide"
    qtbot.keyClicks(window.editor, "my draft")
    entry.trigger()  # no question: the draft keeps its tab
    assert [tab.editor.toPlainText() == "my draft" for tab in window.tabs] == [True, False]
    assert window.editor.toPlainText().startswith("# Welcome to Penwright")
    assert window.file_path is None and window.shows_sample
