"""Opening a large file without freezing the window: read on a worker, shown in slices.

Reading and decoding run on a worker thread (app.tasks.in_thread) and report progress to a
dialog whose Cancel stops the read between chunks. The decoded text then goes into the editor
in slices, one per turn of the event loop: setting 100 MB into a QPlainTextEdit at once holds
the GUI thread for seconds (most of it the editor's word count of each new paragraph), while
each slice is sized from the time the previous one took to cost it about SLICE_S, so the
window keeps painting and taking input (benchmarks/open_large_file.py measures both). Undo is
off while the slices go in, so the writer cannot undo the opening piecemeal, and the editor is
read-only until the end.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QProgressDialog, QWidget

from penwright.app.tasks import event_loop, in_thread
from penwright.models.files.textfile import TextFormat, read_text_file
from penwright.resources import APP_NAME

SLICE_CHARS = 200_000  # the first slice; the next ones are sized to take about SLICE_S each
SLICE_S = 0.03  # the GUI thread's time per slice: short enough that typing and painting go on
_SLICE_LIMITS = (10_000, 1_000_000)
_KB = 1024  # the dialog counts kilobytes: Qt's progress range is a 32-bit int


class OpenProgress:
    """The dialog shown while a large file opens: bytes read, then text shown."""

    def __init__(self, parent: QWidget, name: str, size: int) -> None:
        self.cancelled = threading.Event()
        dialog = self.dialog = QProgressDialog(f"Reading “{name}”…", "Cancel", 0, 1, parent)
        dialog.setWindowTitle(APP_NAME)
        # Not modal: a modal QProgressDialog runs the event loop inside every setValue, which
        # would re-enter the asyncio task that calls it. The editor is read-only instead.
        dialog.setWindowModality(Qt.WindowModality.NonModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setRange(0, max(1, size // _KB))
        dialog.canceled.connect(self.cancelled.set)
        self._name = name
        self._closed = False
        dialog.show()

    def read(self, done: int, total: int) -> None:
        """Called on the GUI thread (see reporter) as the worker reads."""
        self.dialog.setMaximum(max(1, total // _KB))
        self.dialog.setValue(done // _KB)

    def reporter(self) -> _ThreadProgress:
        """A progress callback the worker thread may call: it hands over to the GUI thread."""
        return _ThreadProgress(event_loop(), self)

    def showing(self, characters: int) -> None:
        """Reading is done; from here the text goes in and cannot be cancelled half-way."""
        self.dialog.setLabelText(f"Showing “{self._name}”…")
        self.dialog.setCancelButton(None)  # Qt: None removes the button
        self.dialog.setRange(0, max(1, characters // _KB))
        self.dialog.setValue(0)

    def shown(self, characters: int) -> None:
        self.dialog.setValue(characters // _KB)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.dialog.close()
        self.dialog.deleteLater()


class _ThreadProgress:
    def __init__(self, loop: asyncio.AbstractEventLoop, progress: OpenProgress) -> None:
        self._loop = loop
        self._progress = progress

    def __call__(self, done: int, total: int) -> None:
        self._loop.call_soon_threadsafe(self._progress.read, done, total)


async def read_in_background(
    path: Path, encoding: str | None, progress: OpenProgress
) -> tuple[str, TextFormat]:
    """read_text_file on a worker thread, reporting to ``progress`` (its Cancel stops it)."""
    return await in_thread(
        read_text_file,
        path,
        encoding=encoding,
        progress=progress.reporter(),
        cancelled=progress.cancelled,
    )


async def insert_in_slices(
    editor: QPlainTextEdit, text: str, progress: OpenProgress | None = None
) -> None:
    """Replace the editor's text with ``text``, a slice per event-loop turn, as one document
    without undo history (like setPlainText). The caller keeps the editor read-only meanwhile."""
    document = editor.document()
    undo_was_enabled = document.isUndoRedoEnabled()
    document.setUndoRedoEnabled(False)  # also drops the old history, as setPlainText does
    try:
        editor.clear()
        cursor = QTextCursor(document)
        start, size = 0, SLICE_CHARS
        while start < len(text):
            began = time.perf_counter()
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.insertText(text[start : start + size])
            start += size
            took = max(time.perf_counter() - began, 1e-4)
            # At most twice the last size: one fast slice must not make the next one a stall.
            wanted = min(size * SLICE_S / took, 2 * size)
            size = int(min(max(wanted, _SLICE_LIMITS[0]), _SLICE_LIMITS[1]))
            if progress is not None:
                progress.shown(start)
            await asyncio.sleep(0)  # let Qt paint and handle input before the next slice
    finally:
        document.setUndoRedoEnabled(undo_was_enabled)
    editor.moveCursor(QTextCursor.MoveOperation.Start)
