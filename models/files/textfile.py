"""The writer's text files: one way to decode them, and to write them back as they were stored.

Reading detects the encoding from a byte-order mark (UTF-8 with BOM, UTF-16 LE/BE) and otherwise
insists on UTF-8; it refuses anything that is not text rather than guessing, because guessing
wrong and saving would corrupt the writer's file. A refusal carries what the file probably is
(models.files.encoding_guess) so the writer can choose to open it in that encoding ("Open As…").
Only regular files are read: a named pipe would block forever and /dev/zero never ends, so both
are refused from their file type before a byte is read, and no file is read past
MAX_TEXT_BYTES. The editor (app.documents) and the command line (cli) both read through here, so
a file opens the same way in either. Writing encodes in the file's own format, each line with
the ending it had (models.files.line_endings), and goes through models.files.atomic, so a crash
or a full disk mid-save leaves the old file exactly as it was.
"""

from __future__ import annotations

import codecs
import errno
import os
import shutil
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from penwright.models.files.atomic import write_atomically
from penwright.models.files.encoding_guess import describe_encoding, guess_encoding
from penwright.models.files.line_endings import (
    NEWLINES,
    LineEndings,
    count_newlines,
    record_line_endings,
    restore_line_endings,
)
from penwright.models.files.text_decoding import DecodedText, NulCharacterError, decode_in_pieces

MAX_TEXT_BYTES = 1024**3  # a text document larger than 1 GiB is not something to edit here
_READ_CHUNK_BYTES = 4 * 1024 * 1024  # progress and cancel are checked between chunks

Progress = Callable[[int, int], None]  # (bytes read so far, bytes expected)


class NotTextError(Exception):
    """The file is binary or cannot be decoded; nothing was loaded and nothing is written to it.

    ``guess`` is a Python codec name the file probably is in (offered as "Open As…"), or None.
    """

    def __init__(self, message: str, guess: str | None = None) -> None:
        super().__init__(message)
        self.guess = guess


class SpecialFileError(NotTextError):
    """Not a regular file (a folder, a named pipe, a device, a socket): nothing was read."""


class ReadCancelled(Exception):
    """The caller's ``cancelled`` event was set while reading; nothing was loaded."""


class SaveError(Exception):
    """A save failed; the file on disk is unchanged (the write is atomic)."""


@dataclass(frozen=True)
class TextFormat:
    """How a file was stored, so it is written back the same way."""

    encoding: str = "utf-8"  # "utf-8", "utf-8-sig" (BOM), "utf-16-le", "utf-16-be", or a codec
    newline: str = "\n"  # "\n", "\r\n" or "\r": the file's dominant ending, given to new lines
    bom: bool = True  # UTF-16: write the byte-order mark (False for a file that had none)
    # A file with mixed endings: each line's own (not part of equality: it is how, not what).
    line_endings: LineEndings | None = field(default=None, compare=False, repr=False)


# The BOM to write in front of each encoding; "utf-8-sig" writes its own BOM when encoding.
_BOM_OF_ENCODING = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}
_KIND_OF_MODE = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a block device"),
)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # POSIX: opening a FIFO must not wait for a writer
_O_BINARY = getattr(os, "O_BINARY", 0)


def read_text_file(
    path: str | Path,
    *,
    encoding: str | None = None,
    progress: Progress | None = None,
    cancelled: threading.Event | None = None,
) -> tuple[str, TextFormat]:
    """Return the text with newlines normalised to "\\n", and the format to write it back in.

    ``encoding`` forces a codec (the writer chose "Open As…"); otherwise it is detected.
    ``progress`` is called after every chunk read; setting ``cancelled`` stops the read.
    Raises NotTextError (binary, undecodable, too large, or SpecialFileError: not a regular
    file), ReadCancelled, or OSError (cannot be read at all).
    """
    data = read_file_bytes(path, progress=progress, cancelled=cancelled)
    return decode_text(data, path, encoding=encoding)


def check_regular_file(path: str | Path) -> int:
    """The size of ``path`` if it is a regular file (symbolic links followed); raise
    SpecialFileError naming what it is otherwise, NotTextError above MAX_TEXT_BYTES, OSError
    when it cannot be looked at."""
    return _checked_size(path, os.stat(path))


def read_file_bytes(
    path: str | Path,
    *,
    progress: Progress | None = None,
    cancelled: threading.Event | None = None,
) -> bytes:
    """The bytes of a regular file, read in chunks; see read_text_file for the errors."""
    check_regular_file(path)
    # Non-blocking, so a file swapped for a FIFO after the check cannot hang us here either;
    # the type is checked again on what was actually opened.
    descriptor = os.open(path, os.O_RDONLY | _O_NONBLOCK | _O_BINARY)
    try:
        expected = _checked_size(path, os.fstat(descriptor))
        chunks: list[bytes] = []
        done = 0
        while True:
            if cancelled is not None and cancelled.is_set():
                raise ReadCancelled(f"reading {path} was cancelled")
            chunk = os.read(descriptor, _READ_CHUNK_BYTES)
            if not chunk:
                break
            chunks.append(chunk)
            done += len(chunk)
            if done > MAX_TEXT_BYTES:  # it grew while being read
                raise _too_large(path, done)
            if progress is not None:
                progress(done, max(expected, done))
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def decode_text(
    data: bytes, name: str | Path = "the text", *, encoding: str | None = None
) -> tuple[str, TextFormat]:
    """read_text_file for bytes already in memory; ``name`` is what error messages call them."""
    if encoding is not None:
        return _decode_as(data, name, encoding)
    detected, body = _split_bom(data)
    if detected == "utf-8" and b"\x00" in body:
        raise _binary_or_guess(data, name)
    try:
        # NUL never appears in a text document. In UTF-16 the NUL *bytes* of ASCII are
        # legitimate, so there the decoded character is looked for instead.
        decoded = decode_in_pieces(body, detected)
    except NulCharacterError:
        raise _binary(name) from None
    except UnicodeDecodeError as exc:
        if detected != "utf-8":
            raise NotTextError(
                f"{name} is not a {detected.upper()} text file (undecodable byte at offset "
                f"{exc.start}); it was not opened."
            ) from exc
        raise _not_utf8(data, name, exc.start) from exc
    if detected == "utf-8" and data.startswith(codecs.BOM_UTF8):
        detected = "utf-8-sig"
    return _formatted(decoded, detected, bom=True)


def encode_text(text: str, fmt: TextFormat = TextFormat()) -> bytes:
    """The bytes of ``text`` (with "\\n" newlines) stored in ``fmt``; raises ValueError saying
    why it cannot be (unknown encoding or line ending, a character the encoding lacks)."""
    return _encoded(_with_endings(text, fmt), fmt)


def _encoded(with_endings: str, fmt: TextFormat) -> bytes:
    try:
        body = with_endings.encode(fmt.encoding)
    except LookupError:
        raise ValueError(f"unknown encoding {fmt.encoding!r}") from None
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"character {exc.object[exc.start]!r} at position {exc.start} "
            f"cannot be written as {fmt.encoding}"
        ) from None
    bom = _BOM_OF_ENCODING.get(fmt.encoding, b"") if fmt.bom else b""
    return bom + body if bom else body  # no copy of a large body without a mark


def write_text_file(path: str | Path, text: str, fmt: TextFormat = TextFormat()) -> TextFormat:
    """Write atomically in fmt; raise SaveError and leave the old file intact on failure.

    Returns the format the file now has (for a mixed file, the record of its new lines'
    endings), to use for the next save.
    """
    try:
        with_endings = _with_endings(text, fmt)
        data = _encoded(with_endings, fmt)
    except ValueError as exc:
        raise SaveError(f"Could not save {path}: {exc}.") from exc
    try:
        write_atomically(path, data)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            raise SaveError(_disk_full_message(path, len(data), exc)) from exc
        raise SaveError(f"Could not save {path}: {exc.strerror or exc}.") from exc
    if fmt.line_endings is None:
        return fmt
    return replace(
        fmt, line_endings=record_line_endings(with_endings, count_newlines(with_endings))
    )


def _with_endings(text: str, fmt: TextFormat) -> str:
    if fmt.newline not in NEWLINES:
        raise ValueError(f"unknown line ending {fmt.newline!r}")
    if fmt.line_endings is not None:
        return restore_line_endings(text, fmt.line_endings, fmt.newline)
    return text.replace("\n", fmt.newline) if fmt.newline != "\n" else text


def _formatted(decoded: DecodedText, encoding: str, *, bom: bool) -> tuple[str, TextFormat]:
    bom = bom or encoding not in _BOM_OF_ENCODING  # only UTF-16 formats differ by their mark
    return decoded.text, TextFormat(encoding, decoded.newline, bom, decoded.line_endings)


def _decode_as(data: bytes, name: str | Path, encoding: str) -> tuple[str, TextFormat]:
    """Decode in the codec the writer chose; a matching byte-order mark is kept as it was."""
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise NotTextError(f"{encoding!r} is not an encoding Penwright knows.") from None
    detected, body = _split_bom(data)
    if codec in ("utf-8", "utf-8-sig"):
        has_bom = data.startswith(codecs.BOM_UTF8)
        codec = "utf-8-sig" if has_bom else "utf-8"
    else:
        has_bom = codec == detected  # a UTF-16 mark that matches the chosen byte order
    if not has_bom:
        body = data
    try:
        decoded = decode_in_pieces(body, "utf-8" if codec == "utf-8-sig" else codec)
    except NulCharacterError:
        raise _binary(name) from None
    except UnicodeDecodeError as exc:
        raise NotTextError(
            f"{name} is not {describe_encoding(codec)} text (undecodable byte at offset "
            f"{exc.start}); it was not opened."
        ) from exc
    return _formatted(decoded, codec, bom=has_bom)


def _checked_size(path: str | Path, status: os.stat_result) -> int:
    if not stat.S_ISREG(status.st_mode):
        kind = next((k for test, k in _KIND_OF_MODE if test(status.st_mode)), "not a file")
        raise SpecialFileError(
            f"{path} is {kind}, not a regular file; only text files can be opened."
        )
    if status.st_size > MAX_TEXT_BYTES:
        raise _too_large(path, status.st_size)
    return status.st_size


def _too_large(path: str | Path, size: int) -> NotTextError:
    return NotTextError(
        f"{path} is {describe_size(size)}; Penwright opens text files up to "
        f"{describe_size(MAX_TEXT_BYTES)}. It was not opened."
    )


def _disk_full_message(path: str | Path, needed: int, exc: OSError) -> str:
    folder = Path(os.path.realpath(path)).parent
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return f"Could not save {path}: the disk is full ({exc.strerror}). Nothing was changed."
    quota = exc.errno != errno.ENOSPC
    cause = "your disk quota is used up" if quota else "the disk is full"
    return (
        f"Could not save {path}: {cause}. Saving needs {describe_size(needed)} free on "
        f"{folder}, and {describe_size(free)} is free; free at least "
        f"{describe_size(max(needed - free, 1))} or save elsewhere with Save As. "
        "The file on disk is unchanged."
    )


def describe_size(size: int) -> str:
    """A size as the writer reads it: "870 bytes", "13 KB", "1.8 MB", "1.2 GB"."""
    if size < 1024 * 1024:
        return f"{max(size, 1) / 1024:.0f} KB" if size >= 1024 else f"{size} bytes"
    if size < 1024**3:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{size / 1024**3:.1f} GB"


def _binary(name: str | Path) -> NotTextError:
    return NotTextError(f"{name} looks like a binary file (it contains NUL bytes); not opened.")


def _binary_or_guess(data: bytes, name: str | Path) -> NotTextError:
    guess = guess_encoding(data)
    if guess is None:
        return _binary(name)
    label = describe_encoding(guess)
    return NotTextError(
        f"{name} is not UTF-8: it is probably {label} text without a byte-order mark. "
        f"Open As… can open it as {label}.",
        guess,
    )


def _not_utf8(data: bytes, name: str | Path, offset: int) -> NotTextError:
    message = f"{name} is not a UTF-8 text file (undecodable byte at offset {offset})"
    guess = guess_encoding(data)
    if guess is None:
        return NotTextError(f"{message}; it was not opened.")
    label = describe_encoding(guess)
    return NotTextError(
        f"{message}; it may be {label} text (a guess). Open As… can open it in another encoding.",
        guess,
    )


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
