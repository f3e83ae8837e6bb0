"""The one place qasync is installed: asyncio runs on Qt's event loop.

asyncio serves genuinely asynchronous I/O (model downloads and listing, file I/O that could
stall); the model itself stays on the inference QThread. Tasks started through `start_task` are
kept referenced until done, because asyncio holds only weak references to running tasks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import qasync
from PySide6.QtWidgets import QApplication

_running_tasks: set[asyncio.Task[Any]] = set()


def start_task(coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
    """Schedule a coroutine on the running loop and keep it alive until it finishes."""
    task = asyncio.get_event_loop().create_task(coroutine)
    _running_tasks.add(task)
    task.add_done_callback(_running_tasks.discard)
    return task


def run_until_quit(app: QApplication) -> int:
    """Install qasync's loop on app and run it until the last window closes. Returns 0."""
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    quit_requested = asyncio.Event()
    app.aboutToQuit.connect(quit_requested.set)
    try:
        with loop:
            loop.run_until_complete(quit_requested.wait())
    finally:
        app.aboutToQuit.disconnect(quit_requested.set)
        asyncio.set_event_loop(None)
    return 0
