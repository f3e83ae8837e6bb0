"""Loading a style ("style:NAME"): its base model with the adapter merged into the weights.

The merge happens on the base's float weights before the loader quantizes or casts them as it
does the base (models.loading.loader), so the style runs on the same kernels at the same
speed. A style whose base model is missing or whose weights changed is refused: the adapter
would be meaningless on other weights.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from penwright.models.errors import ModelLoadError
from penwright.models.spec import ModelSpec, ProgressCallback
from penwright.models.training.base_model import base_sha256
from penwright.models.training.styles import Style, StyleError, read_style


def check_base(style: Style) -> None:
    """Raise ModelLoadError when the style's base model is missing or not the same weights."""
    try:
        sha = base_sha256(style.base_source)
    except ModelLoadError as error:
        raise ModelLoadError(
            f"the style {style.name!r} needs its base model {style.base_source}, which is "
            f"missing ({error}); reinstall or choose that model again, or train the style anew"
        ) from None
    if sha != style.base_sha256:
        raise ModelLoadError(
            f"the style {style.name!r} was trained on another version of {style.base_source} "
            f"(sha256 {style.base_sha256[:12]}…, now {sha[:12]}…): it cannot be used with these "
            "weights; train it again on this model"
        )


def load_style(spec: ModelSpec, progress: ProgressCallback | None = None) -> Any:
    from penwright.models.loading.loader import load_model
    from penwright.models.training.lora import AdapterError, merge_adapter

    try:
        style = read_style(spec.source.strip())
    except StyleError as error:
        raise ModelLoadError(str(error)) from None
    check_base(style)

    def merge(model: Any) -> None:
        try:
            merge_adapter(model, style.adapter)
        except AdapterError as error:
            raise ModelLoadError(f"the style {style.name!r} cannot be used: {error}") from None

    base = dataclasses.replace(spec, source=style.base_source)
    loaded = load_model(base, progress, change_weights=merge)
    base_name = style.meta.get("base", {}).get("name") or style.base_source
    loaded.info = dataclasses.replace(
        loaded.info, name=f"{base_name} · {style.name}", source=style.source
    )
    return loaded
