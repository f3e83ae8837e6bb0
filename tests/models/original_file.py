"""A writer's file already on disk, for the tests of writing over it (atomic writes, saves)."""

from __future__ import annotations

from pathlib import Path

ORIGINAL = b"The writer's precious draft.\r\nDo not lose it.\r\n"


def only_original_left(path: Path) -> None:
    """path still holds ORIGINAL, and no temporary is left beside it."""
    assert path.read_bytes() == ORIGINAL
    assert [p.name for p in path.parent.iterdir()] == [path.name]
