"""models.loading.responsive: what keeps a load in a worker thread from stalling other threads.

The stalls themselves are measured by benchmarks/gui_stall.py (timings are never asserted here);
these tests check the mechanisms and their promises: the collector comes back, survivors are
frozen, frozen models and tokenizers are still freed, torch still works after the preload.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from penwright.models.loading.gguf_cache import load_converted_tokenizer
from penwright.models.loading.loader import LoadedModel, default_model_folder, load_model
from penwright.models.loading.responsive import collections_paused
from penwright.models.spec import ModelSpec

ROOT = Path(__file__).resolve().parents[3]


class _Cycle:
    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def collector_state() -> Iterator[None]:
    """Restore the collector's switch and unfreeze whatever a test froze."""
    was_enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if was_enabled:
        gc.enable()
    else:
        gc.disable()


@pytest.mark.usefixtures("collector_state")
def test_no_automatic_collection_while_paused_and_survivors_frozen_after() -> None:
    gc.enable()
    collections: list[int] = []

    def count(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(count)
    try:
        with collections_paused():
            assert not gc.isenabled()
            survivors = [_Cycle() for _ in range(50 * gc.get_threshold()[0])]
        assert collections == []
    finally:
        gc.callbacks.remove(count)
    assert gc.isenabled()
    assert gc.is_tracked(survivors[0]) and gc.get_freeze_count() >= len(survivors)


@pytest.mark.usefixtures("collector_state")
def test_a_failed_load_freezes_nothing_and_turns_the_collector_back_on() -> None:
    gc.enable()
    frozen_before = gc.get_freeze_count()
    with pytest.raises(RuntimeError), collections_paused():
        _garbage = [_Cycle() for _ in range(1000)]
        raise RuntimeError("load failed")
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen_before


@pytest.mark.usefixtures("collector_state")
def test_a_collector_switched_off_by_the_process_stays_off() -> None:
    gc.disable()
    with collections_paused(), collections_paused():
        pass
    assert not gc.isenabled()


@pytest.mark.usefixtures("collector_state")
def test_nested_pauses_turn_the_collector_on_only_at_the_end() -> None:
    gc.enable()
    with collections_paused():
        with collections_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


@pytest.mark.skipif(sys.platform != "linux", reason="checks /proc/self/maps")
def test_torch_library_is_loaded_before_torch_and_torch_works_after() -> None:
    code = (
        "from pathlib import Path\n"
        "from penwright.models.loading.responsive import preload_torch_libraries\n"
        "loaded = preload_torch_libraries()\n"
        "maps = Path('/proc/self/maps').read_text()\n"
        "import torch\n"
        "print(loaded, 'libtorch_cpu' in maps, float(torch.ones(3).sum()),\n"
        "      preload_torch_libraries())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    # Loaded before the import; torch computes; a second call (torch imported) does nothing.
    assert result.stdout.split() == ["True", "True", "3.0", "False"]


@pytest.mark.usefixtures("collector_state")
def test_a_loaded_model_is_freed_without_the_collector(
    tiny_gemma: LoadedModel, tmp_path: Path
) -> None:
    tiny_gemma.model.save_pretrained(tmp_path)
    tiny_gemma.tokenizer.save_pretrained(tmp_path)
    loaded = load_model(ModelSpec(source=str(tmp_path), device="cpu"))
    assert gc.isenabled() and gc.get_freeze_count() > 0  # load_model froze it
    model, tokenizer = weakref.ref(loaded.model), weakref.ref(loaded.tokenizer)
    gc.disable()  # only reference counting can free them now
    del loaded
    assert model() is None and tokenizer() is None


@pytest.mark.real_model
@pytest.mark.usefixtures("collector_state")
def test_the_converted_default_tokenizer_is_freed_without_the_collector() -> None:
    folder = default_model_folder()
    with collections_paused():
        tokenizer = load_converted_tokenizer(folder)
    assert len(tokenizer) == 262_144
    alive = weakref.ref(tokenizer)
    gc.disable()
    del tokenizer
    assert alive() is None
