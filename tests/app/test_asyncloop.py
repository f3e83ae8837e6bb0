"""app.tasks: asyncio runs on Qt's loop; blocking work runs on worker threads; latest wins."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from penwright.app.tasks import LatestTask, detach_loop, in_thread, run_until_quit, start_task


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


@pytest.fixture
def attached_loop(qapp: QApplication) -> Iterator[None]:
    """The loop app.tasks attaches when Qt's loop runs without asyncio's (as under pytest-qt)."""
    yield
    detach_loop()


def test_in_thread_runs_off_the_gui_thread_and_resumes_on_it(
    qtbot: QtBot, attached_loop: None
) -> None:
    threads: dict[str, threading.Thread] = {}

    def blocking_work(x: int) -> int:
        threads["work"] = threading.current_thread()
        return x * 2

    async def job() -> int:
        result = await in_thread(blocking_work, 21)
        threads["resumed"] = threading.current_thread()
        return result

    task = start_task(job())
    qtbot.waitUntil(task.done, timeout=5000)
    assert task.result() == 42
    assert threads["work"] is not threading.main_thread()
    assert threads["resumed"] is threading.main_thread()


def test_latest_task_cancels_the_one_before(qtbot: QtBot, attached_loop: None) -> None:
    started, release = threading.Event(), threading.Event()
    shown: list[str] = []

    def slow() -> str:
        started.set()
        release.wait(timeout=10)
        return "old"

    async def show(work: Callable[[], str]) -> None:
        shown.append(await in_thread(work))

    latest = LatestTask()
    first = latest.start(show(slow))
    qtbot.waitUntil(started.is_set, timeout=5000)  # the old job is on its worker thread
    second = latest.start(show(lambda: "new"))
    qtbot.waitUntil(second.done, timeout=5000)
    release.set()
    qtbot.waitUntil(first.done, timeout=5000)
    assert first.cancelled()
    assert shown == ["new"]  # the old result, arriving last, is dropped
    assert not latest.running


def test_an_exception_escaping_a_task_is_logged(
    qtbot: QtBot, attached_loop: None, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken() -> None:
        raise ValueError("nobody awaited me")

    task = start_task(broken())
    qtbot.waitUntil(task.done, timeout=5000)
    assert "background task" in caplog.text
    assert "ValueError: nobody awaited me" in caplog.text


def test_a_task_started_off_the_gui_thread_is_refused(qapp: QApplication) -> None:
    errors: list[BaseException] = []

    def from_a_worker() -> None:
        try:
            in_thread(len, "text")
        except RuntimeError as error:
            errors.append(error)

    worker = threading.Thread(target=from_a_worker)
    worker.start()
    worker.join()
    assert len(errors) == 1 and "GUI thread" in str(errors[0])
