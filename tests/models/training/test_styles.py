"""The style store: atomic saving (a full disk leaves nothing), listing, renaming, deleting."""

from __future__ import annotations

import errno
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
