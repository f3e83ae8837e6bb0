"""Runs one hub download (models.catalog.download) off the GUI thread and reports back by signals.

A plain Python thread rather than the qasync loop: the download is blocking library code either
way (asyncio would wrap it in to_thread), and signals work the same with or without the loop, so
the settings dialog and its tests need no running asyncio loop. Signals emitted from that thread
reach slots of GUI-thread objects as queued calls; never connect them to lambdas that touch
widgets from the thread.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal

from penwright.models.catalog.download import (
    DownloadCancelled,
    DownloadError,
    DownloadProgress,
    download_model,
)


class HubDownload(QObject):
    """One download at a time. start(); then progress*, then finished or failed or cancelled."""

    progress = Signal(object)  # DownloadProgress
    finished = Signal(str, str)  # repo id, local folder
    failed = Signal(str, str)  # repo id, clear message
    cancelled = Signal(str)  # repo id

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, repo_id: str) -> None:
        if self.running:
            raise RuntimeError("a download is already running")
        self._cancel = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(repo_id, self._cancel), name="hub-download", daemon=True
        )
        self._thread.start()

    def cancel(self) -> None:
        """Ask the download to stop; it does at its next chunk and then emits cancelled."""
        self._cancel.set()

    def wait(self, timeout_s: float | None = None) -> None:
        """Block until the download thread has ended (for shutdown and tests)."""
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self, repo_id: str, cancel: threading.Event) -> None:
        # Runs on the download thread: only emit signals here.
        try:
            folder = download_model(repo_id, progress=self._report, cancelled=cancel)
        except DownloadCancelled:
            self.cancelled.emit(repo_id)
        except DownloadError as err:
            self.failed.emit(repo_id, str(err))
        except Exception as err:  # a crash on this thread would vanish silently
            self.failed.emit(repo_id, f"download of {repo_id} failed: {err}")
        else:
            self.finished.emit(repo_id, str(folder))

    def _report(self, progress: DownloadProgress) -> None:
        self.progress.emit(progress)
