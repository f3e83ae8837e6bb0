"""One worker thread for the journal's slow writes (snapshots, compaction, fsync), off the GUI.

Jobs run one after another in submission order, so a snapshot is on disk before the compaction
that reads it. A job's `then` callback runs back on the GUI thread (a queued Qt signal), with
the job's result or the exception it raised.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot

logger = logging.getLogger(__name__)

Then = Callable[[Any, BaseException | None], None]


class _Job:
    """A submitted job, until its callback has run on the GUI thread (or cannot)."""

    def __init__(self, future: Future[Any], has_callback: bool) -> None:
        self.future = future
        self.posted = threading.Event()  # the callback was handed to the GUI thread, or failed
        self.settled = not has_callback  # the callback ran (or there is none, or it never will)


class BackgroundWriter(QObject):
    _finished = Signal(object)  # a zero-argument callable to run on the GUI thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor: ThreadPoolExecutor | None = None
        self._jobs: list[_Job] = []
        self._finished.connect(self._run_on_gui_thread)

    def submit(self, job: Callable[[], Any], then: Then | None = None) -> None:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="journal-writer")
        future = self._executor.submit(job)
        entry = _Job(future, then is not None)
        self._jobs.append(entry)
        if then is None:
            entry.posted.set()
            return

        def settle() -> None:
            entry.settled = True
            error = future.exception()
            then(None if error is not None else future.result(), error)

        def done(_finished: Future[Any]) -> None:
            try:
                self._finished.emit(settle)
            except RuntimeError:  # this object is gone (its window closed): nobody to tell
                entry.settled = True
            finally:
                entry.posted.set()

        future.add_done_callback(done)

    @property
    def busy(self) -> bool:
        self._jobs = [job for job in self._jobs if not (job.settled and job.future.done())]
        return bool(self._jobs)

    def drain(self, timeout_s: float = 120.0) -> None:
        """Wait for every job and run its callback (GUI thread): before quitting, and in tests.
        A callback may submit more jobs; those are waited for too. Gives up (logging it) after
        timeout_s rather than hang the app on a disk that never answers."""
        deadline = time.monotonic() + timeout_s
        while self.busy:
            left = deadline - time.monotonic()
            if left <= 0:
                logger.warning("journal background writes still running after %s s", timeout_s)
                return
            job = self._jobs[0]
            with contextlib.suppress(Exception):
                job.future.exception(timeout=left)  # waits; errors reach the callback
            job.posted.wait(timeout=max(0.0, deadline - time.monotonic()))
            QCoreApplication.sendPostedEvents(self)  # deliver the queued callbacks
            if job.posted.is_set() and not job.settled:
                job.settled = True  # posted, yet not delivered here: it will never run now

    def shutdown(self) -> None:
        self.drain()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    @Slot(object)
    def _run_on_gui_thread(self, callback: Callable[[], None]) -> None:
        try:
            callback()
        except Exception:  # a failed bookkeeping step must not take the app down
            logger.exception("journal background callback failed")
