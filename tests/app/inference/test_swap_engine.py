"""Swapping a suggested word in the real window, on the real engine through the worker thread:
the tiny random Gemma 3 and the real default model. Greedy, the rest after the chosen token is
exactly ``model.generate`` from the text before the caret, the kept words and the chosen token;
and the probabilities the popup shows are the model's own softmax."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QTextCursor
from pytestqt.qtbot import QtBot
from reference import STORY, generate_greedy

from penwright.app.editor.ghost_text import tidy
from penwright.app.main import StartupHooks, build, parse_arguments
from penwright.app.settings.store import SettingsStore
from penwright.app.window.main_window import MainWindow
from penwright.models.generation.engine import Engine
from penwright.models.params import GenerationParams, StopMode
from penwright.models.results import TokenChoice
from penwright.models.spec import ModelInfo, ModelSpec, ProgressCallback

WAIT_MS = 300_000  # the real model loads and generates on two shared cores
CTRL = Qt.KeyboardModifier.ControlModifier
NEW_TOKENS = 8


@pytest.fixture(autouse=True)
def popup_warnings_ignored(qtlog: Any) -> Iterator[None]:
    """The offscreen platform warns that it cannot raise a popup menu or grab the keyboard."""
    with qtlog.disabled():
        yield


class AttachedEngine(Engine):
    """The real engine, "loading" an already loaded model (a test fixture's)."""

    def __init__(self, loaded: Any) -> None:
        super().__init__()
        self._loaded = loaded

    def load(
        self, spec: ModelSpec, progress: ProgressCallback | None = None, **_: object
    ) -> ModelInfo:
        self.attach(self._loaded.model, self._loaded.tokenizer, self._loaded.info)
        return self._loaded.info


@pytest.fixture(params=["tiny_gemma", "default_model"])
def loaded(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue(request.param)


@pytest.fixture
def window(qtbot: QtBot, loaded: Any, tmp_path: Path) -> Iterator[tuple[MainWindow, Engine]]:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    store = SettingsStore(settings)
    greedy = GenerationParams(temperature=0.0, max_new_tokens=NEW_TOKENS, stop=StopMode.NONE)
    store.save(replace(store.load().settings, generation=greedy))
    engine = AttachedEngine(loaded)
    parts = build(
        settings,
        parse_arguments(["--no-model"]),
        StartupHooks(),
        engine_factory=lambda: engine,
        device_probe=lambda: [],
        data_dir=tmp_path / "data",
    )
    window = parts.window
    window.base_params = window.base_params.plain()  # the reference is a bare greedy decoder
    qtbot.addWidget(window, before_close_func=lambda w: w.editor.document().setModified(False))
    window.show()
    with qtbot.waitSignal(window.controller.model_loaded, timeout=WAIT_MS):
        window.load_model()
    yield window, engine
    window.editor.document().setModified(False)
    window.close()


def next_token_probabilities(loaded: Any, text: str) -> torch.Tensor:
    ids = loaded.tokenizer(text)["input_ids"]
    with torch.inference_mode():
        logits = loaded.model(torch.tensor([ids], device=loaded.model.device)).logits
    return torch.softmax(logits[0, -1].float(), dim=-1)


def test_swapping_a_word_regenerates_the_rest_from_the_chosen_token(
    qtbot: QtBot, window: tuple[MainWindow, Engine], loaded: Any
) -> None:
    main, engine = window
    editor = main.editor
    editor.setPlainText(STORY)
    editor.moveCursor(QTextCursor.MoveOperation.End)
    with qtbot.waitSignal(main.controller.suggestion_finished, timeout=WAIT_MS):
        qtbot.keyClick(editor, Qt.Key.Key_Return, CTRL)
    ghost = editor.ghost
    assert ghost is not None
    tokens = ghost.visible_tokens()
    assert len(tokens) >= 3
    placed = tokens[2]
    # The popup's probabilities are the model's softmax at that place (greedy: temperature 1).
    kept = ghost.visible[: placed.start]
    probabilities = next_token_probabilities(loaded, STORY + kept)
    best = torch.topk(probabilities, len(placed.token.top))
    assert [c.probability for c in placed.token.top] == pytest.approx(
        best.values.tolist(), rel=1e-3, abs=1e-6
    )
    # Choose the most likely other token that has text of its own.
    choice = next(c for c in placed.token.top if c.text and c.text != placed.token.text)
    assert editor.show_token_alternatives(placed.start)
    menu = editor.token_menu
    assert menu is not None
    action = next(a for a in menu.actions() if a.data() == choice)
    with qtbot.waitSignal(main.controller.suggestion_finished, timeout=WAIT_MS):
        action.trigger()
        menu.close()

    continued = STORY + kept + choice.text
    expected = generate_greedy(loaded.model, loaded.tokenizer(continued)["input_ids"], NEW_TOKENS)
    assert engine.last_prompt_ids == loaded.tokenizer(continued)["input_ids"]
    assert engine.last_token_ids == expected
    rest = loaded.tokenizer.decode(expected, skip_special_tokens=True)
    assert editor.ghost_text == tidy(kept + choice.text + rest)
    assert isinstance(choice, TokenChoice)
    # Tab inserts it, and the swapped suggestion is what provenance records as suggested.
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.toPlainText() == STORY + tidy(kept + choice.text + rest)
    spans = main.authorship.tracker.provenance.spans
    assert spans and spans[0].start == len(STORY)
