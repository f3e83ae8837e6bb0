"""``penwright-cli context FILE`` and the story options of ``continue`` (the real engine on the
tiny model, put in place of the loaded one)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from penwright.cli import context_command, continue_command
from penwright.cli.main import main
from penwright.models.generation.engine import Engine
from penwright.models.params import GenerationParams
from penwright.models.spec import ModelInfo, ModelSpec

SIDECAR = {
    "format": 1,
    "sections": {
        "story": {
            "memory": "Sidecar memory.",
            "lore": [{"name": "Ahab", "keys": ["/the\\s+captain/"], "text": "Ahab: one leg."}],
        },
        "banned_phrases": ["suddenly"],
    },
}


@pytest.fixture
def tiny_engine(monkeypatch: pytest.MonkeyPatch, tiny_gemma: Any) -> list[Engine]:
    made: list[Engine] = []

    class Tiny(Engine):
        def load(self, spec: ModelSpec, progress: object = None) -> ModelInfo:
            self.attach(tiny_gemma.model, tiny_gemma.tokenizer, tiny_gemma.info)
            made.append(self)
            assert self.info is not None
            return self.info

    monkeypatch.setattr(context_command, "Engine", Tiny)
    monkeypatch.setattr(continue_command, "Engine", Tiny)
    return made


@pytest.fixture
def document(tmp_path: Path) -> Path:
    path = tmp_path / "Chapter.md"
    path.write_text("Call me Ishmael.\n\nI sailed with the captain.\n\nThen the sea", "utf-8")
    (tmp_path / "Chapter.md.penwright.json").write_text(json.dumps(SIDECAR), "utf-8")
    (tmp_path / "note.txt").write_text("[Tone: grim]", "utf-8")
    (tmp_path / "memory.txt").write_text("Option memory.", "utf-8")
    return path


def test_context_prints_each_part_marked_with_the_sidecar_applied(
    tiny_engine: list[Engine], document: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    note = str(document.parent / "note.txt")
    assert main(["context", str(document), "--note", note, "--note-depth", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("─── memory · ")
    assert out.index("Sidecar memory.") < out.index("─── lore: Ahab") < out.index("Call me")
    assert out.index("Call me") < out.index("─── note") < out.index("I sailed")
    assert out.rstrip().endswith("nothing cut; the model re-types ' sea' as it continues")


def test_context_raw_is_exactly_what_the_engine_feeds_the_model(
    tiny_engine: list[Engine], document: Path, capsys: pytest.CaptureFixture[str], tiny_gemma: Any
) -> None:
    memory = str(document.parent / "memory.txt")
    assert main(["context", str(document), "--memory", memory, "--raw"]) == 0
    raw = capsys.readouterr().out
    assert raw.startswith("Option memory.\n\nAhab: one leg.\n\nCall me Ishmael.")
    assert main(["context", str(document), "--memory", memory, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["text"] == raw
    # The same request through the engine reads exactly those ids.
    engine = tiny_engine[-1]
    engine.attach(tiny_gemma.model, tiny_gemma.tokenizer, tiny_gemma.info)
    story_params, _ = continue_command.apply_story(
        _args(document, memory=memory), GenerationParams(), continue_command.read_text
    )
    list(engine.stream(document.read_text("utf-8"), story_params))
    assert engine.last_prompt_ids == shown["prompt_ids"]


def test_continue_takes_the_story_options(
    tiny_engine: list[Engine], document: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["continue", str(document), "--max-new-tokens", "4", "--seed", "1", "--json"]
    assert main([*args, "--ban", "whale", "--ban", "whale", "--no-sidecar"]) == 0
    assert json.loads(capsys.readouterr().out)["alternatives"]
    ids = tiny_engine[-1].last_prompt_ids
    text = tiny_engine[-1].tokenizer.decode(ids, skip_special_tokens=True)
    assert "Sidecar memory." not in text  # --no-sidecar
    assert main(args) == 0
    text = tiny_engine[-1].tokenizer.decode(
        tiny_engine[-1].last_prompt_ids, skip_special_tokens=True
    )
    assert text.startswith("Sidecar memory.\n\nAhab: one leg.")


def test_a_damaged_sidecar_is_named_and_the_text_still_read(
    tiny_engine: list[Engine], document: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (document.parent / "Chapter.md.penwright.json").write_text("{broken", "utf-8")
    assert main(["context", str(document)]) == 0
    captured = capsys.readouterr()
    assert "Chapter.md.penwright.json is damaged" in captured.err
    assert captured.out.startswith("─── story · ")


def test_a_bad_note_depth_is_refused(document: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["context", str(document), "--note-depth", "0"])
    assert caught.value.code == 2
    assert "--note-depth: must be between 1 and 100" in capsys.readouterr().err


def _args(document: Path, memory: str) -> Any:
    import argparse

    return argparse.Namespace(
        file=str(document), memory=memory, note=None, note_depth=None, ban=[], no_sidecar=False
    )
