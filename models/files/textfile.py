"""The writer's text files: one way to decode them, and to write them back as they were stored.

Reading detects the encoding from a byte-order mark (UTF-8 with BOM, UTF-16 LE/BE) and otherwise
insists on UTF-8; it refuses anything that is not text rather than guessing, because guessing
wrong and saving would corrupt the writer's file. The editor (app.documents) and the command line
(cli) both read through here, so a file opens the same way in either. Writing encodes in the
file's own format and goes through models.files.atomic, so a crash or a full disk mid-save leaves
the old file exactly as it was.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from penwright.models.files.atomic import write_atomically


class NotTextError(Exception):
    """The file is binary or cannot be decoded; nothing was loaded and nothing is written to it."""


class SaveError(Exception):
    """A save failed; the file on disk is unchanged (the write is atomic)."""


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
    return decode_text(Path(path).read_bytes(), path)


def decode_text(data: bytes, name: str | Path = "the text") -> tuple[str, TextFormat]:
    """read_text_file for bytes already in memory; ``name`` is what error messages call them."""
    encoding, body = _split_bom(data)
    if encoding == "utf-8" and b"\x00" in body:
        raise _binary(name)
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        label = "UTF-8" if encoding == "utf-8" else encoding.upper()
        raise NotTextError(
            f"{name} is not a {label} text file (undecodable byte at offset {exc.start}); "
            "it was not opened."
        ) from exc
    # NUL never appears in a text document. In UTF-16 the NUL *bytes* of ASCII are legitimate,
    # so there look for the decoded character instead.
    if "\x00" in text:
        raise _binary(name)
    if encoding == "utf-8" and data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    newline = _dominant_newline(text)
    return text.replace("\r\n", "\n").replace("\r", "\n"), TextFormat(encoding, newline)


def encode_text(text: str, fmt: TextFormat = TextFormat()) -> bytes:
    """The bytes of ``text`` (with "\\n" newlines) stored in ``fmt``; raises ValueError saying
    why it cannot be (unknown encoding or line ending, a character the encoding lacks)."""
    if fmt.newline not in _NEWLINES:
        raise ValueError(f"unknown line ending {fmt.newline!r}")
    try:
        body = text.replace("\n", fmt.newline).encode(fmt.encoding)
    except LookupError:
        raise ValueError(f"unknown encoding {fmt.encoding!r}") from None
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"character {exc.object[exc.start]!r} at position {exc.start} "
            f"cannot be written as {fmt.encoding}"
        ) from None
    return _BOM_OF_ENCODING.get(fmt.encoding, b"") + body


def write_text_file(path: str | Path, text: str, fmt: TextFormat = TextFormat()) -> None:
    """Write atomically in fmt; raise SaveError and leave the old file intact on failure."""
    try:
        data = encode_text(text, fmt)
    except ValueError as exc:
        raise SaveError(f"Could not save {path}: {exc}.") from exc
    try:
        write_atomically(path, data)
    except OSError as exc:
        raise SaveError(f"Could not save {path}: {exc.strerror or exc}.") from exc


def _binary(name: str | Path) -> NotTextError:
    return NotTextError(f"{name} looks like a binary file (it contains NUL bytes); not opened.")


def _split_bom(data: bytes) -> tuple[str, bytes]:
    """The encoding a byte-order mark announces, and the bytes after the mark (UTF-8 if none)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8", data[len(codecs.BOM_UTF8) :]
    # A UTF-32 LE mark starts with the UTF-16 LE one; decoding it as UTF-16 yields NULs, which
    # decode_text then refuses as binary instead of showing garbage.
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
