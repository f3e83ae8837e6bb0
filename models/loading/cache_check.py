"""Fingerprints of the converted-model cache's files, recorded at write time and checked on load.

A cache entry is trusted only when every file still matches what was written: 4 MB of random bytes
in the int8 weights once gave gibberish on every run, and a truncated or garbled file failed
every start without being rebuilt.

What is hashed, and why (measured on the 2-core machine, files in the page cache): a full sha256
of the default model's 1.07 GB fp32 weights takes 1.25 s (crc32 0.43 s), too much for every
start. Files up to FULL_HASH_BYTES (configs, the 33 MB tokenizer.json: ~40 ms) are hashed whole.
Larger files (the weights) are checked by size plus a sha256 of their first MiB (the safetensors
header with every tensor's offsets, and the first tensors) and of SAMPLE_BYTES at every
SAMPLE_STRIDE after it, and the last SAMPLE_BYTES: about 4 MB read per GB, 5 ms for the fp32
file. Any damaged run of SAMPLE_STRIDE bytes or more (an overwritten block, a partial copy) is
always seen, any change of size too; a few flipped bytes between samples are not (the engine's
warm-up refuses a model whose logits turn NaN or infinite).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from penwright.models.files.atomic import write_atomically

logger = logging.getLogger(__name__)

MANIFEST = "penwright-manifest.json"
FORMAT = 1
FULL_HASH_BYTES = 64 * 1024 * 1024
HEAD_BYTES = 1024 * 1024
SAMPLE_STRIDE = 1024 * 1024
SAMPLE_BYTES = 4096


def fingerprint(path: Path) -> dict[str, Any]:
    """{"size", "sha256", "sampled"} of the file (see the module docstring for "sampled")."""
    size = path.stat().st_size
    digest = hashlib.sha256()
    with path.open("rb") as f:
        if size <= FULL_HASH_BYTES:
            while block := f.read(4 * 1024 * 1024):
                digest.update(block)
            return {"size": size, "sha256": digest.hexdigest(), "sampled": False}
        digest.update(f.read(HEAD_BYTES))
        for offset in range(HEAD_BYTES, size - SAMPLE_BYTES, SAMPLE_STRIDE):
            f.seek(offset)
            digest.update(f.read(SAMPLE_BYTES))
        f.seek(size - SAMPLE_BYTES)
        digest.update(f.read(SAMPLE_BYTES))
    return {"size": size, "sha256": digest.hexdigest(), "sampled": True}


def write_manifest(folder: Path, names: Iterable[str]) -> None:
    """Record the fingerprint of each named file of ``folder`` (call once they are written)."""
    files = {name: fingerprint(folder / name) for name in names}
    manifest = {"format": FORMAT, "files": files}
    write_atomically(folder / MANIFEST, json.dumps(manifest, indent=1).encode("utf-8"))


def manifest_problem(folder: Path, required: Iterable[str]) -> str | None:
    """Why ``folder`` does not match its manifest (None when it does).

    Every required file must be listed, and every listed file must exist with its recorded
    fingerprint. "no manifest" marks an entry written before manifests existed.
    """
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "no manifest"
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return f"its manifest {MANIFEST} is unreadable ({exc})"
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or manifest.get("format") != FORMAT:
        return f"its manifest {MANIFEST} is not one this version writes"
    for name in required:
        if name not in files:
            return f"its manifest does not list {name}"
    for name, recorded in files.items():
        path = folder / str(name)
        try:
            actual = fingerprint(path)
        except FileNotFoundError:
            return f"{name} is missing"
        except OSError as exc:
            return f"{name} cannot be read ({exc.strerror or exc})"
        if not isinstance(recorded, dict) or actual["size"] != recorded.get("size"):
            return f"{name} has {actual['size']:,} bytes, not the {_size(recorded)} written"
        if actual["sha256"] != recorded.get("sha256"):
            return f"{name} changed since it was written (its content hash differs)"
    return None


def _size(recorded: object) -> str:
    size = recorded.get("size") if isinstance(recorded, dict) else None
    return f"{size:,}" if isinstance(size, int) else "size"


def manifest_lists(folder: Path, name: str) -> bool:
    """Whether ``folder``'s manifest lists the file ``name`` (so verifying it covers that file)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    files = manifest.get("files") if isinstance(manifest, dict) else None
    return isinstance(files, dict) and name in files


def add_to_manifest(folder: Path, name: str) -> None:
    """Record the fingerprint of the new file ``name`` in ``folder``'s existing manifest, leaving
    the other files' recorded fingerprints as they are (ValueError without a usable manifest)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{folder} has no readable manifest ({exc})") from exc
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"the manifest of {folder} is not one this version writes")
    files[name] = fingerprint(folder / name)
    write_atomically(folder / MANIFEST, json.dumps(manifest, indent=1).encode("utf-8"))
