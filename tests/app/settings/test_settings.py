"""SettingsStore: typed settings through QSettings, bad stored values repaired with a warning."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from penwright.app.editor.keymap import DEFAULT_BINDINGS, Action
from penwright.app.settings.store import (
    EditorSettings,
    Settings,
    SettingsStore,
    Theme,
    ViewSettings,
)
from penwright.models.params import GenerationParams, StopMode
from penwright.models.spec import ModelSpec


@pytest.fixture
def ini(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "penwright.ini"), QSettings.Format.IniFormat)


def _reload(ini: QSettings) -> SettingsStore:
    """A fresh store over the same file, as at the next start of the app."""
    store = SettingsStore(QSettings(ini.fileName(), QSettings.Format.IniFormat))
    return store


NON_DEFAULT = Settings(
    model=ModelSpec(
        source="/models/tiny",
        device="cpu",
        precision="int8",
        trust_remote_code=True,
        allow_pickle=True,
    ),
    user_models=("/models/tiny",),  # one item: QSettings' own lists would turn it into a string
    cpu_threads=1,  # at most the cores of any machine: more is clamped
    generation=GenerationParams(
        temperature=0.0,
        top_k=0,
        top_p=0.5,
        min_p=0.1,
        repetition_penalty=1.3,
        max_new_tokens=100,
        stop=StopMode.CUSTOM,
        stop_strings=("\n\n", "THE END"),
        seed=42,
        n=3,
        context_tokens=4096,
        no_copy_tokens=0,
        prose=False,
    ),
    editor=EditorSettings(
        font_family="DejaVu Serif",
        font_size=15,
        theme=Theme.DARK,
        auto_suggest=True,
        auto_suggest_delay_ms=1500,
    ),
    key_bindings={**DEFAULT_BINDINGS, Action.CONTINUE: "Ctrl+Space", Action.DISMISS: "Ctrl+G"},
    spelling="fr",
    view=ViewSettings(confidence_tint=True, show_ai_text=True),
)


def test_an_empty_store_gives_the_defaults_without_warnings(ini: QSettings) -> None:
    result = SettingsStore(ini).load()
    assert result.settings == Settings()
    assert result.warnings == ()


def test_every_setting_survives_save_and_load(ini: QSettings) -> None:
    SettingsStore(ini).save(NON_DEFAULT)
    result = _reload(ini).load()
    assert result.warnings == ()
    assert result.settings == NON_DEFAULT


@pytest.mark.parametrize(
    ("key", "stored", "why"),
    [
        ("generation/temperature", "hot", "'hot' is not a number"),
        ("generation/temperature", "9.5", "9.5 is outside 0\u20135"),
        ("generation/top_k", "2.5", "not a whole number"),
        ("generation/max_new_tokens", "0", "0 is outside 1\u20132048"),
        ("generation/seed", "-1", "-1 is outside"),
        ("generation/no_copy_tokens", "65", "65 is outside 0\u201364"),
        ("generation/no_copy_tokens", "few", "'few' is not a whole number"),
        ("generation/prose", "sometimes", "'sometimes' is not true or false"),
        ("generation/stop", "whenever", "'whenever' is not one of"),
        ("generation/stop_strings", "[1, 2]", "not a list of non-empty text"),
        ("model/device", "tpu", "'tpu' is not one of auto, cuda, mps, cpu"),
        ("model/precision", "fp8", "'fp8' is not one of"),
        ("model/trust_remote_code", "maybe", "'maybe' is not true or false"),
        ("model/user_models", "/one/path", "not a JSON list"),
        ("model/cpu_threads", "-4", "-4 is outside 0\u20131024"),
        ("editor/font_size", "500", "500 is outside 6\u201396"),
        ("editor/theme", "purple", "'purple' is not one of system, light, dark"),
        ("editor/auto_suggest_delay_ms", "fast", "not a whole number"),
        ("keys/dismiss", "Ctrl+A, Ctrl+B", "not a single key combination"),
        ("view/show_ai_text", "perhaps", "'perhaps' is not true or false"),
        ("view/confidence_tint", "2", "'2' is not true or false"),
    ],
)
def test_a_bad_stored_value_falls_back_to_its_default_with_a_warning(
    ini: QSettings, key: str, stored: str, why: str
) -> None:
    SettingsStore(ini).save(NON_DEFAULT)
    ini.setValue(key, stored)
    ini.sync()

    result = _reload(ini).load()

    # (Losing the stop strings also makes the custom stop mode unusable: a second warning.)
    warning = result.warnings[0]
    assert len(result.warnings) == (2 if key == "generation/stop_strings" else 1)
    assert warning.startswith(f"Setting {key}: ")
    assert why in warning
    assert "using the default" in warning
    # Only the bad value is repaired: the others keep what the writer chose.
    assert result.settings.editor.theme is (Theme.SYSTEM if key == "editor/theme" else Theme.DARK)
    assert result.settings.generation.n == 3
    # The repair is written back, so the warning is not repeated at the next start.
    assert _reload(ini).load().warnings == ()


def test_the_repaired_value_is_the_default(ini: QSettings) -> None:
    ini.setValue("generation/temperature", "hot")
    ini.setValue("model/device", "tpu")
    result = SettingsStore(ini).load()
    assert result.settings.generation.temperature == GenerationParams().temperature
    assert result.settings.model.device == "auto"
    assert len(result.warnings) == 2


def test_custom_stop_without_stop_strings_is_repaired(ini: QSettings) -> None:
    ini.setValue("generation/stop", "custom")
    ini.setValue("generation/stop_strings", "[]")
    result = SettingsStore(ini).load()
    assert result.settings.generation.stop is StopMode.SENTENCE
    assert any("needs at least one stop string" in w for w in result.warnings)


def test_a_stored_key_that_another_action_has_is_refused(ini: QSettings) -> None:
    ini.setValue("keys/accept_word", "Tab")  # Tab already accepts the whole suggestion
    result = SettingsStore(ini).load()
    assert result.settings.key_bindings[Action.ACCEPT_WORD] == "Ctrl+Right"
    assert result.settings.key_bindings[Action.ACCEPT_ALL] == "Tab"
    [warning] = result.warnings
    assert "Tab is already bound to \u201cAccept the whole suggestion\u201d" in warning


def test_key_text_is_normalised(ini: QSettings) -> None:
    ini.setValue("keys/continue", "ctrl+space")
    result = SettingsStore(ini).load()
    assert result.warnings == ()
    assert result.settings.key_bindings[Action.CONTINUE] == "Ctrl+Space"


def test_saving_new_settings_emits_changed_with_them(ini: QSettings, qtbot: QtBot) -> None:
    store = SettingsStore(ini)
    store.load()
    with qtbot.waitSignal(store.changed) as blocker:
        store.save(NON_DEFAULT)
    assert blocker.args == [NON_DEFAULT]
    assert store.current == NON_DEFAULT


def test_saving_the_same_settings_again_does_not_emit_changed(ini: QSettings, qtbot: QtBot) -> None:
    store = SettingsStore(ini)
    store.save(NON_DEFAULT)
    with qtbot.assertNotEmitted(store.changed):
        store.save(NON_DEFAULT)


def test_an_unknown_spelling_language_falls_back_with_a_warning(ini: QSettings) -> None:
    ini.setValue("spelling/language", "klingon")
    ini.sync()
    result = _reload(ini).load()
    assert result.settings.spelling == "auto"
    assert result.warnings == (
        "Setting spelling/language: 'klingon' is not one of off, auto, en, es, fr, de, pt, it, "
        "nl, ru, lv, eu, ar, fa; using the default (auto) instead.",
    )
