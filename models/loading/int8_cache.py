"""The int8 entry of a converted model: quantized once, then loaded without the fp32 weights.

Why: the default model's fp32 weights are 1.07 GB. Loading them and then quantizing peaked at
1.64 GB of RSS, over DESIGN.md's 1.5 GB. Here the model is built on the meta device (no weights
allocated), its linears and embeddings become empty Int8 modules (models.loading.quantize), and the
int8
state is assigned into them:

- First int8 load of a converted folder: each weight is read from the fp32 safetensors and
  quantized on its own (the 262k-row embedding in blocks of rows), so only one block of float
  weights exists at a time. The result is written to ``<converted folder>/int8/`` for next time.
- Later loads read only that entry (~270 MB): the fp32 file is never opened.

The entry holds the state dict of ``quantize_int8_weight_only`` applied to the fp32 model (int8
rows, per-row scales, norms in the compute dtype), each tied tensor stored once, and in its
metadata the format version and which keys are tied. It is written to a ``.partial`` staging
folder and renamed into place complete, with a manifest of its fingerprint
(models.loading.cache_check) checked before each read; a missing, damaged or older-format entry
is rebuilt.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from penwright.models.errors import ModelLoadError
from penwright.models.files.atomic import sync_directory
from penwright.models.loading.cache_check import manifest_problem, write_manifest
from penwright.models.loading.cache_lock import converting
from penwright.models.loading.quantize import (
    ROWS_PER_BLOCK,
    empty_int8_model,
    quantize_rows_int8,
    tied_state_keys,
)

logger = logging.getLogger(__name__)

Report = Callable[[str, float], None]

ENTRY_NAME = "int8"
WEIGHTS_NAME = "model.safetensors"
SOURCE_WEIGHTS = "model.safetensors"
"""The converted folder's fp32 weights (penwright.models.loading.gguf_cache writes one file)."""

FORMAT_VERSION = "1"
"""Bump when the stored layout or the quantization changes: older entries are then rebuilt."""

COMPUTE_DTYPE = torch.bfloat16
_FORMAT_KEY = "penwright_int8_format"
_TIED_KEY = "tied"
ALIGNMENT = 64


class _UnusableEntry(Exception):
    """The stored entry cannot serve this model (missing, damaged, other format)."""


def _no_report(stage: str, percent: float) -> None:
    pass


def entry_path(folder: Path) -> Path:
    """Where the int8 weights of the converted model in ``folder`` are kept."""
    return folder / ENTRY_NAME / WEIGHTS_NAME


def load_int8_model(
    folder: Path, report: Report = _no_report, start: float = 0.0, end: float = 100.0
) -> Any:
    """The int8 model of a converted folder, in eval mode on the CPU. Raises ModelLoadError.

    Reads the int8 entry; when it is missing or unusable, quantizes the fp32 weights one
    tensor at a time and writes the entry (best effort: an unwritable cache only costs the
    quantization again next time).
    """
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(folder, local_files_only=True)
    except Exception as exc:
        raise ModelLoadError(f"cannot read the model configuration in {folder}: {exc}") from exc
    model, float_tied = _empty_int8_model(config)
    try:
        state, tied = _read_entry(entry_path(folder), tied_state_keys(model))
    except _UnusableEntry:
        logger.info("no usable int8 cache entry in %s; quantizing", folder, exc_info=True)
        report("Quantizing to int8 (first run only)", start)
        state = _quantize_checkpoint(folder / SOURCE_WEIGHTS, model, float_tied, report, start, end)
        tied = tied_state_keys(model)
        _write_entry(folder, state, tied)
    report("Loading weights", end)
    _assign(model, state, tied)
    return model


# ---------------------------------------------------------------------------------------------
# The model without weights


def _empty_int8_model(config: Any) -> tuple[Any, dict[str, str]]:
    """(the empty int8 model, the tied keys of the float model it stands for)."""
    from accelerate import init_empty_weights
    from transformers import AutoModelForCausalLM

    # Parameters on the meta device; buffers (the rotary frequencies) are computed for real.
    with init_empty_weights(include_buffers=False):
        model = AutoModelForCausalLM.from_config(config)
    # Tie again outside: accelerate's context makes a new meta Parameter on every assignment,
    # so the tie made while building was lost (the head would get rows of its own).
    model.tie_weights()
    float_tied = tied_state_keys(model)
    empty_int8_model(model, COMPUTE_DTYPE)
    model.requires_grad_(False)
    return model, float_tied


def _assign(model: Any, state: dict[str, torch.Tensor], tied: dict[str, str]) -> None:
    for key, source in tied.items():
        state[key] = state[source]  # the same tensor object: tied modules share it again
    try:
        model.load_state_dict(state, strict=True, assign=True)
    except RuntimeError as exc:
        raise ModelLoadError(f"the int8 weights do not fit the model: {exc}") from exc
    left_empty = [n for n, t in [*model.named_parameters(), *model.named_buffers()] if t.is_meta]
    if left_empty:
        raise ModelLoadError(f"the int8 weights leave {', '.join(left_empty[:3])} empty")
    model.requires_grad_(False)
    model.eval()


# ---------------------------------------------------------------------------------------------
# First load: quantize the fp32 checkpoint tensor by tensor


def _quantize_checkpoint(
    source: Path,
    model: Any,
    float_tied: dict[str, str],
    report: Report,
    start: float,
    end: float,
) -> dict[str, torch.Tensor]:
    """The int8 state dict for ``model`` (an empty int8 model) from the fp32 file ``source``.

    The fp32 checkpoint's keys are the float model's: an Int8 module at ``p`` was made from
    ``p.weight``. Every other persistent tensor has the same key and is cast like
    quantize_int8_weight_only casts it. A tied weight is stored under one of its keys, whichever
    safetensors kept (``float_tied``: key -> the key it is tied to).
    """
    targets = model.state_dict(keep_vars=True)
    tied = tied_state_keys(model)
    keys = [k for k in targets if k not in tied]
    state: dict[str, torch.Tensor] = {}
    try:
        with safe_open(str(source), framework="pt") as f:
            stored = _stored_names(set(f.keys()), float_tied)
        for done, key in enumerate(keys):
            prefix, _, name = key.rpartition(".")
            if name == "weight_int8":
                q, scales = _quantize_rows_from(source, stored(f"{prefix}.weight"))
                state[key] = q
                state[f"{prefix}.scales"] = scales.to(targets[f"{prefix}.scales"].dtype)
            elif name != "scales":
                with safe_open(str(source), framework="pt") as f:
                    state[key] = f.get_tensor(stored(key)).to(targets[key].dtype)
            report("Quantizing to int8 (first run only)", start + (end - start) * done / len(keys))
    except (OSError, KeyError, ValueError, RuntimeError, SafetensorError) as exc:
        raise ModelLoadError(f"cannot quantize the weights in {source}: {exc}") from exc
    return state


def _stored_names(present: set[str], float_tied: dict[str, str]) -> Callable[[str], str]:
    """A function from a float model key to the key its tensor is stored under."""
    groups: dict[str, list[str]] = {}
    for key, source in float_tied.items():
        groups.setdefault(source, [source]).append(key)
    alias_group = {key: group for group in groups.values() for key in group}

    def stored(key: str) -> str:
        for candidate in alias_group.get(key, [key]):
            if candidate in present:
                return candidate
        raise KeyError(f"the weights have no tensor {key}")

    return stored


def _quantize_rows_from(source: Path, key: str) -> tuple[torch.Tensor, torch.Tensor]:
    """quantize_rows_int8 of one stored weight, read a block of rows at a time.

    Each block opens the file anew: safetensors reads through a memory map, and every page read
    stays in this process's resident memory until the map is closed. One map kept open for the
    whole checkpoint would bring all 1.07 GB of fp32 weights into RSS, the peak this avoids.
    """
    with safe_open(str(source), framework="pt") as f:
        rows, cols = f.get_slice(key).get_shape()
    q = torch.empty((rows, cols), dtype=torch.int8)
    scales = torch.empty(rows, dtype=torch.float32)
    for first in range(0, rows, ROWS_PER_BLOCK):
        last = min(first + ROWS_PER_BLOCK, rows)
        with safe_open(str(source), framework="pt") as f:
            block = f.get_slice(key)[first:last]
        q[first:last], scales[first:last] = quantize_rows_int8(block)
        del block
    return q, scales


# ---------------------------------------------------------------------------------------------
# The stored entry


def _read_entry(
    path: Path, expected_tied: dict[str, str]
) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    if not path.is_file():
        raise _UnusableEntry
    problem = manifest_problem(path.parent, [path.name])
    if problem == "no manifest":  # written before manifests: trust it once it reads back
        problem = None
        adopt = True
    else:
        adopt = False
    if problem is not None:
        logger.warning(
            "the int8 cache entry %s is damaged: %s; quantizing again", path.parent, problem
        )
        raise _UnusableEntry(problem)
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
            if metadata.get(_FORMAT_KEY) != FORMAT_VERSION:
                raise _UnusableEntry
            tied = json.loads(metadata.get(_TIED_KEY, "null"))
            if tied != expected_tied:
                raise _UnusableEntry
            state = {key: _aligned(f.get_tensor(key)) for key in f.keys()}  # noqa: SIM118 (not a dict)
    except _UnusableEntry:
        raise
    except Exception as exc:  # a truncated or overwritten file: SafetensorError, OSError, ...
        logger.warning("the int8 cache entry %s is unreadable: %s", path.parent, exc)
        raise _UnusableEntry from exc
    if adopt:
        try:
            write_manifest(path.parent, [path.name])
        except OSError:
            logger.warning("cannot record the manifest of %s", path.parent, exc_info=True)
    return state, tied


def _aligned(tensor: torch.Tensor) -> torch.Tensor:
    """The tensor in memory aligned like torch's own allocations (64 bytes).

    safetensors hands out tensors at any offset in its buffer (seen: 40 bytes past a 64-byte
    boundary), and torch._weight_int8pack_mm reads its weights with aligned AVX-512 loads: it
    crashed the process (SIGSEGV) on such weights from 4 rows of input up.
    """
    return tensor if tensor.data_ptr() % ALIGNMENT == 0 else tensor.clone()


def _write_entry(folder: Path, state: dict[str, torch.Tensor], tied: dict[str, str]) -> None:
    """Write the entry atomically (staging folder renamed into place); failures are ignored."""
    target = folder / ENTRY_NAME
    staging: Path | None = None
    try:
        # The lock of the whole conversion cache: the next load's cleanup leaves live staging.
        with converting(folder.parent):
            staging = Path(
                tempfile.mkdtemp(prefix=f".{ENTRY_NAME}-", suffix=".partial", dir=folder)
            )
            metadata = {"format": "pt", _FORMAT_KEY: FORMAT_VERSION, _TIED_KEY: json.dumps(tied)}
            save_file(state, str(staging / WEIGHTS_NAME), metadata=metadata)
            write_manifest(staging, [WEIGHTS_NAME])
            if target.exists():
                shutil.rmtree(target)  # unusable (we only write after failing to read it)
            staging.rename(target)
            sync_directory(folder)
    except OSError:
        logger.warning("cannot keep the int8 weights in %s", folder, exc_info=True)
        pass  # read-only or full cache, or another process published first: use ours in memory
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
