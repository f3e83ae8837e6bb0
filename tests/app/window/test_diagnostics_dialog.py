"""Help > Diagnostics: the diagnose facts, recent suggestion speeds, Copy to clipboard."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

import penwright.app.window.dialogs
import penwright.models.diagnostics
from penwright.app.tasks import detach_loop
from penwright.app.window.diagnostics_dialog import (
    DiagnosticsDialog,
    diagnostics_report,
    gather_facts,
)
from penwright.app.window.main_window import MainWindow
from penwright.models.files import logs
from penwright.models.files.folders import LOG_DIR_ENV
from penwright.models.results import GenerationStats
from penwright.models.spec import ModelInfo

FACTS = {"torch": "2.13.0+cpu", "cuda available": "no", "model path": "/models/tiny"}
RECENT = [
    GenerationStats(
        prompt_tokens=100,
        new_tokens=10,
        time_to_first_token_s=0.250,
        decode_tokens_per_s=20.0,
        stop_reason="length",
    ),
    GenerationStats(
        prompt_tokens=110,
        reused_tokens=100,
        new_tokens=12,
        time_to_first_token_s=0.040,
        decode_tokens_per_s=42.5,
        stop_reason="stop",
    ),
]


@pytest.fixture(autouse=True)
def background_loop() -> Iterator[None]:
    yield
    detach_loop()


def test_the_dialog_lists_every_fact_and_the_newest_suggestion_first(qtbot: QtBot) -> None:
    dialog = DiagnosticsDialog(FACTS, RECENT)
    qtbot.addWidget(dialog)
    shown = {
        dialog.facts.item(r, 0).text(): dialog.facts.item(r, 1).text()
        for r in range(dialog.facts.rowCount())
    }
    assert shown == FACTS
    assert dialog.recent.rowCount() == 2
    assert [dialog.recent.item(0, c).text() for c in range(3)] == ["40 ms", "42.5", "12"]
    assert dialog.recent.item(1, 0).text() == "250 ms"
    assert "median time to first token 145 ms" in dialog.summary.text()


def test_copy_puts_the_whole_report_on_the_clipboard(qtbot: QtBot) -> None:
    dialog = DiagnosticsDialog(FACTS, RECENT)
    qtbot.addWidget(dialog)
    dialog.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert copied == dialog.report()
    assert "cuda available: no" in copied
    assert "model path:     /models/tiny" in copied  # aligned like penwright-cli diagnose
    assert "40 ms | 42.5 | 12 | 110 | 100 | stop" in copied


def test_without_suggestions_the_report_says_so() -> None:
    assert "No suggestions yet." in diagnostics_report(FACTS, [])


def test_gather_facts_has_what_the_cli_shows_and_the_model_in_use() -> None:
    info = ModelInfo(
        name="tiny",
        source="/models/tiny",
        path="/models/tiny",
        device="cpu",
        precision="fp32",
        parameters=1234,
        context_length=256,
    )
    facts = gather_facts(info)
    for key in ("torch", "transformers", "PySide6", "cuda available", "mps available"):
        assert facts[key]
    assert facts["model path"] == "/models/tiny"
    assert facts["model device"] == "cpu"


def test_a_failing_collector_still_gives_a_diagnosis(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(engine_info: ModelInfo | None = None) -> dict[str, str]:
        raise RuntimeError("nvml exploded")

    monkeypatch.setattr(penwright.models.diagnostics, "collect_diagnostics", broken)
    assert gather_facts(None) == {"diagnostics": "could not be collected: nvml exploded"}


def test_a_failing_collector_is_logged(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def broken(engine_info: ModelInfo | None = None) -> dict[str, str]:
        raise RuntimeError("nvml exploded")

    monkeypatch.setattr(penwright.models.diagnostics, "collect_diagnostics", broken)
    monkeypatch.setenv(LOG_DIR_ENV, str(tmp_path))
    logs.configure_logging()
    try:
        gather_facts(None)
        text = "\n".join(logs.last_log_lines(30))
    finally:
        logs.stop_logging()
    assert "ERROR penwright.app.window.diagnostics_dialog" in text
    assert "RuntimeError: nvml exploded" in text


def test_the_log_file_and_its_last_lines_are_shown_and_copied(qtbot: QtBot) -> None:
    lines = ["2025-01-01 INFO penwright.app model loaded", "2025-01-01 WARNING penwright.x odd"]
    path = "/home/w/.local/state/penwright/log/penwright.log"
    dialog = DiagnosticsDialog(FACTS, RECENT, log_file=path, log_lines=lines)
    qtbot.addWidget(dialog)
    assert path in dialog.log_path.text()
    assert dialog.log.toPlainText() == "\n".join(lines)
    dialog.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert f"Log file: {path}" in copied
    assert copied.rstrip().endswith("\n".join(lines))


def test_facts_and_log_lines_are_gathered_off_the_gui_thread(qtbot: QtBot) -> None:
    ran_on: list[threading.Thread] = []

    def gather() -> dict[str, str]:
        ran_on.append(threading.current_thread())
        return {**FACTS, "gpu name": "Test GPU"}

    def read_log(n: int) -> list[str]:
        ran_on.append(threading.current_thread())
        return ["the newest line"]

    dialog = DiagnosticsDialog({"system": "collecting"}, RECENT, log_file="/tmp/penwright.log")
    qtbot.addWidget(dialog)
    shown_on: list[threading.Thread] = []
    dialog.facts_collected.connect(lambda: shown_on.append(threading.current_thread()))
    with qtbot.waitSignal(dialog.facts_collected, timeout=5000):
        dialog.collect(gather, read_log)
    assert len(ran_on) == 2 and threading.main_thread() not in ran_on
    assert shown_on == [threading.main_thread()]
    assert dialog.facts.rowCount() == len(FACTS) + 1
    assert dialog.facts.item(3, 1).text() == "Test GPU"
    assert "gpu name:       Test GPU" in dialog.report()
    assert dialog.report().rstrip().endswith("the newest line")


def test_closing_the_dialog_drops_the_collection(qtbot: QtBot) -> None:
    release = threading.Event()

    def slow() -> dict[str, str]:
        release.wait(timeout=10)
        return FACTS

    dialog = DiagnosticsDialog({"system": "collecting"}, [])
    qtbot.addWidget(dialog)
    dialog.collect(slow)
    assert dialog.collecting
    dialog.reject()
    assert not dialog.collecting
    with qtbot.assertNotEmitted(dialog.facts_collected, wait=100):
        release.set()
    assert "system: collecting" in dialog.report()


def test_help_diagnostics_opens_at_once_and_fills_in_facts_and_log(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    gathered_on: list[threading.Thread] = []

    def fake_gather(info: ModelInfo | None) -> dict[str, str]:
        gathered_on.append(threading.current_thread())
        return dict(FACTS)

    monkeypatch.setattr(penwright.app.window.dialogs, "gather_facts", fake_gather)
    monkeypatch.setenv(LOG_DIR_ENV, str(tmp_path))
    path = logs.configure_logging()
    logging.getLogger("penwright.app.test").warning("something odd happened")
    try:
        window.dialogs.diagnostics_action.trigger()
        dialog = window.dialogs.diagnostics
        assert isinstance(dialog, DiagnosticsDialog) and dialog.isVisible()
        assert "system: collecting" in " ".join(dialog.report().split())  # before the facts
        with qtbot.waitSignal(dialog.facts_collected, timeout=5000):
            pass
    finally:
        logs.stop_logging()
    assert gathered_on and gathered_on[0] is not threading.main_thread()
    report = dialog.report()
    assert "cuda available:     no" in report
    assert "generation threads: automatic" in report
    assert f"Log file: {path}" in report
    assert "something odd happened" in report
    dialog.reject()
