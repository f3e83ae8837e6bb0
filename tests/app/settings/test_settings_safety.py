"""Nothing stored can run code or crash the app; nothing stored can take typing or the CPU away.

Real settings files in Qt's INI format (the app's format on Linux) holding what an attacker or an
unlucky edit leaves there: PySide6 PyObjectWrapper pickles (live, empty, truncated, escaped),
typing keys as bindings, absurd thread counts and megabyte-long text. The app is started through
penwright.app.main.build, as tests/app/conftest.py does, and must start with the defaults and a
warning naming each key.
"""

from __future__ import annotations

import json
import pickle
import struct
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from app_fakes import EngineScript, FakeEngine
from PySide6.QtCore import QCoreApplication, QSettings, QStandardPaths, Qt
from pytestqt.qtbot import QtBot

from penwright.app.documents.recent_files import MAX_STORED_RECENT_FILES, RECENT_FILES_KEY
from penwright.app.editor.keymap import DEFAULT_BINDINGS, Action
from penwright.app.main import Penwright, StartupHooks, build, open_files, parse_arguments
from penwright.app.settings.plain_values import open_user_settings
from penwright.app.settings.store import (
    MAX_FONT_FAMILY_CHARS,
    MAX_PATH_CHARS,
    MAX_STOP_STRINGS,
    MAX_USER_MODELS,
    LastSession,
    SettingsStore,
    machine_cores,
    normalise_key,
)

# --- payloads: what PySide6 writes for a Python object, built here with pickle ---------------


class _CreatesFile:
    """Unpickling this creates the file: the harmless stand-in for os.system."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.path), "x"))


def _ini_escaped(data: bytes) -> bytes:
    """Bytes as Qt writes them inside an INI value (iniEscapedString, latin-1 side)."""
    out = bytearray()
    escape_next_hex = False
    for byte in data:
        char = bytes([byte])
        if escape_next_hex and char in b"0123456789abcdefABCDEF":
            out += b"\\x%x" % byte
            continue
        escape_next_hex = False
        if byte == 0:
            out += b"\\0"
            escape_next_hex = True
        elif char in b'"\\':
            out += b"\\" + char
        elif byte < 0x20 or byte >= 0x7F:
            out += b"\\x%x" % byte
            escape_next_hex = True
        else:
            out += char
    return bytes(out)


def _wrapper_variant(pickled: bytes, claimed_length: int | None = None) -> bytes:
    """A QVariant of PySide::PyObjectWrapper around pickled, in QSettings' @Variant(...) text:
    QDataStream's user-type id and name, then the pickle as a QByteArray (QSettings streams
    with Qt_4_0, which has no null flag)."""
    name = b"PySide::PyObjectWrapper\0"
    length = len(pickled) if claimed_length is None else claimed_length
    stream = struct.pack(">II", 127, len(name)) + name + struct.pack(">I", length)
    return b"@Variant(" + _ini_escaped(stream + pickled) + b")"


def _live_payload(marker: Path) -> bytes:
    return _wrapper_variant(pickle.dumps(_CreatesFile(marker)))


def _empty_payload(marker: Path) -> bytes:
    return _wrapper_variant(b"")  # pickle.loads(b"") raised EOFError and stopped the start


def _truncated_payload(marker: Path) -> bytes:
    pickled = pickle.dumps(_CreatesFile(marker))
    return _wrapper_variant(pickled[: len(pickled) // 2], claimed_length=len(pickled))


def _bare_empty_variant(marker: Path) -> bytes:
    return b"@Variant()"


PAYLOADS: dict[str, Callable[[Path], bytes]] = {
    "live": _live_payload,
    "empty": _empty_payload,
    "truncated": _truncated_payload,
    "bare empty": _bare_empty_variant,
}

DEFAULTS: dict[str, Callable[[Penwright], object]] = {
    "editor/font_family": lambda app: app.stored.settings.editor.font_family == "",
    "editor/font_size": lambda app: app.stored.settings.editor.font_size == 12,
    RECENT_FILES_KEY: lambda app: app.window.recent_files() == [],  # before a file is opened
}


def _ini_line(key: str, value: bytes) -> bytes:
    section, _, name = key.rpartition("/")
    return b"[%s]\n%s=%s\n" % ((section or "General").encode(), name.encode(), value)


# --- starting the real app ------------------------------------------------------------------


@pytest.fixture
def settings_path(tmp_path: Path) -> Path:
    return tmp_path / "Penwright.conf"


@pytest.fixture
def start_app(
    qtbot: QtBot, settings_path: Path, tmp_path: Path
) -> Iterator[Callable[..., Penwright]]:
    """Start the app on settings_path as main does: build, show, report the repaired settings."""
    started: list[Penwright] = []

    def start() -> Penwright:
        qsettings = QSettings(str(settings_path), QSettings.Format.IniFormat)
        app = build(
            qsettings,
            parse_arguments(["--no-model"]),
            StartupHooks(),
            engine_factory=lambda: FakeEngine(EngineScript()),
            device_probe=lambda: [],
            data_dir=tmp_path / "data",
        )
        qtbot.addWidget(
            app.window, before_close_func=lambda w: w.editor.document().setModified(False)
        )
        started.append(app)
        app.window.show()
        app.window.settings_applier.report_warnings(app.stored.warnings)
        return app

    yield start
    for app in started:
        app.window.editor.document().setModified(False)
        app.window.close()


def _warning_for(app: Penwright, key: str) -> str:
    [warning] = [w for w in app.stored.warnings if w.startswith(f"Setting {key}: ")]
    return warning


# --- stored objects -------------------------------------------------------------------------


def test_the_live_payload_runs_code_when_qsettings_reads_it_unguarded(
    settings_path: Path, tmp_path: Path
) -> None:
    """The control: the payload these tests use is a real attack on a bare QSettings."""
    marker = tmp_path / "created-by-pickle"
    settings_path.write_bytes(_ini_line("editor/font_family", _live_payload(marker)))
    QSettings(str(settings_path), QSettings.Format.IniFormat).value("editor/font_size")
    assert marker.exists()


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("key", DEFAULTS)
def test_a_stored_object_is_never_unpickled_and_the_app_starts_with_the_default(
    start_app: Callable[..., Penwright],
    settings_path: Path,
    tmp_path: Path,
    key: str,
    payload: str,
) -> None:
    marker = tmp_path / "created-by-pickle"
    document = tmp_path / "chapter.txt"
    document.write_text("It was a dark night.\n", encoding="utf-8")
    settings_path.write_bytes(
        _ini_line("editor/font_size", b"15" if key != "editor/font_size" else b"16")
        + _ini_line(key, PAYLOADS[payload](marker))
    )

    app = start_app()
    assert not marker.exists()
    assert app.window.isVisible()
    warning = _warning_for(app, key)
    assert "stored object (@Variant), which could run code" in warning
    assert warning in app.window.last_notice
    assert DEFAULTS[key](app)

    # A file argument: opening it writes the recent files (which once aborted the process).
    open_files(app.window, [str(document)])
    assert app.window.editor.toPlainText() == "It was a dark night.\n"
    assert app.window.recent_files() == [str(document.resolve())]
    # Only the bad value went: the other keeps the writer's choice, and the file is clean now.
    if key != "editor/font_size":
        assert app.stored.settings.editor.font_size == 15
    assert b"Variant" not in settings_path.read_bytes()
    assert (
        SettingsStore(QSettings(str(settings_path), QSettings.Format.IniFormat)).load().warnings
        == ()
    )


@pytest.mark.parametrize(
    "disguise",
    [
        pytest.param(lambda v: b"\\x40" + v[1:], id="@ as a hex escape"),
        pytest.param(lambda v: b"\\100" + v[1:], id="@ as an octal escape"),
        pytest.param(lambda v: b"@\\126ariant(" + v[9:], id="V as an octal escape"),
        pytest.param(lambda v: b'"' + v + b'"', id="quoted"),
        pytest.param(lambda v: b"   " + v, id="leading blanks"),
        pytest.param(lambda v: b"Serif, " + v, id="second item of a list"),
        pytest.param(lambda v: b"@Var\\\niant(" + v[9:], id="split over two lines"),
        pytest.param(lambda v: b"@DateTime(" + v[9:], id="as a date"),
    ],
)
def test_a_disguised_stored_object_is_found_too(
    settings_path: Path, tmp_path: Path, disguise: Callable[[bytes], bytes]
) -> None:
    marker = tmp_path / "created-by-pickle"
    settings_path.write_bytes(
        b"; written by hand\r\n"
        + _ini_line("editor/font_family", disguise(_live_payload(marker))).replace(b"\n", b"\r\n")
    )
    result = SettingsStore(QSettings(str(settings_path), QSettings.Format.IniFormat)).load()
    assert not marker.exists()
    assert result.settings.editor.font_family == ""
    assert result.warnings[0].startswith("Setting editor/font_family: it held a stored object")


@pytest.mark.parametrize(
    ("stored", "kind"),
    [(b"@ByteArray(Serif)", "QByteArray"), (b"@Rect(1 2 3 4)", "QRect"), (b"@Size(1 2)", "QSize")],
)
def test_other_typed_values_are_not_text_and_are_refused(
    settings_path: Path, stored: bytes, kind: str
) -> None:
    settings_path.write_bytes(_ini_line("editor/font_family", stored))
    result = SettingsStore(QSettings(str(settings_path), QSettings.Format.IniFormat)).load()
    assert result.settings.editor.font_family == ""
    assert result.warnings == (
        f"Setting editor/font_family: it is not text but a stored {kind}; using the default"
        " (blank) instead.",
    )


def test_a_linked_settings_file_is_cleaned_where_it_lies(
    settings_path: Path, tmp_path: Path
) -> None:
    marker, target = tmp_path / "created-by-pickle", tmp_path / "dotfiles" / "penwright.ini"
    target.parent.mkdir()
    target.write_bytes(_ini_line("editor/font_family", _live_payload(marker)))
    settings_path.symlink_to(target)
    SettingsStore(QSettings(str(settings_path), QSettings.Format.IniFormat)).load()
    assert settings_path.is_symlink()
    assert b"Variant" not in target.read_bytes()
    assert not marker.exists()


def test_a_stored_object_under_a_key_of_no_setting_is_removed_and_named(
    settings_path: Path, tmp_path: Path
) -> None:
    """QSettings parses every section to write the file, so no key may keep one."""
    marker = tmp_path / "created-by-pickle"
    settings_path.write_bytes(
        _ini_line("window/geometry", _live_payload(marker)) + _ini_line("editor/font_size", b"14")
    )
    store = SettingsStore(QSettings(str(settings_path), QSettings.Format.IniFormat))
    result = store.load()
    assert result.warnings == (
        "Setting window/geometry: it held a stored object (@Variant), which could run code;"
        " it was removed.",
    )
    store.save(result.settings)  # writing parses every section: nothing left to run
    assert not marker.exists()
    assert result.settings.editor.font_size == 14


def test_a_store_handed_a_settings_object_first_saves_safely(
    settings_path: Path, tmp_path: Path
) -> None:
    """save() before load(): the file is cleaned before QSettings parses it to write."""
    marker = tmp_path / "created-by-pickle"
    settings_path.write_bytes(_ini_line("editor/font_family", _live_payload(marker)))
    store = SettingsStore(QSettings(str(settings_path), QSettings.Format.IniFormat))
    store.save(store.current)
    assert not marker.exists()
    assert b"Variant" not in settings_path.read_bytes()


# --- key bindings that would swallow typing ---------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "why"),
    [
        ("A", "A types \u201ca\u201d while writing"),
        ("Shift+A", "types \u201ca\u201d while writing"),
        ("7", "types \u201c7\u201d"),
        (";", "types \u201c;\u201d"),
        ("Space", "types a space"),
        ("Return", "starts a new line"),
        ("Enter", "starts a new line"),
        ("Shift+Return", "starts a new line"),
        ("Backspace", "deletes text"),
        ("Del", "deletes text"),
        ("Left", "moves the cursor"),
        ("Shift+Down", "moves the cursor"),
    ],
)
def test_a_stored_typing_key_is_refused(settings_path: Path, stored: str, why: str) -> None:
    settings_path.write_bytes(_ini_line("keys/dismiss", b'"%s"' % stored.encode()))
    result = SettingsStore(QSettings(str(settings_path), QSettings.Format.IniFormat)).load()
    assert result.settings.key_bindings[Action.DISMISS] == DEFAULT_BINDINGS[Action.DISMISS]
    [warning] = result.warnings
    assert warning.startswith("Setting keys/dismiss: ")
    assert why in warning
    assert "a binding needs Ctrl, Alt or Meta" in warning


@pytest.mark.parametrize("stored", ["Ctrl+A", "Alt+7", "Meta+Space", "F5", "Ctrl+Left", "Insert"])
def test_keys_that_type_nothing_are_accepted(settings_path: Path, stored: str) -> None:
    settings_path.write_bytes(_ini_line("keys/dismiss", stored.encode()))
    result = SettingsStore(QSettings(str(settings_path), QSettings.Format.IniFormat)).load()
    assert result.warnings == ()
    assert result.settings.key_bindings[Action.DISMISS] == normalise_key(stored)


def test_with_continue_stored_as_a_letter_the_letter_still_types(
    start_app: Callable[..., Penwright], settings_path: Path, qtbot: QtBot
) -> None:
    settings_path.write_bytes(_ini_line("keys/continue", b"A"))
    app = start_app()
    editor = app.window.editor
    editor.setFocus()
    qtbot.keyClicks(editor, "a banana")
    assert editor.toPlainText() == "a banana"
    assert "keys/continue" in app.window.last_notice
    assert app.stored.settings.key_bindings[Action.CONTINUE] == "Ctrl+Return"
    qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert app.window.editor.toPlainText() == "a banana"  # Ctrl+Return asks, it types nothing


# --- CPU threads ----------------------------------------------------------------------------


def test_more_threads_than_cores_are_clamped_to_the_cores(settings_path: Path) -> None:
    settings_path.write_bytes(_ini_line("model/cpu_threads", b"1024"))
    store = SettingsStore(QSettings(str(settings_path), QSettings.Format.IniFormat))
    result = store.load()
    cores = machine_cores()
    assert result.settings.cpu_threads == cores
    assert result.warnings == (
        f"Setting model/cpu_threads: 1024 is more than the {cores} CPU cores of this machine;"
        f" using {cores} instead.",
    )
    # The clamped value is written back: the next start is quiet.
    assert (
        SettingsStore(QSettings(str(settings_path), QSettings.Format.IniFormat)).load().warnings
        == ()
    )


@pytest.mark.parametrize("threads", [0, 1])
def test_threads_within_the_cores_are_kept(settings_path: Path, threads: int) -> None:
    settings_path.write_bytes(_ini_line("model/cpu_threads", str(threads).encode()))
    result = SettingsStore(QSettings(str(settings_path), QSettings.Format.IniFormat)).load()
    assert (result.settings.cpu_threads, result.warnings) == (threads, ())


def test_machine_cores_are_the_cores_this_process_may_use() -> None:
    import os

    assert 1 <= machine_cores() <= (os.cpu_count() or 1)


# --- bounded text ---------------------------------------------------------------------------


def test_a_two_megabyte_font_family_is_refused_at_start_up(
    start_app: Callable[..., Penwright], settings_path: Path
) -> None:
    settings_path.write_bytes(_ini_line("editor/font_family", b"Serif" * 419_431))  # 2 MB
    app = start_app()
    warning = _warning_for(app, "editor/font_family")
    assert "it is 2,097,155 characters long, more than the 256 allowed" in warning
    assert len(warning) < 200  # the warning does not quote the value
    assert app.stored.settings.editor.font_family == ""
    assert app.window.isVisible()
    assert settings_path.stat().st_size < 10_000  # repaired on disk: the next start is quick


@pytest.mark.parametrize("value", [b"\\x1" * 700_000, b"@Serif" * 350_000])
def test_megabytes_of_escapes_are_removed_unchecked_with_a_warning(
    settings_path: Path, value: bytes
) -> None:
    """Decoding them to look for stored objects would take seconds; no setting needs so much."""
    settings_path.write_bytes(_ini_line("editor/font_family", value))
    result = SettingsStore(QSettings(str(settings_path), QSettings.Format.IniFormat)).load()
    [warning] = result.warnings
    assert warning.startswith(f"Setting editor/font_family: it is {len(value):,} bytes long")
    assert "too long to be checked for stored objects; it was removed" in warning
    assert result.settings.editor.font_family == ""
    assert settings_path.stat().st_size < 10_000


@pytest.mark.parametrize(
    ("key", "stored", "why"),
    [
        (
            "editor/font_family",
            "F" * (MAX_FONT_FAMILY_CHARS + 1),
            "257 characters long, more than the 256 allowed",
        ),
        (
            "model/source",
            "/m" * (MAX_PATH_CHARS // 2) + "x",
            "4,097 characters long, more than the 4,096 allowed",
        ),
        (
            "model/user_models",
            json.dumps([f"/models/{i}" for i in range(MAX_USER_MODELS + 1)]),
            "it lists 101 items, more than the 100 allowed",
        ),
        (
            "model/user_models",
            json.dumps(["/" + "m" * MAX_PATH_CHARS]),
            "an item is 4,097 characters long, more than the 4,096 allowed",
        ),
        (
            "generation/stop_strings",
            json.dumps([f"END{i}" for i in range(MAX_STOP_STRINGS + 1)]),
            "it lists 33 items, more than the 32 allowed",
        ),
        (
            "generation/stop_strings",
            json.dumps(["x" * 257]),
            "an item is 257 characters long, more than the 256 allowed",
        ),
        ("generation/top_k", "9" * 5000, "5,000 characters long, more than the 256 allowed"),
        ("keys/dismiss", "Ctrl+" * 20 + "G", "101 characters long, more than the 64 allowed"),
    ],
)
def test_oversized_text_is_refused_with_a_warning(
    settings_path: Path, key: str, stored: str, why: str
) -> None:
    qsettings = QSettings(str(settings_path), QSettings.Format.IniFormat)
    qsettings.setValue(key, stored)
    qsettings.sync()
    result = SettingsStore(QSettings(str(settings_path), QSettings.Format.IniFormat)).load()
    warning = result.warnings[0]
    assert warning.startswith(f"Setting {key}: ")
    assert why in warning
    assert "using the default" in warning
    assert len(warning) < 300


def test_text_at_its_bounds_is_kept(settings_path: Path) -> None:
    qsettings = QSettings(str(settings_path), QSettings.Format.IniFormat)
    qsettings.setValue("editor/font_family", "F" * MAX_FONT_FAMILY_CHARS)
    qsettings.setValue("model/user_models", json.dumps(["/m" * (MAX_PATH_CHARS // 2)]))
    qsettings.sync()
    result = SettingsStore(QSettings(str(settings_path), QSettings.Format.IniFormat)).load()
    assert result.warnings == ()
    assert len(result.settings.editor.font_family) == MAX_FONT_FAMILY_CHARS
    assert len(result.settings.user_models[0]) == MAX_PATH_CHARS


@pytest.mark.parametrize(
    ("stored", "why"),
    [
        ([f"/d/{i}.txt" for i in range(MAX_STORED_RECENT_FILES + 1)], "it lists 51 files"),
        (["/d/a.txt", "/" + "d" * MAX_PATH_CHARS], "a path is 4,097 characters long"),
    ],
)
def test_an_oversized_recent_files_list_is_refused_at_start_up(
    start_app: Callable[..., Penwright], settings_path: Path, stored: list[str], why: str
) -> None:
    qsettings = QSettings(str(settings_path), QSettings.Format.IniFormat)
    qsettings.setValue(RECENT_FILES_KEY, stored)
    qsettings.sync()
    app = start_app()
    warning = _warning_for(app, RECENT_FILES_KEY)
    assert why in warning
    assert "using the default (none)" in warning
    assert app.window.recent_files() == []


# --- the app's own settings file ------------------------------------------------------------


@pytest.fixture
def config_home(tmp_path: Path) -> Iterator[Path]:
    """~/.config moved under tmp_path, with the app's names, as main sets them."""
    home = tmp_path / "config"
    old_names = QCoreApplication.organizationName(), QCoreApplication.applicationName()
    default = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericConfigLocation)
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(home))
    QCoreApplication.setOrganizationName("Penwright")
    QCoreApplication.setApplicationName("Penwright")
    yield home
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, default)
    QCoreApplication.setOrganizationName(old_names[0])
    QCoreApplication.setApplicationName(old_names[1])


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="Linux keeps INI files natively")
def test_the_app_reads_its_linux_settings_file_and_no_fallback(
    config_home: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "created-by-pickle"
    # QSettings() would also read the organisation's file when the app's lacks a key.
    (config_home / "Penwright").mkdir(parents=True)
    (config_home / "Penwright.conf").write_bytes(
        _ini_line("editor/font_family", _live_payload(marker))
    )
    (config_home / "Penwright" / "Penwright.conf").write_bytes(_ini_line("editor/font_size", b"14"))

    qsettings = open_user_settings()

    assert qsettings.fileName() == str(config_home / "Penwright" / "Penwright.conf")
    assert qsettings.fileName() == QSettings().fileName()  # the file earlier versions wrote
    result = SettingsStore(qsettings).load()
    assert result.settings.editor.font_size == 14
    assert result.settings.editor.font_family == ""
    assert not marker.exists()


# --- the last session (open files, window geometry) -----------------------------------------


def test_the_last_session_round_trips_as_plain_text(settings_path: Path) -> None:
    qsettings = QSettings(str(settings_path), QSettings.Format.IniFormat)
    store = SettingsStore(qsettings)
    store.load()
    session = LastSession(("/a/one.txt", "/b/two.md"), "/b/two.md", "AdnQywADAAA=", "AAAA/w==")
    store.save_last_session(session)
    assert b"Variant" not in settings_path.read_bytes()
    again = SettingsStore(QSettings(str(settings_path), QSettings.Format.IniFormat))
    again.load()
    assert again.load_last_session() == (session, ())


def test_a_stored_object_as_window_geometry_is_never_unpickled(
    settings_path: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "created-by-pickle"
    settings_path.write_bytes(_ini_line("session/geometry", _live_payload(marker)))
    store = SettingsStore(QSettings(str(settings_path), QSettings.Format.IniFormat))
    warnings = store.load().warnings
    assert any(w.startswith("Setting session/geometry: it held a stored object") for w in warnings)
    assert store.load_last_session() == (LastSession(), ())
    assert not marker.exists()


@pytest.mark.parametrize(
    ("key", "stored"),
    [
        ("session/geometry", b"not base64!"),
        ("session/window_state", b"@ByteArray(AAAA)"),
        ("session/documents", b"/one/file.txt"),
    ],
)
def test_damaged_session_values_open_nothing_and_say_so(
    settings_path: Path, key: str, stored: bytes
) -> None:
    settings_path.write_bytes(_ini_line(key, stored))
    store = SettingsStore(QSettings(str(settings_path), QSettings.Format.IniFormat))
    store.load()
    session, warnings = store.load_last_session()
    assert session == LastSession()
    assert len(warnings) == 1 and warnings[0].startswith(f"Setting {key}:")
