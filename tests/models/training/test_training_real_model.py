"""On the real default model, with a small corpus in one style: held-out perplexity drops."""

from __future__ import annotations

from pathlib import Path

import pytest
from style_corpus import write_corpus

from penwright.models.training.job import TrainingJob
from penwright.models.training.train import run_training


@pytest.mark.real_model
def test_a_few_steps_on_the_default_model_lower_held_out_perplexity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PENWRIGHT_DATA_DIR", str(tmp_path / "data"))
    corpus = write_corpus(tmp_path / "corpus", sentences=60)  # ~1,600 tokens: about 11 steps
    job = TrainingJob(
        paths=[str(corpus)],
        name="Harbour",
        epochs=1,
        learning_rate=2e-3,
        sequence_tokens=64,
        batch_size=2,
        min_words=300,
        device="cpu",
    )
    steps: list[float] = []
    style = run_training(
        job, lambda e: steps.append(e["loss"]) if e["event"] == "step" else None, lambda: False
    )
    figures = style.meta["figures"]
    assert len(steps) >= 8
    assert figures["perplexity_after"] < 0.9 * figures["perplexity_before"]
    assert style.meta["base"]["sha256"]  # the bundled GGUF's
