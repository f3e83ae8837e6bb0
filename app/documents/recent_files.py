"""The recently opened files, newest first, kept in QSettings under one key.

Only plain strings are accepted from the settings file, read through ``plain_values`` so that no
stored object is ever unpickled: whatever else is stored there (a number, a damaged value, an
oversized list) is ignored, never turned into a path. The settings store reports such a value
at start-up (``stored_recent_files_problem``) and removes it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from penwright.app.settings.plain_values import NotPlain, plain_value, writable

RECENT_FILES_KEY = "recent_files"
MAX_RECENT_FILES = 8
"""How many the menu offers, and the list keeps."""
MAX_STORED_RECENT_FILES = 50
"""More than this in the file is damage, not history: the list is refused."""
MAX_RECENT_PATH_CHARS = 4096


def stored_recent_files_problem(value: str | tuple[str, ...] | NotPlain | None) -> str | None:
    """Why a stored recent-files value is unusable, or None when it is usable (or unset)."""
    if value is None:
        return None
    if isinstance(value, NotPlain):
        return f"it is not a list of paths but a stored {value.kind}"
    paths = (value,) if isinstance(value, str) else value  # QSettings' one-item list is a string
    if len(paths) > MAX_STORED_RECENT_FILES:
        return f"it lists {len(paths):,} files, more than the {MAX_STORED_RECENT_FILES} allowed"
    longest = max(map(len, paths), default=0)
    if longest > MAX_RECENT_PATH_CHARS:
        return (
            f"a path is {longest:,} characters long, more than the"
            f" {MAX_RECENT_PATH_CHARS:,} allowed"
        )
    return None


class RecentFiles:
    def __init__(self, settings: QSettings) -> None:
        self._settings = settings

    def paths(self) -> list[str]:
        value = plain_value(self._settings, RECENT_FILES_KEY)
        if value is None or stored_recent_files_problem(value) is not None:
            return []
        assert not isinstance(value, NotPlain)  # stored_recent_files_problem refuses it
        paths = (value,) if isinstance(value, str) else value
        return [path for path in paths if path][:MAX_RECENT_FILES]

    def remember(self, path: Path) -> None:
        known = self.paths()  # checks the file first, when nothing has yet
        if not writable(self._settings):
            return  # a file that could not be cleaned is never written (writing parses it all)
        paths = [str(path), *(p for p in known if p != str(path))]
        self._settings.setValue(RECENT_FILES_KEY, paths[:MAX_RECENT_FILES])
