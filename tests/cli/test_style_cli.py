"""penwright-cli train, styles and perplexity: listing, deleting, measuring, refusing bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from penwright.cli.main import main
from penwright.models.training import styles


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PENWRIGHT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PENWRIGHT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def test_styles_lists_and_deletes(folders: Path, capsys: pytest.CaptureFixture[str]) -> None:
    meta = {"name": "Harbour", "figures": {"perplexity_before": 40.0, "perplexity_after": 30.0}}
    styles.save_style("harbour", meta, lambda p: p.write_bytes(b"x"))
    assert main(["styles"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("style:harbour  Harbour")
    assert "predicts your next word 25% better" in out
    assert main(["styles", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["source"] == "style:harbour"
    assert main(["styles", "--delete", "harbour"]) == 0
    assert styles.list_styles() == []
    assert main(["styles", "--delete", "harbour"]) == 2
    assert "no style named 'harbour'" in capsys.readouterr().err


def test_perplexity_of_a_missing_style_is_refused(
    folders: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = folders / "chapter.txt"
    text.write_text("The harbour woke slowly.", encoding="utf-8")
    assert main(["perplexity", str(text), "--model", "style:nobody"]) == 2
    assert "no style named 'nobody'" in capsys.readouterr().err


def test_train_on_an_empty_folder_says_so(folders: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (folders / "empty").mkdir()
    assert main(["train", str(folders / "empty"), "--name", "Nothing"]) == 2
    assert "no text found to learn from: the folder is empty" in capfd.readouterr().err
