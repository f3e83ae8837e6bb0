"""The Story panel in the real window: it edits the current tab's sidecar, follows the tabs,
its story and ban list ride with each request, and the context view shows exactly what the
engine reads (the real engine on the tiny model)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from app_fakes import WAIT_MS, EngineScript, FakeEngine
from llama_cpp_server import MODEL_ALIAS, serve_bundled_gguf
from PySide6.QtCore import QSettings
from PySide6.QtGui import QTextCursor
from pytestqt.qtbot import QtBot

from penwright.app.documents.sidecar_keeper import SidecarKeeper
from penwright.app.inference.controller import EngineFactory
from penwright.app.main import Penwright, StartupHooks, build, parse_arguments
from penwright.app.window.context_view import ContextView
from penwright.app.window.story_room import StoryRoom
from penwright.models.generation.engine import Engine
from penwright.models.sources.remote import RemoteServer, RemoteSource
from penwright.models.spec import ModelInfo, ModelSpec
from penwright.models.story.sidecar import (
    load_sidecar,
    read_banned_phrases,
    read_story,
    sidecar_path,
)
from penwright.models.story.story import LoreEntry, StoryContext


class TinyEngine(Engine):
    """The real engine, "loading" the tiny random Gemma."""

    def __init__(self, loaded: Any) -> None:
        super().__init__()
        self._loaded = loaded

    def load(self, spec: ModelSpec, progress: object = None) -> ModelInfo:
        self.attach(self._loaded.model, self._loaded.tokenizer, self._loaded.info)
        assert self.info is not None
        return self.info


@pytest.fixture
def make_app(
    qtbot: QtBot, settings: QSettings, tmp_path: Path
) -> Iterator[Callable[[EngineFactory], Penwright]]:
    apps: list[Penwright] = []

    def make(factory: EngineFactory) -> Penwright:
        parts = build(
            settings,
            parse_arguments(["--no-model"]),
            StartupHooks(),
            engine_factory=factory,
            device_probe=lambda: [],
            data_dir=tmp_path / "data",
        )
        parts.journal.start()
        qtbot.addWidget(parts.window, before_close_func=_forget)
        parts.window.show()
        with qtbot.waitSignal(parts.window.controller.model_loaded, timeout=WAIT_MS * 12):
            parts.window.load_model()
        apps.append(parts)
        return parts

    yield make
    for parts in apps:
        parts.window.shutdown()


def _forget(window: Any) -> None:
    for document in window.documents:
        document.editor.document().setModified(False)


def room_of(parts: Penwright) -> tuple[StoryRoom, SidecarKeeper]:
    assert parts.story_room is not None and parts.sidecars is not None
    return parts.story_room, parts.sidecars


def open_context_view(qtbot: QtBot, parts: Penwright) -> ContextView:
    """The whaling story with its memory, note and lore, the cursor at its end, and View >
    Show Context… open once its preview has arrived."""
    room, keeper = room_of(parts)
    editor = parts.window.editor
    editor.setPlainText("Call me Ishmael.\n\nThe captain paced.\n\nThen the sea")
    editor.moveCursor(QTextCursor.MoveOperation.End)
    keeper.set_story(EXPECTED)
    room.context_action.trigger()  # View > Show Context…
    view = room.context_view
    assert view is not None
    qtbot.waitUntil(lambda: view.preview is not None, timeout=WAIT_MS * 12)
    return view


def type_story(qtbot: QtBot, room: StoryRoom) -> None:
    panel = room.panel
    panel.memory_edit.setPlainText("A whaling voyage.")
    panel.note_edit.setPlainText("[Tone: grim]")
    panel.depth_spin.setValue(2)
    panel.add_lore_button.click()
    panel.name_edit.setText("Ahab")
    panel.keys_edit.setText("Ahab, /the\\s+captain/")
    panel.entry_text.setPlainText("The captain, one leg of whalebone.")
    panel.banned_edit.setPlainText("suddenly\n a shiver ran down \n\nsuddenly")


EXPECTED = StoryContext(
    memory="A whaling voyage.",
    note="[Tone: grim]",
    note_depth=2,
    lore=(LoreEntry("Ahab", ("Ahab", "/the\\s+captain/"), "The captain, one leg of whalebone."),),
)


def test_the_panel_edits_the_sidecar_and_saving_writes_it(
    qtbot: QtBot, make_app: Callable[[EngineFactory], Penwright], script: EngineScript,
    tmp_path: Path,
) -> None:  # fmt: skip
    parts = make_app(lambda: FakeEngine(script))
    room, keeper = room_of(parts)
    document = tmp_path / "Chapter.md"
    document.write_text("Call me Ishmael.", encoding="utf-8")
    assert parts.window.open_file(document)
    room.panel_action.trigger()  # View > Story Panel
    assert room.panel.isVisible()
    type_story(qtbot, room)
    qtbot.waitUntil(lambda: keeper.story() == EXPECTED, timeout=WAIT_MS)
    assert keeper.banned_phrases() == ("suddenly", "a shiver ran down")
    assert parts.window.editor.document().isModified()
    assert parts.window.save()
    sidecar, warning = load_sidecar(sidecar_path(document))
    assert warning is None
    assert read_story(sidecar)[0] == EXPECTED
    assert read_banned_phrases(sidecar)[0] == ("suddenly", "a shiver ran down")

    # Each request of this tab carries its story and ban list.
    parts.window.editor.moveCursor(QTextCursor.MoveOperation.End)
    with qtbot.waitSignal(parts.window.controller.suggestion_finished, timeout=WAIT_MS):
        parts.window.suggestions.request()
    assert script.params[-1].story == EXPECTED
    assert script.params[-1].banned_phrases == ("suddenly", "a shiver ran down")
    assert script.contexts[-1] == "Call me Ishmael."  # the engine assembles, from the text


def test_the_story_panel_stays_open_at_the_next_start(
    make_app: Callable[[EngineFactory], Penwright], script: EngineScript
) -> None:
    # View > Story Panel is a dock of the window: its state is in the last session's.
    first = make_app(lambda: FakeEngine(script))
    room_of(first)[0].panel_action.trigger()
    assert room_of(first)[0].panel_action.isChecked()
    first.last_session.remember()
    second = make_app(lambda: FakeEngine(script))
    assert not room_of(second)[0].panel_action.isChecked()
    second.last_session.restore_geometry()
    assert room_of(second)[0].panel_action.isChecked()
    assert room_of(second)[0].panel.isVisible()


def test_the_panel_follows_the_current_tab(
    qtbot: QtBot, make_app: Callable[[EngineFactory], Penwright], script: EngineScript
) -> None:
    parts = make_app(lambda: FakeEngine(script))
    room, keeper = room_of(parts)
    first = parts.window.current_document
    type_story(qtbot, room)
    qtbot.waitUntil(lambda: keeper.story(first) == EXPECTED, timeout=WAIT_MS)
    parts.window.new_file()
    second = parts.window.current_document
    assert second is not first
    assert room.panel.memory_edit.toPlainText() == ""  # the new tab's story: none yet
    room.panel.memory_edit.setPlainText("Second story.")
    room.panel.flush()
    assert keeper.story(second).memory == "Second story."
    assert keeper.story(first) == EXPECTED  # untouched
    parts.window.tab_widget.setCurrentWidget(first.page)
    assert room.panel.memory_edit.toPlainText() == "A whaling voyage."
    assert room.panel.lore_list.count() == 1
    params = parts.window.request_params(second)
    assert params.story is not None and params.story.memory == "Second story."


# The waits below are bounds, not figures: the first request builds the tokenizer's vocabulary
# table, which takes many seconds on a loaded two-core machine.
def test_the_context_view_shows_exactly_what_the_engine_reads(
    qtbot: QtBot, make_app: Callable[[EngineFactory], Penwright], tiny_gemma: Any
) -> None:
    engines: list[TinyEngine] = []

    def factory() -> TinyEngine:
        engines.append(TinyEngine(tiny_gemma))
        return engines[-1]

    parts = make_app(factory)
    view = open_context_view(qtbot, parts)
    preview = view.preview
    assert preview is not None
    labels = [part.label for part in preview.assembled.parts]
    assert labels[:2] == ["memory", "lore: Ahab"] and "note" in labels
    assert view.exact_text().startswith("A whaling voyage.\n\nThe captain, one leg")
    shown = view.text_view.toPlainText()
    for part in preview.assembled.parts:
        assert part.text.strip() in shown and f"▸ {part.label}" in shown
    assert f"of {preview.assembled.budget:,} tokens" in view.summary.text()

    # The next suggestion feeds the model exactly those ids.
    with qtbot.waitSignal(parts.window.controller.suggestion_finished, timeout=WAIT_MS * 12):
        parts.window.suggestions.request()
    assert engines[-1].last_prompt_ids == list(preview.prompt_ids)


@pytest.fixture(scope="module")
def llama_cpp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama-cpp-python's server on 127.0.0.1 (tests/models/llama_cpp_server.py)."""
    yield from serve_bundled_gguf(tmp_path_factory.mktemp("llama-server") / "server.log")


def test_the_context_view_works_with_a_remote_server(
    qtbot: QtBot, make_app: Callable[[EngineFactory], Penwright], llama_cpp_server: str
) -> None:
    sources: list[RemoteSource] = []

    def factory() -> RemoteSource:
        server = RemoteServer("llama", llama_cpp_server, MODEL_ALIAS, preset="llama-cpp-python")
        sources.append(RemoteSource(server))
        return sources[-1]

    parts = make_app(factory)
    view = open_context_view(qtbot, parts)
    assert "counted by the server's tokenizer" in view.summary.text()
    assert view.exact_text().startswith("A whaling voyage.\n\nThe captain, one leg")

    # The next suggestion sends the server exactly that text.
    with qtbot.waitSignal(parts.window.controller.suggestion_finished, timeout=WAIT_MS * 12):
        parts.window.suggestions.request()
    assert sources[-1].last_prompt == view.exact_text()


def test_the_context_summary_counts_one_part_in_the_singular(qtbot: Any) -> None:
    from penwright.models.story.assembly import AssembledContext, ContextPart, PromptPreview

    view = ContextView()
    qtbot.addWidget(view)
    story = ContextPart("story", "", "Call me Ishmael.", 5)
    memory = ContextPart("memory", "", "A whaling voyage.\n\n", 6)
    view.show_preview(PromptPreview(AssembledContext((story,), (1,) * 5, 2048), (1,) * 5))
    assert "5 of 2,048 tokens (1 part), counted by" in view.summary.text()
    both = AssembledContext((memory, story), (1,) * 11, 2048)
    view.show_preview(PromptPreview(both, (1,) * 11))
    assert "11 of 2,048 tokens (2 parts)" in view.summary.text()
