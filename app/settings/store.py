"""Every user setting as one typed, frozen value, and the one store that reads and writes them.

Storage is QSettings over an INI file. Whatever it holds was written by some version of us, by
hand or by an attacker, so ``SettingsStore.load`` first removes every value QSettings would
unpickle (``plain_values.defuse``), then checks every value as text: a missing key takes its
default silently; a value of the wrong type, out of range or too long takes its default and
leaves a human-readable warning for the window to show. Nothing stored can run code or crash the
app, and text settings are bounded so a huge value cannot slow the start.

``SettingsStore.changed`` carries the new Settings after every save that changed something; the
window, editor and inference worker apply it from there (Frescobaldi's settings_changed pattern).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QKeySequence

from penwright.app.documents.recent_files import RECENT_FILES_KEY, stored_recent_files_problem
from penwright.app.documents.spelling import FOLLOW_SYSTEM, LANGUAGE_NAMES, OFF
from penwright.app.editor.keymap import ACTION_LABELS, DEFAULT_BINDINGS, Action
from penwright.app.editor.typography import Typeface
from penwright.app.settings.plain_values import (
    NotPlain,
    defuse,
    plain_value,
    writable,
)
from penwright.app.settings.remote_servers import (
    MAX_STORED_CHARS,
    RemoteEntriesError,
    RemoteServerEntry,
    dump_entries,
    find_entry,
    parse_entries,
)
from penwright.models.errors import ParamsError
from penwright.models.params import LIMITS, GenerationParams, Limit, StopMode
from penwright.models.sources.remote_spec import remote_source_name
from penwright.models.spec import DEFAULT_MODEL, DEVICES, PRECISIONS, ModelSpec

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


MAX_DAILY_WORD_GOAL = 100_000


@dataclass(frozen=True)
class WritingSettings:
    """The writer's aids: a daily word goal (0: none) and the key hints beside a suggestion."""

    daily_word_goal: int = 0
    key_hints: bool = True


@dataclass(frozen=True)
class ViewSettings:
    """The View menu's switches of who wrote what (issue 17): the confidence tint of ghost
    words and the colours of AI-written text; kept for the next start."""

    confidence_tint: bool = False
    show_ai_text: bool = False


COLUMN_CHARS = (30, 200)  # the narrowest and widest text column offered, in characters
LINE_SPACING = (1.0, 2.5)


@dataclass(frozen=True)
class PageSettings:
    """The writer's page: typeface (when no font family is chosen), the text column's width in
    average characters, the line spacing (times the font's) and typewriter scrolling."""

    typeface: Typeface = Typeface.SERIF
    column_chars: int = 70
    line_spacing: float = 1.5
    typewriter: bool = False


MAX_ORIGINS = 32
MAX_ORIGIN_CHARS = 256


@dataclass(frozen=True)
class ServeSettings:
    """Serve to other programs: the OpenAI-compatible server on 127.0.0.1 (models.serving).

    allowed_origins: web origins whose pages may call it (CORS); none by default. api_key ("":
    none) is never written to the settings file: the keyring keeps it (app.settings.serve_key),
    and it is read from there at start only when serving is on.
    """

    enabled: bool = False
    port: int = 8765
    allowed_origins: tuple[str, ...] = ()
    api_key: str = field(default="", repr=False)


def default_key_bindings() -> Mapping[Action, str]:
    return MappingProxyType(dict(DEFAULT_BINDINGS))


@dataclass(frozen=True)
class Settings:
    """All settings. model holds the ModelSpec to load; generation the default GenerationParams,
    whose context_tokens is the "context size" setting. cpu_threads 0 lets torch decide.
    key_bindings maps every Action to portable key-sequence text (QKeySequence.PortableText).
    spelling is "off", "auto" (the system's language when a word list ships for it, else
    English) or a language code (app.documents.spelling.LANGUAGE_NAMES).
    """

    model: ModelSpec = field(default_factory=ModelSpec)
    user_models: tuple[str, ...] = ()
    cpu_threads: int = 0
    generation: GenerationParams = field(default_factory=GenerationParams)
    editor: EditorSettings = field(default_factory=EditorSettings)
    page: PageSettings = field(default_factory=PageSettings)
    key_bindings: Mapping[Action, str] = field(default_factory=default_key_bindings)
    spelling: str = FOLLOW_SYSTEM
    writing: WritingSettings = field(default_factory=WritingSettings)
    # Remote servers (app.settings.remote_servers); model.source "remote:NAME" writes with one,
    # and local_source is the local model to go back to.
    remote_servers: tuple[RemoteServerEntry, ...] = ()
    local_source: str = DEFAULT_MODEL
    serve: ServeSettings = field(default_factory=ServeSettings)
    view: ViewSettings = field(default_factory=ViewSettings)


@dataclass(frozen=True)
class LoadResult:
    settings: Settings
    warnings: tuple[str, ...]


# --- bounds on text settings ---------------------------------------------------------------

MAX_FONT_FAMILY_CHARS = 256
MAX_PATH_CHARS = 4096  # a model source, a user model folder or file
MAX_USER_MODELS = 100
MAX_STOP_STRINGS = 32
MAX_STOP_STRING_CHARS = 256
MAX_KEY_CHARS = 64
MAX_SHORT_CHARS = 256
"""Numbers, choices and switches: anything longer is damage (and int() refuses 4,300 digits)."""
MAX_SESSION_DOCUMENTS = 100
MAX_GEOMETRY_CHARS = 16_384  # QMainWindow's saveState is a few hundred bytes; more is damage


@dataclass(frozen=True)
class LastSession:
    """What the last run left open, for the next start: its files in tab order, the current
    tab's file ("" when that was untitled), and the window's geometry and toolbar layout
    (QMainWindow.saveGeometry / saveState) as base64 text: never a stored object."""

    documents: tuple[str, ...] = ()
    current: str = ""
    geometry: str = ""
    window_state: str = ""


def machine_cores() -> int:
    """The CPU cores this process may run on (its affinity), at least 1."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


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


def _native(key: str) -> str:
    return QKeySequence(key, QKeySequence.SequenceFormat.PortableText).toString(
        QKeySequence.SequenceFormat.NativeText
    )


def conflict_message(key: str, holder: Action) -> str:
    return f"{_native(key)} is already bound to \u201c{ACTION_LABELS[holder]}\u201d"


_COMMAND_MODIFIERS = (
    Qt.KeyboardModifier.ControlModifier
    | Qt.KeyboardModifier.AltModifier
    | Qt.KeyboardModifier.MetaModifier
)
_EDITING_KEYS: dict[Qt.Key, str] = {
    Qt.Key.Key_Return: "starts a new line",
    Qt.Key.Key_Enter: "starts a new line",
    Qt.Key.Key_Backspace: "deletes text",
    Qt.Key.Key_Delete: "deletes text",
    **{
        key: "moves the cursor"
        for key in (
            Qt.Key.Key_Left,
            Qt.Key.Key_Right,
            Qt.Key.Key_Up,
            Qt.Key.Key_Down,
            Qt.Key.Key_Home,
            Qt.Key.Key_End,
            Qt.Key.Key_PageUp,
            Qt.Key.Key_PageDown,
        )
    },
}
_FIRST_SPECIAL_KEY = 0x01000000
"""Qt's key codes below this are the characters the keys type (Key_Escape is the first other)."""


def typing_key_problem(key: str) -> str | None:
    """Why key cannot be a binding because the writer needs it for typing, or None when it can.

    Without Ctrl, Alt or Meta, a character key (Shift or not), Return, Backspace, Delete and
    the cursor keys belong to the text: bound to an action they would stop working in the editor.
    """
    sequence = QKeySequence(key, QKeySequence.SequenceFormat.PortableText)
    if sequence.count() != 1:
        return None
    chord = sequence[0]  # type: ignore[index]  # (the stubs lack QKeySequence.__getitem__)
    if chord.keyboardModifiers() & _COMMAND_MODIFIERS:
        return None
    code = chord.key()
    if int(code.value) < _FIRST_SPECIAL_KEY:
        typed = "a space" if code == Qt.Key.Key_Space else f"\u201c{chr(code.value).lower()}\u201d"
        what = f"types {typed}"
    elif code in _EDITING_KEYS:
        what = _EDITING_KEYS[code]
    else:
        return None
    return (
        f"{_native(key)} {what} while writing; a binding needs Ctrl, Alt or Meta"
        " (or a key such as Tab, Esc or F1 to F12)"
    )


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


def _shown(raw: object) -> str:
    """A stored value as a warning quotes it: its repr, cut short if long."""
    text = repr(raw)
    return text if len(text) <= 60 else f"{text[:57]}\u2026"


def _as_int(low: float, high: float) -> Callable[[object], int]:
    def parse(raw: object) -> int:
        text = str(raw).strip()
        if isinstance(raw, bool) or not text.lstrip("+-").isdigit():
            raise _Invalid(f"{_shown(raw)} is not a whole number")
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
            raise _Invalid(f"{_shown(raw)} is not a number") from None
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
    raise _Invalid(f"{_shown(raw)} is not true or false")


def _as_choice(choices: tuple[str, ...]) -> Callable[[object], str]:
    def parse(raw: object) -> str:
        text = str(raw).strip().lower()
        if text not in choices:
            raise _Invalid(f"{_shown(raw)} is not one of {', '.join(choices)}")
        return text

    return parse


def _as_text(raw: object) -> str:
    if not isinstance(raw, str):
        raise _Invalid(f"{_shown(raw)} is not text")
    return raw


def _as_text_list(max_items: int, max_chars: int) -> Callable[[object], tuple[str, ...]]:
    # Lists are stored as JSON: QSettings' own ini lists turn a one-item list into a plain string.
    def parse(raw: object) -> tuple[str, ...]:
        try:
            value = json.loads(str(raw))
        except ValueError:
            raise _Invalid(f"{_shown(raw)} is not a JSON list of text") from None
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise _Invalid(f"{_shown(raw)} is not a list of non-empty text")
        if len(value) > max_items:
            raise _Invalid(f"it lists {len(value):,} items, more than the {max_items:,} allowed")
        longest = max(map(len, value), default=0)
        if longest > max_chars:
            raise _Invalid(
                f"an item is {longest:,} characters long, more than the {max_chars:,} allowed"
            )
        return tuple(value)

    return parse


def _list_chars(max_items: int, max_chars: int) -> int:
    """The longest JSON text a list within these bounds can take (\\uXXXX is 6 per character)."""
    return max_items * (max_chars * 6 + 4) + 2


def _as_servers(raw: object) -> tuple[RemoteServerEntry, ...]:
    try:
        return parse_entries(str(raw))
    except RemoteEntriesError as why:
        raise _Invalid(str(why)) from None


def _as_base64(raw: object) -> str:
    text = _as_text(raw)
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _Invalid(f"{_shown(raw)} is not base64 text") from None
    return text


def _as_seed(raw: object) -> int | None:
    if str(raw).strip() == "":
        return None  # blank: a fresh random seed per request
    return _as_int(*LIMITS["seed"].bounds())(raw)


def _as_key(raw: object) -> str:
    text = normalise_key(str(raw))
    if not text or QKeySequence(text).count() != 1:
        raise _Invalid(f"{_shown(raw)} is not a single key combination")
    problem = typing_key_problem(text)
    if problem is not None:
        raise _Invalid(problem)
    return text


# Generation ranges are LIMITS, the ones GenerationParams.validate accepts.


def _one_text(raw: str | tuple[str, ...] | NotPlain, max_chars: int) -> str:
    """The stored text of a single-valued setting, refused when it is no text or too long."""
    if isinstance(raw, NotPlain):
        raise _Invalid(f"it is not text but a stored {raw.kind}")
    if isinstance(raw, tuple):
        raise _Invalid(f"it is a list of {len(raw)} items, not one value")
    if len(raw) > max_chars:
        raise _Invalid(f"it is {len(raw):,} characters long, more than the {max_chars:,} allowed")
    return raw


def _stored_serve_key() -> str:
    from penwright.app.settings.serve_key import stored_serve_key

    return stored_serve_key()


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
        self._removed: dict[str, str] = {}  # keys defuse took out of the file, not yet reported

    @property
    def qsettings(self) -> QSettings:
        """The QSettings underneath, for plain values that are no user setting (first run)."""
        return self._qs

    @property
    def current(self) -> Settings:
        """The settings as last loaded or saved."""
        return self._current

    def load(self) -> LoadResult:
        """Read every setting; repair what is unusable (default + warning) and write it back."""
        self._warnings = []
        defused = defuse(self._qs)  # before anything parses the file
        self._removed = dict(defused.removed)
        if defused.failure is not None:
            self._warnings.append(
                f"Settings file: {defused.failure}; using the default settings, and changes"
                " will not be saved."
            )
        d = Settings()
        g, e = d.generation, d.editor
        model = ModelSpec(
            source=self._read("model/source", d.model.source, _as_text, MAX_PATH_CHARS),
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
        remote_servers = self._read(
            "remote/servers", d.remote_servers, _as_servers, MAX_STORED_CHARS
        )
        local_source = self._read("remote/local_source", d.local_source, _as_text, MAX_PATH_CHARS)
        if remote_source_name(ModelSpec(local_source)) is not None or not local_source.strip():
            self._warn("remote/local_source", "it is not a local model", d.local_source)
            local_source = d.local_source
        server = remote_source_name(model)
        if server is not None and find_entry(remote_servers, server) is None:
            self._warn("model/source", f"there is no remote server named {server!r}", local_source)
            model = replace(model, source=local_source)
        generation = self._read_generation(g)
        editor = EditorSettings(
            font_family=self._read(
                "editor/font_family", e.font_family, _as_text, MAX_FONT_FAMILY_CHARS
            ),
            font_size=self._read("editor/font_size", e.font_size, _as_int(6, 96)),
            theme=Theme(
                self._read("editor/theme", e.theme.value, _as_choice(tuple(t.value for t in Theme)))
            ),
            auto_suggest=self._read("editor/auto_suggest", e.auto_suggest, _as_bool),
            auto_suggest_delay_ms=self._read(
                "editor/auto_suggest_delay_ms", e.auto_suggest_delay_ms, _as_int(100, 10_000)
            ),
        )
        p = d.page
        page = PageSettings(
            typeface=Typeface(
                self._read(
                    "page/typeface", p.typeface.value, _as_choice(tuple(t.value for t in Typeface))
                )
            ),
            column_chars=self._read("page/column_chars", p.column_chars, _as_int(*COLUMN_CHARS)),
            line_spacing=self._read("page/line_spacing", p.line_spacing, _as_float(*LINE_SPACING)),
            typewriter=self._read("page/typewriter", p.typewriter, _as_bool),
        )
        settings = Settings(
            model=model,
            user_models=self._read(
                "model/user_models",
                d.user_models,
                _as_text_list(MAX_USER_MODELS, MAX_PATH_CHARS),
                _list_chars(MAX_USER_MODELS, MAX_PATH_CHARS),
            ),
            cpu_threads=self._read_cpu_threads(d.cpu_threads),
            generation=generation,
            editor=editor,
            page=page,
            key_bindings=self._read_bindings(),
            spelling=self._read(
                "spelling/language", d.spelling, _as_choice((OFF, FOLLOW_SYSTEM, *LANGUAGE_NAMES))
            ),
            writing=WritingSettings(
                daily_word_goal=self._read(
                    "writing/daily_word_goal",
                    d.writing.daily_word_goal,
                    _as_int(0, MAX_DAILY_WORD_GOAL),
                ),
                key_hints=self._read("writing/key_hints", d.writing.key_hints, _as_bool),
            ),
            remote_servers=remote_servers,
            local_source=local_source,
            serve=self._read_serve(d.serve),
            view=ViewSettings(
                confidence_tint=self._read(
                    "view/confidence_tint", d.view.confidence_tint, _as_bool
                ),
                show_ai_text=self._read("view/show_ai_text", d.view.show_ai_text, _as_bool),
            ),
        )
        self._check_recent_files()
        for key, why in sorted(self._removed.items()):  # keys of no setting: say what went
            self._warnings.append(f"Setting {key}: {why}.")
        self._removed.clear()
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

    def load_last_session(self) -> tuple[LastSession, tuple[str, ...]]:
        """What the last run left open, and warnings about stored values that were unusable
        (each replaced by nothing: the start then opens less, never fails)."""
        earlier, self._warnings = self._warnings, []
        d = LastSession()
        try:
            session = LastSession(
                documents=self._read(
                    "session/documents",
                    d.documents,
                    _as_text_list(MAX_SESSION_DOCUMENTS, MAX_PATH_CHARS),
                    _list_chars(MAX_SESSION_DOCUMENTS, MAX_PATH_CHARS),
                ),
                current=self._read("session/current", d.current, _as_text, MAX_PATH_CHARS),
                geometry=self._read("session/geometry", d.geometry, _as_base64, MAX_GEOMETRY_CHARS),
                window_state=self._read(
                    "session/window_state", d.window_state, _as_base64, MAX_GEOMETRY_CHARS
                ),
            )
            return session, tuple(self._warnings)
        finally:
            self._warnings = earlier

    def save_last_session(self, session: LastSession) -> None:
        """Keep what is open now for the next start (plain text values only)."""
        qs = self._qs
        if not writable(qs):
            return  # writing makes QSettings parse every value in the file, stored objects too
        qs.setValue("session/documents", json.dumps(list(session.documents)))
        qs.setValue("session/current", session.current)
        qs.setValue("session/geometry", session.geometry)
        qs.setValue("session/window_state", session.window_state)
        qs.sync()

    # --- reading ---------------------------------------------------------------------

    def _read(
        self,
        key: str,
        default: T,
        parse: Callable[[object], T],
        max_chars: int = MAX_SHORT_CHARS,
    ) -> T:
        if key in self._removed:
            self._warn(key, self._removed.pop(key), default)
            return default
        raw = plain_value(self._qs, key)
        if raw is None:
            return default
        try:
            return parse(_one_text(raw, max_chars))
        except _Invalid as why:
            logger.warning("setting %s is unusable (%s); using %r", key, why, default)
            self._warn(key, str(why), default)
            return default

    def _read_cpu_threads(self, default: int) -> int:
        """0 lets torch decide; more threads than cores slow decoding down (1024 gave 0.9 tok/s
        where 2 gave 20.6), so a larger number becomes the number of cores, with a warning."""
        threads = self._read("model/cpu_threads", default, _as_int(0, 1024))
        cores = machine_cores()
        if threads > cores:
            self._warnings.append(
                f"Setting model/cpu_threads: {threads} is more than the {cores} CPU cores of this"
                f" machine; using {cores} instead."
            )
            return cores
        return threads

    def _check_recent_files(self) -> None:
        """The recent-files list (kept by documents.recent_files) is checked here, where the
        window hears about damage; a bad list is removed, so the menu starts empty."""
        key = RECENT_FILES_KEY
        if key in self._removed:
            self._warn(key, self._removed.pop(key), ())
            return
        problem = stored_recent_files_problem(plain_value(self._qs, key))
        if problem is not None:
            logger.warning("setting %s is unusable (%s); removed", key, problem)
            self._warn(key, problem, ())
            if writable(self._qs):
                self._qs.remove(key)

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
            "generation/stop_strings",
            g.stop_strings,
            _as_text_list(MAX_STOP_STRINGS, MAX_STOP_STRING_CHARS),
            _list_chars(MAX_STOP_STRINGS, MAX_STOP_STRING_CHARS),
        )
        values["seed"] = self._read("generation/seed", g.seed, _as_seed)
        values["prose"] = self._read("generation/prose", g.prose, _as_bool)
        try:
            return GenerationParams(**values)
        except ParamsError as why:  # values valid one by one but not together
            logger.warning("stored generation settings conflict (%s); stop reset", why)
            self._warn("generation/stop", str(why), g.stop.value)
            return GenerationParams(**{**values, "stop": g.stop})

    def _read_serve(self, d: ServeSettings) -> ServeSettings:
        enabled = self._read("serve/enabled", d.enabled, _as_bool)
        return ServeSettings(
            enabled=enabled,
            port=self._read("serve/port", d.port, _as_int(1, 65535)),
            allowed_origins=self._read(
                "serve/allowed_origins",
                d.allowed_origins,
                _as_text_list(MAX_ORIGINS, MAX_ORIGIN_CHARS),
                _list_chars(MAX_ORIGINS, MAX_ORIGIN_CHARS),
            ),
            # Only when serving is on: keyring is slow to import and may ask D-Bus.
            api_key=_stored_serve_key() if enabled else "",
        )

    def _read_bindings(self) -> Mapping[Action, str]:
        bindings: dict[Action, str] = {}
        for action in Action:
            default = DEFAULT_BINDINGS[action]
            key = self._read(f"keys/{action.value}", default, _as_key, MAX_KEY_CHARS)
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
        if not writable(qs):
            logger.warning(
                "settings not saved: %s could not be cleaned of stored objects", qs.fileName()
            )
            return  # writing makes QSettings parse every value in the file, stored objects too
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
        p = s.page
        qs.setValue("page/typeface", p.typeface.value)
        qs.setValue("page/column_chars", p.column_chars)
        qs.setValue("page/line_spacing", p.line_spacing)
        qs.setValue("page/typewriter", p.typewriter)
        for action in Action:
            qs.setValue(f"keys/{action.value}", s.key_bindings[action])
        qs.setValue("spelling/language", s.spelling)
        qs.setValue("writing/daily_word_goal", s.writing.daily_word_goal)
        qs.setValue("writing/key_hints", s.writing.key_hints)
        qs.setValue("remote/servers", dump_entries(s.remote_servers))
        qs.setValue("remote/local_source", s.local_source)
        qs.setValue("serve/enabled", s.serve.enabled)
        qs.setValue("serve/port", s.serve.port)
        qs.setValue("serve/allowed_origins", json.dumps(list(s.serve.allowed_origins)))
        qs.setValue("view/confidence_tint", s.view.confidence_tint)
        qs.setValue("view/show_ai_text", s.view.show_ai_text)
        qs.sync()
