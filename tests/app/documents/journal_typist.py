"""A child process for the crash tests: a journalled buffer typed into at a steady pace.

    python journal_typist.py DATA_DIR MODE INTERVAL_MS PRELOAD_CHARS [STOP_AFTER]

It prints "offered N" (what a start-up scan finds), then "typed N" after every keystroke and
"journalled N" after every journal flush (N: typed characters contained in what was written).
Around every entry it writes to disk it prints "writing BUFFER N" just before and "written
BUFFER N" just after (N: the typed characters in the entry; for the file buffer its length): a
"writing" line with no "written" after it means the process died inside that write.
MODE "crash" types until killed; MODE "clean" stops after STOP_AFTER characters, flushes, ends
the session the way a clean quit does, and exits 0. It also keeps a second, file-backed buffer
with one unsaved change, to check that file name and format survive.

MODE "rewrite" skips the typing and rewrites one large entry ("big") back to back, N being the
number of the write, so that a kill sent on "writing big N" can land in the middle of a write.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTimer

from penwright.app.documents.journal import BufferState, Journal
from penwright.app.documents.journal_store import JournalEntry, JournalStore
from penwright.models.files.textfile import TextFormat

TYPED = "The quick brown fox jumps over the lazy dog; 漢字 ok. " * 200
FILE_BUFFER_TEXT = "edited file text\nsecond line\n"


def preload_text(chars: int) -> str:
    """What the buffer held (and the journal had) before the measured typing began."""
    return ("Earlier draft paragraph.\n" * (chars // 25 + 1))[:chars]


REWRITE_VERSIONS = 3  # enough to tell "the last one written" from any other


def rewrite_text(version: int, chars: int) -> str:
    """Version `version` of the rewritten entry: every character says which version it is."""
    return str(version % REWRITE_VERSIONS) * chars


class ReportingStore(JournalStore):
    """The journal's store, announcing each entry write on stdout before and after it."""

    def __init__(self, data_dir: Path, count: Callable[[JournalEntry], int]) -> None:
        super().__init__(data_dir)
        self._count = count

    def write(self, entry: JournalEntry) -> None:
        number = self._count(entry)
        print(f"writing {entry.buffer_id} {number}", flush=True)
        super().write(entry)
        print(f"written {entry.buffer_id} {number}", flush=True)


def rewrite_forever(store: JournalStore, chars: int) -> None:
    # Built beforehand, so the loop spends its time writing, where the kill should land.
    texts = [rewrite_text(version, chars) for version in range(REWRITE_VERSIONS)]
    version = 0
    while True:
        entry = JournalEntry(
            "big", None, "Big", texts[version % REWRITE_VERSIONS], TextFormat(), 0.0
        )
        print(f"writing big {version}", flush=True)
        store.write(entry)
        print(f"written big {version}", flush=True)
        version += 1


def main() -> None:
    data_dir, mode, interval_ms, preload_chars = sys.argv[1:5]
    stop_after = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    if mode == "rewrite":
        print("offered 0", flush=True)
        rewrite_forever(JournalStore(Path(data_dir)), int(preload_chars))
    app = QCoreApplication([])
    preload = preload_text(int(preload_chars))
    def typed_in(entry: JournalEntry) -> int:
        return len(entry.text) - len(preload) if entry.buffer_id == "untitled" else len(entry.text)

    store = ReportingStore(Path(data_dir), typed_in)
    print(f"offered {len(store.scan_recoverable().entries)}", flush=True)

    journal = Journal(store)  # the default timing, as in the app
    journal.start()
    typed = 0

    def untitled_state() -> BufferState:
        return BufferState(None, "Untitled 1", preload + TYPED[:typed], TextFormat(), True)

    def file_state() -> BufferState:
        fmt = TextFormat("utf-8-sig", "\r\n")
        return BufferState(Path(data_dir) / "notes.txt", "notes.txt", FILE_BUFFER_TEXT, fmt, True)

    def report_flush(ok: bool) -> None:
        print(f"journalled {typed}" if ok else "journal failed", flush=True)

    journal.track("untitled", untitled_state)
    journal.track("file", file_state)
    journal.flushed.connect(report_flush)
    journal.buffer_changed("untitled")
    journal.buffer_changed("file")
    journal.flush()  # the state before typing is on disk, as it would be in a long session

    def type_one() -> None:
        nonlocal typed
        typed += 1
        journal.buffer_changed("untitled")
        print(f"typed {typed}", flush=True)
        if mode == "clean" and typed >= stop_after:
            timer.stop()
            journal.flush()
            journal.end_session()
            app.quit()

    timer = QTimer()
    timer.setInterval(int(interval_ms))
    timer.timeout.connect(type_one)
    timer.start()
    sys.exit(app.exec())


if __name__ == "__main__":
    main()
