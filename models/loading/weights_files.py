"""Which weight files ``from_pretrained`` reads from a local folder, and whether any is a pickle.

Why not "any ``*.safetensors`` exists": a folder with a 1-byte ``dummy.safetensors`` and a
``model.safetensors.index.json`` whose weight map points at ``evil.bin`` passed that test, and
transformers then handed ``evil.bin`` to ``torch.load``. The format is decided here from every file
the model will actually load, in the order transformers 5 resolves a local folder
(``modeling_utils._get_resolved_checkpoint_files``): ``config.json``'s ``transformers_weights``,
then ``model.safetensors``, its shard index, ``pytorch_model.bin``, its shard index.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from penwright.models.errors import ModelLoadError

SAFETENSORS = "model.safetensors"
SAFETENSORS_INDEX = "model.safetensors.index.json"
PICKLE = "pytorch_model.bin"
PICKLE_INDEX = "pytorch_model.bin.index.json"
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")
_MAX_INDEX_BYTES = 64 * 1024 * 1024  # a real index of thousands of tensors is a few MB


@dataclass(frozen=True)
class WeightsFiles:
    """The files the model's weights come from (names relative to the folder)."""

    names: tuple[str, ...]
    index: str | None  # the shard index they were listed in, if any

    @property
    def pickles(self) -> tuple[str, ...]:
        """The files torch.load would read (anything that is not safetensors)."""
        return tuple(name for name in self.names if not name.endswith(".safetensors"))

    @property
    def is_safetensors(self) -> bool:
        return not self.pickles


def weights_files(folder: Path, config: dict[str, Any]) -> WeightsFiles:
    """The weight files of the model in ``folder``; ModelLoadError when there are none usable.

    Every listed file must lie inside the folder and exist: a missing shard or one outside the
    folder is refused here with its name, before any weights are read.
    """
    explicit = config.get("transformers_weights")
    if isinstance(explicit, str) and explicit:
        chosen = explicit
    else:
        present = [
            n
            for n in (SAFETENSORS, SAFETENSORS_INDEX, PICKLE, PICKLE_INDEX)
            if (folder / n).is_file()
        ]
        if not present:
            raise ModelLoadError(_no_weights_message(folder))
        chosen = present[0]
    _inside(folder, chosen, "config.json")
    if chosen.endswith(".index.json"):
        names = _shards(folder, chosen)
        files = WeightsFiles(names=names, index=chosen)
    else:
        files = WeightsFiles(names=(chosen,), index=None)
    for name in files.names:
        if not (folder / name).is_file():
            source = files.index or "config.json"
            raise ModelLoadError(
                f"{folder}: {source} names the weight file {name}, which is missing"
            )
    return files


def pickle_refusal(folder: Path, files: WeightsFiles) -> ModelLoadError:
    """The refusal for a pickle checkpoint loaded without the writer's opt-in."""
    listed = ", ".join(files.pickles[:3]) + (", ..." if len(files.pickles) > 3 else "")
    via = f" (listed in {files.index})" if files.index else ""
    return ModelLoadError(
        f"the checkpoint in {folder} is a pickle ({listed}{via}): pickle files can run code when "
        "loaded, so Penwright refuses them; allow pickle checkpoints for this model only if you "
        "trust where it came from"
    )


def _shards(folder: Path, index_name: str) -> tuple[str, ...]:
    index_path = folder / index_name
    try:
        if index_path.stat().st_size > _MAX_INDEX_BYTES:
            raise ModelLoadError(f"{index_path} is too large to be a weight index")
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ModelLoadError(f"{index_path} is not a readable weight index: {exc}") from None
    weight_map = index.get("weight_map") if isinstance(index, dict) else None
    if not isinstance(weight_map, dict) or not weight_map:
        raise ModelLoadError(f"{index_path} has no weight_map: not a weight index")
    names: list[str] = []
    for name in weight_map.values():
        if not isinstance(name, str) or not name:
            raise ModelLoadError(f"{index_path} names a weight file that is not a file name")
        _inside(folder, name, index_name)
        if name not in names:
            names.append(name)
    return tuple(names)


def _inside(folder: Path, name: str, source: str) -> None:
    # Lexical, like transformers' own check: the HF cache links every file to a blob elsewhere,
    # so following links would call every downloaded model "outside".
    root = os.path.abspath(folder)
    target = os.path.abspath(os.path.join(folder, name))
    if os.path.commonpath([root, target]) != root or target == root:
        raise ModelLoadError(f"{folder}: {source} names {name}, a file outside the model folder")


def _no_weights_message(folder: Path) -> str:
    try:
        pickles = sorted(p.name for p in folder.iterdir() if p.name.endswith(PICKLE_SUFFIXES))
    except OSError:
        pickles = []
    others = sorted(p.name for p in folder.glob("*.safetensors"))
    if others:
        return (
            f"no {SAFETENSORS} or {SAFETENSORS_INDEX} in {folder} (it has "
            f"{', '.join(others[:3])}): transformers cannot tell which weights to load"
        )
    if pickles:
        return (
            f"{folder} has no loadable weights: only pickle files ({', '.join(pickles[:3])}) "
            f"under names transformers does not load ({PICKLE} is the one it would)"
        )
    return f"no model weights ({SAFETENSORS}) in {folder}"
