"""Reading and writing the writer's text files: encoding and line endings kept, saves atomic.

STUB: the API is fixed; the implementation is being written (issue 5).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class NotTextError(Exception):
    """The file is binary or cannot be decoded; nothing was loaded and nothing is written to it."""


class SaveError(Exception):
    """A save failed; the file on disk is unchanged (QSaveFile commits atomically)."""


@dataclass(frozen=True)
class TextFormat:
    """How a file was stored, so it is written back the same way."""

    encoding: str = "utf-8"  # "utf-8", "utf-8-sig" (BOM), "utf-16-le", "utf-16-be" (with BOM)
    newline: str = "\n"  # "\n", "\r\n" or "\r"


def read_text_file(path: str | Path) -> tuple[str, TextFormat]:
    """Return the text with newlines normalised to "\\n", and the format to write it back in."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotTextError(f"{path} is not a UTF-8 text file") from exc
    newline = "\r\n" if "\r\n" in text else "\n"
    return text.replace("\r\n", "\n"), TextFormat("utf-8", newline)


def write_text_file(path: str | Path, text: str, fmt: TextFormat = TextFormat()) -> None:
    """Write atomically in fmt; raise SaveError and leave the old file intact on failure."""
    try:
        Path(path).write_bytes(text.replace("\n", fmt.newline).encode(fmt.encoding))
    except OSError as exc:
        raise SaveError(f"Could not save {path}: {exc.strerror}") from exc
