"""One worker thread for the journal's slow writes (snapshots, compaction, fsync), off the GUI.

Jobs run one after another in submission order, so a snapshot is on disk before the compaction
that reads it. A job's `then` callback runs back on the GUI thread (a queued Qt signal), with
the job's result or the exception it raised.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot

logger = logging.getLogger(__name__)

Then = Callable[[Any, BaseException | None], None]


class BackgroundWriter(QObject):
    _finished = Signal(object)  # a zero-argument callable to run on the GUI thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor: ThreadPoolExecutor | None = None
        self._outstanding: list[Future[Any]] = []
        self._callbacks_due = 0
        self._finished.connect(self._run_on_gui_thread)

    def submit(self, job: Callable[[], Any], then: Then | None = None) -> None:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="journal-writer")
        future = self._executor.submit(job)
        self._outstanding.append(future)
        if then is not None:
            self._callbacks_due += 1

            def done(finished: Future[Any]) -> None:
                error = finished.exception()
                result = None if error is not None else finished.result()
                self._finished.emit(lambda: then(result, error))

            future.add_done_callback(done)

    @property
    def busy(self) -> bool:
        self._outstanding = [f for f in self._outstanding if not f.done()]
        return bool(self._outstanding) or self._callbacks_due > 0

    def drain(self) -> None:
        """Wait for every job and run its callback (GUI thread): before quitting, and in tests.
        A callback may submit more jobs; those are waited for too."""
        while self.busy:
            for future in list(self._outstanding):
                future.exception()  # waits; errors reach the callback
            QCoreApplication.sendPostedEvents(self)  # deliver the queued callbacks
            if self._callbacks_due and not self._outstanding:
                time.sleep(0.001)  # a finished job is about to post its callback

    def shutdown(self) -> None:
        self.drain()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    @Slot(object)
    def _run_on_gui_thread(self, callback: Callable[[], None]) -> None:
        self._callbacks_due -= 1
        try:
            callback()
        except Exception:  # a failed bookkeeping step must not take the app down
            logger.exception("journal background callback failed")
