"""What a file that is not UTF-8 probably is, so the writer can be offered "Open As…".

Only a guess offered to the writer, never applied on its own: opening in a wrong guess and
saving would corrupt the file. Text with NUL bytes is UTF-16 without a byte-order mark when the
NULs sit on one side of each character pair (the high byte of Latin text) and the whole decodes
cleanly; otherwise it is binary (a PNG, a PDF) and no guess is made. Text without NULs that is
not UTF-8 is given to charset-normalizer, which ranks the legacy encodings (Latin-1, Windows
code pages, Shift JIS, ...) by how plausible the decoded text is.
"""

from __future__ import annotations

import codecs
import logging

logger = logging.getLogger(__name__)

_SAMPLE_BYTES = 256 * 1024  # enough to judge; charset-normalizer is slow on megabytes
_NUL_SIDE_SHARE = 0.3  # share of one side's bytes that are NUL in UTF-16 of Latin text


def guess_encoding(data: bytes) -> str | None:
    """A Python codec name that probably decodes ``data`` as text, or None (binary, or no idea).

    The guess decodes the whole of ``data`` without error and without NUL characters.
    """
    sample = data[:_SAMPLE_BYTES]
    has_nul = b"\x00" in sample
    guess = _utf16_by_nul_side(sample) if has_nul else _charset_normalizer_guess(sample)
    if guess is None or not _decodes_as_text(data, guess):
        return None
    return guess


def describe_encoding(encoding: str) -> str:
    """How the writer reads a codec name: "UTF-16 LE", "CP1252", "SHIFT_JIS"."""
    name = codecs.lookup(encoding).name
    if name.startswith("utf-16-") or name.startswith("utf-32-"):
        return name[:6].upper() + " " + name[7:].upper()
    return name.upper()


def _utf16_by_nul_side(sample: bytes) -> str | None:
    pairs = len(sample) // 2
    if pairs == 0:
        return None
    even_nuls = sample[0 : pairs * 2 : 2].count(0)
    odd_nuls = sample[1 : pairs * 2 : 2].count(0)
    if odd_nuls >= pairs * _NUL_SIDE_SHARE and even_nuls < odd_nuls / 10:
        return "utf-16-le"
    if even_nuls >= pairs * _NUL_SIDE_SHARE and odd_nuls < even_nuls / 10:
        return "utf-16-be"
    return None


def _charset_normalizer_guess(sample: bytes) -> str | None:
    # Imported here: only a file that is not UTF-8 needs it, and it takes a moment to import.
    from charset_normalizer import from_bytes

    try:
        best = from_bytes(sample).best()
    except Exception:  # a guess is a nicety: a failing library must not stop the message
        logger.warning("charset-normalizer could not judge a file", exc_info=True)
        return None
    if best is None:
        return None
    try:
        return codecs.lookup(best.encoding).name
    except LookupError:
        return None


def _decodes_as_text(data: bytes, encoding: str) -> bool:
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return "\x00" not in text
