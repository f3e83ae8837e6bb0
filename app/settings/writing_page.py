"""Preferences > Writing: the daily word goal and the key hints shown beside a suggestion."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QSpinBox, QVBoxLayout

from penwright.app.settings.pages import SettingsPage
from penwright.app.settings.store import MAX_DAILY_WORD_GOAL, Settings, WritingSettings


class WritingPage(SettingsPage):
    """A word goal for each day (0: none) and whether the key hints show."""

    title = "Writing"

    def __init__(self) -> None:
        super().__init__()
        self.daily_word_goal = QSpinBox()
        self.daily_word_goal.setRange(0, MAX_DAILY_WORD_GOAL)
        self.daily_word_goal.setSingleStep(100)
        self.daily_word_goal.setSuffix(" words")
        self.daily_word_goal.setSpecialValueText("No goal")  # shown for 0
        self.daily_word_goal.setMaximumWidth(200)
        self.key_hints = QCheckBox("Show the &key hints beside a suggestion")
        outer = QVBoxLayout(self)
        form = QFormLayout()
        outer.addLayout(form)
        outer.addStretch(1)
        form.addRow("Daily word &goal:", self.daily_word_goal)
        hint = QLabel(
            "The status bar shows the words written today against this goal; the count starts "
            "again at midnight. Words you delete count back."
        )
        hint.setWordWrap(True)
        hint.setEnabled(False)
        form.addRow(hint)
        form.addRow("", self.key_hints)

    def load(self, settings: Settings) -> None:
        self.daily_word_goal.setValue(settings.writing.daily_word_goal)
        self.key_hints.setChecked(settings.writing.key_hints)

    def apply_to(self, settings: Settings) -> Settings:
        writing = WritingSettings(
            daily_word_goal=self.daily_word_goal.value(), key_hints=self.key_hints.isChecked()
        )
        return replace(settings, writing=writing)
