"""Preferences > Serving and its settings: stored as plain values, the key in the key store and
never in the file, bad origins and ports refused with a message."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from keyring.backends import fail
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from penwright.app.settings import serve_key
from penwright.app.settings.pages import InputError
from penwright.app.settings.secrets import SERVE_ACCOUNT, KeyStore
from penwright.app.settings.serve_page import ServePage, parse_origins
from penwright.app.settings.store import ServeSettings, Settings, SettingsStore


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> KeyStore:
    """A key store without a system keyring (keyring's real "fail" backend): the session's."""
    store = KeyStore(fail.Keyring())
    monkeypatch.setattr(serve_key, "shared_keys", lambda: store)
    return store


def test_origins_are_checked() -> None:
    assert parse_origins("https://a.example, http://localhost:3000/") == (
        "https://a.example",
        "http://localhost:3000",
    )
    assert parse_origins("  ") == ()
    for bad in ("*", "a.example", "file:///tmp", "https://a.example/page", "ftp://a.example"):
        with pytest.raises(InputError, match=r"Serving: .* is not a web origin"):
            parse_origins(bad)


def test_the_page_round_trips_and_keeps_the_key_out_of_the_file(
    qtbot: QtBot, tmp_path: Path, keys: KeyStore
) -> None:
    page = ServePage(keys)
    qtbot.addWidget(page)
    page.load(Settings())
    assert not page.enabled.isChecked() and not page.port.isEnabled()
    page.enabled.setChecked(True)
    page.port.setValue(9123)
    page.api_key.setText(" s3cret ")
    page.origins.setText("https://notes.example")
    assert page.address.text() == "Base URL: http://127.0.0.1:9123/v1"
    serve = page.apply_to(Settings()).serve
    assert serve == ServeSettings(True, 9123, ("https://notes.example",), "s3cret")
    assert keys.get(SERVE_ACCOUNT) == "s3cret"
    assert "kept until Penwright closes" in page.address.text()  # no keyring here: says so

    path = tmp_path / "settings.ini"
    store = SettingsStore(QSettings(str(path), QSettings.Format.IniFormat))
    store.load()
    store.save(replace(store.current, serve=serve))
    assert "s3cret" not in path.read_text(encoding="utf-8")
    again = SettingsStore(QSettings(str(path), QSettings.Format.IniFormat)).load()
    assert again.settings.serve == serve  # the key from the key store, the rest from the file
    assert again.warnings == ()
    other = ServePage(keys)  # Preferences opened again, serving off: the key still shows
    qtbot.addWidget(other)
    other.load(Settings())
    assert other.api_key.text() == "s3cret"
    other.api_key.setText("")
    other.apply_to(Settings())
    assert keys.get(SERVE_ACCOUNT) == ""  # cleared: forgotten


def test_a_damaged_serve_setting_takes_its_default_with_a_warning(
    tmp_path: Path, keys: KeyStore
) -> None:
    path = tmp_path / "settings.ini"
    path.write_text("[serve]\nport=99999\nallowed_origins=nope\n", encoding="utf-8")
    result = SettingsStore(QSettings(str(path), QSettings.Format.IniFormat)).load()
    assert result.settings.serve == ServeSettings()
    assert any("serve/port" in warning for warning in result.warnings)
    assert any("serve/allowed_origins" in warning for warning in result.warnings)
