"""The file the writing tests write over."""

from __future__ import annotations

from pathlib import Path

import pytest
from original_file import ORIGINAL


@pytest.fixture
def existing_file(tmp_path: Path) -> Path:
    path = tmp_path / "draft.txt"
    path.write_bytes(ORIGINAL)
    return path
