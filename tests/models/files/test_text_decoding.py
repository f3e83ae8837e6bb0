"""models.files.text_decoding: decoding in pieces gives exactly what decoding at once gives, with
a CRLF, a multi-byte character or a UTF-16 pair cut by a piece boundary, and errors name the
offset in the whole file."""

from __future__ import annotations

import pytest

from penwright.models.files import text_decoding
from penwright.models.files.text_decoding import NulCharacterError, decode_in_pieces

TEXT = "ab\r\ncd\r\né漢🙂\r\n\r\nend\rold mac\nunix\r\n"


@pytest.mark.parametrize("piece_bytes", [1, 2, 3, 4, 5, 7, 64])
@pytest.mark.parametrize("codec", ["utf-8", "utf-16-le", "utf-16-be"])
def test_every_piece_size_decodes_like_a_whole_decode(
    monkeypatch: pytest.MonkeyPatch, piece_bytes: int, codec: str
) -> None:
    monkeypatch.setattr(text_decoding, "PIECE_BYTES", piece_bytes)
    decoded = decode_in_pieces(TEXT.encode(codec), codec)
    assert decoded.text == TEXT.replace("\r\n", "\n").replace("\r", "\n")
    assert decoded.newline == "\r\n"
    assert decoded.line_endings is not None
    assert decoded.line_endings.endings == ("\r\n",) * 4 + ("\r", "\n", "\r\n")


def test_an_undecodable_byte_is_reported_at_its_offset_in_the_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(text_decoding, "PIECE_BYTES", 4)
    data = "ééé".encode() + b"\xff" + b"tail"  # é is two bytes: the bad byte is at 6
    with pytest.raises(UnicodeDecodeError) as caught:
        decode_in_pieces(data, "utf-8")
    assert caught.value.start == 6


def test_a_nul_character_in_any_piece_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_decoding, "PIECE_BYTES", 4)
    with pytest.raises(NulCharacterError):
        decode_in_pieces("abcdefgh\x00ij".encode("utf-16-le"), "utf-16-le")


def test_empty_and_single_convention_texts_keep_no_record() -> None:
    assert decode_in_pieces(b"", "utf-8").text == ""
    decoded = decode_in_pieces(b"a\r\nb\r\n", "utf-8")
    assert (decoded.text, decoded.newline, decoded.line_endings) == ("a\nb\n", "\r\n", None)
