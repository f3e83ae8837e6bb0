"""The engine on the real default model (Gemma 3 270M, CPU, fp32): marked real_model.

The document is longer than Gemma 3's 512-token sliding window, so every cache reuse below
crops and refills a cache whose sliding layers have already rolled past their window.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from reference import generate_greedy

from penwright.models.generation.engine import Engine
from penwright.models.params import GenerationParams, StopMode
from penwright.models.prose import CLOSERS

pytestmark = pytest.mark.real_model

ROOT = Path(__file__).resolve().parents[3]
GREEDY = GenerationParams(temperature=0.0, max_new_tokens=8, stop=StopMode.NONE).plain()

DOCUMENT = "\n\n".join(
    f"Day {day}. The keeper of the northern light rose before dawn, trimmed the wick, polished "
    f"the great lens and wrote in the log that the wind was from the {direction} and the sea "
    f"was {sea}. Supplies: {day * 3} pounds of coal, {day + 4} gallons of oil."
    for day, (direction, sea) in enumerate(
        [("north", "calm"), ("west", "rough"), ("south", "grey"), ("east", "high")] * 3, start=1
    )
)


@pytest.fixture(scope="module")
def engine(default_model: Any) -> Engine:
    engine = Engine()
    engine.attach(default_model.model, default_model.tokenizer, default_model.info)
    return engine


def test_document_is_longer_than_the_sliding_window(default_model: Any) -> None:
    assert len(default_model.tokenizer(DOCUMENT)["input_ids"]) > 512 + 100
    assert default_model.model.config.sliding_window == 512


def test_greedy_equals_generate_fresh_and_after_edits(engine: Engine, default_model: Any) -> None:
    versions = {
        "fresh": DOCUMENT,
        "appended": DOCUMENT + " At noon a ship was sighted",
        "deleted": DOCUMENT[: len(DOCUMENT) - 120],
        "edited early": DOCUMENT.replace("Day 2.", "Day two.", 1),
    }
    for name, context in versions.items():
        text = "".join(d.text for d in engine.stream(context, GREEDY))
        expected = generate_greedy(
            default_model.model,
            default_model.tokenizer(context)["input_ids"],
            GREEDY.max_new_tokens,
        )
        assert engine.last_token_ids == expected, f"{name}: differs from generate"
        assert text == default_model.tokenizer.decode(expected, skip_special_tokens=True)
        if name in ("appended", "deleted"):
            assert engine.last_stats.reused_tokens > 512, f"{name}: the cache was not reused"


@pytest.mark.parametrize(
    "context",
    [
        "The old lighthouse stood at the edge of the cliff, and every night",
        "灯塔守护人每天清晨起床，擦亮透镜，然后在日志里写下",  # noqa: RUF001
    ],
    ids=["english", "chinese"],
)
def test_sampled_stream_reassembles_to_the_decoded_ids(
    engine: Engine, default_model: Any, context: str
) -> None:
    params = GenerationParams(
        temperature=0.9, max_new_tokens=24, seed=11, stop=StopMode.NONE
    ).plain()  # healing would leave the healed letters out of the stream
    pieces = [d.text for d in engine.stream(context, params)]
    decoded = default_model.tokenizer.decode(engine.last_token_ids, skip_special_tokens=True)
    assert "".join(pieces) == decoded
    assert not any("\ufffd" in piece for piece in pieces)


def test_sentence_stop_ends_after_one_sentence(engine: Engine) -> None:
    params = GenerationParams(temperature=0.0, max_new_tokens=60, stop=StopMode.SENTENCE)
    text = "".join(d.text for d in engine.stream("It was a dark and stormy night", params))
    assert engine.last_stats.stop_reason == "stop"
    assert text.strip() and "\n" not in text
    inner_sentence_end = re.compile(rf"[.!?…][{re.escape(CLOSERS)}]*\s")
    assert not inner_sentence_end.search(text), "no sentence end inside the text"


def test_cli_continue_prints_the_greedy_continuation(default_model: Any, tmp_path: Path) -> None:
    document = tmp_path / "notes.txt"
    context = "The lighthouse keeper opened the door and saw"
    document.write_text(context + "\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "penwright.cli", "continue", str(document), "--temperature", "0",
         "--max-new-tokens", "12", "--stop", "none", "--device", "cpu", "--precision", "fp32",
         "--plain"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    expected = generate_greedy(
        default_model.model, default_model.tokenizer(context + "\n")["input_ids"], 12
    )
    assert (
        result.stdout == default_model.tokenizer.decode(expected, skip_special_tokens=True) + "\n"
    )
    assert "Ready" in result.stderr, "load progress goes to stderr"
