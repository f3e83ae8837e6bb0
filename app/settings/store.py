"""Every user setting as one typed, frozen value, and the one store that reads and writes them.

Storage is QSettings. Whatever it holds was written by some version of us or by hand, so
``SettingsStore.load`` checks every value: a missing key takes its default silently; a value of
the wrong type or out of range takes its default and leaves a human-readable warning for the
window to show. Nothing stored can crash the app.

``SettingsStore.changed`` carries the new Settings after every save that changed something; the
window, editor and inference worker apply it from there (Frescobaldi's settings_changed pattern).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QKeySequence

from penwright.app.editor.keymap import ACTION_LABELS, DEFAULT_BINDINGS, Action
from penwright.models.errors import ParamsError
from penwright.models.params import LIMITS, GenerationParams, Limit, StopMode
from penwright.models.spec import DEVICES, PRECISIONS, ModelSpec

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Theme(StrEnum):
    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


@dataclass(frozen=True)
class EditorSettings:
    """How the editor looks and when it asks for suggestions by itself.

    An empty font_family means the platform's default text font.
    """

    font_family: str = ""
    font_size: int = 12
    theme: Theme = Theme.SYSTEM
    auto_suggest: bool = False
    auto_suggest_delay_ms: int = 800


def default_key_bindings() -> Mapping[Action, str]:
    return MappingProxyType(dict(DEFAULT_BINDINGS))


@dataclass(frozen=True)
class Settings:
    """All settings. model holds the ModelSpec to load; generation the default GenerationParams,
    whose context_tokens is the "context size" setting. cpu_threads 0 lets torch decide.
    key_bindings maps every Action to portable key-sequence text (QKeySequence.PortableText).
    """

    model: ModelSpec = field(default_factory=ModelSpec)
    user_models: tuple[str, ...] = ()
    cpu_threads: int = 0
    generation: GenerationParams = field(default_factory=GenerationParams)
    editor: EditorSettings = field(default_factory=EditorSettings)
    key_bindings: Mapping[Action, str] = field(default_factory=default_key_bindings)


@dataclass(frozen=True)
class LoadResult:
    settings: Settings
    warnings: tuple[str, ...]


# --- key bindings -------------------------------------------------------------------------


def normalise_key(text: str) -> str:
    """Portable text of a key sequence, so "ctrl+return" and "Ctrl+Return" compare equal."""
    return QKeySequence(text, QKeySequence.SequenceFormat.PortableText).toString(
        QKeySequence.SequenceFormat.PortableText
    )


def binding_conflict(bindings: Mapping[Action, str], action: Action, key: str) -> Action | None:
    """The other action already bound to key, or None when key is free for action."""
    wanted = normalise_key(key)
    for other, other_key in bindings.items():
        if other is not action and wanted and normalise_key(other_key) == wanted:
            return other
    return None


def conflict_message(key: str, holder: Action) -> str:
    shown = QKeySequence(key, QKeySequence.SequenceFormat.PortableText).toString(
        QKeySequence.SequenceFormat.NativeText
    )
    return f"{shown} is already bound to \u201c{ACTION_LABELS[holder]}\u201d"


# --- value checking -----------------------------------------------------------------------


def _as_number(default: float) -> Callable[[float, float], Callable[[object], float]]:
    """The parser for a value stored where default is: a float or a whole number."""
    return _as_float if isinstance(default, float) else _as_int


_NUMBERS = tuple(name for name in LIMITS if name != "seed")
"""The numeric generation parameters, stored as numbers (the seed is text: it may be empty)."""


def _generation_key(name: str) -> str:
    """A parameter's settings key: its name, except n, stored as "alternatives"."""
    return f"generation/{'alternatives' if name == 'n' else name}"


_DASH = "\u2013"  # the en dash between the two ends of a range


class _Invalid(ValueError):
    """A stored value that cannot be used; the message says why, for the warning."""


def _as_int(low: float, high: float) -> Callable[[object], int]:
    def parse(raw: object) -> int:
        text = str(raw).strip()
        if isinstance(raw, bool) or not text.lstrip("+-").isdigit():
            raise _Invalid(f"{raw!r} is not a whole number")
        value = int(text)
        if not low <= value <= high:
            raise _Invalid(f"{value} is outside {Limit(low, high).span(_DASH)}")
        return value

    return parse


def _as_float(low: float, high: float) -> Callable[[object], float]:
    def parse(raw: object) -> float:
        try:
            value = float(str(raw).strip())
        except ValueError:
            raise _Invalid(f"{raw!r} is not a number") from None
        if math.isnan(value) or not low <= value <= high:
            raise _Invalid(f"{value:g} is outside {Limit(low, high).span(_DASH)}")
        return value

    return parse


def _as_bool(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in {"true", "1", "yes", "on"}:
        return True
    if text in {"false", "0", "no", "off"}:
        return False
    raise _Invalid(f"{raw!r} is not true or false")


def _as_choice(choices: tuple[str, ...]) -> Callable[[object], str]:
    def parse(raw: object) -> str:
        text = str(raw).strip().lower()
        if text not in choices:
            raise _Invalid(f"{raw!r} is not one of {', '.join(choices)}")
        return text

    return parse


def _as_text(raw: object) -> str:
    if not isinstance(raw, str):
        raise _Invalid(f"{raw!r} is not text")
    return raw


def _as_text_list(raw: object) -> tuple[str, ...]:
    # Lists are stored as JSON: QSettings' own ini lists turn a one-item list into a plain string.
    try:
        value = json.loads(str(raw))
    except ValueError:
        raise _Invalid(f"{raw!r} is not a JSON list of text") from None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _Invalid(f"{raw!r} is not a list of non-empty text")
    return tuple(value)


def _as_seed(raw: object) -> int | None:
    if str(raw).strip() == "":
        return None  # blank: a fresh random seed per request
    return _as_int(*LIMITS["seed"].bounds())(raw)


def _as_key(raw: object) -> str:
    text = normalise_key(str(raw))
    if not text or QKeySequence(text).count() != 1:
        raise _Invalid(f"{raw!r} is not a single key combination")
    return text


# Generation ranges are LIMITS, the ones GenerationParams.validate accepts.


# --- the store ----------------------------------------------------------------------------


class SettingsStore(QObject):
    """Reads and writes Settings in one QSettings. Lives on the GUI thread.

    Pass the QSettings in: the app gives the user's, tests a temporary ini file.
    """

    changed = Signal(object)  # Settings, after a save that changed something

    def __init__(self, qsettings: QSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._qs = qsettings
        self._current = Settings()
        self._warnings: list[str] = []

    @property
    def current(self) -> Settings:
        """The settings as last loaded or saved."""
        return self._current

    def load(self) -> LoadResult:
        """Read every setting; repair what is unusable (default + warning) and write it back."""
        self._warnings = []
        d = Settings()
        g, e = d.generation, d.editor
        model = ModelSpec(
            source=self._read("model/source", d.model.source, _as_text),
            device=self._read("model/device", d.model.device, _as_choice(DEVICES)),
            precision=self._read("model/precision", d.model.precision, _as_choice(PRECISIONS)),
            trust_remote_code=self._read(
                "model/trust_remote_code", d.model.trust_remote_code, _as_bool
            ),
            allow_pickle=self._read("model/allow_pickle", d.model.allow_pickle, _as_bool),
        )
        if not model.source.strip():
            self._warn("model/source", "it is empty", d.model.source)
            model = replace(model, source=d.model.source)
        generation = self._read_generation(g)
        editor = EditorSettings(
            font_family=self._read("editor/font_family", e.font_family, _as_text),
            font_size=self._read("editor/font_size", e.font_size, _as_int(6, 96)),
            theme=Theme(
                self._read("editor/theme", e.theme.value, _as_choice(tuple(t.value for t in Theme)))
            ),
            auto_suggest=self._read("editor/auto_suggest", e.auto_suggest, _as_bool),
            auto_suggest_delay_ms=self._read(
                "editor/auto_suggest_delay_ms", e.auto_suggest_delay_ms, _as_int(100, 10_000)
            ),
        )
        settings = Settings(
            model=model,
            user_models=self._read("model/user_models", d.user_models, _as_text_list),
            cpu_threads=self._read("model/cpu_threads", d.cpu_threads, _as_int(0, 1024)),
            generation=generation,
            editor=editor,
            key_bindings=self._read_bindings(),
        )
        if self._warnings:
            self._write(settings)  # so the same warning does not come back at every start
        self._current = settings
        return LoadResult(settings, tuple(self._warnings))

    def save(self, settings: Settings) -> None:
        """Write settings; emit changed when they differ from the current ones."""
        self._write(settings)
        previous, self._current = self._current, settings
        if settings != previous:
            self.changed.emit(settings)

    # --- reading ---------------------------------------------------------------------

    def _read(self, key: str, default: T, parse: Callable[[object], T]) -> T:
        raw = self._qs.value(key)
        if raw is None:
            return default
        try:
            return parse(raw)
        except _Invalid as why:
            logger.warning("setting %s is unusable (%s); using %r", key, why, default)
            self._warn(key, str(why), default)
            return default

    def _warn(self, key: str, why: str, default: object) -> None:
        shown = "blank" if default in ("", None) else default
        if isinstance(default, tuple):
            shown = "none" if not default else ", ".join(map(str, default))
        if isinstance(default, StrEnum):
            shown = default.value
        self._warnings.append(f"Setting {key}: {why}; using the default ({shown}) instead.")

    def _read_generation(self, g: GenerationParams) -> GenerationParams:
        stop_modes = tuple(m.value for m in StopMode)
        values: dict[str, Any] = {
            name: self._read(
                _generation_key(name),
                getattr(g, name),
                _as_number(getattr(g, name))(*LIMITS[name].bounds()),
            )
            for name in _NUMBERS
        }
        values["stop"] = StopMode(
            self._read("generation/stop", g.stop.value, _as_choice(stop_modes))
        )
        values["stop_strings"] = self._read(
            "generation/stop_strings", g.stop_strings, _as_text_list
        )
        values["seed"] = self._read("generation/seed", g.seed, _as_seed)
        values["prose"] = self._read("generation/prose", g.prose, _as_bool)
        try:
            return GenerationParams(**values)
        except ParamsError as why:  # values valid one by one but not together
            logger.warning("stored generation settings conflict (%s); stop reset", why)
            self._warn("generation/stop", str(why), g.stop.value)
            return GenerationParams(**{**values, "stop": g.stop})

    def _read_bindings(self) -> Mapping[Action, str]:
        bindings: dict[Action, str] = {}
        for action in Action:
            default = DEFAULT_BINDINGS[action]
            key = self._read(f"keys/{action.value}", default, _as_key)
            holder = binding_conflict(bindings, action, key)
            if holder is not None:
                self._warn(f"keys/{action.value}", conflict_message(key, holder), default)
                key = default
            bindings[action] = key
        # A default can itself collide with a rebound key of an earlier action: then defaults all.
        keys = [normalise_key(k) for k in bindings.values()]
        if len(set(keys)) != len(keys):
            self._warnings.append("Key bindings conflicted; all keys are back to their defaults.")
            return default_key_bindings()
        return MappingProxyType(bindings)

    # --- writing ---------------------------------------------------------------------

    def _write(self, s: Settings) -> None:
        qs = self._qs
        for f in fields(ModelSpec):
            qs.setValue(f"model/{f.name}", getattr(s.model, f.name))
        qs.setValue("model/user_models", json.dumps(list(s.user_models)))
        qs.setValue("model/cpu_threads", s.cpu_threads)
        g = s.generation
        for name in _NUMBERS:
            qs.setValue(_generation_key(name), getattr(g, name))
        qs.setValue("generation/stop", g.stop.value)
        qs.setValue("generation/stop_strings", json.dumps(list(g.stop_strings)))
        qs.setValue("generation/seed", "" if g.seed is None else str(g.seed))
        qs.setValue("generation/prose", g.prose)
        e = s.editor
        qs.setValue("editor/font_family", e.font_family)
        qs.setValue("editor/font_size", e.font_size)
        qs.setValue("editor/theme", e.theme.value)
        qs.setValue("editor/auto_suggest", e.auto_suggest)
        qs.setValue("editor/auto_suggest_delay_ms", e.auto_suggest_delay_ms)
        for action in Action:
            qs.setValue(f"keys/{action.value}", s.key_bindings[action])
        qs.sync()
