"""The next start reopens what the last one had open: its files, one tab each, the current tab,
and the window's size, place and toolbar layout.

What is open is written to the settings whenever a tab opens, closes, moves, comes to the front
or changes its file, so a crash (even SIGKILL) leaves the list of its last moment; the geometry
is written then too and when the window closes. Unsaved text is not kept here: the journal has
it, and the recovery after a crash brings it back (documents/session.py). Everything goes
through the typed store as plain text (paths as JSON, geometry as base64), never a stored
object.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QObject, Slot

from penwright.app.settings.store import LastSession, SettingsStore
from penwright.app.window.main_window import MainWindow


def _base64(data: QByteArray) -> str:
    return bytes(data.toBase64().data()).decode("ascii")


class LastSessionKeeper(QObject):
    """Remembers the window's open files and geometry, and brings them back at the next start."""

    def __init__(self, window: MainWindow, store: SettingsStore) -> None:
        super().__init__(window)
        self._window = window
        self._store = store
        self._keeping = False  # not before the last session was restored: it would be lost

    def restore_geometry(self) -> None:
        """Give the window its last size, place and toolbar layout (before it is shown)."""
        session, _warnings = self._store.load_last_session()
        if session.geometry:
            self._window.restoreGeometry(QByteArray.fromBase64(session.geometry.encode("ascii")))
        if session.window_state:
            self._window.restoreState(QByteArray.fromBase64(session.window_state.encode("ascii")))

    def reopen(self, files: list[str]) -> None:
        """Reopen the last session's files, then the command line's `files` beside them (the
        last of which comes to the front; else the last session's current tab does).

        Files that are gone are skipped and named in one notice, not one error per file.
        """
        window = self._window
        session, warnings = self._store.load_last_session()
        missing: list[str] = []
        for name in session.documents:
            if Path(name).is_file():
                window.open_file(name, ask=False)
            else:
                missing.append(Path(name).name)
        current = window.document_for(Path(session.current)) if session.current else None
        for name in files:
            window.open_file(name, ask=False)
        if current is not None and not files:
            window.show_tab(current)
        notices = list(warnings)
        if missing:
            listed = ", ".join(f"“{name}”" for name in missing)
            were = "was" if len(missing) == 1 else "were"
            notices.append(
                f"Not reopened from your last session: {listed} {were} moved or deleted."
            )
        if notices:
            window.show_notice(" ".join(notices))
        self.start_keeping()

    def start_keeping(self) -> None:
        if self._keeping:
            return
        self._keeping = True
        self._window.documents_changed.connect(self.remember)
        self._window.closing.connect(self.remember)
        self.remember()

    @Slot()
    def remember(self) -> None:
        """Write what is open now (files in tab order, the current one, the geometry)."""
        window = self._window
        paths = [str(d.file_path) for d in window.documents if d.file_path is not None]
        current = window.current_document.file_path
        self._store.save_last_session(
            LastSession(
                documents=tuple(dict.fromkeys(paths)),  # one tab per file, in their order
                current=str(current) if current is not None else "",
                geometry=_base64(window.saveGeometry()),
                window_state=_base64(window.saveState()),
            )
        )
