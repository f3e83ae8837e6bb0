"""The window's document and its sidecar: read on open, written on save, journalled while
unsaved and recovered with the text after a crash; a damaged or missing sidecar never stops
the document opening, and the writer is told once."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from app_fakes import EngineScript, FakeEngine
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from penwright.app.documents.recovery_dialog import RecoveryDialog
from penwright.app.documents.sidecar_keeper import SidecarKeeper
from penwright.app.main import Penwright, StartupHooks, build, parse_arguments
from penwright.models.story.sidecar import PROVENANCE, load_sidecar, read_story, sidecar_path
from penwright.models.story.story import LoreEntry, StoryContext

STORY = StoryContext(
    memory="The sea remembers.",
    note="[Tone: bleak]",
    note_depth=1,
    lore=(LoreEntry("Ahab", ("Ahab",), "The captain."),),
)


class Recover(StartupHooks):
    def run_recovery_dialog(self, dialog: RecoveryDialog) -> object:
        dialog.recover_button.click()
        return dialog.result()


@pytest.fixture
def make_app(
    qtbot: QtBot, settings: QSettings, tmp_path: Path, script: EngineScript
) -> Iterator[Callable[[], Penwright]]:
    apps: list[Penwright] = []

    def make() -> Penwright:
        parts = build(
            settings,
            parse_arguments(["--no-model"]),
            Recover(),
            engine_factory=lambda: FakeEngine(script),
            device_probe=lambda: [],
            data_dir=tmp_path / "data",
        )
        parts.journal.start()
        qtbot.addWidget(parts.window, before_close_func=_forget)
        apps.append(parts)
        return parts

    yield make
    for parts in apps:
        parts.window.shutdown()


def _forget(window: object) -> None:
    window.editor.document().setModified(False)  # type: ignore[attr-defined]


def keeper(parts: Penwright) -> SidecarKeeper:
    assert parts.sidecars is not None
    return parts.sidecars


def test_the_story_is_saved_beside_the_file_and_read_back_on_open(
    make_app: Callable[[], Penwright], tmp_path: Path
) -> None:
    document = tmp_path / "Chapter.md"
    document.write_text("It was a dark night.", encoding="utf-8")
    parts = make_app()
    assert parts.window.open_file(document)
    keeper(parts).set_story(STORY)
    keeper(parts).set_banned_phrases(("suddenly",))
    assert parts.window.editor.document().isModified()  # the story is part of the document
    assert not sidecar_path(document).exists()  # until the writer saves
    assert parts.window.save()
    sidecar, warning = load_sidecar(sidecar_path(document))
    assert warning is None and read_story(sidecar)[0] == STORY

    parts.window.new_file()
    assert keeper(parts).story() == StoryContext()  # a new document has no story
    assert parts.window.open_file(document)
    assert keeper(parts).story() == STORY
    assert keeper(parts).banned_phrases() == ("suddenly",)
    assert not parts.window.editor.document().isModified()


def test_a_plain_file_gets_no_sidecar(make_app: Callable[[], Penwright], tmp_path: Path) -> None:
    document = tmp_path / "notes.txt"
    document.write_text("x", encoding="utf-8")
    parts = make_app()
    assert parts.window.open_file(document)
    parts.window.editor.insertPlainText("y")
    assert parts.window.save()
    assert not sidecar_path(document).exists()


@pytest.mark.parametrize("content", [b"{not json", b"[]", b"\x00\xff" * 10])
def test_a_damaged_sidecar_opens_the_document_tells_the_writer_and_is_set_aside(
    make_app: Callable[[], Penwright], tmp_path: Path, content: bytes
) -> None:
    document = tmp_path / "Chapter.md"
    document.write_text("The text.", encoding="utf-8")
    sidecar_path(document).write_bytes(content)
    parts = make_app()
    assert parts.window.open_file(document)
    assert parts.window.editor.toPlainText() == "The text."
    warning = keeper(parts).last_warning
    assert str(sidecar_path(document)) in warning and parts.window.last_notice == warning
    assert keeper(parts).story() == StoryContext()

    keeper(parts).set_story(STORY)
    assert parts.window.save()
    # The damaged file is kept for a rescue, never overwritten.
    damaged = sidecar_path(document).with_name("Chapter.md.penwright.json.damaged")
    assert damaged.read_bytes() == content
    assert read_story(load_sidecar(sidecar_path(document))[0])[0] == STORY


def test_wrong_types_in_a_sidecar_are_named_and_the_rest_kept(
    make_app: Callable[[], Penwright], tmp_path: Path
) -> None:
    document = tmp_path / "Chapter.md"
    document.write_text("The text.", encoding="utf-8")
    sections = {"story": {"memory": "kept", "note": ["not", "text"]}}
    sidecar_path(document).write_text(json.dumps({"format": 1, "sections": sections}))
    parts = make_app()
    assert parts.window.open_file(document)
    assert keeper(parts).story().memory == "kept"
    assert "note" in keeper(parts).last_warning


def test_a_missing_sidecar_says_nothing(make_app: Callable[[], Penwright], tmp_path: Path) -> None:
    document = tmp_path / "Chapter.md"
    document.write_text("The text.", encoding="utf-8")
    parts = make_app()
    assert parts.window.open_file(document)
    assert keeper(parts).last_warning == "" and parts.window.last_notice == ""


def test_an_unsaved_story_and_other_sections_come_back_after_a_crash(
    qtbot: QtBot, make_app: Callable[[], Penwright]
) -> None:
    parts = make_app()
    parts.window.editor.insertPlainText("Untitled words.")
    keeper(parts).set_story(STORY)
    keeper(parts).set_section(PROVENANCE, {"spans": [[0, 8, "writer"]]}, modifies=False)
    keeper(parts).flush_to_journal()
    parts.journal.flush()
    parts.journal.drain()
    parts.journal.store.close()  # what a crash leaves: the session is not ended

    again = make_app()
    again.session.recover()
    assert again.window.editor.toPlainText() == "Untitled words."
    assert keeper(again).story() == STORY
    assert keeper(again).sidecar.sections[PROVENANCE] == {"spans": [[0, 8, "writer"]]}
    assert again.window.editor.document().isModified()


def test_a_story_change_alone_is_journalled(
    qtbot: QtBot, make_app: Callable[[], Penwright], tmp_path: Path
) -> None:
    document = tmp_path / "Chapter.md"
    document.write_text("Saved text.", encoding="utf-8")
    parts = make_app()
    assert parts.window.open_file(document)
    keeper(parts).set_story(STORY)  # no keystroke at all
    qtbot.waitUntil(lambda: parts.journal.kept_sidecar(parts.session.buffer_id) is not None)
    parts.journal.flush()
    parts.journal.drain()
    parts.journal.store.close()

    again = make_app()
    again.session.recover()
    assert again.window.file_path == document.resolve()
    assert keeper(again).story() == STORY
