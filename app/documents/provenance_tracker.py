"""Keeps a document's Provenance in step with its QTextDocument: edits, accepts, undo and redo.

Every contentsChange moves the spans (app.documents.provenance). An accepted suggestion is
inserted by the editor like any text and announced right after (Editor.suggestion_accepted):
the tracker then marks what the last change inserted as suggested.

Undo and redo cannot be followed by moving spans alone: text an undo brings back was not typed.
So the tracker keeps the provenance as it stood after each undo step (keyed by the document's
availableUndoSteps, which Qt has already updated when contentsChange arrives) and puts that back
when an undo or redo lands on a step it knows.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QTextDocument

from penwright.app.documents.provenance import Provenance, ProvenanceError, SuggestionSource


class ProvenanceTracker(QObject):
    """Follows one QTextDocument. ``source`` says which model and settings wrote an accepted
    suggestion (asked at each accept)."""

    changed = Signal()  # the spans moved or changed: views recolour, statistics recount

    def __init__(
        self,
        document: QTextDocument,
        source: Callable[[], SuggestionSource],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._document = document
        self._source = source
        self._provenance = Provenance(_length(document))
        self._steps: dict[int, Provenance] = {}  # undo step -> the provenance after it
        self._step = document.availableUndoSteps()
        self._step_added = False
        self._last_insert: tuple[int, int] | None = None
        self._remember()
        document.undoCommandAdded.connect(self._on_step_added)
        document.contentsChange.connect(self._on_change)

    @property
    def provenance(self) -> Provenance:
        return self._provenance

    def reset(self, provenance: Provenance | None = None) -> None:
        """Another text came in (new, opened, recovered): its provenance, or all typed."""
        length = _length(self._document)
        if provenance is None or provenance.length != length:
            provenance = Provenance(length)
        self._provenance = provenance.copy()
        self._steps.clear()
        self._step = self._document.availableUndoSteps()
        self._last_insert = None
        self._remember()
        self.changed.emit()

    def restore(self, data: object) -> str | None:
        """Stored provenance (to_dict) for the text now in the document; returns why it could
        not be used (the text then counts as typed), or None."""
        try:
            provenance = Provenance.from_dict(data, _length(self._document))
        except ProvenanceError as error:
            self.reset()
            return str(error)
        self.reset(provenance)
        return None

    def accepted(self, text: str) -> None:
        """The editor just inserted text from a suggestion (its suggestion_accepted signal)."""
        if self._last_insert is None or not text:
            return
        position, added = self._last_insert
        self._provenance.mark_suggested(position, added, self._source())
        self._remember()
        self.changed.emit()

    def _on_step_added(self) -> None:
        self._step_added = True

    def _on_change(self, position: int, removed: int, added: int) -> None:
        if not (removed or added):
            return
        step = self._document.availableUndoSteps()
        undo_or_redo = not self._step_added and step != self._step
        self._step_added = False
        self._step = step
        known = self._steps.get(step)
        if undo_or_redo and known is not None and known.length == _length(self._document):
            self._provenance = known.copy()
        else:
            self._provenance.change(position, removed, added)
            # Qt counts the document's final paragraph separator; keep the length honest.
            self._provenance.length = _length(self._document)
        self._last_insert = (position, added) if added else None
        if not undo_or_redo:
            self._remember()
        self.changed.emit()

    def _remember(self) -> None:
        """The provenance after the current undo step; steps beyond it cannot come back."""
        for later in [s for s in self._steps if s > self._step]:
            del self._steps[later]
        self._steps[self._step] = self._provenance.copy()


def _length(document: QTextDocument) -> int:
    """The text's length in UTF-16 units, without the separator Qt keeps after the last block."""
    return max(document.characterCount() - 1, 0)
