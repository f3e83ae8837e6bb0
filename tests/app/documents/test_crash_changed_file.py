"""Recovery never replaces a file another program changed after the crash.

The real app (`penwright --no-model FILE`, offscreen, typed into by tests/app/driver.py) is
SIGKILLed with unsaved typing in a named document; then "another program" rewrites the file;
then a new window starts and recovers. The dialog says the file changed; the recovered text
opens beside it as "chapter (recovered).txt" (or untitled, if the writer picks that), and
saving writes there: the other program's edit stays as it is.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from app_fakes import EngineScript, FakeEngine
from PySide6.QtCore import QSettings
from PySide6.QtGui import QTextCursor
from pytestqt.qtbot import QtBot

from penwright.app.documents.file_identity import FileIdentity, sha256_of_file, stat_identity
from penwright.app.documents.journal import Journal
from penwright.app.documents.journal_store import JournalEntry, JournalStore
from penwright.app.documents.recovery_dialog import RecoveryDialog
from penwright.app.documents.session import DocumentSession
from penwright.app.main import StartupHooks, build, parse_arguments
from penwright.app.window.main_window import MainWindow
from penwright.models.files.textfile import TextFormat

ROOT = Path(__file__).resolve().parents[3]
DRIVER = ROOT / "tests" / "app" / "driver.py"
TYPED = "Typed before the crash, never saved. "
ORIGINAL = "The chapter as it was opened.\n"
EXTERNAL = "Rewritten by another program after the crash.\n"
TIMEOUT_S = 60


def _type_then_sigkill(data_dir: Path, config_dir: Path, document: Path) -> int:
    """Type into `document` in the real app, SIGKILL it once some typing is journalled;
    return the number of characters the last journal write held."""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PENWRIGHT_DATA_DIR": str(data_dir),
        "XDG_CONFIG_HOME": str(config_dir),
        "PENWRIGHT_TEST_DRIVER": json.dumps({"type": TYPED, "interval_ms": 10, "then": "stay"}),
    }
    child = subprocess.Popen(
        [sys.executable, str(DRIVER), "--no-model", str(document)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(TIMEOUT_S, child.kill)
    watchdog.start()
    journalled = 0
    try:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("journalled "):
                journalled = int(line.split()[1])
                if journalled >= 10:
                    child.send_signal(signal.SIGKILL)
                    break
        _, stderr = child.communicate()
    finally:
        watchdog.cancel()
    assert child.returncode == -signal.SIGKILL, stderr
    return journalled


class AnswerRecovery(StartupHooks):
    """Recovers everything, choosing "untitled" for a changed file when asked to."""

    def __init__(self, untitled: bool = False) -> None:
        self.untitled = untitled
        self.rows: list[str] = []
        self.changed_note_shown = False

    def run_recovery_dialog(self, dialog: RecoveryDialog) -> object:
        self.rows = [dialog.entry_list.item(i).text() for i in range(dialog.entry_list.count())]
        self.changed_note_shown = not dialog.changed_label.isHidden()
        if self.untitled:
            dialog.untitled_button.setChecked(True)
        dialog.recover_button.click()
        return dialog.result()


def _forget(window: MainWindow) -> None:
    for tab in window.tabs:  # closing would ask about every tab with changes
        tab.editor.document().setModified(False)


@pytest.fixture
def relaunch(
    qtbot: QtBot, tmp_path: Path
) -> Iterator[Callable[[Path, AnswerRecovery], MainWindow]]:
    windows: list[MainWindow] = []

    def start(data_dir: Path, hooks: AnswerRecovery) -> MainWindow:
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        parts = build(
            settings,
            parse_arguments(["--no-model"]),
            hooks,
            engine_factory=lambda: FakeEngine(EngineScript()),
            device_probe=lambda: [],
            data_dir=data_dir,
        )
        window = parts.window
        qtbot.addWidget(window, before_close_func=_forget)
        windows.append(window)
        window.show()
        parts.session.recover()
        return window

    yield start
    for window in windows:
        _forget(window)
        window.close()


def test_a_file_changed_after_the_crash_is_kept_and_the_text_recovered_beside_it(
    tmp_path: Path, relaunch: Callable[[Path, AnswerRecovery], MainWindow]
) -> None:
    document = tmp_path / "chapter.txt"
    document.write_text(ORIGINAL, encoding="utf-8")
    data_dir = tmp_path / "data"
    journalled = _type_then_sigkill(data_dir, tmp_path / "config", document)
    document.write_text(EXTERNAL, encoding="utf-8")  # another program, after the crash

    hooks = AnswerRecovery()
    window = relaunch(data_dir, hooks)

    (row,) = hooks.rows
    assert "changed on disk" in row and hooks.changed_note_shown
    recovered = window.editor.toPlainText()
    typed = recovered[: len(recovered) - len(ORIGINAL)]
    assert recovered.endswith(ORIGINAL) and TYPED.startswith(typed) and len(typed) >= journalled
    beside = tmp_path / "chapter (recovered).txt"
    assert window.file_path == beside and window.editor.document().isModified()
    assert "changed by another program" in window.last_notice
    assert document.read_text(encoding="utf-8") == EXTERNAL  # untouched by recovery

    assert window.save()  # Ctrl+S
    assert beside.read_text(encoding="utf-8") == recovered
    assert document.read_text(encoding="utf-8") == EXTERNAL  # and by saving


def test_the_writer_may_recover_a_changed_file_as_a_new_untitled_document(
    tmp_path: Path, relaunch: Callable[[Path, AnswerRecovery], MainWindow]
) -> None:
    document = tmp_path / "chapter.txt"
    document.write_text(ORIGINAL, encoding="utf-8")
    data_dir = tmp_path / "data"
    _type_then_sigkill(data_dir, tmp_path / "config", document)
    document.write_text(EXTERNAL, encoding="utf-8")

    window = relaunch(data_dir, AnswerRecovery(untitled=True))

    assert window.file_path is None and window.editor.toPlainText().endswith(ORIGINAL)
    assert "untitled" in window.last_notice
    assert document.read_text(encoding="utf-8") == EXTERNAL


def test_an_unchanged_file_is_recovered_to_its_own_name(
    tmp_path: Path, relaunch: Callable[[Path, AnswerRecovery], MainWindow]
) -> None:
    document = tmp_path / "chapter.txt"
    document.write_text(ORIGINAL, encoding="utf-8")
    data_dir = tmp_path / "data"
    _type_then_sigkill(data_dir, tmp_path / "config", document)
    os.utime(document)  # touched (a backup tool), same bytes: the hash says it is the same

    hooks = AnswerRecovery()
    window = relaunch(data_dir, hooks)

    assert "changed on disk" not in hooks.rows[0] and not hooks.changed_note_shown
    assert window.file_path == document.resolve()


def test_a_recovered_document_stays_based_on_the_file_as_it_was_opened(
    tmp_path: Path, relaunch: Callable[[Path, AnswerRecovery], MainWindow]
) -> None:
    document = tmp_path / "chapter.txt"
    document.write_text(ORIGINAL, encoding="utf-8")
    seen = stat_identity(document)
    assert seen is not None
    based_on = FileIdentity(seen.size, seen.mtime_ns, sha256_of_file(document))
    crashed = JournalStore(tmp_path / "data", session_id="crashed")
    crashed.write(
        JournalEntry("c", document, "chapter.txt", ORIGINAL + "typed", TextFormat(), 1.0, based_on)
    )
    crashed.close()  # the kernel's part of a crash

    window = relaunch(tmp_path / "data", AnswerRecovery())
    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    window.editor.insertPlainText(" and more")
    journal, session = window.findChild(Journal), window.findChild(DocumentSession)
    assert journal is not None and session is not None
    journal.flush()
    journal.drain()

    entry = journal.store.read_own(session.buffer_id)
    assert entry is not None and entry.text == ORIGINAL + "typed and more"
    # a second crash, then another program's edit, must still be noticed
    assert entry.based_on == based_on
