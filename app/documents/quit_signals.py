"""SIGTERM, SIGHUP, SIGQUIT and SIGINT end Penwright only after the journal is on disk.

A Python signal handler runs only when the interpreter gets control, which Qt's event loop
does not give it while it waits for events; so the C-level handler also writes the signal's
number to a socket (signal.set_wakeup_fd), a QSocketNotifier wakes the GUI thread, and there
the journal is flushed (its unsaved text kept for recovery: nobody was asked whether to
save) and the event loop told to quit with the signal's exit status. SIGINT from a terminal
quits the same way, without a KeyboardInterrupt traceback.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, QSocketNotifier, Slot

logger = logging.getLogger(__name__)

QUIT_SIGNALS = tuple(
    getattr(signal, name)
    for name in ("SIGTERM", "SIGHUP", "SIGQUIT", "SIGINT")
    if hasattr(signal, name)
)


class QuitSignals(QObject):
    """Installed once, in the GUI thread, for the life of the app."""

    def __init__(self, app: QCoreApplication, before_quit: Callable[[int], object]) -> None:
        super().__init__(app)
        self._app = app
        self._before_quit = before_quit
        self.received: int | None = None
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        self._previous = {number: signal.signal(number, self._note) for number in QUIT_SIGNALS}
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_wakeup)

    def _note(self, number: int, _frame: object) -> None:
        # Runs whenever Python gets control; the work happens in _on_wakeup, on the GUI thread.
        self.received = self.received or number

    @Slot()
    def _on_wakeup(self) -> None:
        numbers = b""
        with contextlib.suppress(BlockingIOError, InterruptedError):
            numbers = self._reader.recv(64)
        number = self.received or (numbers[0] if numbers else None)
        if number is None or number not in QUIT_SIGNALS:
            return
        self._notifier.setEnabled(False)  # a second signal while flushing changes nothing
        logger.info("signal %s: writing the journal, then quitting", signal.Signals(number).name)
        try:
            self._before_quit(number)
        finally:
            self._app.exit(128 + number)

    def uninstall(self) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._notifier.setEnabled(False)
        self._reader.close()
        self._writer.close()
