"""End to end on the tiny model: train a style, save it, list it, load it merged, suggest from it.

The training runs in this process here (the same run_training the worker child calls) so its
result can be inspected; test_training_process runs the real child.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import torch
from style_corpus import write_corpus

from penwright.models.errors import ModelLoadError
from penwright.models.generation.engine import Engine
from penwright.models.loading.loader import load_model
from penwright.models.params import GenerationParams, StopMode
from penwright.models.spec import ModelSpec
from penwright.models.training import styles
from penwright.models.training.job import TrainingJob
from penwright.models.training.lora import TARGET_MODULES
from penwright.models.training.train import run_training

GREEDY = GenerationParams(temperature=0.0, max_new_tokens=8, stop=StopMode.NONE).plain()


@pytest.fixture(scope="module")
def tiny_folder(tiny_gemma: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-base")
    tiny_gemma.model.save_pretrained(folder)
    tiny_gemma.tokenizer.save_pretrained(folder)
    return folder


def tiny_job(corpus: Path, base: Path, **changes: Any) -> TrainingJob:
    job = TrainingJob(
        paths=[str(corpus)],
        name="Harbour novel",
        base=str(base),
        epochs=1,
        learning_rate=5e-3,
        sequence_tokens=32,
        batch_size=2,
        min_words=300,
    )
    return dataclasses.replace(job, **changes)


@pytest.fixture(scope="module")
def trained(
    tiny_folder: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[styles.Style, list[dict[str, Any]]]:
    root = tmp_path_factory.mktemp("style-data")
    patch = pytest.MonkeyPatch()
    patch.setenv("PENWRIGHT_DATA_DIR", str(root / "data"))
    patch.setenv("PENWRIGHT_CACHE_DIR", str(root / "cache"))
    corpus = write_corpus(root / "corpus", sentences=60)
    events: list[dict[str, Any]] = []
    style = run_training(tiny_job(corpus, tiny_folder), events.append, lambda: False)
    yield style, events
    patch.undo()


def test_the_loss_goes_down_and_held_out_perplexity_drops(trained: Any) -> None:
    style, events = trained
    losses = [event["loss"] for event in events if event["event"] == "step"]
    assert len(losses) >= 5
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3
    figures = style.meta["figures"]
    assert figures["perplexity_after"] < figures["perplexity_before"]
    assert events[-1]["event"] == "done"


def test_the_style_is_saved_and_listed_with_what_it_learned_from(trained: Any) -> None:
    style, _ = trained
    assert [s.source for s in styles.list_styles()] == ["style:harbour-novel"]
    meta = json.loads((style.folder / "style.json").read_text(encoding="utf-8"))
    assert meta["corpus"]["files"] == 1 and meta["corpus"]["words"] > 300
    assert meta["hyperparameters"]["rank"] == 16
    assert meta["samples"]["before"] != meta["samples"]["after"]
    assert sorted(p.name for p in style.folder.iterdir()) == ["adapter.safetensors", "style.json"]


def peft_merged(base: Path, style: styles.Style) -> Any:
    """The base with the adapter merged by peft itself: the reference for the loader's merge."""
    from peft import LoraConfig, get_peft_model, set_peft_model_state_dict
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    config = LoraConfig(r=16, lora_alpha=32.0, target_modules=list(TARGET_MODULES))
    peft_model = get_peft_model(model, config)
    state = {f"base_model.model.{k}.weight": v for k, v in load_file(style.adapter).items()}
    set_peft_model_state_dict(peft_model, state)
    return peft_model.merge_and_unload().eval()


def test_reloading_the_style_gives_the_merged_weights_logits(
    trained: Any, tiny_folder: Path
) -> None:
    style, _ = trained
    loaded = load_model(ModelSpec(source=style.source, device="cpu", precision="fp32"))
    assert loaded.info.source == "style:harbour-novel"
    assert loaded.info.name.endswith("· Harbour novel")
    reference = peft_merged(tiny_folder, style)
    base = load_model(ModelSpec(source=str(tiny_folder), device="cpu", precision="fp32"))
    ids = torch.tensor([[2, 651, 1063, 9, 3127, 594, 506]])
    with torch.inference_mode():
        ours, theirs = loaded.model(ids).logits, reference(ids).logits
        plain = base.model(ids).logits
    torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-4)
    assert (ours - plain).abs().max() > 1e-2  # the style did change the model


def test_suggestions_come_from_the_style(trained: Any, tiny_folder: Path) -> None:
    style, _ = trained
    engine = Engine()
    engine.load(ModelSpec(source=style.source, device="cpu", precision="fp32"))
    context = "Captain Mireval walked along the harbour of Tessaly,"
    text = "".join(delta.text for delta in engine.stream(context, GREEDY))
    reference = peft_merged(tiny_folder, style)
    prompt = engine.tokenizer(context)["input_ids"]
    with torch.inference_mode():
        out = reference.generate(
            torch.tensor([prompt]), do_sample=False, max_new_tokens=GREEDY.max_new_tokens
        )
    assert engine.last_token_ids == out[0, len(prompt) :].tolist()
    assert text.strip()
    engine.close()


def test_a_style_on_other_base_weights_is_refused(trained: Any, tmp_path: Path) -> None:
    style, _ = trained
    meta = dict(style.meta, base=dict(style.meta["base"], sha256="0" * 64))
    styles.save_style("changed", meta, lambda p: p.write_bytes(style.adapter.read_bytes()))
    with pytest.raises(ModelLoadError, match="was trained on another version of"):
        load_model(ModelSpec(source="style:changed", device="cpu", precision="fp32"))
    gone = dict(style.meta, base=dict(style.meta["base"], source=str(tmp_path / "deleted")))
    styles.save_style("orphan", gone, lambda p: p.write_bytes(style.adapter.read_bytes()))
    with pytest.raises(ModelLoadError, match=r"needs its base model .* which is missing"):
        load_model(ModelSpec(source="style:orphan", device="cpu", precision="fp32"))
    styles.delete_style("changed")
    styles.delete_style("orphan")
