"""A SentencePiece model (``tokenizer.model``) built from a Gemma GGUF's vocabulary.

Why: the Rust tokenizer transformers builds from ``tokenizer.json`` holds the GIL for about a
second while it parses Gemma's 262k tokens and 515k merges, freezing the window's thread.
SentencePiece loads its model and encodes with the GIL released (``py::gil_scoped_release`` in
its bindings), and a Gemma tokenizer is a SentencePiece BPE model to begin with. The GGUF keeps
what the model needs: ``tokenizer.ggml.tokens`` and ``tokenizer.ggml.token_type``.

The model mirrors what transformers makes of the same GGUF (``gemma_tokenizer`` in
transformers.integrations.gguf), so both tokenize alike, token for token:
- tokens of two or more plain spaces are respelled with U+2581 ("▁▁"), as transformers does, and
  are ordinary pieces (transformers does not add them as tokens of their own);
- the merge priority is the token's position in the file (transformers: "Gemma's scores do not
  follow its merge order -- the order the tokens appear in the file does"): score = -position;
- identity normalization, no dummy prefix, no whitespace collapsing, spaces escaped to U+2581,
  byte fallback; the unknown token becomes SentencePiece's UNKNOWN piece, control tokens stay
  CONTROL (the tokenizer matches them in text itself, as transformers does), user-defined ones
  USER_DEFINED (SentencePiece matches those in text).

The few protobuf fields are encoded here: ``sentencepiece_model_pb2`` would need the protobuf
package as a new dependency for what is three nested messages of strings, floats and enums.
The GGUF is read here too, only up to the tokenizer's arrays: ``gguf.GGUFReader`` indexes the
whole file as numpy views, about 11 s for the bundled model on the 2-core machine, this 0.4 s.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

from penwright.models.errors import ModelLoadError

SENTENCEPIECE_FILE = "tokenizer.model"
GEMMA_ARCHITECTURES = frozenset({"gemma", "gemma2", "gemma3", "gemma3_text"})
"""transformers converts these GGUFs with its gemma_tokenizer, which this module mirrors."""

# SentencePiece's ModelProto.SentencePiece.Type values (GGUF's token_type uses the same numbers).
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6
_BPE = 2  # TrainerSpec.ModelType

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q",
            11: "<q", 12: "<d"}  # fmt: skip
_STRING, _ARRAY = 8, 9
_WANTED = {"tokenizer.ggml.tokens", "tokenizer.ggml.token_type"}


class GgufVocabulary:
    """What a GGUF says about its tokenizer: tokens, their types, and a few scalars."""

    def __init__(self, tokens: list[str], token_types: list[int], metadata: dict[str, object]):
        self.tokens = tokens
        self.token_types = token_types
        self.metadata = metadata

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", ""))

    def why_not_gemma(self) -> str | None:
        """Why this vocabulary is not one this module can mirror (None when it is)."""
        model = self.metadata.get("tokenizer.ggml.model")
        if self.architecture not in GEMMA_ARCHITECTURES or model != "llama":
            return f"not a Gemma SentencePiece tokenizer ({self.architecture}, {model})"
        if self.metadata.get("tokenizer.ggml.add_space_prefix", False):
            return "the tokenizer adds a space prefix"
        if not self.tokens or len(self.tokens) != len(self.token_types):
            return "the tokens and their types do not match"
        return None


def read_gguf_vocabulary(path: Path) -> GgufVocabulary:
    """The tokenizer arrays and scalar metadata of the GGUF at ``path``; ModelLoadError if the
    file is unreadable or its header is damaged (every length is checked against the file)."""
    try:
        with path.open("rb") as f:
            size = f.seek(0, 2)
            f.seek(0)
            return _HeaderReader(f, size).read()
    except OSError as exc:
        raise ModelLoadError(f"cannot read the GGUF file {path}: {exc.strerror or exc}") from exc
    except (struct.error, UnicodeDecodeError, ValueError) as exc:
        raise ModelLoadError(f"{path} has a damaged GGUF header ({exc})") from exc


class _HeaderReader:
    def __init__(self, f: BinaryIO, size: int) -> None:
        self._f = f
        self._size = size

    def read(self) -> GgufVocabulary:
        if self._f.read(4) != b"GGUF":
            raise ValueError("missing GGUF magic number")
        (version,) = self._unpack("<I")
        if version not in (2, 3):
            raise ValueError(f"GGUF version {version}")
        _tensors, kv_count = self._unpack("<QQ")
        self._fits(kv_count, 13)
        metadata: dict[str, object] = {}
        arrays: dict[str, list[object]] = {}
        for _ in range(kv_count):
            key = self._string()
            (value_type,) = self._unpack("<I")
            if value_type == _ARRAY:
                item_type, count = self._unpack("<IQ")
                values = self._array(item_type, count, keep=key in _WANTED)
                if key in _WANTED:
                    arrays[key] = values
            else:
                metadata[key] = self._scalar(value_type)
        tokens = [str(t) for t in arrays.get("tokenizer.ggml.tokens", [])]
        types = [int(t) for t in arrays.get("tokenizer.ggml.token_type", [])]  # type: ignore[call-overload]
        return GgufVocabulary(tokens, types, metadata)

    def _fits(self, count: int, item_bytes: int) -> None:
        if count * item_bytes > self._size - self._f.tell():
            raise ValueError(f"{count:,} items do not fit in the {self._size:,}-byte file")

    def _unpack(self, fmt: str) -> tuple[int, ...]:
        size = struct.calcsize(fmt)
        data = self._f.read(size)
        if len(data) != size:
            raise ValueError("the file ends inside the header")
        return struct.unpack(fmt, data)

    def _raw_string(self) -> bytes:
        (length,) = self._unpack("<Q")
        self._fits(length, 1)
        return self._f.read(length)

    def _string(self) -> str:
        return self._raw_string().decode("utf-8")

    def _scalar(self, value_type: int) -> object:
        if value_type == _STRING:
            return self._string()
        if value_type not in _SCALARS:
            raise ValueError(f"unknown GGUF value type {value_type}")
        return self._unpack(_SCALARS[value_type])[0]

    def _array(self, item_type: int, count: int, keep: bool) -> list[object]:
        if item_type in _SCALARS:
            fmt = _SCALARS[item_type]
            self._fits(count, struct.calcsize(fmt))
            data = self._f.read(struct.calcsize(fmt) * count)
            return list(struct.unpack(f"<{count}{fmt[1]}", data)) if keep else []
        if item_type == _STRING:
            self._fits(count, 8)
            if keep:
                return [self._raw_string().decode("utf-8") for _ in range(count)]
            for _ in range(count):
                (length,) = self._unpack("<Q")
                self._fits(length, 1)
                self._f.seek(length, 1)
            return []
        raise ValueError(f"an array of GGUF type {item_type} (nested arrays are not expected)")


def sentencepiece_model_bytes(vocabulary: GgufVocabulary) -> bytes:
    """The serialized SentencePiece ModelProto mirroring transformers' Gemma tokenizer.

    Raises ValueError when the vocabulary is not a Gemma SentencePiece one.
    """
    problem = vocabulary.why_not_gemma()
    if problem is not None:
        raise ValueError(problem)
    unk_id = vocabulary.metadata.get("tokenizer.ggml.unknown_token_id")
    if not isinstance(unk_id, int) or not 0 <= unk_id < len(vocabulary.tokens):
        raise ValueError("the vocabulary names no unknown token")
    pieces = []
    for index, (token, token_type) in enumerate(
        zip(vocabulary.tokens, vocabulary.token_types, strict=True)
    ):
        piece, kind = _piece(token, token_type, index == unk_id)
        body = _bytes_field(1, piece.encode("utf-8")) + _float_field(2, float(-index))
        if kind != NORMAL:
            body += _int_field(3, kind)
        pieces.append(_bytes_field(1, body))
    trainer = (
        _int_field(3, _BPE)
        + _int_field(4, len(pieces))
        + _int_field(35, 1)  # byte_fallback
        + _int_field(40, unk_id)
    )
    normalizer = (
        _bytes_field(1, b"identity")
        + _int_field(3, 0)  # add_dummy_prefix
        + _int_field(4, 0)  # remove_extra_whitespaces
        + _int_field(5, 1)  # escape_whitespaces
    )
    return b"".join(pieces) + _bytes_field(2, trainer) + _bytes_field(3, normalizer)


def _piece(token: str, token_type: int, is_unknown: bool) -> tuple[str, int]:
    """(piece, type) of one GGUF token, as transformers' gemma_tokenizer sees it."""
    if is_unknown:
        return token, UNKNOWN
    if " " in token and not token.strip():
        return "\u2581" * len(token), NORMAL  # see the module docstring
    if token_type in (NORMAL, CONTROL, USER_DEFINED, BYTE):
        return token, token_type
    return token, NORMAL if token_type == UNUSED else CONTROL


def write_sentencepiece_model(gguf_path: Path, folder: Path) -> Path:
    """Write ``folder/tokenizer.model`` for the GGUF; ModelLoadError or ValueError (not a Gemma
    tokenizer) when it cannot."""
    from penwright.models.files.atomic import write_atomically

    data = sentencepiece_model_bytes(read_gguf_vocabulary(gguf_path))
    target = folder / SENTENCEPIECE_FILE
    write_atomically(target, data)
    return target


# ---------------------------------------------------------------------------------------------
# Protobuf wire format: varints (wire type 0), length-delimited (2), 32-bit floats (5).


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int32 values are ten-byte varints
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if not value:
            out.append(low)
            return bytes(out)
        out.append(low | 0x80)


def _int_field(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _bytes_field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _float_field(number: int, value: float) -> bytes:
    return _varint(number << 3 | 5) + struct.pack("<f", value)
