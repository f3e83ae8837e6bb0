"""Styling and spelling in the real window: a Markdown file is styled and a text file is not,
the Spelling setting turns checking off and on, and words added go to the data folder's list."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from format_probe import underlined
from pytestqt.qtbot import QtBot

from penwright.app.documents.spelling import OFF
from penwright.app.settings.dialog import SettingsDialog
from penwright.app.window.main_window import MainWindow


def styled(window: MainWindow) -> bool:
    highlighter = window.editor.highlighter
    return highlighter is not None and highlighter.markdown


def test_a_markdown_file_is_styled_and_a_text_file_is_not(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    markdown = tmp_path / "chapter.md"
    markdown.write_text("# One\n\nIt was *late* and teh lamps were lit.\n", "utf-8")
    plain = tmp_path / "notes.txt"
    plain.write_text("# One\n\nIt was *late* and teh lamps were lit.\n", "utf-8")
    assert window.open_file(markdown, ask=False)
    qtbot.waitUntil(lambda: styled(window) and underlined(window.editor) == ["teh"])
    assert window.open_file(plain, ask=False)
    qtbot.waitUntil(lambda: not styled(window))
    assert underlined(window.editor) == ["teh"]  # spelling for every document
    window.save_to(tmp_path / "renamed.md")
    assert styled(window)


def test_the_spelling_setting_turns_checking_off_and_on(qtbot: QtBot, window: MainWindow) -> None:
    window.editor.setPlainText("A wrold of words.")
    qtbot.waitUntil(lambda: underlined(window.editor) == ["wrold"])
    store = window.settings_store
    store.save(replace(store.current, spelling=OFF))
    assert window.editor.highlighter is None and underlined(window.editor) == []
    store.save(replace(store.current, spelling="en"))
    assert underlined(window.editor) == ["wrold"]


def test_the_preferences_page_saves_the_language(qtbot: QtBot, window: MainWindow) -> None:
    dialog = SettingsDialog(window.settings_store, lambda: [], [], window)
    qtbot.addWidget(dialog)
    page = dialog.spelling_page
    assert page.language.itemData(0) == "auto" and page.language.itemData(1) == OFF
    page.language.setCurrentIndex(page.language.findData("fr"))
    dialog.apply()
    assert window.settings_store.current.spelling == "fr"
    assert window.editor.spell_checker is not None
    assert window.editor.spell_checker.is_known("château")


def test_added_words_go_to_the_data_folder(
    qtbot: QtBot, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    window = make_window(load=False)
    window.editor.setPlainText("Zarathine rode north.")
    qtbot.waitUntil(lambda: underlined(window.editor) == ["Zarathine"])
    checker = window.editor.spell_checker
    assert checker is not None
    checker.add("Zarathine")
    assert (tmp_path / "data" / "spelling" / "words.txt").read_text("utf-8") == "Zarathine\n"
