"""Decoding a file's bytes into the editor's text a piece at a time.

A large file is read and decoded on a worker thread while the GUI thread keeps running, but both
need Python's GIL, and one ``bytes.decode`` or ``str.replace`` over 100 MB holds it for
50-90 ms: the window stalls that long, threads or not. Working through 1 MB pieces (an
incremental decoder, the line-break counts and the normalisation to "\\n" per piece) gives the
GIL back between pieces; only the final join of the pieces is one call over the whole text.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from penwright.models.files.line_endings import (
    LineEndings,
    count_newlines,
    dominant_newline,
    record_line_endings,
)

PIECE_BYTES = 1024 * 1024


class NulCharacterError(ValueError):
    """The decoded text holds a NUL character: binary, not text."""


@dataclass(frozen=True)
class DecodedText:
    text: str  # line breaks normalised to "\n"
    newline: str  # the dominant ending
    line_endings: LineEndings | None  # each line's own, for a file that mixes them


def decode_in_pieces(body: bytes, codec: str) -> DecodedText:
    """Decode ``body`` strictly; raise UnicodeDecodeError (``start`` counted from the start of
    ``body``) or NulCharacterError."""
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    counts = {"\n": 0, "\r\n": 0, "\r": 0}
    normalised: list[str] = []
    raw: list[str] = []  # the same objects as normalised, except for pieces with a CR in them
    carry = ""  # a piece's last "\r" waits for the next piece: it may be half of a CRLF
    length = len(body)
    for start in range(0, max(length, 1), PIECE_BYTES):
        chunk = body[start : start + PIECE_BYTES]
        final = start + PIECE_BYTES >= length
        try:
            piece = carry + decoder.decode(chunk, final)
        except UnicodeDecodeError as exc:
            buffered = len(exc.object) - len(chunk)  # bytes the decoder held from before
            exc.start += start - buffered
            exc.end += start - buffered
            raise
        carry = ""
        if not final and piece.endswith("\r"):
            carry, piece = "\r", piece[:-1]
        if "\x00" in piece:
            raise NulCharacterError("the text contains NUL characters")
        piece_counts = count_newlines(piece)
        for newline, count in piece_counts.items():
            counts[newline] += count
        raw.append(piece)
        if piece_counts["\r\n"] or piece_counts["\r"]:
            piece = piece.replace("\r\n", "\n").replace("\r", "\n")
        normalised.append(piece)
    kinds = sum(1 for count in counts.values() if count)
    record = record_line_endings("".join(raw), counts) if kinds > 1 else None
    return DecodedText("".join(normalised), dominant_newline(counts), record)
