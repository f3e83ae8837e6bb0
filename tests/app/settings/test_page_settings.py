"""The page's settings in the INI file: plain strings and numbers, checked when read."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from penwright.app.editor.typography import Typeface
from penwright.app.settings.store import PageSettings, Settings, SettingsStore


def _store(path: Path) -> SettingsStore:
    return SettingsStore(QSettings(str(path), QSettings.Format.IniFormat))


def test_page_settings_survive_a_restart_as_plain_values(tmp_path: Path) -> None:
    path = tmp_path / "penwright.ini"
    page = PageSettings(typeface=Typeface.SANS, column_chars=55, line_spacing=1.75, typewriter=True)
    _store(path).save(Settings(page=page))
    text = path.read_text(encoding="utf-8")
    assert "[page]" in text and "typeface=sans" in text and "column_chars=55" in text
    result = _store(path).load()
    assert result.warnings == ()
    assert result.settings.page == page


def test_a_damaged_page_setting_takes_its_default_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "penwright.ini"
    path.write_text(
        "[page]\ntypeface=gothic\ncolumn_chars=5\nline_spacing=wide\ntypewriter=maybe\n",
        encoding="utf-8",
    )
    result = _store(path).load()
    assert result.settings.page == PageSettings()
    keys = sorted(w.split(":")[0] for w in result.warnings)
    assert keys == [
        "Setting page/column_chars",
        "Setting page/line_spacing",
        "Setting page/typeface",
        "Setting page/typewriter",
    ]
