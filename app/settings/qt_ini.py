"""Qt's INI settings format read as text, without turning any value into an object.

QSettings decodes a value such as ``@Variant(...)`` through QDataStream, and PySide6 registers a
stream operator for ``PySide::PyObjectWrapper`` that calls ``pickle.loads``: reading such a value,
or any other value of its section, or writing the file (which parses every section), runs
whatever the pickle says. This module reads the same file the way Qt does (a port of
``readIniLine``, ``readIniFile``, ``iniUnescapedKey`` and ``iniUnescapedStringList`` in Qt 6's
qsettings.cpp) but only ever produces strings, so the caller can see which entries Qt would
deserialize before Qt ever parses them.

Each entry keeps its byte span in the file, so a caller can remove an entry and leave every
other byte as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPACE = b" \t\n\r"
_SPECIAL = re.compile(rb'[\n\r";=]')
"""The characters readIniLine acts on, unless escaped: line ends, quotes, comments and '='."""

_BOM = b"\xef\xbb\xbf"

_VALUE_TOKEN = re.compile(
    rb'\\(?:x([0-9A-Fa-f]*)|([0-7]+)|(\r\n?|\n\r?)|(.)?)|(")|(,)|[^\\",]+', re.S
)
"""One step of iniUnescapedStringList: an escape, a quote, a list comma or a run of plain text."""

_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    '"': '"',
    "?": "?",
    "'": "'",
    "\\": "\\",
}

_KEY_ESCAPE = re.compile(r"\\|%U([0-9A-Fa-f]{4})|%([0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class IniEntry:
    """One ``key=value`` line: its full key (section/key), the raw value and its span."""

    key: str
    raw_value: bytes
    start: int  # byte offset of the line in the file
    end: int  # byte offset just past the line

    def strings(self) -> tuple[str, ...]:
        """The value as Qt's unescaping gives it: one string, or each item of a list."""
        return unescaped_value(self.raw_value)


def read_entries(data: bytes) -> list[IniEntry]:
    """Every entry of an INI file, in file order (a later duplicate overrides, as in Qt)."""
    offset = len(_BOM) if data.startswith(_BOM) else 0
    entries: list[IniEntry] = []
    section = ""
    for start, end, equals in _lines(data, offset):
        line = data[start:end]
        if line.startswith(b"["):
            section = _section_prefix(line)
            continue
        if equals == -1:
            continue  # a comment, or a line Qt ignores as a format error
        key = _unescaped_key(data[start:equals].strip())
        entries.append(IniEntry(section + key, data[equals + 1 : end], start, end))
    return entries


def _lines(data: bytes, pos: int) -> list[tuple[int, int, int]]:
    """(start, end, equals position or -1) of each logical line, as readIniLine splits them."""
    lines: list[tuple[int, int, int]] = []
    size = len(data)
    while True:
        start = pos
        while start < size and data[start] in _SPACE:
            start += 1
        equals = -1
        in_quotes = False
        i = start
        while i < size:
            found = _SPECIAL.search(data, i)
            while found is not None and _escaped(data, found.start()):
                found = _SPECIAL.search(data, found.start() + 1)
            if found is None:
                i = size
                break
            ch = data[found.start()]
            i = found.start() + 1
            if ch == ord("="):
                if not in_quotes and equals == -1:
                    equals = i - 1
            elif ch in b"\n\r":
                if i == start + 1:
                    start += 1
                elif not in_quotes:
                    i -= 1
                    break
            elif ch == ord('"'):
                in_quotes = not in_quotes
            else:  # ';'
                if i == start + 1:  # a comment line: skip it and the blanks after it
                    while i < size and data[i] not in b"\n\r":
                        i += 1
                    while i < size and data[i] in _SPACE:
                        i += 1
                    start = i
                elif not in_quotes:
                    i -= 1
                    break
        pos = i
        if i - start <= 0:
            return lines
        lines.append((start, i, equals))


def _escaped(data: bytes, pos: int) -> bool:
    """Whether readIniLine passes over data[pos] as escaped: a backslash escapes the next byte,
    and a line end escaped that way takes its partner (\\r\\n or \\n\\r) along."""
    if _odd_backslashes_before(data, pos):
        return True
    if pos < 1 or data[pos - 1 : pos + 1] not in (b"\r\n", b"\n\r"):
        return False
    return _odd_backslashes_before(data, pos - 1)


def _odd_backslashes_before(data: bytes, pos: int) -> bool:
    start = pos
    while start > 0 and data[start - 1] == ord("\\"):
        start -= 1
    return (pos - start) % 2 == 1


def _section_prefix(line: bytes) -> str:
    close = line.find(b"]")
    name = line[1 : close if close >= 0 else len(line)].strip()
    if name.lower() == b"general":
        return ""
    if name.lower() == b"%general":
        return name[1:].decode("latin-1") + "/"
    return _unescaped_key(name) + "/"


def _unescaped_key(raw: bytes) -> str:
    """iniUnescapedKey: '\\' is '/', %XX and %UXXXX are characters."""

    def replace(found: re.Match[str]) -> str:
        if found.group(0) == "\\":
            return "/"
        return chr(int(found.group(1) or found.group(2), 16))

    return _KEY_ESCAPE.sub(replace, raw.decode("utf-8", errors="replace"))


def unescaped_value(raw: bytes) -> tuple[str, ...]:
    """iniUnescapedStringList: the value's one string, or the items of its list."""
    items: list[str] = []
    current: list[str] = []
    in_quotes = False
    is_list = False
    pos = 0
    raw = raw.lstrip(b" \t")
    while pos < len(raw):
        token = _VALUE_TOKEN.match(raw, pos)
        assert token is not None  # the pattern matches any byte
        pos = token.end()
        hex_digits, octal, _line_end, other = token.group(1, 2, 3, 4)
        if token.group(0).startswith(b"\\"):
            if hex_digits is not None:
                if hex_digits:
                    current.append(chr(int(hex_digits, 16) & 0xFFFF))
            elif octal is not None:
                current.append(chr(int(octal, 8) & 0xFFFF))
            elif other is not None and chr(other[0]) in _ESCAPES:
                current.append(_ESCAPES[chr(other[0])])
            # an escaped line end continues the value; any other escaped character is skipped
        elif token.group(5) is not None:
            in_quotes = not in_quotes
            if not in_quotes:
                while pos < len(raw) and raw[pos] in b" \t":
                    pos += 1
        elif token.group(6) is not None and not in_quotes:
            is_list = True
            items.append("".join(current).rstrip(" \t"))
            current = []
            while pos < len(raw) and raw[pos] in b" \t":
                pos += 1
        else:
            current.append(token.group(0).decode("utf-8", errors="replace"))
    last = "".join(current)
    if not is_list:
        return (last.rstrip(" \t"),)
    return (*items, last.rstrip(" \t"))
