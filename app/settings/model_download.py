"""Runs one hub download (models.catalog.download) off the GUI thread and reports back by signals.

The download is blocking library code, so it runs on a worker thread of the app's background
tasks (app.tasks.in_thread); the coroutine waiting for it resumes on the GUI thread and emits
finished, failed or cancelled there. Progress is emitted from the worker thread itself: Qt queues
it to the GUI-thread slots (and drops it if they are gone), so never connect it to a lambda that
touches widgets.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from penwright.app.tasks import LatestTask, in_thread
from penwright.models.catalog.download import (
    DownloadCancelled,
    DownloadError,
    DownloadProgress,
    download_model,
)

logger = logging.getLogger(__name__)


class HubDownload(QObject):
    """One download at a time. start(); then progress*, then finished or failed or cancelled."""

    progress = Signal(object)  # DownloadProgress
    finished = Signal(str, str)  # repo id, local folder
    failed = Signal(str, str)  # repo id, clear message
    cancelled = Signal(str)  # repo id

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._task = LatestTask()
        self._cancel = threading.Event()
        self._ended = threading.Event()
        self._ended.set()

    @property
    def running(self) -> bool:
        return self._task.running

    def start(self, repo_id: str) -> None:
        if self.running:
            raise RuntimeError("a download is already running")
        self._cancel = threading.Event()
        self._ended = threading.Event()
        job = in_thread(self._download, repo_id, self._cancel, self._ended)
        self._task.start(self._wait_for(repo_id, job))

    def cancel(self) -> None:
        """Ask the download to stop; it does at its next chunk and then emits cancelled."""
        self._cancel.set()

    def wait(self, timeout_s: float | None = None) -> None:
        """Block until the download's worker thread is done with it (for shutdown and tests)."""
        self._ended.wait(timeout_s)

    def shutdown(self) -> None:
        """Cancel, wait for the worker thread, and emit nothing more (the page is closing)."""
        self.cancel()
        self.wait()
        self._task.cancel()

    async def _wait_for(self, repo_id: str, job: asyncio.Future[Path]) -> None:
        # On the GUI thread; the download itself runs on the worker thread.
        try:
            folder = await job
        except DownloadCancelled:
            self.cancelled.emit(repo_id)
        except DownloadError as err:
            logger.warning("download of %s failed: %s", repo_id, err)
            self.failed.emit(repo_id, str(err))
        except Exception as err:  # shown to the writer instead of vanishing with the task
            logger.exception("download of %s failed", repo_id)
            self.failed.emit(repo_id, f"download of {repo_id} failed: {err}")
        else:
            self.finished.emit(repo_id, str(folder))

    def _download(self, repo_id: str, cancel: threading.Event, ended: threading.Event) -> Path:
        # Runs on a worker thread: only emit signals here.
        try:
            return download_model(repo_id, progress=self._report, cancelled=cancel)
        finally:
            ended.set()

    def _report(self, progress: DownloadProgress) -> None:
        self.progress.emit(progress)
