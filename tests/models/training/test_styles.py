"""The style store: atomic saving (a full disk leaves nothing), listing, renaming, deleting."""

from __future__ import annotations

import errno
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from penwright.models.training import styles


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PENWRIGHT_DATA_DIR", str(tmp_path))
    return tmp_path


def write_bytes(path: Path) -> None:
    path.write_bytes(b"adapter")


def test_a_saved_style_is_listed_renamed_and_deleted() -> None:
    styles.save_style("harbour", {"name": "Harbour novel"}, write_bytes)
    assert [(s.source, s.name) for s in styles.list_styles()] == [
        ("style:harbour", "Harbour novel")
    ]
    styles.rename_style("harbour", "Harbour, second draft")
    assert styles.read_style("style:harbour").name == "Harbour, second draft"
    styles.delete_style("harbour")
    assert styles.list_styles() == []


def test_a_full_disk_leaves_no_half_style_and_keeps_the_old_one() -> None:
    styles.save_style("harbour", {"name": "first"}, write_bytes)

    def disk_full(path: Path) -> None:
        path.write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(styles.StyleError, match=r"No space left on device .*nothing was written"):
        styles.save_style("harbour", {"name": "second"}, disk_full)
    assert [s.name for s in styles.list_styles()] == ["first"]
    assert sorted(p.name for p in styles.styles_dir().iterdir()) == ["harbour"]


def test_an_unknown_style_is_refused_by_name() -> None:
    with pytest.raises(styles.StyleError, match="no style named 'nobody'"):
        styles.read_style("style:nobody")


def test_figures_in_a_writers_words() -> None:
    meta = {"figures": {"perplexity_before": 40.0, "perplexity_after": 30.8}}
    assert styles.describe_figures(meta).startswith("predicts your next word 23% better")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 256 KiB file system (tmpfs), where this machine lets the tests mount one."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("mounting a small tmpfs is not permitted here (the ENOSPC test above runs)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_a_really_full_disk_gives_one_clear_message_and_no_half_style(
    small_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    from penwright.models.training.lora import save_adapter

    monkeypatch.setenv("PENWRIGHT_DATA_DIR", str(small_disk))
    state = {"model.layers.0.mlp.up_proj.lora_A": torch.zeros(256, 1024)}  # 1 MiB
    with pytest.raises(styles.StyleError, match="No space left on device"):
        styles.save_style("big", {"name": "big"}, lambda path: save_adapter(path, state, 16, 32))
    assert styles.list_styles() == []
    assert list(styles.styles_dir().iterdir()) == []


def test_a_style_is_offered_in_the_model_list_with_its_base_models_figures() -> None:
    from penwright.models.catalog.listing import ModelKind, list_models

    meta = {"name": "Harbour novel", "base": {"source": "default", "name": "Gemma 3 270M"}}
    styles.save_style("harbour-novel", meta, write_bytes)
    entries = list_models([], hub_cache="/nonexistent")
    style = next(e for e in entries if e.kind is ModelKind.STYLE)
    assert (style.source, style.name) == ("style:harbour-novel", "Gemma 3 270M · Harbour novel")
    assert style.parameters == entries[0].parameters  # it runs as its base model does
