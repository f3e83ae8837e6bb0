"""A test-only remote control, so a subprocess test can drive the real app.

Run as ``python tests/app/driver.py [penwright arguments]``: it starts the app through
``penwright.app.main.main`` (the composition root the `penwright` command uses) with this driver
as its start-up hooks. The environment variable PENWRIGHT_TEST_DRIVER holds a JSON object:

    {"type": "text to type", "interval_ms": 10, "then": "stay" | "quit-discard", "welcome": false,
     "tabs": ["more text", ...], "resize": [width, height], "current": tab index,
     "accept": "a suggestion to accept after typing",
     "memory": "typed into the Story panel once the text is typed"}

With it, the app (1) answers the recovery dialog itself instead of waiting for a click: it prints
`offered <JSON list of {"title", "text"}>` and recovers everything; (2) prints
`ready <JSON {"text", "modified", "tabs", "current", "size", "notice"}>` once start-up is done
(text and modified: the current tab's; tabs: each tab's path, text and modified; size: the
window's; notice: the last notice shown); "resize" and "current" are applied first, before
typing; (3) types the text into the editor one key event per interval, then each of "tabs"
into a new tab of its own, printing `typed N` after each, and `typed all` at the end, and
prints `journalled N` after each successful journal write (N: characters typed by then); (4) with
"quit-discard", then closes the window and answers the unsaved-changes question with Discard,
which is a clean quit. Unless "welcome" is true, the settings say the first run's welcome guide
was shown already, so the editor starts empty as the typing tests expect. With "accept", once
everything is typed the text is shown as a suggestion at the caret and accepted with Tab (no
model needed), and `accepted` is printed; `ready` also says which spans are suggested
("provenance": [[start, end, origin], ...]). With "memory", after
the typing the Story panel's memory box gets that text and `story journalled` is printed once
the journal holds the document's sidecar; "ready" then also gives the current tab's "memory".
Key events go through the editor's keyPressEvent, the path real typing takes, so the journal
sees exactly what it would see.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from penwright.app.documents.recovery_dialog import RecoveryDialog
from penwright.app.main import Penwright, StartupHooks, main
from penwright.app.window.first_launch import WELCOME_SHOWN_KEY
from penwright.app.window.main_window import MainWindow

DRIVER_ENV = "PENWRIGHT_TEST_DRIVER"


def _say(line: str) -> None:
    print(line, flush=True)


@dataclass(frozen=True)
class DriverScript:
    type: str = ""
    interval_ms: int = 10
    then: str = "stay"
    welcome: bool = False  # let the first run show the welcome guide (window/first_launch.py)
    tabs: tuple[str, ...] = ()
    resize: tuple[int, int] | None = None
    current: int | None = None
    accept: str = ""  # a suggestion to accept once everything is typed
    memory: str = ""


class TestDriver(QObject, StartupHooks):
    """Types into a window and answers its questions, reporting on stdout."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, script: DriverScript) -> None:
        super().__init__()
        self._script = script
        self._window: MainWindow | None = None
        self._parts: Penwright | None = None
        self._typed = 0
        self._texts = [script.type, *script.tabs]  # what goes into each tab, in turn
        self._in_tab = 0  # characters typed into the current of those
        self._timer = QTimer(self)
        self._timer.setInterval(script.interval_ms)
        self._timer.timeout.connect(self._type_next)

    def built(self, parts: Penwright) -> None:
        self._window = parts.window
        self._parts = parts
        if not self._script.welcome:
            parts.store.qsettings.setValue(WELCOME_SHOWN_KEY, "true")
        parts.journal.flushed.connect(self._on_journal_flushed)

    def run_recovery_dialog(self, dialog: RecoveryDialog) -> object:
        """Stands in for dialog.exec(): report what is offered and recover all of it."""
        offered = [{"title": i.entry.title, "text": i.entry.text} for i in dialog.ticked()]
        _say(f"offered {json.dumps(offered)}")
        dialog.recover_button.click()
        return dialog.result()

    def started(self) -> None:
        window = self._window
        assert window is not None
        if self._script.resize is not None:
            window.resize(*self._script.resize)
        if self._script.current is not None:
            window.tab_widget.setCurrentIndex(self._script.current)
        editor = window.editor
        tabs = [
            {
                "path": str(tab.document.file_path or ""),
                "text": tab.editor.toPlainText(),
                "modified": tab.editor.document().isModified(),
            }
            for tab in window.tabs
        ]
        ready = {
            "text": editor.toPlainText(),
            "modified": editor.document().isModified(),
            "tabs": tabs,
            "current": window.tab_widget.currentIndex(),
            "size": [window.width(), window.height()],
            "notice": window.last_notice,
            # The current tab's suggested spans: [start, end, origin].
            "provenance": [
                [span.start, span.end, span.origin.value]
                for span in window.authorship.tracker.provenance.spans
            ],
        }
        if self._parts is not None and self._parts.sidecars is not None:
            ready["memory"] = self._parts.sidecars.story().memory
        _say(f"ready {json.dumps(ready)}")
        editor.setFocus()
        self._timer.start()

    @Slot()
    def _type_next(self) -> None:
        window = self._window
        assert window is not None
        while self._texts and self._in_tab >= len(self._texts[0]):
            self._texts.pop(0)
            self._in_tab = 0
            if self._texts:
                window.new_file()  # the next text goes into a tab of its own
        if not self._texts:
            self._timer.stop()
            _say("typed all")
            if self._script.accept:
                self._accept_suggestion(self._script.accept)
            if self._script.memory:
                self._set_memory()
            if self._script.then == "quit-discard":
                QTimer.singleShot(0, self._answer_discard)
                window.close()
            return
        character = self._texts[0][self._in_tab]
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            event = QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, character)
            QApplication.sendEvent(window.editor, event)
        self._in_tab += 1
        self._typed += 1
        _say(f"typed {self._typed}")

    def _accept_suggestion(self, text: str) -> None:
        assert self._window is not None
        editor = self._window.editor
        editor.start_suggestion(1)
        editor.append_suggestion(1, 0, text)
        editor.finish_suggestion(1)
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(
                editor, QKeyEvent(kind, Qt.Key.Key_Tab, Qt.KeyboardModifier.NoModifier)
            )
        _say("accepted")

    def _set_memory(self) -> None:
        """Type the memory into the Story panel, as the writer would, and report when the
        journal holds it (the keeper writes it within a quarter of a second)."""
        parts = self._parts
        assert parts is not None and parts.story_room is not None and parts.sidecars is not None
        parts.story_room.panel.show()
        parts.story_room.panel.memory_edit.setPlainText(self._script.memory)
        buffer_id = parts.session.buffer_id_of(parts.window.current_document)
        poll = QTimer(self)

        def check() -> None:
            if parts.journal.kept_sidecar(buffer_id) is not None:
                poll.stop()
                _say("story journalled")

        poll.timeout.connect(check)
        poll.start(20)

    @Slot(bool)
    def _on_journal_flushed(self, ok: bool) -> None:
        if ok:
            _say(f"journalled {self._typed}")

    @Slot()
    def _answer_discard(self) -> None:
        """Discard at every question (one per tab with changes) until the window is closed."""
        assert self._window is not None
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            box.button(QMessageBox.StandardButton.Discard).click()
        if self._window.isVisible():  # another question may follow
            QTimer.singleShot(10, self._answer_discard)


if __name__ == "__main__":
    fields = json.loads(os.environ[DRIVER_ENV])
    fields["tabs"] = tuple(fields.get("tabs", ()))
    if fields.get("resize") is not None:
        fields["resize"] = tuple(fields["resize"])
    sys.exit(main(sys.argv[1:], TestDriver(DriverScript(**fields))))
