"""Several documents, one tab each, in the real window: suggestions, undo, word count, title,
Find and the File menu act on the current tab; opening, closing and the unsaved questions."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_fakes import WAIT_MS, EngineScript
from format_probe import underlined
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from penwright.app.documents import open_document
from penwright.app.documents.export import ExportFormat
from penwright.app.documents.sidecar_keeper import SidecarKeeper
from penwright.app.documents.unsaved_prompt import UnsavedChoice
from penwright.app.window.document_tab import DocumentTab
from penwright.app.window.main_window import MainWindow
from penwright.models.results import Delta
from penwright.models.story.sidecar import load_sidecar, read_story, sidecar_path
from penwright.models.story.story import StoryContext

CTRL = Qt.KeyboardModifier.ControlModifier


def type_text(qtbot: QtBot, window: MainWindow, text: str) -> None:
    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(window.editor, text)


def suggest(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        qtbot.keyClick(window.editor, Qt.Key.Key_Return, CTRL)


def answer_unsaved(monkeypatch: pytest.MonkeyPatch, choice: UnsavedChoice) -> list[str]:
    asked: list[str] = []

    def ask(parent: QWidget | None, name: str) -> UnsavedChoice:
        asked.append(name)
        return choice

    monkeypatch.setattr(open_document, "ask_unsaved_changes", ask)
    return asked


def test_each_tab_has_its_own_suggestion(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.per_request = [[Delta(0, " in tab one")], [Delta(0, " in tab two")]]
    first = window.current_tab
    type_text(qtbot, window, "First story")
    suggest(qtbot, window)
    assert first.editor.ghost_text == " in tab one"

    window.new_file()
    second = window.current_tab
    assert second is not first
    # Leaving a tab dismisses its suggestion: nothing waits out of sight for a Tab key.
    assert first.editor.ghost is None
    assert first.editor.toPlainText() == "First story"
    type_text(qtbot, window, "Second story")
    suggest(qtbot, window)
    assert second.editor.ghost_text == " in tab two"
    assert first.editor.ghost is None  # the other tab's stream never reached this editor
    assert script.contexts == ["First story", "Second story"]  # each asked with its own text
    qtbot.keyClick(second.editor, Qt.Key.Key_Tab)
    assert second.editor.toPlainText() == "Second story in tab two"
    assert first.editor.toPlainText() == "First story"


def test_switching_tabs_stops_the_running_suggestion_of_the_tab_left(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.deltas = [Delta(0, " held"), Delta(0, " back")]
    script.hold_after = 1  # the first word streams, then the engine waits
    first = window.current_tab
    type_text(qtbot, window, "Going")
    with qtbot.waitSignal(first.editor.suggestion_changed, timeout=WAIT_MS):
        qtbot.keyClick(first.editor, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: first.editor.ghost_text == " held", timeout=WAIT_MS)
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS) as finished:
        window.new_file()  # the writer goes to another tab while it streams
    assert finished.args[1].cancelled
    script.gate.set()
    second = window.current_tab
    assert first.editor.ghost is None and second.editor.ghost is None
    assert first.editor.toPlainText() == "Going"


def test_undo_history_is_per_tab(qtbot: QtBot, window: MainWindow) -> None:
    first = window.current_tab
    type_text(qtbot, window, "alpha")
    window.new_file()
    second = window.current_tab
    type_text(qtbot, window, "beta")
    window.edit_menu.undo_action.trigger()  # Edit > Undo acts on the current tab
    assert second.editor.toPlainText() == ""
    assert first.editor.toPlainText() == "alpha"
    assert not window.edit_menu.undo_action.isEnabled()  # nothing left to undo in this tab
    window.step_tab(-1)
    assert window.current_tab is first
    assert window.edit_menu.undo_action.isEnabled()  # follows the tab in front
    window.edit_menu.undo_action.trigger()
    assert first.editor.toPlainText() == ""
    window.edit_menu.redo_action.trigger()
    assert first.editor.toPlainText() == "alpha" and second.editor.toPlainText() == ""


def test_switching_tabs_moves_the_word_count_and_the_title(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "three.txt"
    path.write_text("one two three", encoding="utf-8")
    assert window.open_file(path)  # the blank first tab takes it
    assert len(window.tabs) == 1
    window.new_file()
    type_text(qtbot, window, "just five words here now")
    qtbot.waitUntil(lambda: window.status_panel.words_label.text().startswith("5 "))
    assert window.windowTitle() == "Untitled[*] — Penwright" and window.isWindowModified()
    assert window.tab_widget.tabText(1) == "Untitled •"  # the modified mark
    assert window.tab_widget.tabText(0) == "three.txt"

    window.step_tab(1)  # round to the first
    assert window.editor.toPlainText() == "one two three"
    assert window.status_panel.words_label.text().startswith("3 ")
    assert window.windowTitle() == "three.txt[*] — Penwright"
    assert not window.isWindowModified()


def test_find_acts_on_the_current_tab(qtbot: QtBot, window: MainWindow) -> None:
    type_text(qtbot, window, "needle in the first")
    window.new_file()
    type_text(qtbot, window, "no match here")
    window.edit_menu.find_action.trigger()
    bar = window.edit_menu.find_bar
    assert bar is window.current_tab.find_bar and bar.isVisible()
    bar.find_field.setText("needle")
    assert not bar.find_next()  # the second tab has no needle
    window.step_tab(1)
    window.edit_menu.find_action.trigger()
    window.edit_menu.find_bar.find_field.setText("needle")
    assert window.editor.textCursor().selectedText() == "needle"


def test_opening_an_open_file_goes_to_its_tab(window: MainWindow, tmp_path: Path) -> None:
    one, two = tmp_path / "one.txt", tmp_path / "two.txt"
    one.write_text("one", encoding="utf-8")
    two.write_text("two", encoding="utf-8")
    assert window.open_file(one) and window.open_file(two)
    assert [d.name for d in window.documents] == ["one.txt", "two.txt"]
    assert window.open_file(one)
    assert len(window.documents) == 2 and window.file_path == one.resolve()


def test_closing_a_tab_with_changes_asks_and_cancel_keeps_it(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    type_text(qtbot, window, "keep me")
    window.new_file()
    window.step_tab(-1)
    asked = answer_unsaved(monkeypatch, UnsavedChoice.CANCEL)
    qtbot.keyClick(window.editor, Qt.Key.Key_W, CTRL)  # Ctrl+W: close this tab
    assert asked == ["Untitled"]
    assert len(window.tabs) == 2 and window.editor.toPlainText() == "keep me"
    answer_unsaved(monkeypatch, UnsavedChoice.DISCARD)
    assert window.close_current_tab()
    assert len(window.tabs) == 1 and window.editor.toPlainText() == ""


def test_closing_the_window_asks_for_each_tab_with_changes(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "saved.txt"
    type_text(qtbot, window, "first draft")
    assert window.save_to(path)
    type_text(qtbot, window, ", more")
    window.new_file()  # an empty tab: nothing to ask about
    window.new_file()
    type_text(qtbot, window, "second draft")
    asked = answer_unsaved(monkeypatch, UnsavedChoice.CANCEL)
    assert not window.close()
    assert asked == ["saved.txt"]  # the first one asked was kept: no more questions
    asked = answer_unsaved(monkeypatch, UnsavedChoice.DISCARD)
    assert window.close()
    assert asked == ["saved.txt", "Untitled"]
    assert path.read_text(encoding="utf-8") == "first draft"


def test_tab_keys_new_next_and_previous(qtbot: QtBot, window: MainWindow) -> None:
    first = window.current_tab
    qtbot.keyClick(window.editor, Qt.Key.Key_T, CTRL)
    second = window.current_tab
    assert second is not first and second.editor.hasFocus()
    qtbot.keyClick(window.editor, Qt.Key.Key_N, CTRL)
    assert len(window.tabs) == 3
    qtbot.keyClick(window.editor, Qt.Key.Key_PageDown, CTRL)  # round to the first
    assert window.current_tab is first
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab, CTRL)
    assert window.current_tab is second
    qtbot.keyClick(window.editor, Qt.Key.Key_PageUp, CTRL)
    assert window.current_tab is first
    assert first.editor.toPlainText() == ""  # Ctrl+Tab typed no tab into the text


# --- the per-editor features in every tab ----------------------------------------------------


def test_each_tab_is_styled_checked_and_hinted_for_its_own_file(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    markdown, plain = tmp_path / "chapter.md", tmp_path / "notes.txt"
    for path in (markdown, plain):
        path.write_text("# One\n\nIt was *late* and teh lamps were lit.\n", "utf-8")
    assert window.open_file(markdown) and window.open_file(plain)
    first, second = window.tabs

    def styled(tab: DocumentTab) -> bool:
        highlighter = tab.editor.highlighter
        return highlighter is not None and highlighter.markdown

    qtbot.waitUntil(lambda: styled(first) and not styled(second))
    qtbot.waitUntil(lambda: underlined(second.editor) == ["teh"])  # spelling in every tab
    # Each tab's editor has its own key-hint strip and empty-page hint.
    assert window.writing_hints.key_strip.parent() is second.editor.viewport()
    assert first.editor.placeholderText() == second.editor.placeholderText() != ""


def test_focus_mode_dims_every_tab_and_one_opened_meanwhile(window: MainWindow) -> None:
    window.view_menu.set_focus_mode(True)
    window.new_file()
    assert all(tab.editor.paragraph_focus.enabled for tab in window.tabs)
    window.view_menu.set_focus_mode(False)
    assert not any(tab.editor.paragraph_focus.enabled for tab in window.tabs)


def test_export_takes_the_current_tab(window: MainWindow, tmp_path: Path, qtbot: QtBot) -> None:
    type_text(qtbot, window, "the first tab")
    window.new_file()
    type_text(qtbot, window, "the second tab")
    target = tmp_path / "out.html"
    assert window.export_menu.export_to(ExportFormat.HTML, target)
    html = target.read_text(encoding="utf-8")
    assert "the second tab" in html and "the first tab" not in html


def test_each_tab_keeps_its_own_story_sidecar(window: MainWindow, tmp_path: Path) -> None:
    keeper = window.findChild(SidecarKeeper)
    assert keeper is not None
    story = StoryContext(memory="The sea remembers.")
    first_file = tmp_path / "one.md"
    first_file.write_text("One.", encoding="utf-8")
    assert window.open_file(first_file)
    keeper.set_story(story)
    assert window.editor.document().isModified()  # the story belongs to the document
    window.new_file()
    assert keeper.story() == StoryContext()  # the new tab has none
    window.step_tab(-1)
    assert keeper.story() == story
    assert window.save()
    assert read_story(load_sidecar(sidecar_path(first_file))[0])[0] == story
