"""Help > Diagnostics: the diagnose facts, recent suggestion speeds, Copy to clipboard."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

import penwright.models.diagnostics
from penwright.app.window.diagnostics_dialog import (
    DiagnosticsDialog,
    diagnostics_report,
    gather_facts,
)
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
