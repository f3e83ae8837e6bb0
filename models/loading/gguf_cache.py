"""GGUF files: a quick validity check, and a conversion cache so each GGUF is converted once.

transformers dequantizes a GGUF into a full-precision model, which takes most of a minute on a
small CPU (the tokenizer conversion alone is a third of it). The converted model (safetensors,
config, tokenizer) is kept under ``converted_models_dir()/<sha256 of the GGUF>`` and later loads
read that folder in seconds. A conversion is written to a ``.partial`` staging folder and renamed
into place only when complete, so a crash never leaves a half-written cache entry.
"""

from __future__ import annotations

import copy
import gc
import hashlib
import json
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from penwright.models.errors import ModelLoadError
from penwright.models.files.atomic import sync_directory, write_atomically
from penwright.models.files.folders import cache_root, converted_models_dir
from penwright.models.loading.gguf_info import read_gguf_header

logger = logging.getLogger(__name__)

Report = Callable[[str, float], None]
"""Progress sink: (stage, percent 0-100)."""

GGUF_MAGIC = b"GGUF"
CONVERTED_FILES = ("config.json", "model.safetensors", "tokenizer.json")
"""A cache entry is usable when it holds these (it is only ever renamed into place complete)."""

HASH_INDEX = "gguf-sha256.json"
"""In cache_root(): remembered hashes of user GGUF files, keyed by path, size and mtime."""

_STALE_STAGING_S = 24 * 3600  # staging folders older than this are leftovers of a killed run

def _no_report(stage: str, percent: float) -> None:
    pass


# ---------------------------------------------------------------------------------------------
# Validity check


def is_gguf(path: Path) -> bool:
    """Whether the file starts with the GGUF magic (False when unreadable)."""
    try:
        with path.open("rb") as f:
            return f.read(4) == GGUF_MAGIC
    except OSError:
        logger.warning("cannot read %s", path, exc_info=True)
        return False


def check_gguf_file(path: Path) -> None:
    """Raise ModelLoadError unless ``path`` is a complete GGUF (v2/v3) file.

    Reads the header and tensor table only (well under a second even for a 262k-token
    vocabulary), so a renamed text file or a truncated download is refused before the slow
    conversion starts.
    """
    if not is_gguf(path):
        if not path.is_file():
            raise ModelLoadError(f"cannot read the GGUF file {path}: no such file")
        raise ModelLoadError(f"{path} is not a GGUF model file (it lacks the GGUF magic)")
    needed = read_gguf_header(path).data_end
    size = path.stat().st_size
    if size < needed:
        raise ModelLoadError(
            f"{path} is truncated: it has {size:,} bytes but its tensors need "
            f"{needed:,} (an interrupted download or copy?)"
        )


def sha256_of(path: Path, report: Report = _no_report, stage: str = "Checking model file",
              start: float = 0.0, end: float = 100.0) -> str:
    """The file's sha256, reporting progress from ``start`` to ``end`` percent."""
    digest = hashlib.sha256()
    total = max(path.stat().st_size, 1)
    done = 0
    last = -1.0
    try:
        with path.open("rb") as f:
            while block := f.read(4 * 1024 * 1024):
                digest.update(block)
                done += len(block)
                percent = start + (end - start) * done / total
                if percent - last >= 1.0:
                    report(stage, percent)
                    last = percent
    except OSError as exc:
        raise ModelLoadError(f"cannot read the GGUF file {path}: {exc.strerror or exc}") from None
    return digest.hexdigest()


def remembered_sha256(path: Path, report: Report = _no_report, stage: str = "Checking model file",
                      start: float = 0.0, end: float = 100.0) -> str:
    """sha256_of, remembered per (path, size, mtime) so a multi-GB GGUF is hashed only once."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise ModelLoadError(f"cannot read the GGUF file {path}: {exc.strerror or exc}") from None
    key = str(path.resolve())
    fingerprint = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    index = _read_hash_index()
    entry = index.get(key)
    if isinstance(entry, dict) and {k: entry.get(k) for k in fingerprint} == fingerprint:
        return str(entry["sha256"])
    sha256 = sha256_of(path, report, stage, start, end)
    index[key] = {**fingerprint, "sha256": sha256}
    _write_hash_index(index)
    return sha256


def _read_hash_index() -> dict[str, Any]:
    try:
        index = json.loads((cache_root() / HASH_INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        logger.warning("the GGUF hash index is unreadable", exc_info=True)
        return {}
    return index if isinstance(index, dict) else {}


def _write_hash_index(index: dict[str, Any]) -> None:
    """Best effort: the index is a memo, failing to write it only costs a re-hash next time."""
    index_path = cache_root() / HASH_INDEX
    try:
        index_path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(index_path, json.dumps(index, indent=1).encode("utf-8"))
    except OSError:
        logger.warning("cannot write the GGUF hash index %s", index_path, exc_info=True)


# ---------------------------------------------------------------------------------------------
# Conversion cache


def converted_folder(sha256: str) -> Path:
    return converted_models_dir() / sha256


def cached_conversion(sha256: str) -> Path | None:
    """The converted model folder for this GGUF sha256, or None when not converted yet."""
    folder = converted_folder(sha256)
    if all((folder / name).is_file() for name in CONVERTED_FILES):
        return folder
    return None


def load_gguf_directly(gguf_path: Path, report: Report = _no_report,
                       start: float = 0.0, end: float = 100.0) -> tuple[Any, Any]:
    """Load (model, tokenizer) straight from a GGUF with transformers, in fp32 on the CPU.

    Slow (dequantizes every tensor, converts the tokenizer); used once per GGUF to fill the cache,
    and by the test proving the cache loads the same model.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    stage = "Converting GGUF (first run only)"
    folder, name = str(gguf_path.parent), gguf_path.name
    try:
        report(stage, start)
        model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
        # The tokenizer conversion is about 30% of the time.
        report(stage, start + (end - start) * 0.7)
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    except Exception as exc:
        detail = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise ModelLoadError(f"cannot convert the GGUF file {gguf_path}: {detail}") from exc
    report(stage, end)
    return model, tokenizer


def convert_into_cache(
    sha256: str,
    obtain_gguf: Callable[[Path], Path],
    report: Report = _no_report,
    start: float = 0.0,
    end: float = 100.0,
) -> Path:
    """Convert a GGUF once and keep the result under its sha256; return the cache folder.

    ``obtain_gguf(staging)`` returns the GGUF's path: an existing file, or one it writes inside
    the staging folder (such a file is deleted once converted). Raises ModelLoadError.
    """
    root = converted_models_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
        _remove_stale_staging(root)
        staging = Path(tempfile.mkdtemp(prefix=f".{sha256[:16]}-", suffix=".partial", dir=root))
    except OSError as exc:
        raise ModelLoadError(f"cannot create the model cache folder {root}: {exc}") from exc
    try:
        report("Preparing model file", start)
        gguf_path = obtain_gguf(staging)
        check_gguf_file(gguf_path)
        span = end - start
        model, tokenizer = load_gguf_directly(gguf_path, report, start + 0.05 * span,
                                              start + 0.9 * span)
        report("Saving converted model", start + 0.9 * span)
        _save_converted(model, tokenizer, staging)
        del model, tokenizer
        if gguf_path.parent == staging:
            gguf_path.unlink()
        published = _publish(staging, converted_folder(sha256))
        # The conversion leaves garbage in reference cycles. Collect it now (first run only, a
        # few hundred ms) so that load_model's collections_paused (models.loading.responsive)
        # does not freeze it into the process for good.
        gc.collect()
        return published
    except OSError as exc:
        raise ModelLoadError(f"cannot write the converted model to {root}: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def is_converted_folder(folder: Path) -> bool:
    """Whether ``folder`` is an entry of this cache (so load_converted_tokenizer applies)."""
    return folder.parent == converted_models_dir() and cached_conversion(folder.name) == folder


def load_converted_tokenizer(folder: Path) -> Any:
    """The tokenizer of a converted folder; same result as AutoTokenizer.from_pretrained, faster.

    transformers 5 re-parses tokenizer.json in Python several times (about 4 s for Gemma's
    262k-token vocabulary on a small CPU). The tokenizer class recorded at conversion, given the
    file itself, builds the Rust tokenizer once. Given a built ``tokenizer_object`` instead, it
    would deep-copy it: a pickle round trip through JSON that held the GIL for another 1.4-1.9 s.

    The one build left, ``tokenizers.Tokenizer.from_file``, holds the GIL throughout (the Rust
    bindings never release it while deserializing): 0.75-0.85 s of CPU for Gemma's 262k tokens
    and 515k merges (about a third for the vocabulary, the rest for the merges), 1.0-1.1 s of
    wall time in the worker on the 2-core machine, during which the GUI thread cannot run
    Python. Measured alternatives are no shorter: ``tokenizers.models.BPE(vocab, merges)`` from
    Python objects takes 0.47-0.72 s in one call too, and merges saved in the older "a b" string
    form parse only ~13% faster.
    """
    import transformers

    settings = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    tokenizer_class = getattr(transformers, str(settings.pop("tokenizer_class")))
    return tokenizer_class(
        tokenizer_file=str(folder / "tokenizer.json"), name_or_path=str(folder), **settings
    )


def _save_converted(model: Any, tokenizer: Any, folder: Path) -> None:
    """Save what from_pretrained(folder) needs. transformers refuses save_pretrained on a
    GGUF-loaded model, so the weights and config are written here."""
    from safetensors.torch import save_model

    # save_model (unlike save_file) drops the tied lm_head duplicate of the embedding;
    # from_pretrained re-ties it from config.tie_word_embeddings.
    save_model(model, str(folder / "model.safetensors"), metadata={"format": "pt"})
    config = copy.deepcopy(model.config)
    # The folder holds plain dequantized weights: the GGUF quantization note must not follow.
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.save_pretrained(folder)
    if model.generation_config is not None:
        model.generation_config.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def _publish(staging: Path, target: Path) -> Path:
    """Rename the complete staging folder into place; if another process won, keep theirs."""
    if target.exists() and cached_conversion(target.name) is None:
        shutil.rmtree(target)  # damaged by hand (files deleted): replace it
    try:
        staging.rename(target)
    except OSError:
        if cached_conversion(target.name) is None:
            raise
    sync_directory(target.parent)
    return target


def _remove_stale_staging(root: Path) -> None:
    now = time.time()
    for leftover in root.glob(".*.partial"):
        try:
            if now - leftover.stat().st_mtime > _STALE_STAGING_S:
                shutil.rmtree(leftover, ignore_errors=True)
        except OSError:
            logger.warning("cannot remove %s", leftover, exc_info=True)
