"""The toolbar's length control: suggestion lengths in words and sentences (suggestion_length.py).

It reads like a spin box to its users (``value``, ``setValue``, ``valueChanged`` in tokens), so
the settings applier keeps the toolbar and the stored defaults in step as before.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QWidget

from penwright.app.window.suggestion_length import LENGTH_CHOICES, LengthChoice, choice_for
from penwright.models.params import StopMode

_CHOICE_ROLE = Qt.ItemDataRole.UserRole


class LengthCombo(QComboBox):
    """The named lengths, plus one entry for a stored length that matches none of them."""

    valueChanged = Signal(int)  # max_new_tokens of the new choice

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stop = StopMode.SENTENCE  # the stored stop mode a custom length keeps
        for choice in LENGTH_CHOICES:
            self._add(choice)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.currentIndexChanged.connect(self._on_index_changed)

    def _add(self, choice: LengthChoice) -> None:
        self.addItem(choice.label)
        self.setItemData(self.count() - 1, choice, _CHOICE_ROLE)
        self.setItemData(self.count() - 1, choice.hint, Qt.ItemDataRole.ToolTipRole)

    def _index_of(self, wanted: LengthChoice) -> int:
        for index in range(self.count()):
            if self.itemData(index, _CHOICE_ROLE) == wanted:
                return index
        return 0

    def choice(self) -> LengthChoice:
        choice = self.currentData(_CHOICE_ROLE)
        assert isinstance(choice, LengthChoice)
        return choice

    def stop(self) -> StopMode:
        """The stop mode a request gets: the choice's own, or the stored one it keeps."""
        return self.choice().stop or self._stop

    def value(self) -> int:
        return self.choice().max_new_tokens

    def setValue(self, max_new_tokens: int) -> None:
        self.show_length(max_new_tokens, self._stop)

    def show_length(self, max_new_tokens: int, stop: StopMode) -> None:
        """Select the choice for these stored values (adding an entry when none matches)."""
        before = self.choice() if self.count() else None
        self._stop = stop
        wanted = choice_for(max_new_tokens, stop)
        self.blockSignals(True)
        try:
            if self.count() > len(LENGTH_CHOICES):  # the previous custom entry goes
                self.removeItem(len(LENGTH_CHOICES))
            if wanted not in LENGTH_CHOICES:
                self._add(wanted)
            self.setCurrentIndex(self._index_of(wanted))
        finally:
            self.blockSignals(False)
        self.setToolTip(_tooltip(self.choice()))
        if before != self.choice():
            self.valueChanged.emit(self.value())

    @Slot(int)
    def _on_index_changed(self, _index: int) -> None:
        self.setToolTip(_tooltip(self.choice()))
        self.valueChanged.emit(self.value())


def _tooltip(choice: LengthChoice) -> str:
    return f"How long a suggestion is: {choice.hint or choice.label}"
