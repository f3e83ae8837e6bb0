"""The recently opened files, newest first, kept in QSettings under one key.

Only plain strings are accepted from the settings file: whatever else is stored there (a number,
a damaged value) is ignored, never turned into a path.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

RECENT_FILES_KEY = "recent_files"
MAX_RECENT_FILES = 8


class RecentFiles:
    def __init__(self, settings: QSettings) -> None:
        self._settings = settings

    def paths(self) -> list[str]:
        value = self._settings.value(RECENT_FILES_KEY, [])
        if isinstance(value, str):  # QSettings returns a lone string for a one-item list
            value = [value]
        if not isinstance(value, list):
            return []
        return [item for item in value if isinstance(item, str) and item]

    def remember(self, path: Path) -> None:
        paths = [str(path), *(p for p in self.paths() if p != str(path))]
        self._settings.setValue(RECENT_FILES_KEY, paths[:MAX_RECENT_FILES])
