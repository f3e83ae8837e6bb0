"""Named styles in the user data folder: one folder per style, published whole or not at all.

A style folder holds ``adapter.safetensors`` (the LoRA matrices, plain tensors) and
``style.json`` (its display name, the base model's source and sha256, the corpus statistics,
the hyperparameters and the figures). It is written into a hidden staging folder beside the
others and renamed into place complete, so a cancelled run, a crash or a full disk leaves no
half style: at worst a hidden staging folder, removed by the next run. Free of torch so the
settings page can list styles cheaply.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safetensors import SafetensorError

from penwright.models.files.atomic import sync_directory, write_atomically
from penwright.models.files.folders import data_root

STYLE_PREFIX = "style:"
"""ModelSpec.source of a style: "style:" and the style's folder name."""
ADAPTER_FILE = "adapter.safetensors"
META_FILE = "style.json"
_STAGING = ".staging-"


class StyleError(Exception):
    """A style cannot be saved, found or used; the message says why."""


@dataclass(frozen=True)
class Style:
    key: str  # the folder name, what "style:KEY" names
    folder: Path
    meta: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.meta.get("name") or self.key)

    @property
    def source(self) -> str:
        return STYLE_PREFIX + self.key

    @property
    def base_source(self) -> str:
        return str(self.meta.get("base", {}).get("source", ""))

    @property
    def base_sha256(self) -> str:
        return str(self.meta.get("base", {}).get("sha256", ""))

    @property
    def adapter(self) -> Path:
        return self.folder / ADAPTER_FILE


def styles_dir() -> Path:
    return data_root() / "styles"


def is_style_source(source: str) -> bool:
    return source.strip().startswith(STYLE_PREFIX)


def style_key(name: str) -> str:
    """A folder name for a display name: lower-case letters, digits and dashes."""
    key = re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")
    if not key:
        raise StyleError(f"{name!r} is not a usable style name: use letters or digits")
    return key[:60]


def list_styles() -> list[Style]:
    folder = styles_dir()
    if not folder.is_dir():
        return []
    styles = []
    for child in sorted(folder.iterdir()):
        if child.name.startswith(".") or not child.is_dir():
            continue
        with contextlib.suppress(StyleError):
            styles.append(read_style(child.name))
    return styles


def read_style(key: str) -> Style:
    key = key.removeprefix(STYLE_PREFIX).strip()
    folder = styles_dir() / key
    if not key or key.startswith(".") or "/" in key or not folder.is_dir():
        raise StyleError(f"no style named {key!r} in {styles_dir()}")
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise StyleError(f"the style {key!r} is damaged ({META_FILE}: {error})") from None
    if not isinstance(meta, dict) or not (folder / ADAPTER_FILE).is_file():
        raise StyleError(f"the style {key!r} is damaged: its adapter or description is missing")
    return Style(key, folder, meta)


def save_style(key: str, meta: dict[str, Any], write_adapter: Callable[[Path], None]) -> Style:
    """Write a style atomically: ``write_adapter(path)`` writes the adapter file into staging.

    Raises StyleError (naming the cause: a full disk, no permission) and leaves nothing behind.
    An existing style of the same key is replaced only once the new one is complete.
    """
    root = styles_dir()
    staging = root / f"{_STAGING}{key}-{uuid.uuid4().hex[:8]}"
    target = root / key
    try:
        root.mkdir(parents=True, exist_ok=True)
        staging.mkdir()
        write_adapter(staging / ADAPTER_FILE)
        data = json.dumps(meta, indent=2, ensure_ascii=False).encode("utf-8")
        write_atomically(staging / META_FILE, data)
        old = None
        if target.exists():
            old = root / f"{_STAGING}old-{key}-{uuid.uuid4().hex[:8]}"
            target.rename(old)
        staging.rename(target)
        sync_directory(root)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except (OSError, SafetensorError) as error:
        # safetensors reports a full disk as its own error ("No space left on device").
        shutil.rmtree(staging, ignore_errors=True)
        reason = getattr(error, "strerror", None) or error
        raise StyleError(
            f"the style could not be saved in {root}: {reason}"
            " (nothing was written; free some disk space and train again)"
        ) from error
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return read_style(key)


def remove_leftover_staging() -> None:
    root = styles_dir()
    if root.is_dir():
        for child in root.glob(_STAGING + "*"):
            shutil.rmtree(child, ignore_errors=True)


def delete_style(key: str) -> None:
    style = read_style(key)
    shutil.rmtree(style.folder)


def rename_style(key: str, new_name: str) -> Style:
    """Change the display name (the folder and so "style:KEY" stay: settings keep working)."""
    style = read_style(key)
    if not new_name.strip():
        raise StyleError("a style needs a name")
    meta = dict(style.meta, name=new_name.strip())
    data = json.dumps(meta, indent=2, ensure_ascii=False).encode("utf-8")
    try:
        write_atomically(style.folder / META_FILE, data)
    except OSError as error:
        raise StyleError(f"cannot rename the style: {error.strerror or error}") from error
    return read_style(key)


def describe_figures(meta: dict[str, Any]) -> str:
    """The figures in a writer's words: how much better it predicts the next word."""
    figures = meta.get("figures", {})
    before, after = figures.get("perplexity_before"), figures.get("perplexity_after")
    if not before or not after:
        return "no figures recorded"
    change = 1.0 - after / before
    if change >= 0:
        what = f"predicts your next word {change:.0%} better than the base model"
    else:
        what = f"predicts your next word {-change:.0%} worse than the base model"
    return f"{what} (perplexity on held-out text {before:.1f} → {after:.1f})"
