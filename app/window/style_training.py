"""A style training child seen from the app: started detached, followed through its progress
file, cancelled on request.

The child (models.training.worker) runs in its own session with its output going only to the
progress file, so it can outlive the app ("keep training in the background") and finish the
style; while the app runs, a timer reads the lines the child appended since the last look.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from penwright.models.training.job import TrainingJob
from penwright.models.training.process import cancel, start_training

POLL_MS = 300


class TrainingRun(QObject):
    """One training run; ``progressed`` carries each JSON event, ``finished`` the exit code."""

    progressed = Signal(dict)
    finished = Signal(int)

    def __init__(self, job: TrainingJob, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.job = job
        self._child: subprocess.Popen[str] | None = None
        self._progress: Path | None = None
        self._offset = 0
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    def start(self) -> None:
        self._child, self._progress = start_training(self.job, detached=True)
        self._timer.start()

    @property
    def running(self) -> bool:
        return self._child is not None and self._child.poll() is None

    def cancel(self) -> None:
        if self._child is not None:
            cancel(self._child)

    def keep_in_background(self) -> None:
        """Stop following the child; it goes on and finishes the style on its own."""
        self._timer.stop()
        self._child = None

    def _poll(self) -> None:
        for event in self._new_events():
            self.progressed.emit(event)
        if self._child is not None and self._child.poll() is not None:
            for event in self._new_events():
                self.progressed.emit(event)
            self._timer.stop()
            code = self._child.returncode
            self._child = None
            self.finished.emit(code)

    def _new_events(self) -> list[dict[str, Any]]:
        if self._progress is None:
            return []
        try:
            with self._progress.open("rb") as f:
                f.seek(self._offset)
                data = f.read()
        except OSError:
            return []
        complete = data.rfind(b"\n") + 1  # a line still being written waits for the next look
        self._offset += complete
        events = []
        for line in data[:complete].splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                continue
        return events
