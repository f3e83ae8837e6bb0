"""Issue 14 item 7, the writer's words: Creativity and a length in words on the toolbar, the
session's and today's words with a daily goal in the status bar, engine figures in a tooltip,
one message area, and Restore Defaults that says what it restores."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from app_fakes import WAIT_MS, EngineScript
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QPlainTextEdit
from pytestqt.qtbot import QtBot

from penwright.app.editor.word_count import WordCounter
from penwright.app.settings.dialog import SettingsDialog
from penwright.app.window.diagnostics_dialog import diagnostics_report, known_facts
from penwright.app.window.main_window import MainWindow
from penwright.app.window.session_words import SessionWords
from penwright.app.window.suggestion_length import (
    LENGTH_CHOICES,
    TOKENS_PER_WORD,
    choice_for,
)
from penwright.models.loading.device_probe import cpu_device
from penwright.models.params import GenerationParams, StopMode

CTRL = Qt.KeyboardModifier.ControlModifier


def type_text(qtbot: QtBot, window: MainWindow, text: str) -> None:
    window.editor.setFocus()
    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(window.editor, text)


def suggest(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        qtbot.keyClick(window.editor, Qt.Key.Key_Return, CTRL)


# -- the toolbar -----------------------------------------------------------------------------


def test_the_toolbar_says_creativity_and_length_in_words(window: MainWindow) -> None:
    labels = [w.text().strip() for w in window.toolbar.findChildren(QLabel)]
    assert "Creativity" in labels and "Temperature" not in labels
    assert window.toolbar.temperature_box.value() == GenerationParams().temperature  # its number
    box = window.toolbar.length_box
    assert [box.itemText(i) for i in range(box.count())] == [c.label for c in LENGTH_CHOICES]
    assert box.currentText() == "a sentence"  # the default 48 tokens to a sentence's end
    assert "tokens" not in box.currentText()


def test_each_length_choice_sets_max_new_tokens_and_the_stop(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    type_text(qtbot, window, "Text")
    expected = {
        "a few words": (8, StopMode.SENTENCE),
        "a sentence": (48, StopMode.SENTENCE),
        "a paragraph": (220, StopMode.PARAGRAPH),
        "~50 words": (round(50 * TOKENS_PER_WORD), StopMode.NONE),
        "~100 words": (round(100 * TOKENS_PER_WORD), StopMode.NONE),
    }
    box = window.toolbar.length_box
    for label, (tokens, stop) in expected.items():
        box.setCurrentIndex(box.findText(label))
        window.toolbar.temperature_box.setValue(0.4)
        suggest(qtbot, window)
        params = script.params[-1]
        assert (params.max_new_tokens, params.stop, params.temperature) == (tokens, stop, 0.4)
        # ... and it became the saved default, shown again from the store
        stored = window.settings_store.current.generation
        assert (stored.max_new_tokens, stored.stop) == (tokens, stop)
        qtbot.keyClick(window.editor, Qt.Key.Key_Escape)


def test_a_stored_length_that_matches_no_choice_is_kept_and_shown_in_words(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    store = window.settings_store
    generation = replace(
        store.current.generation, max_new_tokens=300, stop=StopMode.CUSTOM, stop_strings=("###",)
    )
    store.save(replace(store.current, generation=generation))
    box = window.toolbar.length_box
    assert box.currentText() == f"~{round(300 / TOKENS_PER_WORD)} words"
    assert "300 tokens" in box.toolTip()
    type_text(qtbot, window, "Text")
    suggest(qtbot, window)
    assert (script.params[-1].max_new_tokens, script.params[-1].stop) == (300, StopMode.CUSTOM)


def test_length_mapping_names_the_default_and_labels_others_in_words() -> None:
    assert choice_for(48, StopMode.SENTENCE).label == "a sentence"
    odd = choice_for(14, StopMode.PARAGRAPH)
    assert odd.label == "~10 words" and odd.max_new_tokens == 14 and odd.stop is None


# -- the status bar --------------------------------------------------------------------------


def test_the_session_counts_the_writers_words_not_opened_files(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    panel = window.status_panel
    type_text(qtbot, window, "one two three")
    assert panel.session_label.text() == "+3 this session"
    chapter = tmp_path / "chapter.txt"
    chapter.write_text("a b c d e f g h i j", encoding="utf-8")
    assert window.open_file(chapter, ask=False)
    assert panel.words_label.text() == "10 words"
    assert panel.session_label.text() == "+3 this session"  # opening wrote nothing
    type_text(qtbot, window, " k")
    assert panel.session_label.text() == "+4 this session"
    for _ in range(4):  # deleting " j k" and the space: two words less
        qtbot.keyClick(window.editor, Qt.Key.Key_Backspace)
    assert panel.session_label.text() == "+2 this session"
    suggest(qtbot, window)
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)  # the writer chose " once upon": theirs now
    assert panel.session_label.text() == "+4 this session"


def test_the_daily_goal_shows_progress_once_set(qtbot: QtBot, window: MainWindow) -> None:
    panel = window.status_panel
    assert panel.goal_bar.isHidden()  # no goal by default
    store = window.settings_store
    store.save(replace(store.current, writing=replace(store.current.writing, daily_word_goal=4)))
    type_text(qtbot, window, "one two")
    assert panel.goal_bar.isVisible()
    assert panel.goal_bar.text() == "2 / 4 today"
    assert panel.goal_bar.value() == panel.goal_bar.maximum() // 2
    type_text(qtbot, window, " three four five")
    assert panel.goal_bar.text() == "5 / 4 today"
    assert panel.goal_bar.value() == panel.goal_bar.maximum()
    assert panel.goal_bar.toolTip() == "Daily goal reached"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_the_days_words_survive_a_restart_and_start_again_at_midnight(
    qtbot: QtBot, tmp_path: Path
) -> None:
    ini = str(tmp_path / "settings.ini")
    clock = Clock(datetime(2026, 3, 1, 23, 50))

    def start() -> tuple[QPlainTextEdit, SessionWords]:
        editor = QPlainTextEdit()
        qtbot.addWidget(editor)
        words = SessionWords(QSettings(ini, QSettings.Format.IniFormat), clock)
        words.watch(editor, WordCounter(editor.document(), editor))
        return editor, words

    editor, words = start()
    qtbot.keyClicks(editor, "late night words")
    assert (words.tally.session, words.tally.today) == (3, 3)
    del words  # a restart the same day goes on from the stored count
    editor, words = start()
    assert (words.tally.session, words.tally.today) == (0, 3)
    qtbot.keyClicks(editor, "more")
    assert (words.tally.session, words.tally.today) == (1, 4)
    clock.now += timedelta(minutes=15)  # past local midnight: a new day, the same session
    assert words.tally.today == 0
    qtbot.keyClicks(editor, " again")
    assert (words.tally.session, words.tally.today) == (2, 1)
    QSettings(ini, QSettings.Format.IniFormat).sync()
    stored = QSettings(ini, QSettings.Format.IniFormat)
    assert (stored.value("words/day"), str(stored.value("words/today"))) == ("2026-03-02", "1")


def test_a_damaged_day_count_starts_the_day_at_zero(qtbot: QtBot, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("words/day", "not a date")
    settings.setValue("words/today", "12")
    words = SessionWords(settings, Clock(datetime(2026, 3, 1, 12, 0)))
    assert words.tally.today == 0


def test_engine_figures_are_the_model_tooltip_not_the_bar(qtbot: QtBot, window: MainWindow) -> None:
    type_text(qtbot, window, "one two three")
    suggest(qtbot, window)
    panel = window.status_panel
    assert panel.speed_label.isHidden()
    tip = panel.model_label.toolTip()
    assert "first token 12 ms · 42.0 tokens/s" in tip
    assert "Device: cpu" in tip
    assert "tokens/s" not in panel.state_label.text() + panel.words_label.text()
    report = diagnostics_report(
        known_facts(window.controller.model_info), list(window.dialogs.recent_stats)
    )
    assert "model device:    cpu" in report and "12 ms | 42.0" in report  # Diagnostics has them


def test_status_messages_replace_each_other_and_the_state(window: MainWindow) -> None:
    bar, state = window.statusBar(), window.status_panel.state_label
    assert state.parentWidget() is not window.status_panel  # in the bar's one message area
    assert state.isVisible() and state.text() == "Ready"
    bar.showMessage("Saved chapter.txt", 3000)
    window.show_notice("Could not open x.txt")
    assert bar.currentMessage() == "Could not open x.txt"  # the newer one, alone
    assert not state.isVisible()  # the state gives way instead of running into it
    bar.clearMessage()
    assert state.isVisible() and state.text() == "Ready"


def test_restore_defaults_says_what_it_restores(qtbot: QtBot, window: MainWindow) -> None:
    dialog = SettingsDialog(window.settings_store, lambda *_: [], [cpu_device()], window)
    qtbot.addWidget(dialog)
    button = dialog.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
    dialog.page_list.setCurrentRow(dialog.pages.index(dialog.generation_page))
    tip = button.toolTip()
    assert tip.startswith("Restore the defaults of the Generation page: Temperature, Top-k")
    assert "Keep markup out of prose" in tip
    dialog.page_list.setCurrentRow(dialog.pages.index(dialog.writing_page))
    assert button.toolTip() == (
        "Restore the defaults of the Writing page: Daily word goal, "
        "Show the key hints beside a suggestion"
    )
    dialog.page_list.setCurrentRow(dialog.pages.index(dialog.model_page))
    assert button.toolTip().startswith("Restore the defaults of the Model page: the model (the")
    dialog.page_list.setCurrentRow(dialog.pages.index(dialog.writing_page))
    dialog.writing_page.daily_word_goal.setValue(500)
    button.click()
    assert dialog.writing_page.daily_word_goal.value() == 0
    assert dialog.restored.text().startswith("Restored the defaults of Writing: Daily word goal")
