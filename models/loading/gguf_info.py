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
    0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q",
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


def read_gguf_header(path: str | Path) -> GgufHeader:
    """Parse the header of the GGUF file at path; ModelLoadError names what is wrong with it."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            return _read(f)
    except OSError as err:
        raise ModelLoadError(f"cannot read GGUF file {path}: {err.strerror or err}") from err
    except _Truncated:
        raise ModelLoadError(f"{path} is truncated: its GGUF header ends early") from None
    except (struct.error, UnicodeDecodeError, ValueError) as err:
        raise ModelLoadError(f"{path} is not a valid GGUF file (damaged header: {err})") from err


class _Truncated(ValueError):
    """The file ends inside the header."""


def _read(f: BinaryIO) -> GgufHeader:
    if f.read(4) != _MAGIC:
        raise ValueError("missing GGUF magic number")
    (version,) = _unpack(f, "<I")
    if version not in (2, 3):
        raise ValueError(f"GGUF version {version}; only versions 2 and 3 are read")
    tensor_count, kv_count = _unpack(f, "<QQ")
    metadata: dict[str, object] = {}
    for _ in range(kv_count):
        key = _string(f)
        (value_type,) = _unpack(f, "<I")
        value = _value(f, value_type)
        if value is not None:
            metadata[key] = value
    parameters = 0
    tensors_end = 0  # relative to the start of the tensor data
    for _ in range(tensor_count):
        _string(f)  # tensor name
        (n_dims,) = _unpack(f, "<I")
        dims = _unpack(f, "<" + "Q" * n_dims)
        type_id, offset = _unpack(f, "<IQ")
        elements = math.prod(dims)
        block, type_size = _block_layout(type_id)
        tensors_end = max(tensors_end, offset + elements // block * type_size)
        parameters += elements
    alignment = metadata.get("general.alignment", 32)
    alignment = alignment if isinstance(alignment, int) and alignment > 0 else 32
    data_start = -(-f.tell() // alignment) * alignment
    return GgufHeader(
        metadata=metadata,
        parameters=parameters,
        tensor_count=tensor_count,
        data_end=data_start + tensors_end,
    )


def _block_layout(type_id: int) -> tuple[int, int]:
    """(elements per block, bytes per block) of a GGML tensor type."""
    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

    try:
        return GGML_QUANT_SIZES[GGMLQuantizationType(type_id)]
    except (ValueError, KeyError):
        raise ValueError(f"unknown tensor type {type_id}") from None


def _unpack(f: BinaryIO, fmt: str) -> tuple[int, ...]:
    size = struct.calcsize(fmt)
    data = f.read(size)
    if len(data) != size:
        raise _Truncated("file ends inside the header")
    return struct.unpack(fmt, data)


def _string(f: BinaryIO) -> str:
    (length,) = _unpack(f, "<Q")
    data = f.read(length)
    if len(data) != length:
        raise _Truncated("file ends inside a string")
    return data.decode("utf-8")


def _value(f: BinaryIO, value_type: int) -> object | None:
    """Read one value; arrays are skipped (None) since the catalogue needs none of them."""
    if value_type in _SCALARS:
        return _unpack(f, _SCALARS[value_type])[0]
    if value_type == _STRING:
        return _string(f)
    if value_type == _ARRAY:
        item_type, count = _unpack(f, "<IQ")
        if item_type in _SCALARS:
            f.seek(struct.calcsize(_SCALARS[item_type]) * count, 1)
        elif item_type == _STRING:
            for _ in range(count):
                (length,) = _unpack(f, "<Q")
                f.seek(length, 1)
        else:
            for _ in range(count):
                _value(f, item_type)
        return None
    raise ValueError(f"unknown GGUF value type {value_type}")
