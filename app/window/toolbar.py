"""The writing toolbar: Continue, Stop, and the values a writer changes between suggestions
(creativity, length, alternatives, auto-suggest), in the writer's words: "Creativity" is the
sampling temperature, and the length is a choice of words and sentences (suggestion_length.py)
rather than a token count. Ranges come from models.params.LIMITS."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDoubleSpinBox, QLabel, QSpinBox, QToolBar, QWidget

from penwright.app.editor.keymap import ACTION_LABELS, Action
from penwright.app.window.length_combo import LengthCombo
from penwright.models.params import LIMITS, GenerationParams


class WritingToolbar(QToolBar):
    """Its actions only announce (triggered); the window decides what Continue and Stop do."""

    def __init__(self, params: GenerationParams, continue_key: str, parent: QWidget) -> None:
        super().__init__("Writing", parent)
        self.setObjectName("writing_toolbar")
        # The Continue key works from anywhere in the window (a spin box just changed, say)
        # through this action's shortcut. In the editor it never reaches the shortcut: the
        # editor claims its own keys first, so the key acts once either way.
        self.continue_action = QAction("Continue", self)
        self.continue_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.set_continue_key(continue_key)
        self.addAction(self.continue_action)
        self.stop_action = QAction("Stop", self)
        self.stop_action.setToolTip("Stop generating")
        self.addAction(self.stop_action)
        self.addSeparator()

        self.temperature_box = QDoubleSpinBox(self)
        self.temperature_box.setRange(*LIMITS["temperature"].bounds())
        self.temperature_box.setSingleStep(0.1)
        self.temperature_box.setDecimals(2)
        self.temperature_box.setToolTip(
            "Creativity: 0 always picks the likeliest word; higher values write more freely"
            " (the sampling temperature)"
        )
        self._labelled(" Creativity ", self.temperature_box)

        # Reads like a spin box of tokens (value, setValue, valueChanged) for its callers.
        self.length_box = LengthCombo(self)
        self._labelled(" Length ", self.length_box)

        self.alternatives_box = QSpinBox(self)
        self.alternatives_box.setRange(*LIMITS["n"].whole_bounds())
        self.alternatives_box.setToolTip("Alternatives generated per request (Alt+] / Alt+[)")
        self._labelled(" Alternatives ", self.alternatives_box)
        self.addSeparator()

        self.auto_suggest_action = QAction("Auto-suggest", self)
        self.auto_suggest_action.setCheckable(True)
        self.auto_suggest_action.setToolTip("Suggest a continuation after a pause in typing")
        self.addAction(self.auto_suggest_action)
        self.show_params(params)

    def set_continue_key(self, key: str) -> None:
        """key: portable key-sequence text, as the settings store it."""
        sequence = QKeySequence(key, QKeySequence.SequenceFormat.PortableText)
        self.continue_action.setShortcut(sequence)
        shown = sequence.toString(QKeySequence.SequenceFormat.NativeText)
        self.continue_action.setToolTip(f"{ACTION_LABELS[Action.CONTINUE]} ({shown})")

    def _labelled(self, label: str, box: QWidget) -> None:
        self.addWidget(QLabel(label, self))
        self.addWidget(box)

    def show_params(self, params: GenerationParams) -> None:
        self.temperature_box.setValue(params.temperature)
        self.length_box.show_length(params.max_new_tokens, params.stop)
        self.alternatives_box.setValue(params.n)

    def params(self, base: GenerationParams) -> GenerationParams:
        """base with the toolbar's values: read at each request."""
        return dataclasses.replace(
            base,
            temperature=round(self.temperature_box.value(), 2),
            max_new_tokens=self.length_box.value(),
            stop=self.length_box.stop(),
            n=self.alternatives_box.value(),
        )
