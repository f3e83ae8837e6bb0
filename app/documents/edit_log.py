"""The append-only edit log of one buffer: small records, replayed onto a snapshot at recovery.

Autosaving a large document by rewriting it costs the GUI thread the whole document each time;
appending what changed costs only the change. A record says "at position P, remove R units,
insert this text". Positions and counts are in UTF-16 code units, as QTextDocument reports
them (an emoji counts two), so replay works on UTF-16-LE bytes and never has to count code
points.

Each record carries its own length and a CRC-32, so a record cut short by a crash (or garbage
after it) ends the replay there: what comes back is exactly the document as it stood after the
last whole record, an exact earlier state, never a mix. No Qt here.
"""

from __future__ import annotations

import codecs
import struct
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

_MAGIC = 0xE1
# magic, position, removed, payload bytes, crc32 of (the fields before it + payload)
_HEADER = struct.Struct("<BQQII")
_UNITS = 2  # bytes per UTF-16 code unit
# Characters per encode or decode call on large texts: replay and compaction run on a worker
# thread, and one C call over 100 MB would hold the GIL (and so freeze the GUI thread) for a
# tenth of a second or more; between chunks the interpreter lets the GUI thread run.
CHUNK_CHARS = 1 << 20


@dataclass(frozen=True)
class Edit:
    """At `position` (UTF-16 units) remove `removed` units and insert `text`."""

    position: int
    removed: int
    text: str

    @property
    def utf16(self) -> bytes:
        return utf16_bytes(self.text)


# What QTextDocument.toPlainText turns into plain characters (frame marks, paragraph and line
# separators, no-break space); applying it to text read another way gives the same string.
_PLAIN = str.maketrans(
    {"\u2029": "\n", "\u2028": "\n", "\ufdd0": "\n", "\ufdd1": "\n", "\u00a0": " "}
)


def as_plain_text(text: str) -> str:
    """The text as QTextDocument.toPlainText would give it back (same length in units)."""
    # translate walks every character in one C call that holds the GIL; most texts have none
    # of these, and looking for each is a fast search.
    if not any(character in text for character in "\u2029\u2028\ufdd0\ufdd1\u00a0"):
        return text
    return text.translate(_PLAIN)


def utf16_bytes(text: str) -> bytes:
    # surrogatepass: a lone surrogate typed or pasted into Qt must not make the journal fail.
    return text.encode("utf-16-le", "surrogatepass")


def utf16_chunks(text: str) -> list[bytes]:
    """utf16_bytes in pieces of at most CHUNK_CHARS characters (a code point is never split)."""
    return [utf16_bytes(text[i : i + CHUNK_CHARS]) for i in range(0, len(text), CHUNK_CHARS)]


def utf16_length(text: str) -> int:
    if len(text) <= CHUNK_CHARS:
        return len(utf16_bytes(text)) // _UNITS
    return sum(len(chunk) for chunk in utf16_chunks(text)) // _UNITS


def encode_edits(edits: Iterable[Edit]) -> bytes:
    """The records for `edits`, to append to a log in one write."""
    parts: list[bytes] = []
    for edit in edits:
        payload = edit.utf16
        fields = struct.pack("<BQQI", _MAGIC, edit.position, edit.removed, len(payload))
        crc = zlib.crc32(payload, zlib.crc32(fields))
        parts.append(_HEADER.pack(_MAGIC, edit.position, edit.removed, len(payload), crc))
        parts.append(payload)
    return b"".join(parts)


@dataclass(frozen=True)
class DecodedLog:
    """The whole records of a log and whether it ended cleanly (False: a cut or damaged tail)."""

    records: list[tuple[int, int, bytes]]  # position, removed, UTF-16-LE payload
    complete: bool


def decode_log(data: bytes) -> DecodedLog:
    records: list[tuple[int, int, bytes]] = []
    offset = 0
    while offset < len(data):
        if len(data) - offset < _HEADER.size:
            return DecodedLog(records, False)
        magic, position, removed, size, crc = _HEADER.unpack_from(data, offset)
        start = offset + _HEADER.size
        payload = data[start : start + size]
        fields = struct.pack("<BQQI", magic, position, removed, size)
        if (
            magic != _MAGIC
            or len(payload) != size
            or zlib.crc32(payload, zlib.crc32(fields)) != crc
        ):
            return DecodedLog(records, False)
        records.append((position, removed, payload))
        offset = start + size
    return DecodedLog(records, True)


class ReplayError(ValueError):
    """A record does not fit the text it is applied to (the log belongs to another base)."""


class PieceTable:
    """A UTF-16 text edited in place without copying it: a list of slices of the base and of
    inserted payloads, joined once at the end. Replaying N records costs O(N^2) in the number
    of pieces plus one copy of the text, instead of one copy of the text per record."""

    def __init__(self, base: bytes | list[bytes]) -> None:
        chunks = [base] if isinstance(base, bytes) else base
        self._pieces: list[tuple[bytes, int, int]] = [(c, 0, len(c)) for c in chunks if c]
        self.length = sum(len(c) for c in chunks) // _UNITS  # in units

    def apply(self, position: int, removed: int, payload: bytes) -> None:
        if position < 0 or removed < 0 or position + removed > self.length or len(payload) % 2:
            raise ReplayError(
                f"edit at {position} removing {removed} does not fit a text of {self.length}"
            )
        start, end = position * _UNITS, (position + removed) * _UNITS
        kept: list[tuple[bytes, int, int]] = []
        offset = 0
        inserted = False
        for source, lo, hi in self._pieces:
            size = hi - lo
            piece_start, piece_end = offset, offset + size
            offset = piece_end
            if piece_end <= start or piece_start >= end:
                if piece_start >= end and not inserted:
                    if payload:
                        kept.append((payload, 0, len(payload)))
                    inserted = True
                kept.append((source, lo, hi))
                continue
            if piece_start < start:  # the part before the removed range
                kept.append((source, lo, lo + start - piece_start))
            if not inserted:
                if payload:
                    kept.append((payload, 0, len(payload)))
                inserted = True
            if piece_end > end:  # the part after it
                kept.append((source, lo + end - piece_start, hi))
        if not inserted and payload:
            kept.append((payload, 0, len(payload)))
        self._pieces = kept
        self.length += len(payload) // _UNITS - removed

    def chunks(self) -> Iterator[str]:
        """The text in pieces of at most CHUNK_CHARS, never joined (a snapshot is written from
        them: one 100 MB string would cost a long GIL-holding copy)."""
        # An emoji's two units may lie in two pieces; the incremental decoder keeps them whole.
        decoder = codecs.getincrementaldecoder("utf-16-le")("surrogatepass")
        step = CHUNK_CHARS * _UNITS
        for source, lo, hi in self._pieces:
            view = memoryview(source)[lo:hi]
            for i in range(0, len(view), step):
                yield decoder.decode(view[i : i + step])
        yield decoder.decode(b"", final=True)

    def text(self) -> str:
        return "".join(self.chunks())


def replay(base: str, logs: Iterable[bytes]) -> tuple[str, bool]:
    """The base with every whole record of `logs` applied, in order; and whether every log was
    whole. A damaged log stops the replay: records after it were made on a state it lost."""
    table, whole = replay_onto(utf16_chunks(base), logs)
    return table.text(), whole


def replay_onto(base: list[bytes], logs: Iterable[bytes]) -> tuple[PieceTable, bool]:
    """replay on a base given as UTF-16-LE chunks, leaving the result as a PieceTable."""
    table = PieceTable(base)
    for data in logs:
        decoded = decode_log(data)
        for position, removed, payload in decoded.records:
            table.apply(position, removed, payload)
        if not decoded.complete:
            return table, False
    return table, True


def coalesce(edits: Iterable[Edit]) -> Iterator[Edit]:
    """Merge consecutive insertions that continue each other (typing), so a flush of a
    second's typing is one record rather than one per key."""
    pending: Edit | None = None
    for edit in edits:
        if (
            pending is not None
            and edit.removed == 0
            and pending.removed == 0
            and edit.position == pending.position + utf16_length(pending.text)
        ):
            pending = Edit(pending.position, 0, pending.text + edit.text)
            continue
        if pending is not None:
            yield pending
        pending = edit
    if pending is not None:
        yield pending
