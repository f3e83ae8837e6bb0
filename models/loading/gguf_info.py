"""Read the header of a ``.gguf`` file: its metadata and the shape of every tensor, no weights.

Why not ``gguf.GGUFReader``: it memory-maps and indexes the whole file, including the 262k-entry
tokenizer vocabulary as numpy views, which takes about 9 s for the bundled 253 MB model on a
2-core machine. The model list needs only a handful of numbers, so this reads the header and
seeks past the arrays it does not need. The loader uses the same reader to refuse a renamed
text file or a truncated download before the slow conversion starts (``data_end``).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from penwright.models.errors import ModelLoadError

_MAGIC = b"GGUF"
# GGUF value types -> struct format of one scalar (8 = string, 9 = array are handled apart).
_SCALARS: dict[int, str] = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_STRING, _ARRAY = 8, 9


@dataclass(frozen=True)
class GgufHeader:
    """Scalar and string metadata (arrays are skipped) and the total number of weights."""

    metadata: dict[str, object]
    parameters: int
    tensor_count: int
    data_end: int
    """Byte offset where the last tensor's data ends: a complete file is at least this long."""

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", ""))

    def arch_int(self, key: str) -> int | None:
        """An integer ``<architecture>.<key>`` value, or None when absent."""
        value = self.metadata.get(f"{self.architecture}.{key}")
        return int(value) if isinstance(value, int | float) else None


# Bounds on what a header may declare. Every count and length is also checked against the bytes
# left in the file, so a crafted header can neither allocate more than the file holds nor loop
# longer than reading it would take; these maxima only refuse absurd values early with a reason.
MAX_DIMS = 4  # GGML_MAX_DIMS: llama.cpp refuses more dimensions too
MAX_STRING_BYTES = 16 * 1024 * 1024  # a chat template is kilobytes; keys and names are bytes
MAX_ARRAY_DEPTH = 4  # real files never nest arrays; gguf-py allows it, so a little is accepted
MAX_TENSORS = 1_000_000  # the largest models have a few thousand
MAX_METADATA = 1_000_000  # real files have tens to hundreds
_MIN_KV_BYTES = 8 + 4 + 1  # key length, value type, the smallest value
_MIN_TENSOR_BYTES = 8 + 4 + 4 + 8  # name length, n_dims, type, offset (no dimension)


def read_gguf_header(path: str | Path) -> GgufHeader:
    """Parse the header of the GGUF file at path; ModelLoadError names what is wrong with it.

    Crafted headers (huge lengths or counts, deep nesting, truncation) are refused with a
    message: reading never allocates more than the file's size nor recurses deeper than
    MAX_ARRAY_DEPTH.
    """
    path = Path(path)
    try:
        with path.open("rb") as f:
            size = f.seek(0, 2)
            f.seek(0)
            return _Reader(f, size).read()
    except OSError as err:
        raise ModelLoadError(f"cannot read GGUF file {path}: {err.strerror or err}") from err
    except _Truncated as err:
        raise ModelLoadError(f"{path} is truncated: its GGUF header ends early ({err})") from None
    except (struct.error, UnicodeDecodeError, ValueError) as err:
        raise ModelLoadError(f"{path} is not a valid GGUF file (damaged header: {err})") from err


class _Truncated(ValueError):
    """The file ends inside the header."""


class _Reader:
    """One pass over a header, every declared size checked before it is used."""

    def __init__(self, f: BinaryIO, size: int) -> None:
        self._f = f
        self._size = size

    def _left(self) -> int:
        return self._size - self._f.tell()

    def _count(self, count: int, item_bytes: int, what: str, maximum: int | None = None) -> int:
        """``count`` items of at least ``item_bytes`` each; refused when the file cannot hold
        them (truncated or crafted) or they exceed ``maximum``."""
        if count * item_bytes > self._left():
            raise _Truncated(f"{count:,} {what} do not fit in the {self._size:,}-byte file")
        if maximum is not None and count > maximum:
            raise ValueError(f"{count:,} {what} (at most {maximum:,} are accepted)")
        return count

    def _skip(self, length: int) -> None:
        if length > self._left():
            raise _Truncated("the file ends inside the header")
        self._f.seek(length, 1)

    def read(self) -> GgufHeader:
        if self._f.read(4) != _MAGIC:
            raise ValueError("missing GGUF magic number")
        (version,) = self._unpack("<I")
        if version not in (2, 3):
            raise ValueError(f"GGUF version {version}; only versions 2 and 3 are read")
        tensor_count, kv_count = self._unpack("<QQ")
        self._count(kv_count, _MIN_KV_BYTES, "metadata entries", MAX_METADATA)
        self._count(tensor_count, _MIN_TENSOR_BYTES, "tensors", MAX_TENSORS)
        metadata: dict[str, object] = {}
        for _ in range(kv_count):
            key = self._string()
            (value_type,) = self._unpack("<I")
            value = self._value(value_type, depth=0)
            if value is not None:
                metadata[key] = value
        self._count(tensor_count, _MIN_TENSOR_BYTES, "tensors", MAX_TENSORS)
        parameters = 0
        tensors_end = 0  # relative to the start of the tensor data
        for _ in range(tensor_count):
            self._string()  # tensor name
            (n_dims,) = self._unpack("<I")
            if n_dims > MAX_DIMS:
                raise ValueError(f"a tensor with {n_dims:,} dimensions (GGUF allows {MAX_DIMS})")
            dims = self._unpack("<" + "Q" * n_dims)
            type_id, offset = self._unpack("<IQ")
            elements = math.prod(dims)
            block, type_size = _block_layout(type_id)
            tensors_end = max(tensors_end, offset + elements // block * type_size)
            parameters += elements
        alignment = metadata.get("general.alignment", 32)
        alignment = alignment if isinstance(alignment, int) and 0 < alignment <= 1 << 20 else 32
        data_start = -(-self._f.tell() // alignment) * alignment
        return GgufHeader(
            metadata=metadata,
            parameters=parameters,
            tensor_count=tensor_count,
            data_end=data_start + tensors_end,
        )

    def _unpack(self, fmt: str) -> tuple[int, ...]:
        size = struct.calcsize(fmt)
        data = self._f.read(size)
        if len(data) != size:
            raise _Truncated("the file ends inside the header")
        return struct.unpack(fmt, data)

    def _string_length(self) -> int:
        (length,) = self._unpack("<Q")
        if length > MAX_STRING_BYTES:
            raise ValueError(f"a string of {length:,} bytes (at most {MAX_STRING_BYTES:,})")
        if length > self._left():
            raise _Truncated(f"a string of {length:,} bytes does not fit")
        return length

    def _string(self) -> str:
        length = self._string_length()
        return self._f.read(length).decode("utf-8")

    def _value(self, value_type: int, depth: int) -> object | None:
        """Read one value; arrays are skipped (None) since the catalogue needs none of them."""
        if value_type in _SCALARS:
            return self._unpack(_SCALARS[value_type])[0]
        if value_type == _STRING:
            return self._string()
        if value_type != _ARRAY:
            raise ValueError(f"unknown GGUF value type {value_type}")
        if depth >= MAX_ARRAY_DEPTH:
            raise ValueError(f"arrays nested more than {MAX_ARRAY_DEPTH} deep")
        item_type, count = self._unpack("<IQ")
        if item_type in _SCALARS:
            item_size = struct.calcsize(_SCALARS[item_type])
            self._count(count, item_size, "array items")
            self._skip(item_size * count)
        elif item_type == _STRING:
            self._count(count, 8, "array strings")
            for _ in range(count):
                self._skip(self._string_length())
        else:
            self._count(count, 4 + 8 if item_type == _ARRAY else 1, "array items")
            for _ in range(count):
                self._value(item_type, depth + 1)
        return None


def _block_layout(type_id: int) -> tuple[int, int]:
    """(elements per block, bytes per block) of a GGML tensor type."""
    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

    try:
        return GGML_QUANT_SIZES[GGMLQuantizationType(type_id)]
    except (ValueError, KeyError):
        raise ValueError(f"unknown tensor type {type_id}") from None
