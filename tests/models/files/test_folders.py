"""models.files.folders: each of Penwright's folders has an override and a platform default."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from penwright.models.files import folders


@pytest.mark.parametrize(
    ("variable", "root"),
    [
        (folders.DATA_DIR_ENV, folders.data_root),
        (folders.CACHE_DIR_ENV, folders.cache_root),
        (folders.LOG_DIR_ENV, folders.log_root),
    ],
)
def test_a_folder_follows_its_environment_variable_else_the_platform(
    variable: str, root: Callable[[], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, str(tmp_path))
    assert root() == tmp_path
    monkeypatch.delenv(variable)
    assert "penwright" in str(root()).lower()
    assert root() != tmp_path
