"""The training child process: progress as JSON lines, cancel midway (no half style), resume."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from style_corpus import write_corpus

from penwright.models.training import styles
from penwright.models.training.checkpoint import CHECKPOINT_FILE
from penwright.models.training.job import TrainingJob, run_folder
from penwright.models.training.process import cancel, events, start_training
from penwright.models.training.worker import EXIT_BAD_INPUT, EXIT_CANCELLED, EXIT_DONE


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PENWRIGHT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PENWRIGHT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


@pytest.fixture(scope="module")
def tiny_folder(tiny_gemma: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-base")
    tiny_gemma.model.save_pretrained(folder)
    tiny_gemma.tokenizer.save_pretrained(folder)
    return folder


def test_cancel_midway_leaves_no_style_and_the_next_run_resumes(
    folders: Path, tiny_folder: Path
) -> None:
    corpus = write_corpus(folders / "corpus", sentences=80)
    job = TrainingJob(
        paths=[str(corpus)],
        name="Harbour",
        base=str(tiny_folder),
        epochs=2,
        sequence_tokens=32,
        batch_size=2,
        min_words=300,
    )
    child, progress = start_training(job)
    seen: list[dict[str, Any]] = []
    for event in events(child):
        seen.append(event)
        if event["event"] == "step" and event["step"] == 2:
            cancel(child)
    assert child.wait() == EXIT_CANCELLED
    assert seen[-1] == {"event": "cancelled", "message": "training stopped; no style was saved"}
    assert {"step", "steps", "loss", "tokens_per_second", "seconds_left"} <= set(
        next(e for e in seen if e["event"] == "step")
    )
    assert styles.list_styles() == []
    assert not any(styles.styles_dir().glob("*")) if styles.styles_dir().exists() else True
    assert (run_folder("harbour") / CHECKPOINT_FILE).is_file()
    assert progress.read_text(encoding="utf-8").count('"event": "step"') >= 2

    child, _ = start_training(dataclasses.replace(job, epochs=2))
    resumed = list(events(child))
    assert child.wait() == EXIT_DONE
    first = next(e for e in resumed if e["event"] in ("resumed", "step"))
    assert first["event"] == "resumed" and first["step"] >= 2
    assert resumed[-1]["event"] == "done"
    assert [s.name for s in styles.list_styles()] == ["Harbour"]
    assert not (run_folder("harbour") / CHECKPOINT_FILE).exists()


def test_an_empty_folder_is_refused_by_the_child(folders: Path, tiny_folder: Path) -> None:
    (folders / "empty").mkdir()
    job = TrainingJob(paths=[str(folders / "empty")], name="Nothing", base=str(tiny_folder))
    child, _ = start_training(job)
    seen = list(events(child))
    assert child.wait() == EXIT_BAD_INPUT
    assert seen[-1]["event"] == "error"
    assert "no text found to learn from: the folder is empty" in seen[-1]["message"]
