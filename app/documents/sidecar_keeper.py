"""The sidecar of the window's document (models/story/sidecar.py), kept in step with it.

- Opening a file reads ``NAME.penwright.json`` beside it; a damaged or unreadable one leaves
  the document opening as usual and tells the writer once (the damaged file is set aside as
  ``….damaged`` before the first save writes a new one, so nothing of it is overwritten).
- A change to a section (the story panel, the ban list, provenance) belongs to the document:
  it marks the document unsaved, and its bytes ride in the autosave journal beside the entry
  (Journal.keep_sidecar), so a crash loses neither the text nor the story. A recovered entry
  brings its sidecar back (the journal moves it with the entry on adoption).
- Saving the document writes the sidecar beside the file it was saved to, atomically; a
  document that never had one gets none until a section has something in it.

One keeper per window; each tab's document has its own sidecar, read, journalled and saved
with that document; the keeper's reading and writing methods act on the current tab's.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from penwright.app.documents.document_window import DocumentWindow
from penwright.app.documents.journal import Journal
from penwright.app.documents.open_document import OpenDocument
from penwright.app.documents.session import DocumentSession
from penwright.models.story.sidecar import (
    Sidecar,
    decode_sidecar,
    describe_problems,
    encode_sidecar,
    load_sidecar,
    read_banned_phrases,
    read_story,
    save_sidecar,
    sidecar_path,
    write_banned_phrases,
    write_story,
)
from penwright.models.story.story import StoryContext

logger = logging.getLogger(__name__)

# Sections change in bursts (typing in the memory box); the journal copy is written once the
# burst pauses this long, like the text's own edit log (journal.py).
_JOURNAL_DELAY_MS = 250


@dataclass
class _Held:
    """One tab's sidecar, and what the keeper knows about it."""

    document: OpenDocument
    timer: QTimer
    sidecar: Sidecar = field(default_factory=Sidecar)
    damaged: Path | None = None  # a damaged sidecar on disk, set aside before a save


class SidecarKeeper(QObject):
    """Reads, holds and writes the sidecar of each document in ``window``. GUI thread."""

    changed = Signal()  # another document's sidecar is here, or a section changed

    def __init__(self, window: DocumentWindow, session: DocumentSession, journal: Journal) -> None:
        super().__init__(window)
        self._window = window
        self._session = session
        self._journal = journal
        self._held_by: dict[OpenDocument, _Held] = {}
        self._last_warning = ""
        window.current_changed.connect(lambda _document: self.changed.emit())
        window.document_closed.connect(self._on_document_closed)
        window.add_document_setup(self._hold)

    def _hold(self, document: OpenDocument) -> None:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(_JOURNAL_DELAY_MS)
        held = self._held_by[document] = _Held(document, timer)
        timer.timeout.connect(partial(self._flush, held))
        # After the session's own slots (connected first): its buffer id is the new one, and
        # the journal entry of a saved document is gone before the file's sidecar is written.
        document.document_replaced.connect(partial(self._on_document_replaced, held))
        document.document_saved.connect(partial(self._on_document_saved, held))
        self._on_document_replaced(held)

    def _on_document_closed(self, document: OpenDocument) -> None:
        held = self._held_by.pop(document, None)
        if held is not None:
            held.timer.stop()

    def _current(self) -> _Held:
        return self._held_by[self._window.current_document]

    # -- what the rest of the app reads and changes ---------------------------------------------

    @property
    def sidecar(self) -> Sidecar:
        """The current document's sidecar; change it through ``set_section`` (or the typed
        setters) so the change is journalled and saved."""
        return self._current().sidecar

    @property
    def last_warning(self) -> str:
        """What the writer was last told about a sidecar (tests read it)."""
        return self._last_warning

    def story(self, document: OpenDocument | None = None) -> StoryContext:
        """The story of ``document`` (the current tab's when None)."""
        return read_story(self._of(document).sidecar)[0]

    def banned_phrases(self, document: OpenDocument | None = None) -> tuple[str, ...]:
        return read_banned_phrases(self._of(document).sidecar)[0]

    def set_story(self, story: StoryContext, document: OpenDocument | None = None) -> None:
        held = self._of(document)
        if story != read_story(held.sidecar)[0]:
            write_story(held.sidecar, story)
            self._section_changed(held, modifies=True)

    def set_banned_phrases(
        self, phrases: tuple[str, ...], document: OpenDocument | None = None
    ) -> None:
        held = self._of(document)
        if phrases != read_banned_phrases(held.sidecar)[0]:
            write_banned_phrases(held.sidecar, phrases)
            self._section_changed(held, modifies=True)

    def holds(self, document: OpenDocument) -> bool:
        """Whether ``document``'s sidecar is here (its tab is open and set up)."""
        return document in self._held_by

    def _of(self, document: OpenDocument | None) -> _Held:
        return self._current() if document is None else self._held_by[document]

    def set_section(self, name: str, value: object, *, modifies: bool = True) -> None:
        """Replace one section (None removes it). ``modifies``: the change is the writer's and
        marks the document unsaved; False for bookkeeping that follows the text's own edits
        (provenance), which is journalled while the document is unsaved anyway."""
        held = self._current()
        if value is None:
            held.sidecar.sections.pop(name, None)
        else:
            held.sidecar.sections[name] = value
        self._section_changed(held, modifies=modifies)

    @Slot()
    def flush_to_journal(self) -> None:
        """Write the journal's copies now (the timers do this soon after every change)."""
        for held in list(self._held_by.values()):
            self._flush(held)

    def _flush(self, held: _Held) -> None:
        held.timer.stop()
        buffer_id = self._session.buffer_id_of(held.document)
        if not buffer_id or not held.document.modified:
            return  # no entry to ride with: the file's sidecar is up to date
        self._journal.keep_sidecar(buffer_id, encode_sidecar(held.sidecar))

    # -- following the document -----------------------------------------------------------------

    def _section_changed(self, held: _Held, *, modifies: bool) -> None:
        document = held.document.editor.document()
        if modifies and not document.isModified():
            document.setModified(True)
            # No keystroke tells the journal: without an entry the copy would have no home.
            self._journal.buffer_changed(self._session.buffer_id_of(held.document))
        held.timer.start()
        self.changed.emit()

    def _on_document_replaced(self, held: _Held) -> None:
        held.timer.stop()
        held.damaged = None
        buffer_id = self._session.buffer_id_of(held.document)
        kept = self._journal.kept_sidecar(buffer_id) if buffer_id else None
        path = held.document.file_path
        if kept is not None:  # a recovered document: its sidecar as it was at the crash
            sidecar, warning = decode_sidecar(kept, "the recovered document's sidecar")
        elif path is not None:
            file = sidecar_path(path)
            sidecar, warning = load_sidecar(file)
            if warning is not None and "newer" not in warning and file.is_file():
                held.damaged = file
        else:
            sidecar, warning = Sidecar(), None
        held.sidecar = sidecar
        where = f"the sidecar of {path.name}" if path is not None else "the sidecar"
        problems = [*read_story(sidecar)[1], *read_banned_phrases(sidecar)[1]]
        messages = [m for m in (warning, describe_problems(where, problems)) if m]
        if messages:
            self._tell(" ".join(messages) + " The document itself opened as usual.")
        self.changed.emit()

    def _on_document_saved(self, held: _Held, path: Path) -> None:
        file = sidecar_path(path)
        if held.sidecar.empty and not file.exists():
            return  # nothing to keep: a plain text file gets no companion
        try:
            if held.damaged is not None and held.damaged == file:
                with contextlib.suppress(FileNotFoundError):
                    os.replace(file, file.with_name(file.name + ".damaged"))
                held.damaged = None
            save_sidecar(file, held.sidecar)
        except OSError as exc:
            logger.warning("cannot save the sidecar %s", file, exc_info=True)
            # The text is saved; the story is not: keep the document unsaved so the journal
            # goes on protecting it, and say so.
            self._section_changed(held, modifies=True)
            self._tell(
                f"The text was saved, but its story and settings could not be written to "
                f"{file} ({exc.strerror or exc}). They are kept in the autosave journal."
            )

    def _tell(self, message: str) -> None:
        self._last_warning = message
        self._window.show_notice(message)
