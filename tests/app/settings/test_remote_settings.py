"""Remote server entries in the settings file: they round-trip, a key is stored only where the
writer chose, and damage is repaired with a warning."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSettings

from penwright.app.settings.remote_servers import RemoteServerEntry, with_source
from penwright.app.settings.store import Settings, SettingsStore

ENTRY = RemoteServerEntry("gpu box", "http://10.0.0.5:8000/v1", "google/gemma-3-1b-pt", "vllm")


def _ini(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "penwright.ini"), QSettings.Format.IniFormat)


def test_entries_and_the_chosen_server_round_trip(tmp_path: Path) -> None:
    store = SettingsStore(_ini(tmp_path))
    store.load()
    settings = with_source(replace(Settings(), remote_servers=(ENTRY,)), "remote:gpu box")
    store.save(settings)
    result = SettingsStore(_ini(tmp_path)).load()
    assert result.warnings == ()
    assert result.settings.remote_servers == (ENTRY,)
    assert result.settings.model.source == "remote:gpu box"
    assert result.settings.local_source == "default"


def test_a_key_is_in_the_file_only_when_the_writer_chose_it(tmp_path: Path) -> None:
    store = SettingsStore(_ini(tmp_path))
    store.load()
    store.save(replace(Settings(), remote_servers=(ENTRY,)))
    assert "key_in_file" not in (tmp_path / "penwright.ini").read_text()
    chosen = replace(ENTRY, key_in_file="sk-chosen")
    store.save(replace(Settings(), remote_servers=(chosen,)))
    assert "sk-chosen" in (tmp_path / "penwright.ini").read_text()
    assert SettingsStore(_ini(tmp_path)).load().settings.remote_servers == (chosen,)


def test_damaged_entries_are_replaced_with_a_warning(tmp_path: Path) -> None:
    ini = _ini(tmp_path)
    ini.setValue("remote/servers", '[{"name": "x", "base_url": "ftp://nowhere"}]')
    ini.setValue("model/source", "remote:x")
    ini.sync()
    result = SettingsStore(_ini(tmp_path)).load()
    assert result.settings.remote_servers == ()
    assert result.settings.model.source == "default"
    assert result.warnings == (
        "Setting remote/servers: the base URL of x must start with http:// or https://; using "
        "the default (none) instead.",
        "Setting model/source: there is no remote server named 'x'; using the default (default)"
        " instead.",
    )


def test_leaving_a_local_model_for_a_server_remembers_it() -> None:
    local = replace(Settings(), remote_servers=(ENTRY,))
    local = with_source(local, "/models/tiny")
    remote = with_source(local, "remote:gpu box")
    assert remote.local_source == "/models/tiny"
    assert with_source(remote, remote.local_source).model.source == "/models/tiny"
