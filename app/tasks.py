"""The one place qasync is installed, and the app's one way to run work off the GUI thread.

asyncio runs on Qt's event loop (qasync). Work that can block for more than a moment (listing the
models, a hub download, gathering diagnostics, file I/O that could stall) is a coroutine started
here that awaits ``in_thread(function, ...)``: the function runs on a worker thread of one pool,
and the coroutine resumes on the GUI thread with its result, so it may touch widgets. The model
itself stays on the inference QThread, never in this pool.

Threading contract: functions passed to ``in_thread`` run on a worker thread and must not touch
widgets or other Qt GUI objects (emit signals or use ``call_soon_threadsafe`` to report progress);
coroutines run on the GUI thread.

Every task started here is kept referenced until done (asyncio holds only weak references to
running tasks). A UI job of which only the newest result matters ("latest wins": the model list
after each change, the facts of the open Diagnostics dialog) goes through a ``LatestTask``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

import qasync
from PySide6.QtCore import QCoreApplication, QThread
from PySide6.QtWidgets import QApplication

logger = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")

_WORKERS = 4
# Plain Python threads, not qasync's QThreadExecutor: the pool outlives any one window or test,
# and its idle threads must not count as QThreads left running.
_pool = concurrent.futures.ThreadPoolExecutor(
    max_workers=_WORKERS, thread_name_prefix="penwright-task"
)
_running_tasks: set[asyncio.Task[Any]] = set()
_attached: list[asyncio.AbstractEventLoop] = []


def event_loop() -> asyncio.AbstractEventLoop:
    """The asyncio loop running on Qt's event loop.

    run_until_quit installs it for the app. Where Qt's loop runs without it (tests, a dialog
    opened before run_until_quit), qasync's loop is attached to the running Qt loop here.
    """
    app = QApplication.instance()
    if app is None:
        raise RuntimeError("background tasks need a QApplication")
    if QThread.currentThread() is not app.thread():
        # Only the GUI thread has Qt's loop: a loop made here would never run.
        raise RuntimeError("background tasks are started from the GUI thread only")
    with contextlib.suppress(RuntimeError):  # no loop running yet
        return asyncio.get_running_loop()
    loop = _new_loop(app, already_running=True)
    asyncio.set_event_loop(loop)
    _attached.append(loop)
    return loop


def _new_loop(app: QCoreApplication, already_running: bool) -> qasync.QEventLoop:
    loop = qasync.QEventLoop(app, already_running=already_running)
    # For asyncio.to_thread in libraries: plain threads again (qasync's default makes QThreads).
    # The loop shuts its default executor down when it closes, so it is not the shared pool.
    loop.set_default_executor(
        concurrent.futures.ThreadPoolExecutor(thread_name_prefix="penwright-asyncio")
    )
    return loop


def detach_loop() -> None:
    """Undo what event_loop attached (test teardown): cancel its tasks, forget the loop."""
    while _attached:
        loop = _attached.pop()
        for task in [t for t in _running_tasks if t.get_loop() is loop]:
            task.cancel()
        if asyncio._get_running_loop() is loop:
            asyncio.events._set_running_loop(None)
            asyncio.set_event_loop(None)


def start_task(coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
    """Schedule a coroutine on the loop and keep it alive until it finishes.

    An exception the coroutine lets escape is logged (it has nobody else to go to).
    """
    task = event_loop().create_task(coroutine)
    _running_tasks.add(task)
    task.add_done_callback(_on_task_done)
    return task


def _on_task_done(task: asyncio.Task[Any]) -> None:
    _running_tasks.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.error("background task %s failed", task.get_name(), exc_info=task.exception())


def in_thread(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> asyncio.Future[T]:
    """Start function(*args, **kwargs) on a worker thread now; await the result on the GUI thread.

    Cancelling the awaiting task stops waiting for the result, not the function once it has
    begun: it runs to its end (give it a threading.Event to check if it should stop early).
    """
    call = functools.partial(function, *args, **kwargs)
    return event_loop().run_in_executor(_pool, call)


class LatestTask:
    """One UI job of a kind where only the newest result counts ("latest wins").

    ``start`` cancels the job started before it, so a slow old result never overwrites a newer
    one; ``cancel`` drops the job (its window closed). Use from the GUI thread only.
    """

    def __init__(self) -> None:
        self._task: asyncio.Task[Any] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        self.cancel()
        self._task = start_task(coroutine)
        return self._task

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None


def run_until_quit(app: QApplication) -> int:
    """Install qasync's loop on app and run it until the last window closes. Returns 0."""
    detach_loop()  # a loop attached before start-up would otherwise compete with this one
    loop = _new_loop(app, already_running=False)
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
