"""Tools > Learn from my writing…: the real dialog, the real training child on the tiny model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from style_corpus import write_corpus

from penwright.app.window.learn_style_dialog import LearnStyleDialog
from penwright.app.window.learn_style_menu import LearnStyleMenu
from penwright.models.training.styles import list_styles

TRAINING_MS = 300_000  # a loaded 2-core machine trains the tiny model in about a minute


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PENWRIGHT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PENWRIGHT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


@pytest.fixture
def tiny_folder(tiny_gemma: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "tiny-base"
    tiny_gemma.model.save_pretrained(folder)
    tiny_gemma.tokenizer.save_pretrained(folder)
    return folder


def test_the_dialog_shows_the_corpus_trains_and_tells_the_figures(
    qtbot: QtBot, folders: Path, tiny_folder: Path
) -> None:
    corpus = write_corpus(folders / "corpus", sentences=60).parent
    (corpus / "cover.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00")
    dialog = LearnStyleDialog(base=str(tiny_folder), min_words=300)
    qtbot.addWidget(dialog)
    dialog.job_overrides = {
        "sequence_tokens": 32,
        "batch_size": 2,
        "epochs": 1,
        "learning_rate": 5e-3,
    }
    dialog.name.setText("Harbour novel")
    dialog.show()
    dialog.add_paths([str(corpus)])
    qtbot.waitUntil(dialog.start_button.isEnabled, timeout=60_000)
    assert dialog.found.text().startswith("Found 1 file, 1 skipped: ")
    assert "cover.png — skipped: not a .txt or .md file" in [
        dialog.files.item(i).text() for i in range(dialog.files.count())
    ]
    assert dialog.estimate.text().startswith("Training takes ")
    steps: list[str] = []
    with qtbot.waitSignal(dialog.style_saved, timeout=TRAINING_MS) as saved:
        dialog.start()
        assert dialog.cancel_button.isVisible()
        dialog.run.progressed.connect(  # type: ignore[union-attr]
            lambda e: steps.append(dialog.progress_text.text()) if e["event"] == "step" else None
        )
    assert saved.args == ["style:harbour-novel"]
    assert steps and steps[0].startswith("Step 1 of ") and "tokens/s" in steps[0]
    assert dialog.results.toPlainText().startswith("Predicts your next word ")
    assert "With your style:" in dialog.results.toPlainText()
    assert [s.name for s in list_styles()] == ["Harbour novel"]
    qtbot.waitUntil(lambda: not dialog.cancel_button.isVisible(), timeout=10_000)


def test_a_corpus_below_the_minimum_cannot_be_started(
    qtbot: QtBot, folders: Path, tiny_folder: Path
) -> None:
    (folders / "short.txt").write_text("A page or two is not a style.", encoding="utf-8")
    dialog = LearnStyleDialog(base=str(tiny_folder))
    qtbot.addWidget(dialog)
    dialog.add_paths([str(folders / "short.txt")])
    qtbot.waitUntil(lambda: "Cannot learn" in dialog.found.text(), timeout=60_000)
    assert "at least 2,000 words" in dialog.found.text()
    assert not dialog.start_button.isEnabled()


class _Run:
    running = True

    def __init__(self) -> None:
        self.calls: list[str] = []

    def cancel(self) -> None:
        self.calls.append("cancel")

    def keep_in_background(self) -> None:
        self.calls.append("keep")


@pytest.mark.parametrize(("choice", "expected"), [(True, ["keep"]), (False, ["cancel"])])
def test_quitting_while_training_stops_or_keeps_it_as_the_writer_chose(
    qtbot: QtBot, folders: Path, choice: bool, expected: list[str]
) -> None:
    from PySide6.QtWidgets import QMainWindow

    window = QMainWindow()
    qtbot.addWidget(window)
    menu = LearnStyleMenu(window)
    assert menu.action.text() == "&Learn from my writing…"
    dialog = menu.show_dialog()
    run = _Run()
    dialog.run = run  # type: ignore[assignment]
    menu.ask_on_quit = lambda: choice  # type: ignore[method-assign]
    window.show()
    window.close()
    menu._on_quit()
    assert run.calls == expected


def test_cancelling_the_quit_question_keeps_the_window_open(qtbot: QtBot, folders: Path) -> None:
    from PySide6.QtWidgets import QMainWindow

    window = QMainWindow()
    qtbot.addWidget(window)
    menu = LearnStyleMenu(window)
    menu.show_dialog().run = _Run()  # type: ignore[assignment]
    menu.ask_on_quit = lambda: None  # type: ignore[method-assign]
    window.show()
    window.close()
    assert window.isVisible()
    menu.dialog.run = None  # type: ignore[union-attr]
