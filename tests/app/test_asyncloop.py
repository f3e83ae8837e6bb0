"""asyncloop: asyncio runs on Qt's loop until the application quits; started tasks stay alive."""

from __future__ import annotations

import asyncio
import gc

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from penwright.app.tasks import run_until_quit, start_task


def test_tasks_run_on_the_qt_loop_until_the_app_quits(qapp: QApplication) -> None:
    done: list[str] = []

    async def work_then_quit() -> None:
        await asyncio.sleep(0)
        gc.collect()  # a task that only asyncio referenced (weakly) could vanish here
        done.append("ran")
        qapp.quit()

    def on_loop_started() -> None:
        start_task(work_then_quit())

    QTimer.singleShot(0, on_loop_started)
    assert run_until_quit(qapp) == 0
    assert done == ["ran"]
