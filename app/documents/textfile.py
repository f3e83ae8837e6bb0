"""Reading and writing the writer's text files: encoding and line endings kept, saves atomic.

Reading detects the encoding from a byte-order mark (UTF-8 with BOM, UTF-16 LE/BE) and otherwise
insists on UTF-8; it refuses anything that is not text rather than guessing, because guessing
wrong and saving would corrupt the writer's file. Writing goes through QSaveFile, which writes a
temporary file beside the target and renames it over the original only once everything is on
disk, so a crash or a full disk mid-save leaves the old file exactly as it was.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QIODevice, QSaveFile


class NotTextError(Exception):
    """The file is binary or cannot be decoded; nothing was loaded and nothing is written to it."""


class SaveError(Exception):
    """A save failed; the file on disk is unchanged (QSaveFile commits atomically)."""


@dataclass(frozen=True)
class TextFormat:
    """How a file was stored, so it is written back the same way."""

    encoding: str = "utf-8"  # "utf-8", "utf-8-sig" (BOM), "utf-16-le", "utf-16-be" (with BOM)
    newline: str = "\n"  # "\n", "\r\n" or "\r"


# The BOM to write in front of each encoding; "utf-8-sig" writes its own BOM when encoding.
_BOM_OF_ENCODING = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}
_NEWLINES = ("\n", "\r\n", "\r")


def read_text_file(path: str | Path) -> tuple[str, TextFormat]:
    """Return the text with newlines normalised to "\\n", and the format to write it back in.

    Raises NotTextError (binary or undecodable content) or OSError (cannot be read at all).
    """
    data = Path(path).read_bytes()
    encoding, body = _split_bom(data)
    if encoding == "utf-8" and b"\x00" in body:
        raise _binary(path)
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        name = "UTF-8" if encoding == "utf-8" else encoding.upper()
        raise NotTextError(
            f"{path} is not a {name} text file (undecodable byte at offset {exc.start}); "
            "it was not opened."
        ) from exc
    # NUL never appears in a text document. In UTF-16 the NUL *bytes* of ASCII are legitimate,
    # so there look for the decoded character instead.
    if "\x00" in text:
        raise _binary(path)
    if encoding == "utf-8" and data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    newline = _dominant_newline(text)
    return text.replace("\r\n", "\n").replace("\r", "\n"), TextFormat(encoding, newline)


def write_text_file(path: str | Path, text: str, fmt: TextFormat = TextFormat()) -> None:
    """Write atomically in fmt; raise SaveError and leave the old file intact on failure."""
    if fmt.newline not in _NEWLINES:
        raise SaveError(f"Could not save {path}: unknown line ending {fmt.newline!r}.")
    try:
        data = _BOM_OF_ENCODING.get(fmt.encoding, b"") + text.replace("\n", fmt.newline).encode(
            fmt.encoding
        )
    except LookupError as exc:
        raise SaveError(f"Could not save {path}: unknown encoding {fmt.encoding!r}.") from exc
    except UnicodeEncodeError as exc:
        raise SaveError(
            f"Could not save {path}: character {exc.object[exc.start]!r} at position {exc.start} "
            f"cannot be written as {fmt.encoding}."
        ) from exc
    _write_atomically(Path(path), data)


def _binary(path: str | Path) -> NotTextError:
    return NotTextError(f"{path} looks like a binary file (it contains NUL bytes); not opened.")


def _split_bom(data: bytes) -> tuple[str, bytes]:
    """The encoding a byte-order mark announces, and the bytes after the mark (UTF-8 if none)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8", data[len(codecs.BOM_UTF8) :]
    # A UTF-32 LE mark starts with the UTF-16 LE one; decoding it as UTF-16 yields NULs, which
    # read_text_file then refuses as binary instead of showing garbage.
    if data.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", data[len(codecs.BOM_UTF16_LE) :]
    if data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", data[len(codecs.BOM_UTF16_BE) :]
    return "utf-8", data


def _dominant_newline(text: str) -> str:
    """The most frequent line ending, so a mixed file is written back in its main convention."""
    crlf = text.count("\r\n")
    counts = {"\n": text.count("\n") - crlf, "\r\n": crlf, "\r": text.count("\r") - crlf}
    best = max(_NEWLINES, key=lambda newline: counts[newline])  # ties keep the earlier, "\n"
    return best if counts[best] > 0 else "\n"


def _write_atomically(path: Path, data: bytes) -> None:
    save_file = QSaveFile(str(path))
    if not save_file.open(QIODevice.OpenModeFlag.WriteOnly):
        raise SaveError(f"Could not save {path}: {save_file.errorString()}")
    written = save_file.write(data)
    if written != len(data):
        reason = save_file.errorString()
        save_file.cancelWriting()
        save_file.commit()  # after cancelWriting this only removes the temporary file
        raise SaveError(f"Could not save {path}: {reason or 'the data could not be written'}")
    if not save_file.commit():
        raise SaveError(f"Could not save {path}: {save_file.errorString()}")
