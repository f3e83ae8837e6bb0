"""Settings values read so that nothing stored can run code: only text comes out.

Before QSettings parses a settings file, ``defuse`` reads the file as text (``qt_ini``) and removes
every entry that QSettings would deserialize through QDataStream (``@Variant(...)``,
``@DateTime(...)``): PySide6 unpickles ``PyObjectWrapper`` values found there, so a crafted value
ran code, and an empty or truncated one raised EOFError, at start-up. Removing them from the file
matters because QSettings parses a whole section to read one key, and every section to write.
Then ``plain_value`` hands out a value only when it is a string (or a list of strings).

Only INI files can be read this way: the app keeps its settings in one (``open_user_settings``).
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLockFile, QSettings

from penwright.app.settings.qt_ini import IniEntry, read_entries

logger = logging.getLogger(__name__)

_DESERIALIZED = ("@Variant(", "@DateTime(")
"""The markers QSettings decodes with QDataStream, where PySide6's pickle.loads is reached."""

_RAW_MARKERS = (b"Variant(", b"DateTime(")
"""The same markers in the undecoded line: belt and braces should decoding ever differ from Qt's."""

_MAX_DECODED_BYTES = 256 * 1024
"""A value with escapes or '@' longer than this is removed rather than decoded to be checked: no
setting needs so much, and decoding megabytes of escapes would slow the start by seconds."""

_CHECKED_PROPERTY = "penwright_plain_values_checked"
"""A dynamic property on a QSettings whose file defuse has cleaned (True) or could not (False)."""

_LOCK_TIMEOUT_MS = 5_000


@dataclass(frozen=True)
class NotPlain:
    """A stored value that is not text: what it is, for the writer's warning."""

    kind: str


@dataclass(frozen=True)
class Defused:
    """What defuse found: the keys it removed with the reason for each, and why it could not
    clean the file (or None)."""

    removed: Mapping[str, str] = field(default_factory=dict)
    failure: str | None = None


REMOVED_REASON = "it held a stored object (@Variant), which could run code; it was removed"


def settings_file(qsettings: QSettings) -> Path | None:
    """The INI file behind qsettings, or None for a registry or property-list store."""
    native_is_ini = sys.platform not in ("win32", "darwin")
    is_ini = qsettings.format() == QSettings.Format.IniFormat or (
        qsettings.format() == QSettings.Format.NativeFormat and native_is_ini
    )
    return Path(qsettings.fileName()) if is_ini else None


def open_user_settings() -> QSettings:
    """The writer's settings, as one INI file QSettings reads without fallbacks.

    On Linux that is the file QSettings() uses (~/.config/<org>/<app>.conf); on Windows and macOS,
    whose native stores cannot be read as text, the INI file of the user scope.
    """
    native_is_ini = sys.platform not in ("win32", "darwin")
    fmt = QSettings.Format.NativeFormat if native_is_ini else QSettings.Format.IniFormat
    app = QCoreApplication
    # Only the file name is taken from this one; it reads the files but parses no value.
    located = QSettings(
        fmt, QSettings.Scope.UserScope, app.organizationName(), app.applicationName()
    )
    return QSettings(located.fileName(), QSettings.Format.IniFormat)


def _removal_reason(entry: IniEntry) -> str | None:
    """Why entry must leave the file before QSettings parses it, or None when it may stay."""
    raw = entry.raw_value
    if any(marker in raw for marker in _RAW_MARKERS):
        return REMOVED_REASON
    if b"@" not in raw and b"\\" not in raw:
        return None  # no '@' can come out of it: the common case, and a 2 MB value stays fast
    if len(raw) > _MAX_DECODED_BYTES:
        return (
            f"it is {len(raw):,} bytes long with escapes or '@' in it, too long to be checked"
            " for stored objects; it was removed"
        )
    if any(marker in text for text in entry.strings() for marker in _DESERIALIZED):
        return REMOVED_REASON
    return None


def defuse(qsettings: QSettings) -> Defused:
    """Remove every value QSettings would deserialize from qsettings' file, then let it re-read.

    Call before anything reads qsettings. Fallback files (the organisation's, the system's) are
    switched off: only the file cleaned here is read.
    """
    qsettings.setFallbacksEnabled(False)
    path = settings_file(qsettings)
    if path is None:
        why = f"{qsettings.fileName()} is not an INI file, so its values cannot be checked"
        qsettings.setProperty(_CHECKED_PROPERTY, False)
        return Defused(failure=why)
    lock = QLockFile(f"{path}.lock")  # the lock QSettings itself takes to write the file
    locked = lock.tryLock(_LOCK_TIMEOUT_MS)
    try:
        removed = _clean(path)
    except OSError as error:
        logger.warning("settings file %s cannot be cleaned: %s", path, error)
        qsettings.setProperty(_CHECKED_PROPERTY, False)
        return Defused(failure=f"{path} cannot be repaired ({error.strerror or error})")
    finally:
        if locked:
            lock.unlock()
    if removed:
        logger.warning("removed unsafe values from %s: %s", path, ", ".join(removed))
        # The file is shorter now, so QSettings sees it changed and reads it again.
        qsettings.sync()
    qsettings.setProperty(_CHECKED_PROPERTY, True)
    return Defused(removed=removed)


def _clean(path: Path) -> dict[str, str]:
    """Remove the unsafe entries from the file at path; their keys, each with the reason."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    bad = [(entry, why) for entry in read_entries(data) if (why := _removal_reason(entry))]
    if not bad:
        return {}
    kept, pos = bytearray(), 0
    for entry, _why in bad:
        kept += data[pos : entry.start]
        pos = entry.end
    kept += data[pos:]
    _replace_file(path.resolve(), bytes(kept))  # a linked settings file stays linked
    return {entry.key: why for entry, why in bad}


def _replace_file(path: Path, data: bytes) -> None:
    """Write data over path atomically, keeping its permissions."""
    mode = path.stat().st_mode & 0o7777
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def writable(qsettings: QSettings) -> bool:
    """Whether QSettings may parse qsettings' file to write it: defuse cleaned it (now, if
    nothing checked it yet)."""
    checked = qsettings.property(_CHECKED_PROPERTY)
    if checked is None:
        checked = defuse(qsettings).failure is None
    return bool(checked)


def plain_value(qsettings: QSettings, key: str) -> str | tuple[str, ...] | NotPlain | None:
    """The stored text of key: a string, a tuple of strings (a list), NotPlain, or None if unset.

    A file defuse has not checked yet is checked first; one it could not clean is not read.
    """
    if not writable(qsettings):
        return None
    value = qsettings.value(key)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):  # set in this session and not read back from the file yet
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return NotPlain(type(value).__name__)
